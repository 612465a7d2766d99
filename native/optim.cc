// The optimiser's elementwise kernels (Node only), as N-API functions:
//   adamStep(p, g, m, v, beta1, beta2, stepSize, sqrtBias2, eps, decay, l2, isa)
//   sumOfSquares(x, isa) → number
// adamStep repeats src/kernels/reference/optim.ts operation for operation, in double precision
// and without fused multiply-adds (fp-contract off below), so it matches the reference bit for
// bit; the vectoriser still runs it 8 doubles at a time. It is memory-bound (28 bytes moved per
// parameter), so it stays on the calling thread.
#include <cmath>
#include <cstdint>

#include "optim.h"

#pragma GCC optimize("fp-contract=off")

#define ATTEND_INLINE static inline __attribute__((always_inline))

namespace attend {
namespace {

struct AdamScalars {
  double beta1, beta2, step_size, sqrt_bias2, eps, decay, l2;
};

ATTEND_INLINE void adam_loop(float* p, const float* g, float* m, float* v, int64_t n, const AdamScalars& s) {
  const double a1 = 1 - s.beta1, a2 = 1 - s.beta2;
  for (int64_t j = 0; j < n; j++) {
    const double gj = double(g[j]) + s.l2 * double(p[j]);
    m[j] = static_cast<float>(s.beta1 * double(m[j]) + a1 * gj);
    v[j] = static_cast<float>(s.beta2 * double(v[j]) + a2 * gj * gj);
    p[j] = static_cast<float>(double(p[j]) * s.decay -
                              (s.step_size * double(m[j])) / (std::sqrt(double(v[j])) / s.sqrt_bias2 + s.eps));
  }
}

// Σ x² in double, in LANES independent partial sums (vectorised without reassociation).
ATTEND_INLINE double squares_loop(const float* x, int64_t n) {
  constexpr int LANES = 16;
  double lane[LANES] = {};
  int64_t i = 0;
  for (; i + LANES <= n; i += LANES)
    for (int l = 0; l < LANES; l++) lane[l] += double(x[i + l]) * double(x[i + l]);
  double sum = 0;
  for (int l = 0; l < LANES; l++) sum += lane[l];
  for (; i < n; i++) sum += double(x[i]) * double(x[i]);
  return sum;
}

void adam_portable(float* p, const float* g, float* m, float* v, int64_t n, const AdamScalars& s) {
  adam_loop(p, g, m, v, n, s);
}
double squares_portable(const float* x, int64_t n) { return squares_loop(x, n); }
#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2"))) void adam_avx2(float* p, const float* g, float* m, float* v, int64_t n,
                                               const AdamScalars& s) {
  adam_loop(p, g, m, v, n, s);
}
__attribute__((target("avx512f"))) void adam_avx512(float* p, const float* g, float* m, float* v, int64_t n,
                                                     const AdamScalars& s) {
  adam_loop(p, g, m, v, n, s);
}
__attribute__((target("avx2"))) double squares_avx2(const float* x, int64_t n) { return squares_loop(x, n); }
__attribute__((target("avx512f"))) double squares_avx512(const float* x, int64_t n) { return squares_loop(x, n); }
#endif

bool get_double(napi_env env, napi_value v, const char* name, double& out) {
  if (napi_get_value_double(env, v, &out) != napi_ok || !std::isfinite(out))
    return fail(env, std::string("adamStep: ") + name + " must be a finite number");
  return true;
}

napi_value AdamStep(napi_env env, napi_callback_info info) {
  const char* what = "adamStep";
  napi_value argv[12];
  if (!get_args(env, info, argv, what)) return nullptr;
  float *p, *g, *m, *v;
  size_t n = 0;
  if (!get_f32(env, argv[0], what, "p", -1, p, &n) || !get_f32(env, argv[1], what, "g", double(n), g) ||
      !get_f32(env, argv[2], what, "m", double(n), m) || !get_f32(env, argv[3], what, "v", double(n), v))
    return nullptr;
  AdamScalars s;
  Isa isa;
  if (!get_double(env, argv[4], "beta1", s.beta1) || !get_double(env, argv[5], "beta2", s.beta2) ||
      !get_double(env, argv[6], "stepSize", s.step_size) || !get_double(env, argv[7], "sqrtBias2", s.sqrt_bias2) ||
      !get_double(env, argv[8], "eps", s.eps) || !get_double(env, argv[9], "decay", s.decay) ||
      !get_double(env, argv[10], "l2", s.l2) || !get_isa(env, argv[11], isa))
    return nullptr;
  ATTEND_PICK(adam, isa)(p, g, m, v, static_cast<int64_t>(n), s);
  return nullptr;
}

napi_value SumOfSquares(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  float* x;
  size_t n = 0;
  Isa isa;
  if (!get_args(env, info, argv, "sumOfSquares") || !get_f32(env, argv[0], "sumOfSquares", "x", -1, x, &n) ||
      !get_isa(env, argv[1], isa))
    return nullptr;
  const double sum = ATTEND_PICK(squares, isa)(x, static_cast<int64_t>(n));
  napi_value result;
  napi_create_double(env, sum, &result);
  return result;
}

}  // namespace

void register_optim(napi_env env, napi_value exports) {
  export_function(env, exports, "adamStep", AdamStep);
  export_function(env, exports, "sumOfSquares", SumOfSquares);
}

}  // namespace attend
