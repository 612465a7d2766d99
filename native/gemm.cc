// The GEMM driver: cache blocking, packing and the split across threads (Goto & van de Geijn 2008;
// BLIS's loops, with the row and column blocks swapped). For each depth block of KC:
//   for each block of MC rows: pack op(A)[ic:ic+MC, pc:pc+KC] into MR-tall panels   (L3)
//     for each block of NC columns: pack op(B)[pc:pc+KC, jc:jc+NC] into NR-wide panels   (L2)
//       for each A panel (in L1 while the B panels stream past it), for each B panel: one micro-tile.
// Packing makes every transpose the same inner loop and pads the edges with zeros, so the
// micro-kernel never branches; edge tiles are computed into a scratch tile and copied out.
// Thin calls (m ≤ 2 or k ≤ 2) and small ones (m·n·k ≤ 8192), which packing would mostly pad, go to
// gemm_thin.cc instead.
#include "gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "gemm_thin.h"
#include "microkernels.h"
#include "pool.h"

namespace attend {

namespace {

// The block sizes (ATTEND_KC, ATTEND_NC, ATTEND_MC may be set with -D when tuning):
// Depth block: a 12×256 A panel (12 KiB) stays in the 48 KiB L1 of Zen 5 while the B panels stream past.
#ifndef ATTEND_KC
#define ATTEND_KC 256
#endif
constexpr int64_t KC = ATTEND_KC;
// Column block: a 256×512 packed B block is 512 KiB, in the 1 MiB L2 (measured under load, 1024³ on
// one core: 94 GFLOP per CPU-second against 89 with 2048 columns and the B panel held in L1 instead).
#ifndef ATTEND_NC
#define ATTEND_NC 512
#endif
constexpr int64_t NC = ATTEND_NC;
// Row block (a multiple of every MR): a 3840×256 packed A block is 3.75 MiB, in L3, so up to 3840
// rows A is packed once per depth block and B once per (depth, column) block. One A panel at a time
// is in L1. (1024³ on one core, loaded machine: 96 GFLOP per CPU-second, against 90 with the A block
// packed again for every column block; the FMA loop alone does 116.)
#ifndef ATTEND_MC
#define ATTEND_MC 3840
#endif
constexpr int64_t MC = ATTEND_MC;

// A 64-byte-aligned scratch buffer per thread, grown on demand and kept between calls.
struct Scratch {
  float* data = nullptr;
  size_t capacity = 0;
  ~Scratch() { std::free(data); }
  float* get(size_t floats) {
    if (floats > capacity) {
      std::free(data);
      size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
      data = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!data) throw std::bad_alloc();
      capacity = floats;
    }
    return data;
  }
};

// op(A)[i0:i0+mc, p0:p0+kc] → panels of mr rows: panel q holds, for each p, A[i0+q·mr+r][p] for r < mr.
void pack_a(float* to, const GemmCall& g, const float* a, int64_t i0, int64_t mc, int64_t p0, int64_t kc, int mr) {
  for (int64_t q = 0; q < mc; q += mr) {
    const int64_t rows = std::min<int64_t>(mr, mc - q);
    float* panel = to + q * kc;
    if (g.trans_a) {
      for (int64_t p = 0; p < kc; p++) {  // column p of op(A) is row p of a: contiguous
        std::memcpy(panel + p * mr, a + (p0 + p) * g.m + i0 + q, rows * sizeof(float));
        for (int64_t r = rows; r < mr; r++) panel[p * mr + r] = 0;
      }
    } else {
      for (int64_t r = 0; r < rows; r++) {
        const float* src = a + (i0 + q + r) * g.k + p0;
        for (int64_t p = 0; p < kc; p++) panel[p * mr + r] = src[p];
      }
      for (int64_t r = rows; r < mr; r++)
        for (int64_t p = 0; p < kc; p++) panel[p * mr + r] = 0;
    }
  }
}

// op(B)[p0:p0+kc, j0:j0+nc] → panels of nr columns: panel q holds, for each p, B[p][j0+q·nr+j] for j < nr.
void pack_b(float* to, const GemmCall& g, const float* b, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr) {
  for (int64_t q = 0; q < nc; q += nr) {
    const int64_t cols = std::min<int64_t>(nr, nc - q);
    float* panel = to + q * kc;
    if (!g.trans_b) {
      for (int64_t p = 0; p < kc; p++) {
        const float* src = b + (p0 + p) * g.n + j0 + q;
        float* dst = panel + p * nr;
        std::memcpy(dst, src, cols * sizeof(float));
        for (int64_t j = cols; j < nr; j++) dst[j] = 0;
      }
    } else {
      for (int64_t j = 0; j < cols; j++) {
        const float* src = b + (j0 + q + j) * g.k + p0;  // column j of op(B) is row j of b
        for (int64_t p = 0; p < kc; p++) panel[p * nr + j] = src[p];
      }
      for (int64_t j = cols; j < nr; j++)
        for (int64_t p = 0; p < kc; p++) panel[p * nr + j] = 0;
    }
  }
}

// C[0:mc, 0:nc] (rows ldc apart) (+)= packed A block (mc×kc) · packed B block (kc×nc): every micro-tile,
// each A panel held in L1 while the B panels stream past it; edge tiles through a scratch tile.
void macro_kernel(const KernelShape& ks, float* c, int64_t ldc, const float* pa, const float* pb, int64_t mc,
                  int64_t nc, int64_t kc, bool add) {
  const int mr = ks.mr, nr = ks.nr;
  alignas(64) float tile[12 * 32];  // an edge tile (MR·NR ≤ 12·32)
  for (int64_t ir = 0; ir < mc; ir += mr) {
    const int64_t rows = std::min<int64_t>(mr, mc - ir);
    for (int64_t jr = 0; jr < nc; jr += nr) {
      const int64_t cols = std::min<int64_t>(nr, nc - jr);
      float* ct = c + ir * ldc + jr;
      if (rows == mr && cols == nr) {
        ks.kernel(kc, pa + ir * kc, pb + jr * kc, ct, ldc, add);
      } else {
        ks.kernel(kc, pa + ir * kc, pb + jr * kc, tile, nr, false);
        for (int64_t r = 0; r < rows; r++)
          for (int64_t j = 0; j < cols; j++) ct[r * ldc + j] = add ? ct[r * ldc + j] + tile[r * nr + j] : tile[r * nr + j];
      }
    }
  }
}

// C[b0:b1][i0:i1, j0:j1] on the calling thread (by `thin`'s loops when the call is thin).
void run_block(const GemmCall& g, const KernelShape& ks, ThinGemm thin, int64_t b0, int64_t b1, int64_t i0, int64_t i1,
               int64_t j0, int64_t j1) {
  if (thin) return thin(g, b0, b1, i0, i1, j0, j1);
  static thread_local Scratch scratch_a, scratch_b;
  const int mr = ks.mr, nr = ks.nr;
  for (int64_t bi = b0; bi < b1; bi++) {
    const float* a = g.a + bi * g.stride_a;
    const float* b = g.b + bi * g.stride_b;
    float* c = g.c + bi * g.m * g.n;
    if (g.k == 0) {  // an empty sum: C = 0, or C unchanged when accumulating
      if (!g.accumulate)
        for (int64_t i = i0; i < i1; i++) std::fill(c + i * g.n + j0, c + i * g.n + j1, 0.0f);
      continue;
    }
    for (int64_t pc = 0; pc < g.k; pc += KC) {
      const int64_t kc = std::min(KC, g.k - pc);
      const bool add = g.accumulate || pc > 0;  // later depth blocks add to the first one's sums
      for (int64_t ic = i0; ic < i1; ic += MC) {
        const int64_t mc = std::min(MC, i1 - ic);
        const int64_t mc_padded = (mc + mr - 1) / mr * mr;
        float* pa = scratch_a.get(mc_padded * kc);
        pack_a(pa, g, a, ic, mc, pc, kc, mr);
        for (int64_t jc = j0; jc < j1; jc += NC) {
          const int64_t nc = std::min(NC, j1 - jc);
          const int64_t nc_padded = (nc + nr - 1) / nr * nr;
          float* pb = scratch_b.get(nc_padded * kc);
          pack_b(pb, g, b, pc, kc, jc, nc, nr);
          macro_kernel(ks, c + ic * g.n + jc, g.n, pa, pb, mc, nc, kc, add);
        }
      }
    }
  }
}

// One matrix on several threads (BLIS's parallel row loop): the threads first pack all of op(B) once
// between them, in units of columns; then each claims units of C's rows (about 8 a thread, a
// multiple of MR, at most MC) from the pool's counter until none is left, packing only its own rows
// of A. Splitting C into one block per thread instead has each thread pack all of the other
// operand, and the call lasts as long as the slower thread: on a shared machine one of the two
// often gets less of its core. Measured at 1024³ on 2 threads against one block per thread: 186–193
// GFLOP/s against 175–187 on a quiet machine, 112 against 89 with another process busy on one core.
void run_shared_b(const GemmCall& g, const KernelShape& ks, int tasks) {
  const int mr = ks.mr, nr = ks.nr;
  const int64_t n_padded = (g.n + nr - 1) / nr * nr;
  // slab pc (depth pc..pc+kc) at pc·n_padded, in it the panel of columns j..j+nr at j·kc: each slab
  // is the blocks run_block packs, side by side. Shared, so kept apart from the per-thread scratch;
  // one caller at a time (the JavaScript thread).
  static Scratch shared_b;
  float* packed = shared_b.get(n_padded * g.k);
  const int64_t col_unit = (g.n + 2 * tasks * nr - 1) / (2 * tasks * nr) * nr;
  pool().run(static_cast<int>((g.n + col_unit - 1) / col_unit), [&](int t) {
    const int64_t j0 = t * col_unit, nc = std::min(col_unit, g.n - j0);
    for (int64_t pc = 0; pc < g.k; pc += KC) {
      const int64_t kc = std::min(KC, g.k - pc);
      pack_b(packed + pc * n_padded + j0 * kc, g, g.b, pc, kc, j0, nc, nr);
    }
  });
  const int64_t row_unit = std::min(MC, std::max<int64_t>(1, (g.m + 8 * tasks * mr - 1) / (8 * tasks * mr)) * mr);
  pool().run(static_cast<int>((g.m + row_unit - 1) / row_unit), [&](int t) {
    static thread_local Scratch scratch_a;
    const int64_t i0 = t * row_unit, mc = std::min(row_unit, g.m - i0);
    float* pa = scratch_a.get((mc + mr - 1) / mr * mr * std::min(KC, g.k));
    for (int64_t pc = 0; pc < g.k; pc += KC) {
      const int64_t kc = std::min(KC, g.k - pc);
      pack_a(pa, g, g.a, i0, mc, pc, kc, mr);
      for (int64_t jc = 0; jc < g.n; jc += NC)
        macro_kernel(ks, g.c + i0 * g.n + jc, g.n, pa, packed + pc * n_padded + jc * kc, mc,
                     std::min(NC, g.n - jc), kc, g.accumulate || pc > 0);
    }
  });
}

KernelShape shape_for(Isa isa) {
  switch (isa) {
    case Isa::avx512:
      return microkernel_avx512();
    case Isa::avx2:
      return microkernel_avx2();
    default:
      return microkernel_portable();
  }
}

// [start, end) of part t of `parts` over [0, size), boundaries rounded to multiples of `align`.
std::pair<int64_t, int64_t> part(int64_t size, int parts, int t, int64_t align) {
  const int64_t units = (size + align - 1) / align;
  const int64_t lo = units * t / parts * align, hi = units * (t + 1) / parts * align;
  return {std::min(lo, size), std::min(hi, size)};
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::avx512:
      return "avx512";
    case Isa::avx2:
      return "avx2";
    default:
      return "portable";
  }
}

bool isa_supported(Isa isa) {
#if defined(__x86_64__) || defined(__i386__)
  // libgcc's checks include the OS's support (XGETBV) for the wider registers
  if (isa == Isa::avx512) return __builtin_cpu_supports("avx512f");
  if (isa == Isa::avx2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  if (isa != Isa::portable) return false;
#endif
  return true;
}

Isa best_isa() {
  if (isa_supported(Isa::avx512)) return Isa::avx512;
  if (isa_supported(Isa::avx2)) return Isa::avx2;
  return Isa::portable;
}

void gemm(const GemmCall& g, Isa isa, int threads, double min_parallel_work) {
  if (g.batch <= 0 || g.m <= 0 || g.n <= 0) return;
  const KernelShape ks = shape_for(isa);
  const ThinGemm thin = gemm_is_thin(g) ? ATTEND_PICK(gemm_thin, isa) : nullptr;
  const double work = double(g.batch) * double(g.m) * double(g.n) * double(std::max<int64_t>(g.k, 1));
  // parts: one per thread (the pool's callers claim them, so a late worker costs nothing)
  int tasks = std::min(threads, pool().size());
  if (work < min_parallel_work) tasks = 1;
  if (tasks <= 1) {
    run_block(g, ks, thin, 0, g.batch, 0, g.m, 0, g.n);
    return;
  }
  if (g.batch == 1 && !thin && g.k > 0 && g.n < 2 * g.m && g.m >= 2 * ks.mr) {
    run_shared_b(g, ks, tasks);
    return;
  }
  // Whole matrices per thread when they divide evenly (or are many); otherwise split each matrix
  // along its longer side, on micro-tile boundaries, in one part per thread (each part packs all
  // of the other operand, so more parts would mean more packing).
  if (g.batch % tasks == 0 || g.batch >= 4 * tasks) {
    // many matrices: finer parts balance better when one thread gets less of the machine
    const int parts = g.batch >= 4 * tasks ? 4 * tasks : tasks;
    pool().run(parts, [&](int t) {
      auto [lo, hi] = part(g.batch, parts, t, 1);
      if (lo < hi) run_block(g, ks, thin, lo, hi, 0, g.m, 0, g.n);
    });
  } else if (g.n >= g.m) {
    pool().run(tasks, [&](int t) {
      auto [lo, hi] = part(g.n, tasks, t, ks.nr);
      if (lo < hi) run_block(g, ks, thin, 0, g.batch, 0, g.m, lo, hi);
    });
  } else {
    pool().run(tasks, [&](int t) {
      auto [lo, hi] = part(g.m, tasks, t, ks.mr);
      if (lo < hi) run_block(g, ks, thin, 0, g.batch, lo, hi, 0, g.n);
    });
  }
}

}  // namespace attend
