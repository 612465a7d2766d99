import { kernels } from '../kernels/registry.js';
import { record } from '../tensor/autograd.js';
import { type FloatArray, type TypedArray, allocateUninit, isFloat } from '../tensor/dtype.js';
import { broadcastShapes, fmt, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { sumTo } from './elementwise.js';
import { expand, reshape } from './shape.js';

/**
 * Batched product op(a) · op(b) on the last two axes, batch axes broadcast; no autograd.
 * op = transpose when the flag is set, read straight from storage by the GEMM kernel.
 */
function gemmRaw(op: string, a: Tensor, b: Tensor, transA: boolean, transB: boolean, init?: FloatArray): Tensor {
  const [m, ka] = transA ? [a.shape[a.ndim - 1], a.shape[a.ndim - 2]] : [a.shape[a.ndim - 2], a.shape[a.ndim - 1]];
  const [kb, n] = transB ? [b.shape[b.ndim - 1], b.shape[b.ndim - 2]] : [b.shape[b.ndim - 2], b.shape[b.ndim - 1]];
  if (ka !== kb) {
    throw new Error(
      `${op}: inner sizes differ: a of shape ${fmt(a.shape)}${transA ? 'ᵀ' : ''} and b of shape ${fmt(b.shape)}${transB ? 'ᵀ' : ''} (${ka} vs ${kb})`,
    );
  }
  if (a.dtype !== b.dtype || !isFloat(a.dtype)) {
    throw new Error(`${op}: a and b must share a float dtype, received ${a.dtype} and ${b.dtype}`);
  }
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batch = broadcastShapes(op, batchA, batchB, ['a (batch axes)', 'b (batch axes)']);
  const nb = sizeOf(batch);
  // a side whose batch is all ones is shared by every batch (stride 0); else materialise the broadcast
  const prep = (t: Tensor, own: readonly number[]): [FloatArray, number] => {
    const mat = t.shape[t.ndim - 2] * t.shape[t.ndim - 1];
    if (sizeOf(own) === 1) return [t.data as FloatArray, 0];
    if (sizeOf(own) === nb && own.length === batch.length) return [t.data as FloatArray, mat];
    const e = expand(t, [...batch, t.shape[t.ndim - 2], t.shape[t.ndim - 1]]);
    return [e.data as FloatArray, mat];
  };
  const [ad, sa] = prep(a, batchA);
  const [bd, sb] = prep(b, batchB);
  // with `init` (out's starting values, e.g. a bias) the product is added to it
  const out = init ?? (allocateUninit(a.dtype, nb * m * n) as FloatArray); // the GEMM writes every element
  kernels().gemm(out, ad, bd, nb, m, n, ka, transA, transB, sa, sb, init !== undefined);
  return new Tensor(out, [...batch, m, n]);
}

/**
 * Matrix product with NumPy/PyTorch rules: batch axes broadcast; a 1-D `a` is a row
 * vector and a 1-D `b` a column vector, their added axis removed from the result. Two
 * 1-D tensors give their dot product, a 0-d tensor (both added axes removed).
 * Backward: dA = dC · Bᵀ, dB = Aᵀ · dC (summed over broadcast batch axes).
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim === 0 || b.ndim === 0) {
    throw new Error(`matmul: both arguments need at least one axis, received a ${fmt(a.shape)} and b ${fmt(b.shape)}`);
  }
  if (a.ndim === 1 && b.ndim === 1) {
    return reshape(matmul(reshape(a, [1, a.shape[0]]), reshape(b, [b.shape[0], 1])), []); // [1, 1] → []
  }
  if (a.ndim === 1) {
    const r = matmul(reshape(a, [1, a.shape[0]]), b);
    return reshape(r, [...r.shape.slice(0, -2), r.shape[r.ndim - 1]]);
  }
  if (b.ndim === 1) {
    const r = matmul(a, reshape(b, [b.shape[0], 1]));
    return reshape(r, r.shape.slice(0, -1));
  }
  const out = gemmRaw('matmul', a, b, false, false);
  const batch = out.shape.slice(0, -2);
  // a gradient needs no sum over broadcast batches when its side had the full batch
  const fullBatch = (t: Tensor) => sizeOf(t.shape.slice(0, -2)) === sizeOf(batch);
  const backward = (g: Tensor, sums: (TypedArray | null)[] = []) => {
    const [sa, sb] = sums as (FloatArray | null)[];
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (a.requiresGrad) {
      if (sa && fullBatch(a))
        gemmRaw('matmul', g, b, false, true, sa); // into the running sum
      else da = sumTo(gemmRaw('matmul', g, b, false, true), a.shape);
    }
    if (b.requiresGrad) {
      if (sb && b.ndim === 2) sharedMatrixGrad(a, g, sb);
      else if (sb && fullBatch(b)) gemmRaw('matmul', a, g, true, false, sb);
      else db = b.ndim === 2 ? sharedMatrixGrad(a, g) : sumTo(gemmRaw('matmul', a, g, true, false), b.shape);
    }
    return [da, db];
  };
  return record(out, 'matmul', [a, b], backward, backward);
}

/**
 * dB for a matrix b [k, n] shared by every batch of a [..., m, k]: Σ_batch a[b]ᵀ · g[b] is one
 * product over the stacked rows, aᵀ [k, batch·m] · g [batch·m, n], instead of one k×n
 * product per batch summed afterwards.
 */
function sharedMatrixGrad(a: Tensor, g: Tensor, into?: FloatArray): Tensor {
  const k = a.shape[a.ndim - 1];
  const n = g.shape[g.ndim - 1];
  const rows = a.size / k;
  if (g.size !== rows * n) {
    // a broadcast against g's batch: per-batch products, summed
    const d = sumTo(gemmRaw('matmul', a, g, true, false), [k, n]);
    if (into) for (let i = 0; i < into.length; i++) into[i] += d.data[i];
    return d;
  }
  return gemmRaw('matmul', new Tensor(a.data, [rows, k]), new Tensor(g.data, [rows, n]), true, false, into);
}

/**
 * a · bᵀ on the last two axes, as matmul(a, transpose(b, -2, -1)) with a and b at least 2-D:
 * the transpose is read in place by the GEMM, never copied (attention's q kᵀ).
 * Backward: dA = dC · B, dB = dCᵀ · A (summed over broadcast batch axes).
 */
export function matmulT(a: Tensor, b: Tensor): Tensor {
  if (a.ndim < 2 || b.ndim < 2) {
    throw new Error(`matmulT: both arguments need at least two axes, received a ${fmt(a.shape)} and b ${fmt(b.shape)}`);
  }
  const out = gemmRaw('matmulT', a, b, false, true);
  return record(out, 'matmulT', [a, b], (g) => [
    a.requiresGrad ? sumTo(gemmRaw('matmulT', g, b, false, false), a.shape) : null,
    b.requiresGrad ? sumTo(gemmRaw('matmulT', g, a, true, false), b.shape) : null,
  ]);
}

/**
 * y = x · Wᵀ + b, PyTorch's F.linear: weight is [out, in] (the nn.Linear layout), x is
 * [..., in]. The transpose is read in place by the GEMM, never copied.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.ndim !== 2) throw new Error(`linear: weight must be 2-D [out, in], received ${fmt(weight.shape)}`);
  const [outF, inF] = weight.shape;
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== inF) {
    throw new Error(
      `linear: input of shape ${fmt(x.shape)} must end in in_features = ${inF} (weight ${fmt(weight.shape)})`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outF)) {
    throw new Error(`linear: bias must have shape [${outF}], received ${fmt(bias.shape)}`);
  }
  const lead = x.shape.slice(0, -1);
  const rows = sizeOf(lead);
  const x2 = new Tensor(x.data, [rows, inF]); // [N, in]
  let init: FloatArray | undefined;
  if (bias && bias.dtype === x.dtype && isFloat(x.dtype)) {
    // every row starts as the bias and the GEMM adds x Wᵀ to it: copies, not a JS pass over y
    init = allocateUninit(x.dtype, rows * outF) as FloatArray; // every row set below
    for (let r = 0; r < rows; r++) init.set(bias.data, r * outF);
  }
  const y = gemmRaw('linear', x2, weight, false, true, init); // [N, out]
  if (bias && !init) {
    const yd = y.data;
    const bd = bias.data;
    for (let r = 0; r < rows; r++) for (let j = 0; j < outF; j++) yd[r * outF + j] += bd[j];
  }
  const out = new Tensor(y.data, [...lead, outF]);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  // With sums (see record's addInto), a gradient already being summed gets this one added in
  // place: the GEMMs accumulate into it. A weight used at every step of an RNN needs no new
  // [out, in] tensor and no addition per step.
  const backward = (g: Tensor, sums: (TypedArray | null)[] = []) => {
    const g2 = new Tensor(g.data, [rows, outF]);
    const [sx, sw, sb] = sums as (FloatArray | null)[];
    const grads: (Tensor | null)[] = [
      x.requiresGrad && !sx ? reshape(gemmRaw('linear', g2, weight, false, false), x.shape) : null, // dX = dY · W
      weight.requiresGrad && !sw ? gemmRaw('linear', g2, x2, true, false) : null, // dW = dYᵀ · X
    ];
    if (sx) gemmRaw('linear', g2, weight, false, false, sx);
    if (sw) gemmRaw('linear', g2, x2, true, false, sw);
    if (!bias) return grads;
    if (!sb)
      grads.push(bias.requiresGrad ? sumTo(g2, [outF]) : null); // db = Σ_rows dY
    else {
      const gd = g2.data;
      for (let r = 0; r < rows; r++) for (let j = 0; j < outF; j++) sb[j] += gd[r * outF + j];
      grads.push(null);
    }
    return grads;
  };
  return record(out, 'linear', inputs, backward, backward);
}
