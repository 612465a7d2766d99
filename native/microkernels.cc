// The micro-kernels (see microkernels.h). Each is compiled for its instruction set with a target
// attribute, so the library itself needs no -march flag and runs on any x86-64; gemm.cc calls one
// only after checking the CPU supports it.
#include "microkernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define ATTEND_X86 1
#endif

namespace attend {

#ifdef ATTEND_X86

__attribute__((target("avx512f"))) static void kernel_avx512(int64_t kc, const float* pa, const float* pb, float* c,
                                                             int64_t ldc, bool add) {
  constexpr int MR = 12;
  __m512 acc[MR][2];
#pragma GCC unroll 12
  for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; p++) {
    const __m512 b0 = _mm512_loadu_ps(pb);       // B[p][0:16]
    const __m512 b1 = _mm512_loadu_ps(pb + 16);  // B[p][16:32]
    // the next steps' B, about 4 cache lines ahead (pb moves 128 bytes a step)
    _mm_prefetch(reinterpret_cast<const char*>(pb + 8 * 32), _MM_HINT_T0);
#pragma GCC unroll 12
    for (int r = 0; r < MR; r++) {
      const __m512 av = _mm512_set1_ps(pa[r]);  // A[r][p], broadcast
      acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
    }
    pa += MR;
    pb += 32;
  }
#pragma GCC unroll 12
  for (int r = 0; r < MR; r++) {
    float* row = c + r * ldc;
    if (add) {
      acc[r][0] = _mm512_add_ps(acc[r][0], _mm512_loadu_ps(row));
      acc[r][1] = _mm512_add_ps(acc[r][1], _mm512_loadu_ps(row + 16));
    }
    _mm512_storeu_ps(row, acc[r][0]);
    _mm512_storeu_ps(row + 16, acc[r][1]);
  }
}

__attribute__((target("avx2,fma"))) static void kernel_avx2(int64_t kc, const float* pa, const float* pb, float* c,
                                                            int64_t ldc, bool add) {
  constexpr int MR = 6;
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int64_t p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_loadu_ps(pb);      // B[p][0:8]
    const __m256 b1 = _mm256_loadu_ps(pb + 8);  // B[p][8:16]
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
      const __m256 av = _mm256_broadcast_ss(pa + r);  // A[r][p]
      acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
    }
    pa += MR;
    pb += 16;
  }
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++) {
    float* row = c + r * ldc;
    if (add) {
      acc[r][0] = _mm256_add_ps(acc[r][0], _mm256_loadu_ps(row));
      acc[r][1] = _mm256_add_ps(acc[r][1], _mm256_loadu_ps(row + 8));
    }
    _mm256_storeu_ps(row, acc[r][0]);
    _mm256_storeu_ps(row + 8, acc[r][1]);
  }
}

#endif

static void kernel_portable(int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc, bool add) {
  constexpr int MR = 4, NR = 8;
  float acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; p++) {
    for (int r = 0; r < MR; r++) {
      const float av = pa[r];
      for (int j = 0; j < NR; j++) acc[r][j] += av * pb[j];
    }
    pa += MR;
    pb += NR;
  }
  for (int r = 0; r < MR; r++) {
    float* row = c + r * ldc;
    for (int j = 0; j < NR; j++) row[j] = add ? row[j] + acc[r][j] : acc[r][j];
  }
}

#ifdef ATTEND_X86
KernelShape microkernel_avx512() { return {kernel_avx512, 12, 32}; }
KernelShape microkernel_avx2() { return {kernel_avx2, 6, 16}; }
#else
KernelShape microkernel_avx512() { return {kernel_portable, 4, 8}; }
KernelShape microkernel_avx2() { return {kernel_portable, 4, 8}; }
#endif
KernelShape microkernel_portable() { return {kernel_portable, 4, 8}; }

}  // namespace attend
