// The row-wise kernels as plain loops over rows [r0, r1), written so that GCC vectorises them
// without -ffast-math: sums and maxima go into LANES independent partial results (no reassociation
// needed), exp is a branch-free polynomial. Each function is inlined into one wrapper per
// instruction set (rowwise.cc), which the compiler vectorises for that set.
// Semantics are the reference's (src/kernels/reference/softmax.ts, layernorm.ts), including
// the fully masked row: softmax 0, log-softmax −∞.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#define ATTEND_INLINE static inline __attribute__((always_inline))

namespace attend {
namespace rowwise {

constexpr int LANES = 16;

// exp(x) for float32 (Cephes expf): x = n·ln 2 + r with |r| ≤ ln2/2, exp(r) by a degree-6 polynomial,
// 2ⁿ put in the exponent bits. Within 2 ulp over [−87.3, 88.7]; 0 below (float32's normal range
// ends at e^−87.3), +∞ above, NaN stays NaN.
ATTEND_INLINE float exp_poly(float x) {
  const float xc = x < -87.3f ? -87.3f : (x > 88.7f ? 88.7f : x);
  const float n = std::floor(xc * 1.44269504088896341f + 0.5f);
  // ln 2 in two parts (Cody & Waite) so n·ln2 is subtracted without rounding error
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // 2ⁿ for n ∈ [−126, 128]: 2¹²⁸ has no exponent bits, so n = 128 is 2¹²⁷ · 2 (e^88.7 < FLT_MAX)
  const float n1 = n < 127.0f ? n : 127.0f;
  const float scale = __builtin_bit_cast(float, (static_cast<int32_t>(n1) + 127) << 23);
  const float e = p * (1.0f + (n - n1)) * scale;
  return x < -87.3f ? 0.0f : (x > 88.7f ? std::numeric_limits<float>::infinity() : (x != x ? x : e));
}

// out[j] = exp(x[j] − shift), j < n: the scalar version; rowwise.cc has AVX2 and AVX-512 ones
// (the vectoriser does not reliably vectorise exp_poly, so those are written with intrinsics).
ATTEND_INLINE void exp_shifted_scalar(float* out, const float* x, float shift, int64_t n) {
  for (int64_t j = 0; j < n; j++) out[j] = exp_poly(x[j] - shift);
}

ATTEND_INLINE float row_max(const float* x, int64_t cols) {
  float lane[LANES];
  for (int l = 0; l < LANES; l++) lane[l] = -std::numeric_limits<float>::infinity();
  int64_t j = 0;
  for (; j + LANES <= cols; j += LANES)
    for (int l = 0; l < LANES; l++) lane[l] = x[j + l] > lane[l] ? x[j + l] : lane[l];
  float m = -std::numeric_limits<float>::infinity();
  for (; j < cols; j++) m = x[j] > m ? x[j] : m;
  for (int l = 0; l < LANES; l++) m = lane[l] > m ? lane[l] : m;
  return m;
}

// Σ_j f(j) in LANES partial sums.
template <class F>
ATTEND_INLINE float row_sum(int64_t cols, F f) {
  float lane[LANES] = {};
  int64_t j = 0;
  for (; j + LANES <= cols; j += LANES)
    for (int l = 0; l < LANES; l++) lane[l] += f(j + l);
  float s = 0;
  for (; j < cols; j++) s += f(j);
  for (int l = 0; l < LANES; l++) s += lane[l];
  return s;
}

template <class Exp>
ATTEND_INLINE void softmax_forward(Exp exp_shifted, float* out, const float* x, int64_t r0, int64_t r1, int64_t cols) {
  for (int64_t r = r0; r < r1; r++) {
    const float* xr = x + r * cols;
    float* o = out + r * cols;
    const float max = row_max(xr, cols);
    if (max == -std::numeric_limits<float>::infinity()) {  // every key masked: zeros, not NaN
      for (int64_t j = 0; j < cols; j++) o[j] = 0;
      continue;
    }
    exp_shifted(o, xr, max, cols);
    const float sum = row_sum(cols, [&](int64_t j) { return o[j]; });
    const float inv = 1.0f / sum;
    for (int64_t j = 0; j < cols; j++) o[j] *= inv;
  }
}

// y_j = exp(x_j) / Σ exp  ⇒  dx_j = y_j (dy_j − Σ_k dy_k y_k)
ATTEND_INLINE void softmax_backward(float* dx, const float* dy, const float* y, int64_t r0, int64_t r1, int64_t cols) {
  for (int64_t r = r0; r < r1; r++) {
    const int64_t o = r * cols;
    const float dot = row_sum(cols, [&](int64_t j) { return dy[o + j] * y[o + j]; });
    for (int64_t j = 0; j < cols; j++) dx[o + j] = y[o + j] * (dy[o + j] - dot);
  }
}

template <class Exp>
ATTEND_INLINE void log_softmax_forward(Exp exp_shifted, float* out, const float* x, int64_t r0, int64_t r1, int64_t cols) {
  for (int64_t r = r0; r < r1; r++) {
    const float* xr = x + r * cols;
    float* o = out + r * cols;
    const float max = row_max(xr, cols);
    if (max == -std::numeric_limits<float>::infinity()) {  // every entry −∞: −∞, as in PyTorch
      for (int64_t j = 0; j < cols; j++) o[j] = -std::numeric_limits<float>::infinity();
      continue;
    }
    // exp into a small buffer, then sum it: two simple loops vectorise where one fused loop does not,
    // and `out` may be `x` (in place), so it cannot hold the exponentials
    constexpr int64_t CHUNK = 256;
    float e[CHUNK];
    float sum = 0;
    for (int64_t j0 = 0; j0 < cols; j0 += CHUNK) {
      const int64_t len = cols - j0 < CHUNK ? cols - j0 : CHUNK;
      exp_shifted(e, xr + j0, max, len);
      sum += row_sum(len, [&](int64_t j) { return e[j]; });
    }
    const float lse = max + std::log(sum);
    for (int64_t j = 0; j < cols; j++) o[j] = xr[j] - lse;
  }
}

// y_j = x_j − log Σ_k exp(x_k)  ⇒  dx_j = dy_j − exp(y_j) Σ_k dy_k
template <class Exp>
ATTEND_INLINE void log_softmax_backward(Exp exp_shifted, float* dx, const float* dy, const float* y, int64_t r0,
                                        int64_t r1, int64_t cols) {
  constexpr int64_t CHUNK = 256;
  float e[CHUNK];
  for (int64_t r = r0; r < r1; r++) {
    const int64_t o = r * cols;
    const float sum = row_sum(cols, [&](int64_t j) { return dy[o + j]; });
    for (int64_t j0 = 0; j0 < cols; j0 += CHUNK) {
      const int64_t len = cols - j0 < CHUNK ? cols - j0 : CHUNK;
      exp_shifted(e, y + o + j0, 0.0f, len);
      for (int64_t j = 0; j < len; j++) dx[o + j0 + j] = dy[o + j0 + j] - e[j] * sum;
    }
  }
}

// x̂ = (x − μ)·rstd, rstd = 1/√(var + eps), var biased; out = x̂·w + b. Two passes (mean, then
// Σ(x − μ)²): a one-pass Σx² − (Σx)²/n loses every digit when |μ| ≫ σ.
ATTEND_INLINE void layer_norm_forward(float* out, float* mean, float* rstd, const float* x, const float* weight,
                                      const float* bias, int64_t r0, int64_t r1, int64_t cols, float eps) {
  for (int64_t r = r0; r < r1; r++) {
    const float* xr = x + r * cols;
    float* o = out + r * cols;
    const float m = row_sum(cols, [&](int64_t j) { return xr[j]; }) / float(cols);
    const float var = row_sum(cols, [&](int64_t j) { return (xr[j] - m) * (xr[j] - m); }) / float(cols);
    const float s = 1.0f / std::sqrt(var + eps);
    mean[r] = m;
    rstd[r] = s;
    if (weight && bias)
      for (int64_t j = 0; j < cols; j++) o[j] = (xr[j] - m) * s * weight[j] + bias[j];
    else
      for (int64_t j = 0; j < cols; j++) o[j] = (xr[j] - m) * s * (weight ? weight[j] : 1.0f) + (bias ? bias[j] : 0.0f);
  }
}

// With g_j = dy_j·w_j: dx_j = rstd · (g_j − mean(g) − x̂_j · mean(g ⊙ x̂)). Rows [r0, r1).
ATTEND_INLINE void layer_norm_backward_dx(float* dx, const float* dy, const float* x, const float* mean,
                                          const float* rstd, const float* weight, int64_t r0, int64_t r1,
                                          int64_t cols) {
  // `weight ? weight[j] : 1` inside the loops kept them from vectorising (75 against 12 µs for a
  // softmax backward of the same 640×128): one loop body per case, the same arithmetic (g·1 = g).
  const auto rows = [&](auto w) {
    for (int64_t r = r0; r < r1; r++) {
      const float* dyr = dy + r * cols;
      const float* xr = x + r * cols;
      float* dxr = dx + r * cols;
      const float m = mean[r], s = rstd[r];
      const float g_mean = row_sum(cols, [&](int64_t j) { return dyr[j] * w(j); }) / float(cols);
      const float gx_mean = row_sum(cols, [&](int64_t j) { return dyr[j] * w(j) * ((xr[j] - m) * s); }) / float(cols);
      for (int64_t j = 0; j < cols; j++) dxr[j] = s * (dyr[j] * w(j) - g_mean - (xr[j] - m) * s * gx_mean);
    }
  };
  if (weight)
    rows([&](int64_t j) { return weight[j]; });
  else
    rows([](int64_t) { return 1.0f; });
}

// dweight_j += Σ_r dy_rj · x̂_rj, dbias_j += Σ_r dy_rj over rows [r0, r1), all columns: row by row, so
// the loops run along contiguous memory (threads give each part of the rows its own sums).
ATTEND_INLINE void layer_norm_backward_dw(float* dweight, float* dbias, const float* dy, const float* x,
                                          const float* mean, const float* rstd, int64_t r0, int64_t r1,
                                          int64_t cols) {
  for (int64_t r = r0; r < r1; r++) {
    const int64_t o = r * cols;
    const float m = mean[r], s = rstd[r];
    if (dweight)
      for (int64_t j = 0; j < cols; j++) dweight[j] += dy[o + j] * ((x[o + j] - m) * s);
    if (dbias)
      for (int64_t j = 0; j < cols; j++) dbias[j] += dy[o + j];
  }
}

}  // namespace rowwise
}  // namespace attend
