// Additive attention scores (src/kernels/reference/additive.ts), float32, as N-API functions:
//   additiveForward(e, t, qp, kp, v, G, n, m, da, isa, threads)
//     t[g,i,j,a] = tanh(qp[g,i,a] + kp[g,j,a]);  e[g,i,j] = Σ_a v[a] · t[g,i,j,a]
//   additiveBackward(dq, dk, dv: Float64Array, ge, t, v, G, n, m, da, isa, threads)
//     d = ge[g,i,j] · v[a] · (1 − t²);  dq[g,i,a] += Σ_j d;  dk[g,j,a] += Σ_i d;  dv[a] += Σ ge · t
// tanh is tanh_rational (tanh.h), branch-free, so the a-loop vectorises, and v·t is summed in 16
// partial sums, so it does too. The work splits over
// g across the pool; dv is summed per part in double and the parts added in order, so the result
// does not depend on which thread ran what.
#include "additive.h"

#include <algorithm>
#include <vector>

#include "pool.h"
#include "tanh.h"

#define ATTEND_INLINE static inline __attribute__((always_inline))

namespace attend {
namespace {

constexpr double MIN_PARALLEL_ELEMENTS = double(1 << 15);

struct Sizes {
  int64_t G, n, m, da;
};

ATTEND_INLINE void forward_range(float* e, float* t, const float* qp, const float* kp, const float* v, const Sizes& s,
                                 int64_t g0, int64_t g1) {
  const int64_t n = s.n, m = s.m, da = s.da;
  for (int64_t g = g0; g < g1; g++)
    for (int64_t i = 0; i < n; i++) {
      const float* q = qp + (g * n + i) * da;
      for (int64_t j = 0; j < m; j++) {
        const float* k = kp + (g * m + j) * da;
        float* tt = t + ((g * n + i) * m + j) * da;
        for (int64_t a = 0; a < da; a++) tt[a] = tanh_rational(q[a] + k[a]);
        // v·t in 16 partial sums: one running sum is a chain of dependent adds the compiler may
        // not reorder (without -ffast-math), 4 cycles each; this was half the kernel's time
        constexpr int LANES = 16;
        float part[LANES] = {};
        int64_t a = 0;
        for (; a + LANES <= da; a += LANES)
          for (int l = 0; l < LANES; l++) part[l] += v[a + l] * tt[a + l];
        float acc = 0;
        for (; a < da; a++) acc += v[a] * tt[a];
        for (int l = 0; l < LANES; l++) acc += part[l];
        e[(g * n + i) * m + j] = acc;
      }
    }
}

ATTEND_INLINE void backward_range(float* dq, float* dk, double* dv, const float* ge, const float* t, const float* v,
                                  const Sizes& s, int64_t g0, int64_t g1) {
  const int64_t n = s.n, m = s.m, da = s.da;
  for (int64_t g = g0; g < g1; g++)
    for (int64_t i = 0; i < n; i++) {
      float* q = dq + (g * n + i) * da;
      for (int64_t j = 0; j < m; j++) {
        float* k = dk + (g * m + j) * da;
        const float* tt = t + ((g * n + i) * m + j) * da;
        const float gij = ge[(g * n + i) * m + j];
        for (int64_t a = 0; a < da; a++) {
          const float d = gij * v[a] * (1 - tt[a] * tt[a]);
          q[a] += d;
          k[a] += d;
          dv[a] += double(gij) * double(tt[a]);
        }
      }
    }
}

// One build of each loop per instruction set (the target attribute lets GCC vectorise it for that set).
#define ATTEND_ADDITIVE_ISA(NAME, ATTR)                                                                          \
  ATTR void forward_##NAME(float* e, float* t, const float* qp, const float* kp, const float* v, const Sizes& s, \
                           int64_t g0, int64_t g1) {                                                              \
    forward_range(e, t, qp, kp, v, s, g0, g1);                                                                   \
  }                                                                                                              \
  ATTR void backward_##NAME(float* dq, float* dk, double* dv, const float* ge, const float* t, const float* v,   \
                            const Sizes& s, int64_t g0, int64_t g1) {                                            \
    backward_range(dq, dk, dv, ge, t, v, s, g0, g1);                                                             \
  }

ATTEND_ADDITIVE_ISA(portable, )
#if defined(__x86_64__) || defined(__i386__)
ATTEND_ADDITIVE_ISA(avx2, __attribute__((target("avx2,fma"))))
ATTEND_ADDITIVE_ISA(avx512, __attribute__((target("avx512f"))))
#endif

// Parts over g: one when the work is small, else four per thread (claimed in any order).
int parts_for(const Sizes& s, int threads) {
  const double work = double(s.G) * double(s.n) * double(s.m) * double(s.da);
  const int tasks = std::min(threads, pool().size());
  if (work < MIN_PARALLEL_ELEMENTS || tasks <= 1) return 1;
  return static_cast<int>(std::min<int64_t>(s.G, 4 * tasks));
}

bool get_sizes(napi_env env, napi_value* argv, const char* what, Sizes& s, Isa& isa, int& threads) {
  int64_t t;
  if (!get_int(env, argv[0], what, "G", s.G) || !get_int(env, argv[1], what, "n", s.n) ||
      !get_int(env, argv[2], what, "m", s.m) || !get_int(env, argv[3], what, "da", s.da) ||
      !get_isa(env, argv[4], isa) || !get_int(env, argv[5], what, "threads", t))
    return false;
  threads = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(t, 1024)));
  return true;
}

napi_value AdditiveForward(napi_env env, napi_callback_info info) {
  const char* what = "additiveForward";
  napi_value argv[11];
  Sizes s;
  Isa isa;
  int threads;
  float *e, *t, *qp, *kp, *v;
  if (!get_args(env, info, argv, what) || !get_sizes(env, argv + 5, what, s, isa, threads)) return nullptr;
  const double scores = double(s.G) * double(s.n) * double(s.m);
  if (!get_f32(env, argv[0], what, "e", scores, e) || !get_f32(env, argv[1], what, "t", scores * double(s.da), t) ||
      !get_f32(env, argv[2], what, "qp", double(s.G) * double(s.n) * double(s.da), qp) ||
      !get_f32(env, argv[3], what, "kp", double(s.G) * double(s.m) * double(s.da), kp) ||
      !get_f32(env, argv[4], what, "v", double(s.da), v))
    return nullptr;
  const auto f = ATTEND_PICK(forward, isa);
  const int parts = parts_for(s, threads);
  if (parts <= 1) return f(e, t, qp, kp, v, s, 0, s.G), nullptr;
  pool().run(parts, [&](int p) { f(e, t, qp, kp, v, s, s.G * p / parts, s.G * (p + 1) / parts); });
  return nullptr;
}

napi_value AdditiveBackward(napi_env env, napi_callback_info info) {
  const char* what = "additiveBackward";
  napi_value argv[12];
  Sizes s;
  Isa isa;
  int threads;
  float *dq, *dk, *ge, *t, *v;
  if (!get_args(env, info, argv, what) || !get_sizes(env, argv + 6, what, s, isa, threads)) return nullptr;
  const double scores = double(s.G) * double(s.n) * double(s.m);
  if (!get_f32(env, argv[0], what, "dq", double(s.G) * double(s.n) * double(s.da), dq) ||
      !get_f32(env, argv[1], what, "dk", double(s.G) * double(s.m) * double(s.da), dk) ||
      !get_f32(env, argv[3], what, "ge", scores, ge) || !get_f32(env, argv[4], what, "t", scores * double(s.da), t) ||
      !get_f32(env, argv[5], what, "v", double(s.da), v))
    return nullptr;
  bool is_typed = false;
  napi_typedarray_type type;
  size_t length = 0;
  void* dv_data = nullptr;
  napi_is_typedarray(env, argv[2], &is_typed);
  if (!is_typed || napi_get_typedarray_info(env, argv[2], &type, &length, &dv_data, nullptr, nullptr) != napi_ok ||
      type != napi_float64_array || double(length) < double(s.da))
    return fail(env, "additiveBackward: dv must be a Float64Array of at least da elements"), nullptr;
  auto* dv = static_cast<double*>(dv_data);
  const auto b = ATTEND_PICK(backward, isa);
  const int parts = parts_for(s, threads);
  if (parts <= 1) return b(dq, dk, dv, ge, t, v, s, 0, s.G), nullptr;
  // each part sums its own dv; the parts are added in order, whichever thread ran them
  std::vector<double> partial(size_t(parts) * size_t(s.da), 0.0);
  pool().run(parts, [&](int p) {
    b(dq, dk, partial.data() + size_t(p) * size_t(s.da), ge, t, v, s, s.G * p / parts, s.G * (p + 1) / parts);
  });
  for (int p = 0; p < parts; p++)
    for (int64_t a = 0; a < s.da; a++) dv[a] += partial[size_t(p) * size_t(s.da) + size_t(a)];
  return nullptr;
}

}  // namespace

void register_additive(napi_env env, napi_value exports) {
  export_function(env, exports, "additiveForward", AdditiveForward);
  export_function(env, exports, "additiveBackward", AdditiveBackward);
}

}  // namespace attend
