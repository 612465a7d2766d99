// Row-wise kernels: one vectorised build of rowwise_impl.h per instruction set, rows split across
// the pool for big inputs, and their N-API functions:
//   softmaxForward(out, x, rows, cols, isa, threads)        logSoftmaxForward(same)
//   softmaxBackward(dx, dy, y, rows, cols, isa, threads)    logSoftmaxBackward(same)
//   layerNormForward(out, mean, rstd, x, weight?, bias?, rows, cols, eps, isa, threads)
//   layerNormBackward(dx, dweight?, dbias?, dy, x, mean, rstd, weight?, rows, cols, isa, threads)
#include "rowwise.h"

#include <algorithm>
#include <vector>

#include "pool.h"
#include "rowwise_impl.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace attend {
namespace {

// Elements below which a call stays on the calling thread: ~32 K elements of softmax take some
// 30 µs on one core, about what waking a worker costs.
constexpr double MIN_PARALLEL_ELEMENTS = double(1 << 15);

struct RowFns {
  void (*softmax_fwd)(float*, const float*, int64_t, int64_t, int64_t);
  void (*softmax_bwd)(float*, const float*, const float*, int64_t, int64_t, int64_t);
  void (*log_softmax_fwd)(float*, const float*, int64_t, int64_t, int64_t);
  void (*log_softmax_bwd)(float*, const float*, const float*, int64_t, int64_t, int64_t);
  void (*ln_fwd)(float*, float*, float*, const float*, const float*, const float*, int64_t, int64_t, int64_t, float);
  void (*ln_bwd_dx)(float*, const float*, const float*, const float*, const float*, const float*, int64_t, int64_t,
                    int64_t);
  void (*ln_bwd_dw)(float*, float*, const float*, const float*, const float*, const float*, int64_t, int64_t, int64_t);
};

#if defined(__x86_64__) || defined(__i386__)
// exp_poly (rowwise_impl.h) on 16 and 8 lanes: the same Cephes polynomial and the same limits.
__attribute__((target("avx512f"))) inline __m512 exp16(__m512 x) {
  const __m512 lo = _mm512_set1_ps(-87.3f), hi = _mm512_set1_ps(88.7f);
  const __m512 xc = _mm512_min_ps(_mm512_max_ps(x, lo), hi);
  const __m512 n = _mm512_roundscale_ps(_mm512_fmadd_ps(xc, _mm512_set1_ps(1.44269504088896341f), _mm512_set1_ps(0.5f)),
                                        _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), xc);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  // 2ⁿ with n = 128 as 2¹²⁷ · 2 (as in exp_poly)
  const __m512 n1 = _mm512_min_ps(n, _mm512_set1_ps(127.0f));
  const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvttps_epi32(n1), _mm512_set1_epi32(127)), 23);
  p = _mm512_mul_ps(p, _mm512_add_ps(_mm512_set1_ps(1.0f), _mm512_sub_ps(n, n1)));
  __m512 e = _mm512_mul_ps(p, _mm512_castsi512_ps(bits));
  e = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ), e, _mm512_setzero_ps());
  e = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, hi, _CMP_GT_OQ), e, _mm512_set1_ps(__builtin_inff()));
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), e, x);  // NaN stays NaN
}

__attribute__((target("avx512f"))) void exp_shifted_avx512(float* out, const float* x, float shift, int64_t n) {
  const __m512 s = _mm512_set1_ps(shift);
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) _mm512_storeu_ps(out + j, exp16(_mm512_sub_ps(_mm512_loadu_ps(x + j), s)));
  if (j < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - j)) - 1);
    _mm512_mask_storeu_ps(out + j, m, exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + j), s)));
  }
}

__attribute__((target("avx2,fma"))) inline __m256 exp8(__m256 x) {
  const __m256 lo = _mm256_set1_ps(-87.3f), hi = _mm256_set1_ps(88.7f);
  const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
  const __m256 n =
      _mm256_floor_ps(_mm256_fmadd_ps(xc, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), xc);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256 n1 = _mm256_min_ps(n, _mm256_set1_ps(127.0f));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(n1), _mm256_set1_epi32(127)), 23);
  p = _mm256_mul_ps(p, _mm256_add_ps(_mm256_set1_ps(1.0f), _mm256_sub_ps(n, n1)));
  __m256 e = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
  e = _mm256_blendv_ps(e, _mm256_setzero_ps(), _mm256_cmp_ps(x, lo, _CMP_LT_OQ));
  e = _mm256_blendv_ps(e, _mm256_set1_ps(__builtin_inff()), _mm256_cmp_ps(x, hi, _CMP_GT_OQ));
  return _mm256_blendv_ps(e, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

__attribute__((target("avx2,fma"))) void exp_shifted_avx2(float* out, const float* x, float shift, int64_t n) {
  const __m256 s = _mm256_set1_ps(shift);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) _mm256_storeu_ps(out + j, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + j), s)));
  for (; j < n; j++) out[j] = rowwise::exp_poly(x[j] - shift);
}
#endif

void exp_shifted_portable(float* out, const float* x, float shift, int64_t n) {
  rowwise::exp_shifted_scalar(out, x, shift, n);
}

// One set of wrappers per instruction set: the always-inline bodies are compiled (and vectorised)
// under each wrapper's target attribute.
#define ATTEND_ROWWISE(NAME, ATTR, EXP)                                                                                   \
  ATTR void NAME##_sf(float* o, const float* x, int64_t r0, int64_t r1, int64_t c) {                                \
    rowwise::softmax_forward(EXP, o, x, r0, r1, c);                                                                     \
  }                                                                                                                  \
  ATTR void NAME##_sb(float* dx, const float* dy, const float* y, int64_t r0, int64_t r1, int64_t c) {              \
    rowwise::softmax_backward(dx, dy, y, r0, r1, c);                                                                 \
  }                                                                                                                  \
  ATTR void NAME##_lf(float* o, const float* x, int64_t r0, int64_t r1, int64_t c) {                                \
    rowwise::log_softmax_forward(EXP, o, x, r0, r1, c);                                                                 \
  }                                                                                                                  \
  ATTR void NAME##_lb(float* dx, const float* dy, const float* y, int64_t r0, int64_t r1, int64_t c) {              \
    rowwise::log_softmax_backward(EXP, dx, dy, y, r0, r1, c);                                                           \
  }                                                                                                                  \
  ATTR void NAME##_nf(float* o, float* mean, float* rstd, const float* x, const float* w, const float* b, int64_t r0, \
                      int64_t r1, int64_t c, float eps) {                                                            \
    rowwise::layer_norm_forward(o, mean, rstd, x, w, b, r0, r1, c, eps);                                             \
  }                                                                                                                  \
  ATTR void NAME##_nx(float* dx, const float* dy, const float* x, const float* mean, const float* rstd,              \
                      const float* w, int64_t r0, int64_t r1, int64_t c) {                                           \
    rowwise::layer_norm_backward_dx(dx, dy, x, mean, rstd, w, r0, r1, c);                                            \
  }                                                                                                                  \
  ATTR void NAME##_nw(float* dw, float* db, const float* dy, const float* x, const float* mean, const float* rstd,    \
                      int64_t r0, int64_t r1, int64_t c) {                                                           \
    rowwise::layer_norm_backward_dw(dw, db, dy, x, mean, rstd, r0, r1, c);                                           \
  }                                                                                                                  \
  const RowFns NAME##_fns = {NAME##_sf, NAME##_sb, NAME##_lf, NAME##_lb, NAME##_nf, NAME##_nx, NAME##_nw};

ATTEND_ROWWISE(portable, , exp_shifted_portable)
#if defined(__x86_64__) || defined(__i386__)
ATTEND_ROWWISE(avx2, __attribute__((target("avx2,fma"))), exp_shifted_avx2)
ATTEND_ROWWISE(avx512, __attribute__((target("avx512f"))), exp_shifted_avx512)
#endif

const RowFns& fns(Isa isa) {
#if defined(__x86_64__) || defined(__i386__)
  if (isa == Isa::avx512) return avx512_fns;
  if (isa == Isa::avx2) return avx2_fns;
#endif
  return portable_fns;
}

// Runs fn(lo, hi) over [0, count) on up to `threads` threads (one when the work is small).
template <class F>
void split(int64_t count, double elements, int threads, F fn) {
  int tasks = std::min<int64_t>(std::min(threads, pool().size()), count);
  if (elements < MIN_PARALLEL_ELEMENTS || tasks <= 1) {
    fn(int64_t(0), count);
    return;
  }
  // four parts per thread: a thread that gets less of the machine takes fewer of them
  const int parts = static_cast<int>(std::min<int64_t>(count, 4 * tasks));
  pool().run(parts, [&](int t) {
    const int64_t lo = count * t / parts, hi = count * (t + 1) / parts;
    if (lo < hi) fn(lo, hi);
  });
}

// Shared argument parsing: sizes, isa, threads at the given positions.
bool sizes(napi_env env, napi_value* argv, int at, const char* what, int64_t& rows, int64_t& cols) {
  return get_int(env, argv[at], what, "rows", rows) && get_int(env, argv[at + 1], what, "cols", cols);
}
bool isa_threads(napi_env env, napi_value* argv, int at, const char* what, Isa& isa, int& threads) {
  int64_t t;
  if (!get_isa(env, argv[at], isa) || !get_int(env, argv[at + 1], what, "threads", t)) return false;
  threads = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(t, 1024)));
  return true;
}

// (out, x, rows, cols, isa, threads)
template <bool Log>
napi_value RowForward(napi_env env, napi_callback_info info) {
  const char* what = Log ? "logSoftmaxForward" : "softmaxForward";
  napi_value argv[6];
  int64_t rows, cols;
  Isa isa;
  int threads;
  float *out, *x;
  if (!get_args(env, info, argv, what) || !sizes(env, argv, 2, what, rows, cols) ||
      !isa_threads(env, argv, 4, what, isa, threads))
    return nullptr;
  const double size = double(rows) * double(cols);
  if (!get_f32(env, argv[0], what, "out", size, out) || !get_f32(env, argv[1], what, "x", size, x)) return nullptr;
  const RowFns& f = fns(isa);
  split(rows, size, threads, [&](int64_t r0, int64_t r1) {
    (Log ? f.log_softmax_fwd : f.softmax_fwd)(out, x, r0, r1, cols);
  });
  return nullptr;
}

// (dx, dy, y, rows, cols, isa, threads)
template <bool Log>
napi_value RowBackward(napi_env env, napi_callback_info info) {
  const char* what = Log ? "logSoftmaxBackward" : "softmaxBackward";
  napi_value argv[7];
  int64_t rows, cols;
  Isa isa;
  int threads;
  float *dx, *dy, *y;
  if (!get_args(env, info, argv, what) || !sizes(env, argv, 3, what, rows, cols) ||
      !isa_threads(env, argv, 5, what, isa, threads))
    return nullptr;
  const double size = double(rows) * double(cols);
  if (!get_f32(env, argv[0], what, "dx", size, dx) || !get_f32(env, argv[1], what, "dy", size, dy) ||
      !get_f32(env, argv[2], what, "y", size, y))
    return nullptr;
  const RowFns& f = fns(isa);
  split(rows, size, threads, [&](int64_t r0, int64_t r1) {
    (Log ? f.log_softmax_bwd : f.softmax_bwd)(dx, dy, y, r0, r1, cols);
  });
  return nullptr;
}

// (out, mean, rstd, x, weight?, bias?, rows, cols, eps, isa, threads)
napi_value LayerNormForward(napi_env env, napi_callback_info info) {
  const char* what = "layerNormForward";
  napi_value argv[11];
  int64_t rows, cols;
  Isa isa;
  int threads;
  double eps;
  float *out, *mean, *rstd, *x, *weight, *bias;
  if (!get_args(env, info, argv, what) || !sizes(env, argv, 6, what, rows, cols) ||
      !isa_threads(env, argv, 9, what, isa, threads))
    return nullptr;
  if (napi_get_value_double(env, argv[8], &eps) != napi_ok || !(eps >= 0))
    return fail(env, "layerNormForward: eps must be a non-negative number"), nullptr;
  const double size = double(rows) * double(cols);
  if (!get_f32(env, argv[0], what, "out", size, out) || !get_f32(env, argv[1], what, "mean", double(rows), mean) ||
      !get_f32(env, argv[2], what, "rstd", double(rows), rstd) || !get_f32(env, argv[3], what, "x", size, x) ||
      !get_f32_or_null(env, argv[4], what, "weight", double(cols), weight) ||
      !get_f32_or_null(env, argv[5], what, "bias", double(cols), bias))
    return nullptr;
  const RowFns& f = fns(isa);
  split(rows, size, threads, [&](int64_t r0, int64_t r1) {
    f.ln_fwd(out, mean, rstd, x, weight, bias, r0, r1, cols, static_cast<float>(eps));
  });
  return nullptr;
}

// (dx, dweight?, dbias?, dy, x, mean, rstd, weight?, rows, cols, isa, threads)
napi_value LayerNormBackward(napi_env env, napi_callback_info info) {
  const char* what = "layerNormBackward";
  napi_value argv[12];
  int64_t rows, cols;
  Isa isa;
  int threads;
  float *dx, *dweight, *dbias, *dy, *x, *mean, *rstd, *weight;
  if (!get_args(env, info, argv, what) || !sizes(env, argv, 8, what, rows, cols) ||
      !isa_threads(env, argv, 10, what, isa, threads))
    return nullptr;
  const double size = double(rows) * double(cols);
  if (!get_f32(env, argv[0], what, "dx", size, dx) ||
      !get_f32_or_null(env, argv[1], what, "dweight", double(cols), dweight) ||
      !get_f32_or_null(env, argv[2], what, "dbias", double(cols), dbias) ||
      !get_f32(env, argv[3], what, "dy", size, dy) || !get_f32(env, argv[4], what, "x", size, x) ||
      !get_f32(env, argv[5], what, "mean", double(rows), mean) ||
      !get_f32(env, argv[6], what, "rstd", double(rows), rstd) ||
      !get_f32_or_null(env, argv[7], what, "weight", double(cols), weight))
    return nullptr;
  const RowFns& f = fns(isa);
  const int tasks = std::min<int64_t>(std::min(threads, pool().size()), rows);
  if (size < MIN_PARALLEL_ELEMENTS || tasks <= 1) {
    f.ln_bwd_dx(dx, dy, x, mean, rstd, weight, 0, rows, cols);
    if (dweight || dbias) f.ln_bwd_dw(dweight, dbias, dy, x, mean, rstd, 0, rows, cols);
    return nullptr;
  }
  // Each part of the rows: its dx, then its own dweight and dbias sums while its rows are in
  // cache; the sums are added up here in part order (the same result whichever thread ran a part).
  // Splitting dweight by columns instead read every row in slices of a cache line, and two
  // threads were slower than one (640×128: 124 against 90 µs; now 27 against 38).
  const int parts = static_cast<int>(std::min<int64_t>(rows, 4 * tasks));
  std::vector<float> sums(dweight || dbias ? size_t(parts) * 2 * size_t(cols) : 0, 0.0f);
  pool().run(parts, [&](int t) {
    const int64_t r0 = rows * t / parts, r1 = rows * (t + 1) / parts;
    if (r0 >= r1) return;
    f.ln_bwd_dx(dx, dy, x, mean, rstd, weight, r0, r1, cols);
    if (dweight || dbias) {
      float* dw = sums.data() + size_t(t) * 2 * size_t(cols);
      f.ln_bwd_dw(dweight ? dw : nullptr, dbias ? dw + cols : nullptr, dy, x, mean, rstd, r0, r1, cols);
    }
  });
  for (int t = 0; t < parts && (dweight || dbias); t++) {
    const float* dw = sums.data() + size_t(t) * 2 * size_t(cols);
    if (dweight)
      for (int64_t j = 0; j < cols; j++) dweight[j] += dw[j];
    if (dbias)
      for (int64_t j = 0; j < cols; j++) dbias[j] += dw[cols + j];
  }
  return nullptr;
}

}  // namespace

void register_rowwise(napi_env env, napi_value exports) {
  export_function(env, exports, "softmaxForward", RowForward<false>);
  export_function(env, exports, "logSoftmaxForward", RowForward<true>);
  export_function(env, exports, "softmaxBackward", RowBackward<false>);
  export_function(env, exports, "logSoftmaxBackward", RowBackward<true>);
  export_function(env, exports, "layerNormForward", LayerNormForward);
  export_function(env, exports, "layerNormBackward", LayerNormBackward);
}

}  // namespace attend
