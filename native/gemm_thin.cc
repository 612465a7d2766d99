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
#include "gemm_thin.h"

#include <algorithm>
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

}  // namespace

#define ATTEND_GEMM_THIN_ISA(NAME, ATTR)                                                                     \
  ATTR void gemm_thin_##NAME(const GemmCall& g, int64_t b0, int64_t b1, int64_t i0, int64_t i1, int64_t j0, \
                              int64_t j1) {                                                                  \
    thin_block(g, b0, b1, i0, i1, j0, j1);                                                                  \
  }

ATTEND_GEMM_THIN_ISA(portable, )
#if defined(__x86_64__) || defined(__i386__)
ATTEND_GEMM_THIN_ISA(avx2, __attribute__((target("avx2,fma"))))
ATTEND_GEMM_THIN_ISA(avx512, __attribute__((target("avx512f"))))
#endif

}  // namespace attend
