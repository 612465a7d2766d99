// Native float32 GEMM: the `gemm` contract of src/kernels/types.ts.
#pragma once

#include <cstdint>

namespace attend {

// Instruction sets with a micro-kernel, best last. The choice is made at run time (cpu.cc).
enum class Isa : int { portable = 0, avx2 = 1, avx512 = 2 };

const char* isa_name(Isa isa);

// FN_avx512, FN_avx2 or FN_portable for `isa`: the per-instruction-set builds of one loop, which
// each kernel file defines under target attributes; other architectures have the portable one only.
#if defined(__x86_64__) || defined(__i386__)
#define ATTEND_PICK(FN, isa) \
  ((isa) == ::attend::Isa::avx512 ? FN##_avx512 : (isa) == ::attend::Isa::avx2 ? FN##_avx2 : FN##_portable)
#else
#define ATTEND_PICK(FN, isa) FN##_portable
#endif
// The best instruction set this CPU (and OS) supports.
Isa best_isa();
bool isa_supported(Isa isa);

struct GemmCall {
  float* c;        // batch × m × n, out[b] at b·m·n
  const float* a;  // op(a[b]) m×k: stored m×k, or k×m when trans_a; a[b] at b·stride_a
  const float* b;  // op(b[b]) k×n: stored k×n, or n×k when trans_b; b[b] at b·stride_b
  int64_t batch, m, n, k;
  bool trans_a, trans_b;
  int64_t stride_a, stride_b;
  bool accumulate;  // out += op(a)·op(b) instead of out = …
};

// Below this many multiply-adds (about 160³) a call stays on the calling thread: waking a sleeping
// worker costs tens of microseconds. Measured on the loaded 2-core machine: 128³ ran at 95 GFLOP/s
// on one thread and 68 on two (the same limit as the WebAssembly pool's, src/node/threads.ts).
constexpr double GEMM_MIN_PARALLEL_WORK = double(1 << 22);

// Runs the call on up to `threads` threads of the pool; calls under min_parallel_work multiply-adds
// stay on the calling thread (tests pass 0 to split even tiny products).
void gemm(const GemmCall& call, Isa isa, int threads, double min_parallel_work = GEMM_MIN_PARALLEL_WORK);

}  // namespace attend
