import { kernels } from '../kernels/registry.js';
import type { FlashShape } from '../kernels/types.js';
import { record } from '../tensor/autograd.js';
import { type FloatArray, allocate } from '../tensor/dtype.js';
import { fmt, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { expand } from './shape.js';

export interface SdpaOptions {
  /** Default 1/√d. */
  scale?: number;
  /** Query i sees keys j ≤ i + offset; null/undefined: no causal mask. */
  causalOffset?: number | null;
  /** bool [B, m], true = padding. */
  keyPaddingMask?: Tensor | null;
}

/**
 * softmax(q kᵀ · scale + masks) · v through the fused kernel: the n×m weights are never
 * stored (FlashAttention), so memory grows as O(n) per head, not O(n·m).
 * q [..., n, d], k [..., m, d], v [..., m, dv] (leading axes [B] or [B, h]) → [..., n, dv].
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: SdpaOptions = {}): Tensor {
  if (q.ndim < 3) throw new Error(`scaledDotProductAttention: query must be [B, (h,) n, d], received ${fmt(q.shape)}`);
  const lead = q.shape.slice(0, -2);
  const n = q.shape[q.ndim - 2];
  const d = q.shape[q.ndim - 1];
  const m = k.shape[k.ndim - 2];
  const dv = v.shape[v.ndim - 1];
  if (k.shape[k.ndim - 1] !== d || v.shape[v.ndim - 2] !== m) {
    throw new Error(
      `scaledDotProductAttention: query ${fmt(q.shape)}, key ${fmt(k.shape)} and value ${fmt(v.shape)} do not fit [.., n, d], [.., m, d], [.., m, dv]`,
    );
  }
  if (q.dtype !== k.dtype || q.dtype !== v.dtype || (q.dtype !== 'float32' && q.dtype !== 'float64')) {
    throw new Error(
      `scaledDotProductAttention: query, key and value must share a float dtype, received ${q.dtype}, ${k.dtype}, ${v.dtype}`,
    );
  }
  const kk = expand(k, [...lead, m, d]); // [..., m, d]
  const vv = expand(v, [...lead, m, dv]); // [..., m, dv]
  const B = lead[0];
  const G = sizeOf(lead);
  const pad = options.keyPaddingMask ?? null;
  if (pad && (pad.dtype !== 'bool' || pad.ndim !== 2 || pad.shape[0] !== B || pad.shape[1] !== m)) {
    throw new Error(
      `scaledDotProductAttention: keyPaddingMask must be bool [B=${B}, m=${m}], received ${pad.dtype} ${fmt(pad.shape)}`,
    );
  }
  const causal = options.causalOffset ?? null;
  if (causal !== null && (!Number.isInteger(causal) || causal < 0)) {
    throw new Error(`scaledDotProductAttention: causalOffset must be a non-negative integer, received ${causal}`);
  }
  const shape: FlashShape = {
    G,
    n,
    m,
    d,
    dv,
    headsPerBatch: G / B,
    scale: options.scale ?? 1 / Math.sqrt(d),
    causalOffset: causal ?? -1,
  };
  const out = allocate(q.dtype, G * n * dv) as FloatArray;
  const lse = allocate(q.dtype, G * n) as FloatArray;
  const padData = pad ? (pad.data as Uint8Array) : null;
  kernels().attentionForward(
    out,
    lse,
    q.data as FloatArray,
    kk.data as FloatArray,
    vv.data as FloatArray,
    padData,
    shape,
  );
  return record(new Tensor(out, [...lead, n, dv]), 'scaledDotProductAttention', [q, kk, vv], (g) => {
    const dq = allocate(q.dtype, q.size) as FloatArray;
    const dk = allocate(q.dtype, kk.size) as FloatArray;
    const dvv = allocate(q.dtype, vv.size) as FloatArray;
    const k2 = kk.data as FloatArray;
    const v2 = vv.data as FloatArray;
    kernels().attentionBackward(
      dq,
      dk,
      dvv,
      g.data as FloatArray,
      q.data as FloatArray,
      k2,
      v2,
      out,
      lse,
      padData,
      shape,
    );
    return [new Tensor(dq, q.shape), new Tensor(dk, kk.shape), new Tensor(dvv, vv.shape)];
  });
}
