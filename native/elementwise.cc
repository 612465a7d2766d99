// The elementwise kernels of a training step that src/kernels/reference/elementwise.ts loops over
// in JavaScript, float32, as N-API functions:
//   arith(code, out, full, row, period, rowFirst, isa)   out = full ∘ row, row repeating every
//                                                       `period` elements (period = length: same
//                                                       shapes); rowFirst: out = row ∘ full
//   maskScale(out, x, keep, scale, isa)                  out = x · keep · scale          (dropout)
//   reluScale(out, x, keep, scale, isa)                  out = max(x, 0) · keep · scale  (relu + dropout)
//   reluScaleBackward(dx, dy, x, keep, scale, isa)       dx = dy · keep · scale where x > 0, else 0
// codes: 0 add, 1 sub, 2 mul, 3 div. Bit for bit the reference: a float32 +, −, ×, ÷ rounds to
// the same value as JavaScript's double operation rounded to float32 (double has more than twice
// float's precision), and the products with scale are done in double, as JavaScript does them.
// Memory-bound and called on arrays of 10⁴–10⁶ elements: one thread.
#include "elementwise.h"

#include <cstring>

#define ATTEND_INLINE static inline __attribute__((always_inline))

namespace attend {
namespace {

template <int Code>
ATTEND_INLINE float apply(float a, float b) {
  if constexpr (Code == 0) return a + b;
  if constexpr (Code == 1) return a - b;
  if constexpr (Code == 2) return a * b;
  return a / b;
}

template <int Code>
ATTEND_INLINE void arith_rows(float* out, const float* full, const float* row, int64_t n, int64_t period,
                              bool row_first) {
  for (int64_t o = 0; o < n; o += period) {
    float* y = out + o;
    const float* x = full + o;
    if (row_first)
      for (int64_t j = 0; j < period; j++) y[j] = apply<Code>(row[j], x[j]);
    else
      for (int64_t j = 0; j < period; j++) y[j] = apply<Code>(x[j], row[j]);
  }
}

ATTEND_INLINE void arith(int code, float* out, const float* full, const float* row, int64_t n, int64_t period,
                         bool row_first) {
  switch (code) {
    case 0: return arith_rows<0>(out, full, row, n, period, row_first);
    case 1: return arith_rows<1>(out, full, row, n, period, row_first);
    case 2: return arith_rows<2>(out, full, row, n, period, row_first);
    default: return arith_rows<3>(out, full, row, n, period, row_first);
  }
}

ATTEND_INLINE void mask_scale(float* out, const float* x, const uint8_t* keep, double scale, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = float(double(x[i]) * (double(keep[i]) * scale));
}

// relu as the reference's reluF32: negative numbers (not −0, not NaN) become +0
ATTEND_INLINE void relu_scale(float* out, const float* x, const uint8_t* keep, double scale, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    int32_t b;
    std::memcpy(&b, x + i, 4);
    const int32_t a = b & 0x7fffffff;
    b &= ~((b >> 31) & (-a >> 31) & ((a - 0x7f800001) >> 31));
    float r;
    std::memcpy(&r, &b, 4);
    out[i] = float(double(r) * (double(keep[i]) * scale));
  }
}

ATTEND_INLINE void relu_scale_bwd(float* dx, const float* dy, const float* x, const uint8_t* keep, double scale,
                                  int64_t n) {
  for (int64_t i = 0; i < n; i++)
    dx[i] = float(double(dy[i]) * (double(keep[i]) * scale) * (x[i] <= 0.0f ? 0.0 : 1.0));
}

#define ATTEND_ELEMENTWISE_ISA(NAME, ATTR)                                                                       \
  ATTR void arith_##NAME(int code, float* out, const float* full, const float* row, int64_t n, int64_t period,   \
                         bool row_first) {                                                                      \
    arith(code, out, full, row, n, period, row_first);                                                          \
  }                                                                                                              \
  ATTR void mask_scale_##NAME(float* out, const float* x, const uint8_t* keep, double scale, int64_t n) {         \
    mask_scale(out, x, keep, scale, n);                                                                          \
  }                                                                                                              \
  ATTR void relu_scale_##NAME(float* out, const float* x, const uint8_t* keep, double scale, int64_t n) {         \
    relu_scale(out, x, keep, scale, n);                                                                          \
  }                                                                                                              \
  ATTR void relu_scale_bwd_##NAME(float* dx, const float* dy, const float* x, const uint8_t* keep, double scale, \
                                  int64_t n) {                                                                   \
    relu_scale_bwd(dx, dy, x, keep, scale, n);                                                                   \
  }

ATTEND_ELEMENTWISE_ISA(portable, )
#if defined(__x86_64__) || defined(__i386__)
ATTEND_ELEMENTWISE_ISA(avx2, __attribute__((target("avx2,fma"))))
ATTEND_ELEMENTWISE_ISA(avx512, __attribute__((target("avx512f,avx512bw"))))
#endif

bool get_scale(napi_env env, napi_value v, const char* what, double& scale) {
  if (napi_get_value_double(env, v, &scale) != napi_ok) return fail(env, std::string(what) + ": scale must be a number");
  return true;
}

napi_value Arith(napi_env env, napi_callback_info info) {
  const char* what = "arith";
  napi_value argv[7];
  int64_t code, period;
  bool row_first;
  Isa isa;
  float *out, *full, *row;
  size_t n = 0;
  if (!get_args(env, info, argv, what) || !get_int(env, argv[0], what, "code", code) ||
      !get_f32(env, argv[1], what, "out", -1, out, &n) || !get_int(env, argv[4], what, "period", period) ||
      !get_bool(env, argv[5], row_first) || !get_isa(env, argv[6], isa))
    return nullptr;
  if (code > 3) return fail(env, "arith: code must be 0 (add), 1 (sub), 2 (mul) or 3 (div)"), nullptr;
  if (n == 0) return nullptr;
  if (period < 1 || int64_t(n) % period != 0)
    return fail(env, "arith: period must divide out's length " + std::to_string(n) + ", received " +
                         std::to_string(period)),
           nullptr;
  if (!get_f32(env, argv[2], what, "full", double(n), full) || !get_f32(env, argv[3], what, "row", double(period), row))
    return nullptr;
  ATTEND_PICK(arith, isa)(int(code), out, full, row, int64_t(n), period, row_first);
  return nullptr;
}

// (out, x, keep, scale, isa): the arguments maskScale and reluScale share
struct ScaledArgs {
  float* out;
  float* x;
  uint8_t* keep;
  double scale;
  Isa isa;
  int64_t n;
};

bool scaled_args(napi_env env, napi_callback_info info, const char* what, ScaledArgs& a) {
  napi_value argv[5];
  size_t len = 0;
  if (!get_args(env, info, argv, what) || !get_f32(env, argv[0], what, "out", -1, a.out, &len) ||
      !get_f32(env, argv[1], what, "x", double(len), a.x) || !get_u8(env, argv[2], what, "keep", double(len), a.keep) ||
      !get_scale(env, argv[3], what, a.scale) || !get_isa(env, argv[4], a.isa))
    return false;
  a.n = int64_t(len);
  return true;
}

napi_value MaskScale(napi_env env, napi_callback_info info) {
  ScaledArgs a;
  if (scaled_args(env, info, "maskScale", a)) ATTEND_PICK(mask_scale, a.isa)(a.out, a.x, a.keep, a.scale, a.n);
  return nullptr;
}

napi_value ReluScale(napi_env env, napi_callback_info info) {
  ScaledArgs a;
  if (scaled_args(env, info, "reluScale", a)) ATTEND_PICK(relu_scale, a.isa)(a.out, a.x, a.keep, a.scale, a.n);
  return nullptr;
}

napi_value ReluScaleBackward(napi_env env, napi_callback_info info) {
  const char* what = "reluScaleBackward";
  napi_value argv[6];
  float *dx, *dy, *x;
  uint8_t* keep;
  double scale;
  Isa isa;
  size_t n = 0;
  if (!get_args(env, info, argv, what) || !get_f32(env, argv[0], what, "dx", -1, dx, &n) ||
      !get_f32(env, argv[1], what, "dy", double(n), dy) || !get_f32(env, argv[2], what, "x", double(n), x) ||
      !get_u8(env, argv[3], what, "keep", double(n), keep) || !get_scale(env, argv[4], what, scale) ||
      !get_isa(env, argv[5], isa))
    return nullptr;
  ATTEND_PICK(relu_scale_bwd, isa)(dx, dy, x, keep, scale, int64_t(n));
  return nullptr;
}

}  // namespace

void register_elementwise(napi_env env, napi_value exports) {
  export_function(env, exports, "arith", Arith);
  export_function(env, exports, "maskScale", MaskScale);
  export_function(env, exports, "reluScale", ReluScale);
  export_function(env, exports, "reluScaleBackward", ReluScaleBackward);
}

}  // namespace attend
