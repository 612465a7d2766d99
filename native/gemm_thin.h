// Thin products (m ≤ 2 or k ≤ 2) and small ones (m·n·k ≤ 8192, C at most 64 wide) without packing:
// see gemm_thin.cc.
#pragma once
#include <cstdint>

#include "gemm.h"

namespace attend {

// Small products: at most SMALL_WORK multiply-adds a matrix, C at most SMALL_N wide, a depth of at
// most SMALL_K. Measured against the packed kernels, batches of 256 matrices on one thread:
// [10, 32]·[32, 10] 5.4 → 15 GFLOP/s, [10, 10]·[10, 32] 22 → 31; but [20, 20]·[20, 32] 44 → 40 and
// [64, 128]·[128, 64] 64 → 53, where packing pays for itself.
constexpr int64_t SMALL_WORK = 8192, SMALL_N = 64, SMALL_K = 128;

// True when the call goes to the loops of gemm_thin.cc rather than to the packed micro-kernels.
inline bool gemm_is_thin(const GemmCall& g) {
  return g.m <= 2 || g.k <= 2 || (g.m * g.n * g.k <= SMALL_WORK && g.n <= SMALL_N && g.k <= SMALL_K);
}

// C[b0:b1][i0:i1, j0:j1] of a thin or small call, one build per instruction set (pick with ATTEND_PICK).
using ThinGemm = void (*)(const GemmCall& g, int64_t b0, int64_t b1, int64_t i0, int64_t i1, int64_t j0, int64_t j1);
void gemm_thin_portable(const GemmCall& g, int64_t b0, int64_t b1, int64_t i0, int64_t i1, int64_t j0, int64_t j1);
#if defined(__x86_64__) || defined(__i386__)
void gemm_thin_avx2(const GemmCall& g, int64_t b0, int64_t b1, int64_t i0, int64_t i1, int64_t j0, int64_t j1);
void gemm_thin_avx512(const GemmCall& g, int64_t b0, int64_t b1, int64_t i0, int64_t i1, int64_t j0, int64_t j1);
#endif

}  // namespace attend
