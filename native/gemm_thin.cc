// Thin products, without packing: one or two rows of op(A) (m ≤ 2), or a depth of one or two
// (k ≤ 2). Attention in an RNN decoder makes them at every step, once per sequence of the batch:
//   c = α·H     [1, S]·[S, 2H]     m = 1   (the context)
//   dα = dc·Hᵀ  [1, 2H]·[2H, S]ᵀ   m = 1   (its gradient to the weights)
//   dH = αᵀ·dc  [S, 1]·[1, 2H]     k = 1   (and to the annotations)
// Packed, each would be padded to 12×32 tiles, and with k ≤ 2 every tile would load and store C
// for one or two steps of depth: measured at 0.2–0.5 GFLOP/s in the Bahdanau decoder, a tenth of
// its training step. These loops read the operands where they lie:
//   not trans_b: c[i][j] (+)= Σ_p A(i,p)·B[p][j]   each p adds A(i,p) times a row of B (vectorised over j)
//   trans_b:     c[i][j] (+)= Σ_p A(i,p)·B[j][p]   a dot product over p (32 partial sums, vectorised)
//
// Small products: a Transformer's attention over short sequences makes many small matrices at
// once, e.g. the scores of 64 words × 4 heads: 256 × [10, 32]·[32, 10]. Padded to 12×32 tiles they
// ran at 4–6 GFLOP/s: 8.9 ms of a 107 ms G2P training step went to these batches, 5.9 ms here.
// op(B)'s columns j0..j1 are copied into a k × NP block (NP: the width rounded up to 16, zero
// padded), and each row of C is summed in NP/16 vector registers: c[i][·] (+)= Σ_p A(i,p)·Bblock[p][·].
#include "gemm_thin.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace attend {
namespace {

#define ATTEND_INLINE static inline __attribute__((always_inline))

ATTEND_INLINE void thin_block(const GemmCall& g, int64_t b0, int64_t b1, int64_t i0, int64_t i1, int64_t j0,
                               int64_t j1) {
  constexpr int LANES = 32;
  static thread_local std::vector<float> row_of_a;  // A(i, ·), contiguous, when A is stored transposed
  if (g.trans_a) row_of_a.resize(size_t(g.k));
  for (int64_t bi = b0; bi < b1; bi++) {
    const float* a = g.a + bi * g.stride_a;
    const float* b = g.b + bi * g.stride_b;
    float* c = g.c + bi * g.m * g.n;
    for (int64_t i = i0; i < i1; i++) {
      const float* ai = a + i * g.k;
      if (g.trans_a) {  // column i of the stored k×m matrix
        for (int64_t p = 0; p < g.k; p++) row_of_a[p] = a[p * g.m + i];
        ai = row_of_a.data();
      }
      float* ci = c + i * g.n;
      if (!g.accumulate) std::fill(ci + j0, ci + j1, 0.0f);
      if (!g.trans_b) {
        for (int64_t p = 0; p < g.k; p++) {
          const float s = ai[p];
          const float* bp = b + p * g.n;
          for (int64_t j = j0; j < j1; j++) ci[j] += s * bp[j];
        }
      } else {
        for (int64_t j = j0; j < j1; j++) {
          const float* bj = b + j * g.k;
          float part[LANES] = {};
          int64_t p = 0;
          for (; p + LANES <= g.k; p += LANES)
            for (int l = 0; l < LANES; l++) part[l] += ai[p + l] * bj[p + l];
          float sum = 0;
          for (; p < g.k; p++) sum += ai[p] * bj[p];
          for (int l = 0; l < LANES; l++) sum += part[l];
          ci[j] += sum;
        }
      }
    }
  }
}

// Sixteen floats: one AVX-512 register, two AVX2 ones (GCC's vector extension; the loops below
// left to the vectoriser stayed scalar, at 3–6 GFLOP/s).
typedef float Floats16 __attribute__((vector_size(64)));

// One matrix's rows i0..i1, columns j0..j0 + width of C, from op(B)'s block (k × 16·V, zero padded):
// each row's sums in V registers.
template <int V>
ATTEND_INLINE void small_rows(const GemmCall& g, const float* a, const float* bblock, float* c, int64_t i0, int64_t i1,
                              int64_t j0, int64_t width) {
  const int64_t k = g.k, step = g.trans_a ? g.m : 1;  // A(i, p) at a[i·k + p], or a[p·m + i]
  for (int64_t i = i0; i < i1; i++) {
    const float* ai = g.trans_a ? a + i : a + i * k;
    Floats16 sum[V] = {};
    for (int64_t p = 0; p < k; p++) {
      const Floats16 s = Floats16{} + ai[p * step];
      for (int v = 0; v < V; v++) {
        Floats16 b;
        std::memcpy(&b, bblock + (p * V + v) * 16, sizeof b);
        sum[v] += s * b;
      }
    }
    float row[16 * V];
    std::memcpy(row, sum, sizeof row);
    float* ci = c + i * g.n + j0;
    if (g.accumulate)
      for (int64_t j = 0; j < width; j++) ci[j] += row[j];
    else
      for (int64_t j = 0; j < width; j++) ci[j] = row[j];
  }
}

ATTEND_INLINE void small_block(const GemmCall& g, int64_t b0, int64_t b1, int64_t i0, int64_t i1, int64_t j0,
                               int64_t j1) {
  static thread_local float bblock[SMALL_K * SMALL_N];  // op(B)'s block, k × (width rounded up to 16)
  const int64_t width = j1 - j0, np = (width + 15) / 16 * 16;
  for (int64_t bi = b0; bi < b1; bi++) {
    const float* a = g.a + bi * g.stride_a;
    const float* b = g.b + bi * g.stride_b;
    float* c = g.c + bi * g.m * g.n;
    std::fill(bblock, bblock + g.k * np, 0.0f);
    if (g.trans_b)
      for (int64_t j = 0; j < width; j++)
        for (int64_t p = 0; p < g.k; p++) bblock[p * np + j] = b[(j0 + j) * g.k + p];
    else
      for (int64_t p = 0; p < g.k; p++) std::copy(b + p * g.n + j0, b + p * g.n + j0 + width, bblock + p * np);
    if (np == 16) small_rows<1>(g, a, bblock, c, i0, i1, j0, width);
    else if (np == 32) small_rows<2>(g, a, bblock, c, i0, i1, j0, width);
    else if (np == 48) small_rows<3>(g, a, bblock, c, i0, i1, j0, width);
    else small_rows<4>(g, a, bblock, c, i0, i1, j0, width);
  }
}

ATTEND_INLINE void unpacked_block(const GemmCall& g, int64_t b0, int64_t b1, int64_t i0, int64_t i1, int64_t j0,
                                  int64_t j1) {
  if (g.m <= 2 || g.k <= 2) thin_block(g, b0, b1, i0, i1, j0, j1);
  else small_block(g, b0, b1, i0, i1, j0, j1);
}

}  // namespace

#define ATTEND_GEMM_THIN_ISA(NAME, ATTR)                                                                     \
  ATTR void gemm_thin_##NAME(const GemmCall& g, int64_t b0, int64_t b1, int64_t i0, int64_t i1, int64_t j0, \
                              int64_t j1) {                                                                  \
    unpacked_block(g, b0, b1, i0, i1, j0, j1);                                                              \
  }

ATTEND_GEMM_THIN_ISA(portable, )
#if defined(__x86_64__) || defined(__i386__)
ATTEND_GEMM_THIN_ISA(avx2, __attribute__((target("avx2,fma"))))
ATTEND_GEMM_THIN_ISA(avx512, __attribute__((target("avx512f"))))
#endif

}  // namespace attend
