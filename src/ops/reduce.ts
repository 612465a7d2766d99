import { reduceArgExtreme, reduceSum } from '../kernels/reference/elementwise.js';
import { record } from '../tensor/autograd.js';
import { allocate, isFloat } from '../tensor/dtype.js';
import { normAxis, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { abs, mul, sub, log, exp, add, where, eq, lift } from './elementwise.js';
import { expand, reshape } from './shape.js';

/**
 * Normalised, sorted, distinct axes; undefined means all axes.
 * NOTE: a 0-d tensor accepts axis 0 or −1 (one 1-long axis, as PyTorch) but has no axis to
 * loop over: reducing over that axis is the identity, so no axes are returned.
 */
function axesOf(op: string, x: Tensor, axis?: number | readonly number[]): number[] {
  if (axis === undefined) return [...x.shape.keys()];
  const list = typeof axis === 'number' ? [axis] : [...axis];
  const out = [...new Set(list.map((a) => normAxis(op, a, x.ndim)))].sort((a, b) => a - b);
  if (out.length !== list.length) throw new Error(`${op}: axis ${JSON.stringify(axis)} repeats an axis`);
  return x.ndim === 0 ? [] : out;
}

function keptShape(x: Tensor, axes: number[]): number[] {
  return x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function finalShape(x: Tensor, axes: number[], keepdim: boolean): number[] {
  return keepdim ? keptShape(x, axes) : x.shape.filter((_, i) => !axes.includes(i));
}

/** Sum over `axis` (one, several, or all when undefined). */
export function sum(x: Tensor, axis?: number | number[], keepdim = false): Tensor {
  const axes = axesOf('sum', x, axis);
  let data = x.data;
  const shape = [...x.shape];
  // one axis at a time, last first; [outer, n, inner] around each
  for (let k = axes.length - 1; k >= 0; k--) {
    const a = axes[k];
    const outer = sizeOf(shape.slice(0, a));
    const inner = sizeOf(shape.slice(a + 1));
    const out = allocate(isFloat(x.dtype) ? x.dtype : x.dtype === 'bool' ? 'int32' : x.dtype, outer * inner);
    reduceSum(out, data, outer, shape[a], inner);
    data = out;
    shape[a] = 1;
  }
  if (axes.length === 0) data = data.slice();
  const y = new Tensor(data, finalShape(x, axes, keepdim));
  const kept = keptShape(x, axes);
  return record(y, 'sum', [x], (g) => [expand(reshape(g, kept), x.shape)]);
}

export function mean(x: Tensor, axis?: number | number[], keepdim = false): Tensor {
  const axes = axesOf('mean', x, axis);
  const count = axes.reduce((c, a) => c * x.shape[a], 1);
  return mul(sum(x, axes, keepdim), 1 / count);
}

function extreme(op: 'max' | 'min', x: Tensor, axis: number | undefined, keepdim: boolean) {
  if (x.size === 0) throw new Error(`${op}: the input is empty (shape [${x.shape.join(', ')}])`);
  // a 0-d tensor's one axis (0 or −1) is its single value: reduce it as the flat case
  const a = axis === undefined ? 0 : normAxis(op, axis, x.ndim);
  const flat = axis === undefined || x.ndim === 0;
  const src = flat ? reshape(x, [x.size]) : x;
  const outer = sizeOf(src.shape.slice(0, a));
  const inner = sizeOf(src.shape.slice(a + 1));
  const values = allocate(x.dtype, outer * inner);
  const indices = new Int32Array(outer * inner);
  reduceArgExtreme(values, indices, src.data, outer, src.shape[a], inner, op === 'max' ? 1 : -1);
  const shape = flat ? (keepdim ? x.shape.map(() => 1) : []) : finalShape(x, [a], keepdim);
  return { values, indices, shape, src, a, outer, inner };
}

/**
 * Max over one axis (or all). The gradient goes to the position that holds the max (the
 * first, among ties), as torch.max(x, dim) does.
 */
export function max(x: Tensor, axis?: number, keepdim = false): Tensor {
  return extremeOp('max', x, axis, keepdim);
}
export function min(x: Tensor, axis?: number, keepdim = false): Tensor {
  return extremeOp('min', x, axis, keepdim);
}

function extremeOp(op: 'max' | 'min', x: Tensor, axis: number | undefined, keepdim: boolean): Tensor {
  const { values, indices, shape, src, a, outer, inner } = extreme(op, x, axis, keepdim);
  return record(new Tensor(values, shape), op, [x], (g) => {
    const gx = allocate(g.dtype, x.size);
    const n = src.shape[a];
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) gx[(o * n + indices[o * inner + i]) * inner + i] += g.data[o * inner + i];
    }
    return [new Tensor(gx, x.shape)];
  });
}

/** Index of the max along `axis` (of the flattened tensor when undefined), as int32. */
export function argmax(x: Tensor, axis?: number, keepdim = false): Tensor {
  const { indices, shape } = extreme('max', x, axis, keepdim);
  return new Tensor(indices, shape);
}
export function argmin(x: Tensor, axis?: number, keepdim = false): Tensor {
  const { indices, shape } = extreme('min', x, axis, keepdim);
  return new Tensor(indices, shape);
}

/**
 * log Σ exp(x) over `axis`, stable: m + log Σ exp(x − m) with m the (constant) max.
 * Composed from differentiable ops, so its gradient (softmax(x)) comes for free.
 * NOTE: an infinite m (either sign) is replaced by 0, as PyTorch does: x − m would be
 * ∞ − ∞ = NaN. With m = 0 an all −∞ slice gives log 0 = −∞ and a +∞ entry gives +∞.
 */
export function logSumExp(x: Tensor, axis: number | number[], keepdim = false): Tensor {
  const axes = axesOf('logSumExp', x, axis);
  let m: Tensor = x.detach();
  for (const a of axes) m = max(m, a, true);
  m = where(eq(abs(m), Infinity), lift(0, m), m);
  const s = sum(exp(sub(x, m)), axes, keepdim);
  return add(log(s), keepdim ? m : reshape(m, s.shape));
}
