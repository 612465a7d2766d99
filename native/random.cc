// keepMask(keep: Uint8Array, state: Uint32Array(4), p, isa): the dropout mask of
// src/kernels/reference/random.ts, bit for bit. Two xoshiro128** outputs are the mask's key (the
// state advances by 2); element i is kept when word i mod 2 of Threefry-2x32-20 block (⌊i/2⌋, 0)
// under that key is at least p·2³². The blocks are independent of each other, so the loop over a
// chunk of them vectorises: 16 blocks a register with AVX-512, where the xoshiro stream the mask
// used to be drawn from is one chain of dependent steps (about 1.3 ns an element, 4–6 ms of a G2P
// Transformer step).
#include "random.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "gemm.h"

namespace attend {
namespace {

inline uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

#define ATTEND_INLINE static inline __attribute__((always_inline))

// Threefry-2x32-20 (Salmon et al. 2011; Random123's threefry2x32_20) of blocks (c0[w], 0), w < W:
// twenty rounds of x0 += x1; x1 = rotl(x1, R) ^ x0, the key schedule (k0, k1, k2) injected after
// every fourth. W blocks go round by round together: each is a chain of 60 dependent operations,
// and interleaving W of them keeps the vector units busy (W = 4: 1.45× faster than W = 1; in all
// 0.41 ns an element, 3.2× faster than the xoshiro stream).
template <int W>
ATTEND_INLINE void threefry_blocks(uint32_t k0, uint32_t k1, uint32_t k2, const uint32_t* c0, uint32_t* y0,
                                   uint32_t* y1) {
  uint32_t x0[W], x1[W];
  for (int w = 0; w < W; w++) x0[w] = c0[w] + k0, x1[w] = k1;
#define ATTEND_ROUND(R) \
  for (int w = 0; w < W; w++) x0[w] += x1[w], x1[w] = rotl(x1[w], R) ^ x0[w]
#define ATTEND_INJECT(A, B, S) \
  for (int w = 0; w < W; w++) x0[w] += A, x1[w] += B + S
  ATTEND_ROUND(13); ATTEND_ROUND(15); ATTEND_ROUND(26); ATTEND_ROUND(6); ATTEND_INJECT(k1, k2, 1);
  ATTEND_ROUND(17); ATTEND_ROUND(29); ATTEND_ROUND(16); ATTEND_ROUND(24); ATTEND_INJECT(k2, k0, 2);
  ATTEND_ROUND(13); ATTEND_ROUND(15); ATTEND_ROUND(26); ATTEND_ROUND(6); ATTEND_INJECT(k0, k1, 3);
  ATTEND_ROUND(17); ATTEND_ROUND(29); ATTEND_ROUND(16); ATTEND_ROUND(24); ATTEND_INJECT(k1, k2, 4);
  ATTEND_ROUND(13); ATTEND_ROUND(15); ATTEND_ROUND(26); ATTEND_ROUND(6); ATTEND_INJECT(k2, k0, 5);
#undef ATTEND_ROUND
#undef ATTEND_INJECT
  for (int w = 0; w < W; w++) y0[w] = x0[w], y1[w] = x1[w];
}

// keep[i] = (word i mod 2 of block ⌊i/2⌋) ≥ threshold, i < n. `threshold` is ⌈p·2³²⌉ (u ≥ p·2³²
// for an integer u exactly when u ≥ ⌈p·2³²⌉); p = 1 never gets here.
ATTEND_INLINE void keep_mask(uint8_t* keep, int64_t n, uint32_t k0, uint32_t k1, uint32_t threshold) {
  const uint32_t k2 = 0x1BD11BDA ^ k0 ^ k1;
  constexpr int W = 4;
  constexpr int64_t CHUNK = 64;  // blocks: 128 elements; lane j computes blocks j, j + 16, j + 32, j + 48
  constexpr int64_t LANES = CHUNK / W;
  uint32_t words[2 * CHUNK];  // element order: word 0 and word 1 of each block in turn
  for (int64_t first = 0; 2 * first < n; first += CHUNK) {
    for (int64_t j = 0; j < LANES; j++) {
      uint32_t c0[W], y0[W], y1[W];
      for (int w = 0; w < W; w++) c0[w] = uint32_t(first + j + w * LANES);
      threefry_blocks<W>(k0, k1, k2, c0, y0, y1);
      for (int w = 0; w < W; w++) words[2 * (j + w * LANES)] = y0[w], words[2 * (j + w * LANES) + 1] = y1[w];
    }
    const int64_t len = std::min<int64_t>(2 * CHUNK, n - 2 * first);
    uint8_t* out = keep + 2 * first;
    for (int64_t i = 0; i < len; i++) out[i] = words[i] >= threshold;
  }
}

#define ATTEND_RANDOM_ISA(NAME, ATTR)                                                           \
  ATTR void keep_mask_##NAME(uint8_t* keep, int64_t n, uint32_t k0, uint32_t k1, uint32_t t) { \
    keep_mask(keep, n, k0, k1, t);                                                              \
  }
ATTEND_RANDOM_ISA(portable, )
#if defined(__x86_64__) || defined(__i386__)
ATTEND_RANDOM_ISA(avx2, __attribute__((target("avx2,fma"))))
ATTEND_RANDOM_ISA(avx512, __attribute__((target("avx512f,avx512bw"))))
#endif

// The next output of xoshiro128** (src/kernels/reference/random.ts), advancing s.
uint32_t xoshiro_next(uint32_t* s) {
  const uint32_t u = rotl(s[1] * 5, 7) * 9;
  const uint32_t t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 11);
  return u;
}

napi_value KeepMask(napi_env env, napi_callback_info info) {
  const char* what = "keepMask";
  napi_value argv[4];
  if (!get_args(env, info, argv, what)) return nullptr;
  void* keep_data = nullptr;
  void* state_data = nullptr;
  size_t n = 0, words = 0;
  napi_typedarray_type type;
  bool is_typed = false;
  Isa isa;
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
  if (!get_isa(env, argv[3], isa)) return nullptr;
  auto* s = static_cast<uint32_t*>(state_data);
  const uint32_t k0 = xoshiro_next(s);
  const uint32_t k1 = xoshiro_next(s);
  auto* keep = static_cast<uint8_t*>(keep_data);
  const double threshold = std::ceil(p * 4294967296.0);  // drop when u < p·2³² (exact in double)
  if (threshold > 4294967295.0) {
    std::fill(keep, keep + n, uint8_t(0));  // p = 1: every u is below p·2³²
    return nullptr;
  }
  ATTEND_PICK(keep_mask, isa)(keep, int64_t(n), k0, k1, uint32_t(threshold));
  return nullptr;
}

}  // namespace

void register_random(napi_env env, napi_value exports) { export_function(env, exports, "keepMask", KeepMask); }

}  // namespace attend
