// 16 independent multiply-add chains per thread: more than latency (4 cycles) × units (2) on any
// current x86 core, so the loop is bound by FMA throughput alone. No loads, no stores.
#include "peak.h"

#include <algorithm>

#include "pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace attend {
namespace {

constexpr int FMA_CHAINS = 16;
volatile float sink;  // keeps the chains' results alive

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx512f"))) void chains_avx512(int64_t iterations) {
  __m512 acc[FMA_CHAINS];
  const __m512 scale = _mm512_set1_ps(0.999999f), shift = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < FMA_CHAINS; i++) acc[i] = _mm512_set1_ps(float(i));
  for (int64_t it = 0; it < iterations; it++) {
#pragma GCC unroll 16
    for (int i = 0; i < FMA_CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], scale, shift);
  }
  alignas(64) float lanes[16];
  float s = 0;
  for (int i = 0; i < FMA_CHAINS; i++) {
    _mm512_store_ps(lanes, acc[i]);
    for (float v : lanes) s += v;
  }
  sink = s;
}

__attribute__((target("avx2,fma"))) void chains_avx2(int64_t iterations) {
  __m256 acc[FMA_CHAINS];
  const __m256 scale = _mm256_set1_ps(0.999999f), shift = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < FMA_CHAINS; i++) acc[i] = _mm256_set1_ps(float(i));
  for (int64_t it = 0; it < iterations; it++) {
#pragma GCC unroll 16
    for (int i = 0; i < FMA_CHAINS; i++) acc[i] = _mm256_fmadd_ps(acc[i], scale, shift);
  }
  alignas(32) float lanes[8];
  float s = 0;
  for (int i = 0; i < FMA_CHAINS; i++) {
    _mm256_store_ps(lanes, acc[i]);
    for (float v : lanes) s += v;
  }
  sink = s;
}
#endif

void chains_portable(int64_t iterations) {
  float acc[FMA_CHAINS];
  for (int i = 0; i < FMA_CHAINS; i++) acc[i] = float(i);
  for (int64_t it = 0; it < iterations; it++)
    for (int i = 0; i < FMA_CHAINS; i++) acc[i] = acc[i] * 0.999999f + 1e-7f;
  float s = 0;
  for (float v : acc) s += v;
  sink = s;
}

}  // namespace

double fma_peak(Isa isa, int threads, int64_t iterations) {
  const int tasks = std::max(1, std::min(threads, pool().size()));
  int lanes = 1;
  pool().run(tasks, [&](int) {
#if defined(__x86_64__) || defined(__i386__)
    if (isa == Isa::avx512) return chains_avx512(iterations);
    if (isa == Isa::avx2) return chains_avx2(iterations);
#endif
    chains_portable(iterations);
  });
#if defined(__x86_64__) || defined(__i386__)
  lanes = isa == Isa::avx512 ? 16 : isa == Isa::avx2 ? 8 : 1;
#endif
  return 2.0 * lanes * FMA_CHAINS * double(iterations) * tasks;
}

}  // namespace attend
