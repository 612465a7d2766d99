// Fused attention: attention_impl.h compiled once per instruction set, the split over the pool,
// and the N-API functions:
//   attentionForward(out, lse, q, k, v, keyPadding?, G, n, m, d, dv, headsPerBatch, scale,
//                    causalOffset, isa, threads, minParallelWork)
//   attentionBackward(dq, dk, dv, dout, q, k, v, out, lse, keyPadding?, G, n, m, d, dv,
//                     headsPerBatch, scale, causalOffset, isa, threads, minParallelWork)
// minParallelWork: multiply-adds below which a call stays on the calling thread (−1: the default).
#include "attention.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>

#include "pool.h"

namespace attend {
namespace {

// Each instruction set's copy of the kernels, in its own namespace, compiled for that set alone
// (the same scheme as gemm's target attributes: no -march, the choice is made at run time).
// W: floats per register; MRMAX: rows of the widest micro-tile (2·MRMAX accumulators + 2 B
// vectors + 1 broadcast fit the register file: 27 of 32 zmm, 15 of 16 ymm, 11 of 16 xmm).
namespace portable {
constexpr int W = 4, MRMAX = 4;
#include "attention_impl.h"
}  // namespace portable

#if defined(__x86_64__) || defined(__i386__)
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2 {
constexpr int W = 8, MRMAX = 6;
#include "attention_impl.h"
}  // namespace avx2
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f")
namespace avx512 {
constexpr int W = 16, MRMAX = 12;
#include "attention_impl.h"
}  // namespace avx512
#pragma GCC pop_options
#endif

struct FlashFns {
  void (*forward)(const FlashCall&, int64_t, int64_t, float*);
  void (*backward)(const FlashCall&, int64_t, int64_t, float*);
  size_t (*scratch_floats)(const FlashCall&, bool);
  int64_t query_block;
};

FlashFns fns(Isa isa) {
#if defined(__x86_64__) || defined(__i386__)
  if (isa == Isa::avx512) return {avx512::forward, avx512::backward, avx512::scratch_floats, avx512::QB};
  if (isa == Isa::avx2) return {avx2::forward, avx2::backward, avx2::scratch_floats, avx2::QB};
#endif
  return {portable::forward, portable::backward, portable::scratch_floats, portable::QB};
}

// Below this many multiply-adds a call stays on the calling thread (as gemm: waking a worker costs
// tens of microseconds).
constexpr double MIN_PARALLEL_WORK = double(1 << 22);

// The thread's scratch, 64-byte aligned, grown on demand and kept between calls.
float* scratch(size_t floats) {
  struct Buffer {
    float* data = nullptr;
    size_t capacity = 0;
    ~Buffer() { std::free(data); }
  };
  static thread_local Buffer buffer;
  if (floats > buffer.capacity) {
    std::free(buffer.data);
    buffer.data = static_cast<float*>(std::aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64));
    buffer.capacity = buffer.data ? floats : 0;
    if (!buffer.data) throw std::bad_alloc();
  }
  return buffer.data;
}

// Runs kernel over items [0, count) on up to `threads` threads: four parts per thread, so a thread
// that gets less of the machine takes fewer.
template <class Kernel>
void split(const FlashCall& f, const FlashFns& k, Kernel kernel, bool backward, int64_t count, int threads,
           double min_work) {
  const double work = double(f.G) * double(f.n) * double(f.m) * double(f.d + f.dv_size);
  const int tasks = static_cast<int>(std::min<int64_t>(std::min(threads, pool().size()), count));
  const size_t floats = k.scratch_floats(f, backward);
  if (tasks <= 1 || work < min_work) {
    kernel(f, 0, count, scratch(floats));
    return;
  }
  const int parts = static_cast<int>(std::min<int64_t>(count, 4 * tasks));
  pool().run(parts, [&](int t) {
    const int64_t lo = count * t / parts, hi = count * (t + 1) / parts;
    if (lo < hi) kernel(f, lo, hi, scratch(floats));
  });
}

// A Uint8Array of at least `need` bytes, or null/undefined (then data = nullptr).
bool get_u8_or_null(napi_env env, napi_value v, const char* what, double need, const uint8_t*& data) {
  napi_valuetype kind;
  napi_typeof(env, v, &kind);
  data = nullptr;
  if (kind == napi_null || kind == napi_undefined) return true;
  uint8_t* mask;
  if (!get_u8(env, v, what, "keyPadding", need, mask)) return false;
  data = mask;
  return true;
}

// Sizes, scale, causal offset, isa, threads and minParallelWork from argv[at…].
bool get_shape(napi_env env, napi_value* argv, int at, const char* what, FlashCall& f, Isa& isa, int& threads,
               double& min_work) {
  int64_t t;
  double scale, causal;
  if (!get_int(env, argv[at], what, "G", f.G) || !get_int(env, argv[at + 1], what, "n", f.n) ||
      !get_int(env, argv[at + 2], what, "m", f.m) || !get_int(env, argv[at + 3], what, "d", f.d) ||
      !get_int(env, argv[at + 4], what, "dv", f.dv_size) ||
      !get_int(env, argv[at + 5], what, "headsPerBatch", f.heads_per_batch) || !get_isa(env, argv[at + 8], isa) ||
      !get_int(env, argv[at + 9], what, "threads", t))
    return false;
  if (f.heads_per_batch < 1 || f.G % f.heads_per_batch != 0)
    return fail(env, std::string(what) + ": G (" + std::to_string(f.G) + ") must be a multiple of headsPerBatch (" +
                         std::to_string(f.heads_per_batch) + ")");
  if (napi_get_value_double(env, argv[at + 6], &scale) != napi_ok || !std::isfinite(scale))
    return fail(env, std::string(what) + ": scale must be a finite number");
  if (napi_get_value_double(env, argv[at + 7], &causal) != napi_ok || !(causal >= -1) || causal != std::floor(causal) ||
      causal > 9e15)
    return fail(env, std::string(what) + ": causalOffset must be an integer ≥ −1");
  f.scale = static_cast<float>(scale);
  f.causal_offset = static_cast<int64_t>(causal);
  threads = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(t, 1024)));
  if (napi_get_value_double(env, argv[at + 10], &min_work) != napi_ok || !(min_work >= 0))
    min_work = MIN_PARALLEL_WORK;
  return true;
}

napi_value Forward(napi_env env, napi_callback_info info) {
  const char* what = "attentionForward";
  napi_value argv[17];
  FlashCall f;
  Isa isa;
  int threads;
  double min_work;
  float *q, *k, *v;
  if (!get_args(env, info, argv, what) || !get_shape(env, argv, 6, what, f, isa, threads, min_work)) return nullptr;
  const double G = double(f.G), n = double(f.n), m = double(f.m);
  if (!get_f32(env, argv[0], what, "out", G * n * double(f.dv_size), f.out) ||
      !get_f32(env, argv[1], what, "lse", G * n, f.lse) || !get_f32(env, argv[2], what, "q", G * n * double(f.d), q) ||
      !get_f32(env, argv[3], what, "k", G * m * double(f.d), k) ||
      !get_f32(env, argv[4], what, "v", G * m * double(f.dv_size), v) ||
      !get_u8_or_null(env, argv[5], what, G / double(f.heads_per_batch) * m, f.key_padding))
    return nullptr;
  f.q = q, f.k = k, f.v = v;
  const FlashFns k_ = fns(isa);
  const int64_t blocks = f.G * ((f.n + k_.query_block - 1) / k_.query_block);  // parts: groups × query blocks
  split(f, k_, k_.forward, false, blocks, threads, min_work);
  return nullptr;
}

napi_value Backward(napi_env env, napi_callback_info info) {
  const char* what = "attentionBackward";
  napi_value argv[21];
  FlashCall f;
  Isa isa;
  int threads;
  double min_work;
  float *dout, *q, *k, *v, *out, *lse;
  if (!get_args(env, info, argv, what) || !get_shape(env, argv, 10, what, f, isa, threads, min_work)) return nullptr;
  const double G = double(f.G), n = double(f.n), m = double(f.m), d = double(f.d), dv = double(f.dv_size);
  if (!get_f32(env, argv[0], what, "dq", G * n * d, f.dq) || !get_f32(env, argv[1], what, "dk", G * m * d, f.dk) ||
      !get_f32(env, argv[2], what, "dv", G * m * dv, f.dv) || !get_f32(env, argv[3], what, "dout", G * n * dv, dout) ||
      !get_f32(env, argv[4], what, "q", G * n * d, q) || !get_f32(env, argv[5], what, "k", G * m * d, k) ||
      !get_f32(env, argv[6], what, "v", G * m * dv, v) || !get_f32(env, argv[7], what, "out", G * n * dv, out) ||
      !get_f32(env, argv[8], what, "lse", G * n, lse) ||
      !get_u8_or_null(env, argv[9], what, G / double(f.heads_per_batch) * m, f.key_padding))
    return nullptr;
  f.dout = dout, f.q = q, f.k = k, f.v = v, f.out = out, f.lse = lse;
  split(f, fns(isa), fns(isa).backward, true, f.G, threads, min_work);  // parts: groups
  return nullptr;
}

}  // namespace

void register_attention(napi_env env, napi_value exports) {
  export_function(env, exports, "attentionForward", Forward);
  export_function(env, exports, "attentionBackward", Backward);
}

}  // namespace attend
