// Native fused attention (FlashAttention forward, FlashAttention-2 backward) over float32: the
// `attentionForward` / `attentionBackward` contract of src/kernels/types.ts, checked against
// src/kernels/reference/flash.ts.
#pragma once

#include <cstdint>

#include "args.h"

namespace attend {

// One call's arrays and sizes (the reference's FlashShape). Forward: out, lse written. Backward:
// dq, dk, dv overwritten from dout, out, lse.
struct FlashCall {
  float *out = nullptr, *lse = nullptr;
  float *dq = nullptr, *dk = nullptr, *dv = nullptr;
  const float *dout = nullptr, *q = nullptr, *k = nullptr, *v = nullptr;
  const uint8_t* key_padding = nullptr;  // [B, m], nonzero = hidden; null: none
  int64_t G = 0, n = 0, m = 0, d = 0, dv_size = 0, heads_per_batch = 1;
  float scale = 1;
  int64_t causal_offset = -1;  // query i sees keys j ≤ i + causal_offset; −1: every key
};

// Adds attentionForward and attentionBackward to the addon's exports.
void register_attention(napi_env env, napi_value exports);

}  // namespace attend
