import * as F from '../ops/index.js';
import { broadcastShapes, fmt } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Masks, one convention across the library: in a boolean `attnMask`, TRUE MEANS "MAY ATTEND"
 * (as SDPA's attn_mask, Keras and ONNX). `keyPaddingMask` keeps PyTorch's meaning, which its
 * name states: TRUE MARKS PADDING (a key no query may attend). A float mask is added to the
 * scores (0 keeps, −∞ removes). A query left with no key gets zero weights and zero output.
 */
export interface MaskOptions {
  /** [B, m], true = padding. */
  keyPaddingMask?: Tensor | null;
  /** bool (true = may attend) or float (added), broadcastable to [B, h, n, m] / [B, n, m]. */
  attnMask?: Tensor | null;
  /** Query i sees keys j ≤ i + offset; `{ offset }` for decoding with a cache (offset = cached length). */
  causal?: boolean | { offset: number };
}

/** The scores [..., n, m] with every mask applied (masked entries −∞). */
export function applyMasks(scores: Tensor, options: MaskOptions): Tensor {
  const n = scores.shape[scores.ndim - 2];
  const m = scores.shape[scores.ndim - 1];
  let out = scores;
  const { keyPaddingMask, attnMask, causal } = options;
  if (keyPaddingMask) {
    const B = scores.shape[0];
    if (
      keyPaddingMask.dtype !== 'bool' ||
      keyPaddingMask.ndim !== 2 ||
      keyPaddingMask.shape[1] !== m ||
      keyPaddingMask.shape[0] !== B
    ) {
      throw new Error(
        `attention: keyPaddingMask must be bool [B=${B}, m=${m}] (true = padding), received ${keyPaddingMask.dtype} ${fmt(keyPaddingMask.shape)}`,
      );
    }
    // [B, m] → [B, 1, …, 1, m] against scores [B, …, n, m]
    const shape = [B, ...Array(scores.ndim - 2).fill(1), m];
    out = F.maskedFill(out, F.reshape(keyPaddingMask, shape), -Infinity);
  }
  if (attnMask) {
    const ok = broadcastShapes('attention', attnMask.shape, out.shape, ['attnMask', 'scores']);
    if (ok.length !== out.ndim || ok.some((d, i) => d !== out.shape[i])) {
      throw new Error(
        `attention: attnMask of shape ${fmt(attnMask.shape)} must broadcast to the scores' shape ${fmt(out.shape)}`,
      );
    }
    if (attnMask.dtype === 'bool') out = F.maskedFill(out, F.logicalNot(attnMask), -Infinity);
    else out = F.add(out, attnMask.dtype === out.dtype ? attnMask : F.cast(attnMask, out.dtype));
  }
  if (causal) {
    const offset = typeof causal === 'object' ? causal.offset : 0;
    if (!Number.isInteger(offset) || offset < 0)
      throw new Error(`attention: causal.offset must be a non-negative integer, received ${offset}`);
    out = F.maskedFill(out, causalBlocked(n, m, offset), -Infinity);
  }
  return out;
}

/** [n, m] bool, true where key j is in the future of query i: j > i + offset. */
export function causalBlocked(n: number, m: number, offset = 0): Tensor {
  const data = new Uint8Array(n * m);
  for (let i = 0; i < n; i++) for (let j = i + offset + 1; j < m; j++) data[i * m + j] = 1;
  return new Tensor(data, [n, m]);
}

/** [n, m] bool, true = may attend: |j − center_i| ≤ D (local-m: center_i = i + offset). */
export function bandMask(n: number, m: number, D: number, offset = 0): Tensor {
  const data = new Uint8Array(n * m);
  for (let i = 0; i < n; i++) {
    const c = i + offset;
    for (let j = Math.max(0, c - D); j <= Math.min(m - 1, c + D); j++) data[i * m + j] = 1;
  }
  return new Tensor(data, [n, m]);
}

/**
 * Real (unpadded) positions per row of a key padding mask [B, m] (true = padding), at least 1:
 * the `lengths` an RNN takes, and the source length local-p scales its position by.
 */
export function unpaddedLengths(keyPaddingMask: Tensor): number[] {
  const [B, m] = keyPaddingMask.shape;
  return Array.from({ length: B }, (_, b) => {
    let n = 0;
    for (let j = 0; j < m; j++) if (!keyPaddingMask.data[b * m + j]) n++;
    return Math.max(n, 1);
  });
}
