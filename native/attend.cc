// The N-API face of the native kernels (node_api.h: ABI-stable, so one build serves every Node ≥ 20).
// Typed arrays are used in place (napi_get_typedarray_info: no copies); sizes come as numbers.
// Every call checks its arguments again here, whatever the JavaScript side did: a wrong length
// must be an exception, never a write past the end of an array.
//
//   info() → { isas: string[] (supported, best last), best: string, threads: number }
//   configure(threads) → threads of the pool (the first call sizes it; later calls change nothing)
//   gemm(out, a, b, batch, m, n, k, transA, transB, strideA, strideB, accumulate, isa, threads,
//        minParallelWork (−1: the default)
//   fmaPeak(isa, threads, iterations) → floating-point operations done (time the call)
// and the row-wise (rowwise.cc) and fused attention (attention.cc) functions.
#include <algorithm>
#include <string>
#include <thread>

#include "additive.h"
#include "args.h"
#include "attention.h"
#include "elementwise.h"
#include "gemm.h"
#include "optim.h"
#include "peak.h"
#include "pool.h"
#include "random.h"
#include "rnn.h"
#include "strided.h"
#include "rowwise.h"

namespace attend {
namespace {

napi_value Info(napi_env env, napi_callback_info) {
  napi_value result, isas, best, threads;
  napi_create_object(env, &result);
  napi_create_array(env, &isas);
  uint32_t count = 0;
  for (Isa isa : {Isa::portable, Isa::avx2, Isa::avx512}) {
    if (!isa_supported(isa)) continue;
    napi_value name;
    napi_create_string_utf8(env, isa_name(isa), NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, isas, count++, name);
  }
  napi_create_string_utf8(env, isa_name(best_isa()), NAPI_AUTO_LENGTH, &best);
  napi_create_int32(env, static_cast<int32_t>(std::thread::hardware_concurrency()), &threads);
  napi_set_named_property(env, result, "isas", isas);
  napi_set_named_property(env, result, "best", best);
  napi_set_named_property(env, result, "cores", threads);
  return result;
}

napi_value Configure(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t threads;
  if (!get_args(env, info, argv, "configure") || !get_int(env, argv[0], "configure", "threads", threads))
    return nullptr;
  napi_value result;
  napi_create_int32(env, pool(static_cast<int>(std::min<int64_t>(threads, 1024))).size(), &result);
  return result;
}

napi_value Gemm(napi_env env, napi_callback_info info) {
  napi_value argv[15];
  if (!get_args(env, info, argv, "gemm")) return nullptr;
  GemmCall g;
  int64_t threads;
  Isa isa;
  if (!get_int(env, argv[3], "gemm", "batch", g.batch) || !get_int(env, argv[4], "gemm", "m", g.m) ||
      !get_int(env, argv[5], "gemm", "n", g.n) || !get_int(env, argv[6], "gemm", "k", g.k) ||
      !get_bool(env, argv[7], g.trans_a) || !get_bool(env, argv[8], g.trans_b) ||
      !get_int(env, argv[9], "gemm", "strideA", g.stride_a) || !get_int(env, argv[10], "gemm", "strideB", g.stride_b) ||
      !get_bool(env, argv[11], g.accumulate) || !get_isa(env, argv[12], isa) ||
      !get_int(env, argv[13], "gemm", "threads", threads))
    return nullptr;
  double min_work = GEMM_MIN_PARALLEL_WORK;
  if (napi_get_value_double(env, argv[14], &min_work) != napi_ok || !(min_work >= 0)) min_work = GEMM_MIN_PARALLEL_WORK;
  // the last matrix of a (b) ends at (batch − 1)·stride + m·k (k·n); nothing is read when batch is 0
  const double last = g.batch > 0 ? double(g.batch - 1) : 0;
  const double need_a = g.batch > 0 ? last * double(g.stride_a) + double(g.m) * double(g.k) : 0;
  const double need_b = g.batch > 0 ? last * double(g.stride_b) + double(g.k) * double(g.n) : 0;
  const double need_c = double(g.batch) * double(g.m) * double(g.n);
  float *c, *a, *b;
  if (!get_f32(env, argv[0], "gemm", "out", need_c, c) || !get_f32(env, argv[1], "gemm", "a", need_a, a) ||
      !get_f32(env, argv[2], "gemm", "bm", need_b, b))
    return nullptr;
  g.c = c;
  g.a = a;
  g.b = b;
  gemm(g, isa, static_cast<int>(std::max<int64_t>(threads, 1)), min_work);
  return nullptr;
}

napi_value FmaPeak(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  Isa isa;
  int64_t threads, iterations;
  if (!get_args(env, info, argv, "fmaPeak") || !get_isa(env, argv[0], isa) ||
      !get_int(env, argv[1], "fmaPeak", "threads", threads) ||
      !get_int(env, argv[2], "fmaPeak", "iterations", iterations))
    return nullptr;
  napi_value result;
  napi_create_double(env, fma_peak(isa, static_cast<int>(std::max<int64_t>(threads, 1)), iterations), &result);
  return result;
}

}  // namespace
}  // namespace attend

NAPI_MODULE_INIT() {
  using namespace attend;
  export_function(env, exports, "info", Info);
  export_function(env, exports, "configure", Configure);
  export_function(env, exports, "gemm", Gemm);
  export_function(env, exports, "fmaPeak", FmaPeak);
  register_rowwise(env, exports);
  register_attention(env, exports);
  register_optim(env, exports);
  register_random(env, exports);
  register_additive(env, exports);
  register_rnn(env, exports);
  register_strided(env, exports);
  register_elementwise(env, exports);
  return exports;
}
