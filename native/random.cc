// keepMask(keep: Uint8Array, state: Uint32Array(4), p): the dropout mask of
// src/kernels/reference/random.ts, bit for bit: one xoshiro128** output per element, in order,
// dropped when below p·2³²; the state advances in place. The stream is one dependency chain, so
// this is scalar code, about four times the speed of the JavaScript loop.
#include "random.h"

#include <cmath>
#include <cstdint>

namespace attend {
namespace {

inline uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

napi_value KeepMask(napi_env env, napi_callback_info info) {
  const char* what = "keepMask";
  napi_value argv[3];
  if (!get_args(env, info, argv, what)) return nullptr;
  void* keep_data = nullptr;
  void* state_data = nullptr;
  size_t n = 0, words = 0;
  napi_typedarray_type type;
  bool is_typed = false;
  napi_is_typedarray(env, argv[0], &is_typed);
  if (!is_typed || napi_get_typedarray_info(env, argv[0], &type, &n, &keep_data, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array)
    return fail(env, "keepMask: keep must be a Uint8Array"), nullptr;
  napi_is_typedarray(env, argv[1], &is_typed);
  if (!is_typed || napi_get_typedarray_info(env, argv[1], &type, &words, &state_data, nullptr, nullptr) != napi_ok ||
      type != napi_uint32_array || words != 4)
    return fail(env, "keepMask: state must be a Uint32Array of 4 words, received " + std::to_string(words)), nullptr;
  double p;
  if (napi_get_value_double(env, argv[2], &p) != napi_ok || !(p >= 0 && p <= 1))
    return fail(env, "keepMask: p must be in [0, 1]"), nullptr;
  // drop when u < p·2³² (exact in double; p = 1 drops every u)
  const double threshold = p * 4294967296.0;
  auto* keep = static_cast<uint8_t*>(keep_data);
  auto* s = static_cast<uint32_t*>(state_data);
  uint32_t s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
  for (size_t i = 0; i < n; i++) {
    const uint32_t u = rotl(s1 * 5, 7) * 9;
    const uint32_t t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    keep[i] = double(u) >= threshold;
  }
  s[0] = s0, s[1] = s1, s[2] = s2, s[3] = s3;
  return nullptr;
}

}  // namespace

void register_random(napi_env env, napi_value exports) { export_function(env, exports, "keepMask", KeepMask); }

}  // namespace attend
