// Register-blocked GEMM micro-kernels, one per instruction set (the Goto/BLIS scheme: Goto & van de
// Geijn, "Anatomy of high-performance matrix multiplication", 2008).
//
// A micro-kernel computes one MR×NR tile of C from a packed A panel (kc steps of MR values, one
// column of op(A) each) and a packed B panel (kc steps of NR values, one row of op(B) each):
//   C[r][j] (+)= Σ_p pa[p·MR + r] · pb[p·NR + j]
// keeping the whole tile in vector registers across the kc steps. Each step loads NR/lanes vectors of
// B, broadcasts the MR values of A and issues MR·NR/lanes fused multiply-adds.
//
// AVX-512: 12×32, 24 accumulators of 32 zmm registers. Zen 5 retires 2 FMAs a cycle at 4 cycles of
//          latency, so ≥ 8 independent accumulators keep both units busy; 24 leave room for the
//          loads and amortise them (2 B loads + 12 broadcasts per 24 FMAs).
// AVX2+FMA: 6×16, 12 accumulators of 16 ymm registers (the classic Haswell kernel).
// portable: 4×8 plain loops; the compiler vectorises them with the baseline SSE2.
#pragma once

#include <cstdint>

namespace attend {

// c has row stride ldc; add: C += A·B, else C = A·B.
using MicroKernel = void (*)(int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc, bool add);

struct KernelShape {
  MicroKernel kernel;
  int mr, nr;
};

KernelShape microkernel_avx512();
KernelShape microkernel_avx2();
KernelShape microkernel_portable();

}  // namespace attend
