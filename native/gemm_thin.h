// Thin products (m ≤ 2 or k ≤ 2) without packing: see gemm_thin.cc.
#pragma once
#include <cstdint>

#include "gemm.h"

namespace attend {

// True when the call goes to the loops of gemm_thin.cc rather than to the packed micro-kernels.
inline bool gemm_is_thin(const GemmCall& g) { return g.m <= 2 || g.k <= 2; }

// C[b0:b1][i0:i1, j0:j1] of a thin call, one build per instruction set (pick with ATTEND_PICK).
using ThinGemm = void (*)(const GemmCall& g, int64_t b0, int64_t b1, int64_t i0, int64_t i1, int64_t j0, int64_t j1);
void gemm_thin_portable(const GemmCall& g, int64_t b0, int64_t b1, int64_t i0, int64_t i1, int64_t j0, int64_t j1);
#if defined(__x86_64__) || defined(__i386__)
void gemm_thin_avx2(const GemmCall& g, int64_t b0, int64_t b1, int64_t i0, int64_t i1, int64_t j0, int64_t j1);
void gemm_thin_avx512(const GemmCall& g, int64_t b0, int64_t b1, int64_t i0, int64_t i1, int64_t j0, int64_t j1);
#endif

}  // namespace attend
