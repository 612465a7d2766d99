// The machine's float32 multiply-add peak, measured now: the yardstick printed beside every GEMM figure.
#pragma once

#include <cstdint>

#include "gemm.h"

namespace attend {

// Runs `iterations` rounds of FMA_CHAINS independent fused multiply-add chains (vector width of
// `isa`) on each of `threads` threads of the pool; returns the floating-point operations done
// (the caller times the call).
double fma_peak(Isa isa, int threads, int64_t iterations);

}  // namespace attend
