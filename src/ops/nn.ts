import { kernels } from '../kernels/registry.js';
import { record } from '../tensor/autograd.js';
import { type FloatArray, allocate, allocateUninit, isFloat } from '../tensor/dtype.js';
import { type Generator, defaultGenerator } from '../tensor/random.js';
import { fmt, normAxis, sameShape, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { add, mul, neg, sub, where, ne } from './elementwise.js';
import { gather } from './indexing.js';
import { mean, sum } from './reduce.js';
import { permute, reshape, squeeze, transpose, unsqueeze } from './shape.js';

function checkFloat(op: string, x: Tensor, arg = 'input'): void {
  if (!isFloat(x.dtype)) throw new Error(`${op}: ${arg} must be float32 or float64, received ${x.dtype}`);
}

/** Apply a last-axis op along any axis: move the axis last, apply, move it back (differentiable). */
function alongAxis(x: Tensor, axis: number, op: string, f: (x: Tensor) => Tensor): Tensor {
  const a = normAxis(op, axis, x.ndim);
  if (a === x.ndim - 1) return f(x);
  return transpose(f(transpose(x, a, -1)), a, -1);
}

/**
 * softmax(x)_j = exp(x_j − max) / Σ_k exp(x_k − max) along `axis`.
 * NOTE: a slice that is all −∞ (every key masked) gives all zeros, never NaN; its gradient is zero.
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  checkFloat('softmax', x);
  if (x.ndim === 0) throw new Error('softmax: needs at least one axis');
  return alongAxis(x, axis, 'softmax', (xl) => {
    const cols = xl.shape[xl.ndim - 1];
    const rows = xl.size / Math.max(cols, 1);
    const y = allocateUninit(xl.dtype, xl.size) as FloatArray; // the row kernels write every element
    kernels().softmaxForward(y, xl.data as FloatArray, rows, cols);
    return record(new Tensor(y, xl.shape), 'softmax', [xl], (g) => {
      const dx = allocateUninit(g.dtype, g.size) as FloatArray;
      kernels().softmaxBackward(dx, g.data as FloatArray, y, rows, cols);
      return [new Tensor(dx, xl.shape)];
    });
  });
}

/** log softmax(x) along `axis`, computed stably as x − max − log Σ exp(x − max). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  checkFloat('logSoftmax', x);
  if (x.ndim === 0) throw new Error('logSoftmax: needs at least one axis');
  return alongAxis(x, axis, 'logSoftmax', (xl) => {
    const cols = xl.shape[xl.ndim - 1];
    const rows = xl.size / Math.max(cols, 1);
    const y = allocateUninit(xl.dtype, xl.size) as FloatArray; // the row kernels write every element
    kernels().logSoftmaxForward(y, xl.data as FloatArray, rows, cols);
    return record(new Tensor(y, xl.shape), 'logSoftmax', [xl], (g) => {
      const dx = allocateUninit(g.dtype, g.size) as FloatArray;
      kernels().logSoftmaxBackward(dx, g.data as FloatArray, y, rows, cols);
      return [new Tensor(dx, xl.shape)];
    });
  });
}

/**
 * Layer normalisation over the trailing `normalizedShape` axes (Ba et al. 2016), as
 * torch.nn.functional.layer_norm: (x − μ)/√(σ² + eps) · weight + bias, σ² biased.
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: readonly number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  checkFloat('layerNorm', x);
  const k = normalizedShape.length;
  if (k === 0 || k > x.ndim || !sameShape(x.shape.slice(x.ndim - k), normalizedShape)) {
    throw new Error(`layerNorm: input of shape ${fmt(x.shape)} must end in normalizedShape ${fmt(normalizedShape)}`);
  }
  for (const [name, p] of [
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    if (p && !sameShape(p.shape, normalizedShape)) {
      throw new Error(`layerNorm: ${name} must have shape ${fmt(normalizedShape)}, received ${fmt(p.shape)}`);
    }
    if (p && p.dtype !== x.dtype) throw new Error(`layerNorm: ${name} is ${p.dtype} but the input is ${x.dtype}`);
  }
  const cols = sizeOf(normalizedShape);
  const rows = x.size / cols;
  // the kernel writes every element of y, mu and rstd, and of dx below (dw and db it sums into)
  const y = allocateUninit(x.dtype, x.size) as FloatArray;
  const mu = allocateUninit(x.dtype, rows) as FloatArray;
  const rstd = allocateUninit(x.dtype, rows) as FloatArray;
  const w = (weight?.data ?? null) as FloatArray | null;
  const b = (bias?.data ?? null) as FloatArray | null;
  kernels().layerNormForward(y, mu, rstd, x.data as FloatArray, w, b, rows, cols, eps);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record(new Tensor(y, x.shape), 'layerNorm', inputs, (g) => {
    const dx = allocateUninit(g.dtype, x.size) as FloatArray;
    const dw = weight ? (allocate(g.dtype, cols) as FloatArray) : null;
    const db = bias ? (allocate(g.dtype, cols) as FloatArray) : null;
    kernels().layerNormBackward(dx, dw, db, g.data as FloatArray, x.data as FloatArray, mu, rstd, w, rows, cols);
    const grads: Tensor[] = [new Tensor(dx, x.shape)];
    if (dw) grads.push(new Tensor(dw, normalizedShape));
    if (db) grads.push(new Tensor(db, normalizedShape));
    return grads;
  });
}

/**
 * Inverted dropout: zero each element with probability p and scale the rest by 1/(1 − p),
 * so eval (training = false) is the identity. Seeded through the generator (see Generator.keepMask).
 */
export function dropout(x: Tensor, p: number, training = true, generator?: Generator): Tensor {
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: p must be in [0, 1], received ${p}`);
  if (!training || p === 0) return x;
  const n = x.size;
  const keep = (generator ?? defaultGenerator).keepMask(n, p);
  const scale = p === 1 ? 0 : 1 / (1 - p);
  const out = allocateUninit(x.dtype, n); // maskScale writes every element
  kernels().maskScale(out, x.data, keep, scale); // a product, not a select: 0 · ∞ = NaN as in PyTorch
  return record(new Tensor(out, x.shape), 'dropout', [x], (g) => {
    const dx = allocateUninit(g.dtype, n);
    kernels().maskScale(dx, g.data, keep, scale);
    return [new Tensor(dx, x.shape)];
  });
}

export type Reduction = 'mean' | 'sum' | 'none';

export interface CrossEntropyOptions {
  /** Targets equal to this contribute nothing (and are not counted in the mean). Default -100, as PyTorch. */
  ignoreIndex?: number;
  /** ε: the target distribution is (1 − ε)·onehot + ε/C (Szegedy et al. 2016), as PyTorch. */
  labelSmoothing?: number;
  reduction?: Reduction;
}

/**
 * Cross-entropy of logits against class indices, torch.nn.functional.cross_entropy's
 * conventions: logits [N, C] with target [N], or [N, C, d1, …] with target [N, d1, …].
 * loss_i = (1 − ε)·(−log p_i[y_i]) + ε · mean_c(−log p_i[c]).
 * NOTE: 'mean' over zero counted targets (all ignored) returns 0, not PyTorch's NaN.
 */
export function crossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  checkFloat('crossEntropy', logits, 'logits');
  const ignoreIndex = options.ignoreIndex ?? -100;
  const eps = options.labelSmoothing ?? 0;
  const reduction = options.reduction ?? 'mean';
  if (!(eps >= 0 && eps <= 1)) throw new Error(`crossEntropy: labelSmoothing must be in [0, 1], received ${eps}`);
  if (!['mean', 'sum', 'none'].includes(reduction)) {
    throw new Error(`crossEntropy: reduction must be 'mean', 'sum' or 'none', received ${String(reduction)}`);
  }
  if (target.dtype !== 'int32')
    throw new Error(`crossEntropy: target must hold int32 class indices, received ${target.dtype}`);
  if (logits.ndim < 1) throw new Error('crossEntropy: logits need a class axis');
  // bring the class axis (1, or 0 for unbatched [C]) last and flatten: [M, C]
  const C = logits.ndim === 1 ? logits.shape[0] : logits.shape[1];
  const expected = logits.ndim === 1 ? [] : [logits.shape[0], ...logits.shape.slice(2)];
  if (!sameShape(target.shape, expected)) {
    throw new Error(
      `crossEntropy: target must have shape ${fmt(expected)} for logits ${fmt(logits.shape)}, received ${fmt(target.shape)}`,
    );
  }
  const moved =
    logits.ndim <= 2 ? logits : permute(logits, [0, ...Array.from({ length: logits.ndim - 2 }, (_, i) => i + 2), 1]);
  const flat = reshape(moved, [-1, C]); // [M, C]
  const M = flat.shape[0];
  const safe = new Int32Array(M);
  const valid = allocate(logits.dtype, M);
  let count = 0;
  for (let i = 0; i < M; i++) {
    const t = target.data[i];
    if (t === ignoreIndex) continue;
    if (t < 0 || t >= C)
      throw new Error(`crossEntropy: target holds class ${t}, outside [0, ${C}) (and not ignoreIndex ${ignoreIndex})`);
    safe[i] = t;
    valid[i] = 1;
    count++;
  }
  const lp = logSoftmax(flat, -1); // [M, C]
  const nll = neg(squeeze(gather(lp, 1, new Tensor(safe, [M, 1])), 1)); // [M]
  let loss = nll;
  if (eps > 0) loss = add(mul(nll, 1 - eps), mul(neg(mean(lp, -1)), eps));
  loss = mul(loss, new Tensor(valid, [M])); // ignored targets contribute 0
  if (reduction === 'none') return reshape(loss, target.shape);
  const total = sum(loss);
  return reduction === 'sum' ? total : mul(total, count > 0 ? 1 / count : 0);
}

/** Negative log-likelihood of log-probabilities [N, C] against int32 targets [N]. */
export function nllLoss(
  logProbs: Tensor,
  target: Tensor,
  options: { ignoreIndex?: number; reduction?: Reduction } = {},
): Tensor {
  const ignoreIndex = options.ignoreIndex ?? -100;
  if (logProbs.ndim !== 2) throw new Error(`nllLoss: logProbs must be [N, C], received ${fmt(logProbs.shape)}`);
  if (target.dtype !== 'int32' || !sameShape(target.shape, [logProbs.shape[0]])) {
    throw new Error(
      `nllLoss: target must be int32 of shape [${logProbs.shape[0]}], received ${target.dtype} ${fmt(target.shape)}`,
    );
  }
  const keep = ne(target, ignoreIndex);
  const safe = where(keep, target, 0);
  const picked = neg(squeeze(gather(logProbs, 1, unsqueeze(safe, 1)), 1));
  const loss = where(keep, picked, 0);
  const reduction = options.reduction ?? 'mean';
  if (reduction === 'none') return loss;
  const total = sum(loss);
  if (reduction === 'sum') return total;
  let count = 0;
  for (let i = 0; i < keep.size; i++) count += keep.data[i];
  return mul(total, count > 0 ? 1 / count : 0);
}

/** Mean squared error, (a − b)² reduced. */
export function mse(a: Tensor, b: Tensor, reduction: Reduction = 'mean'): Tensor {
  if (!sameShape(a.shape, b.shape)) {
    throw new Error(`mse: input of shape ${fmt(a.shape)} and target of shape ${fmt(b.shape)} differ`);
  }
  const d = sub(a, b);
  const sq = mul(d, d);
  return reduction === 'none' ? sq : reduction === 'sum' ? sum(sq) : mean(sq);
}
