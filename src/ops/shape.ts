import { kernels } from '../kernels/registry.js';
import { record } from '../tensor/autograd.js';
import { type TypedArray, allocate, allocateUninit } from '../tensor/dtype.js';
import {
  type Shape,
  broadcastShapes,
  broadcastStrides,
  checkShape,
  fmt,
  normAxis,
  sizeOf,
  stridesOf,
} from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { sumTo } from './elementwise.js';

/**
 * Shape ops. Tensors are always dense, so permute/slice/expand copy through one strided
 * kernel, and each backward is the adjoint scatter of the same strides.
 */

/** A view on the same data with another shape; one size may be -1 (inferred). */
export function reshape(x: Tensor, shapeIn: Shape): Tensor {
  const shape = [...shapeIn];
  const free = shape.indexOf(-1);
  if (free >= 0) {
    const known = shape.reduce((a, d, i) => (i === free ? a : a * d), 1);
    if (known === 0 || x.size % known !== 0) {
      throw new Error(
        `reshape: cannot infer -1 in ${fmt(shapeIn)} for a tensor of shape ${fmt(x.shape)} (${x.size} elements)`,
      );
    }
    shape[free] = x.size / known;
  }
  checkShape('reshape', shape);
  if (sizeOf(shape) !== x.size) {
    throw new Error(
      `reshape: shape ${fmt(shapeIn)} has ${sizeOf(shape)} elements, the input of shape ${fmt(x.shape)} has ${x.size}`,
    );
  }
  return record(new Tensor(x.data, shape), 'reshape', [x], (g) => [reshape(g, x.shape)]);
}

export function flatten(x: Tensor, startAxis = 0, endAxis = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normAxis('flatten', startAxis, x.ndim, 'startAxis');
  const e = normAxis('flatten', endAxis, x.ndim, 'endAxis');
  if (e < s) throw new Error(`flatten: endAxis (${endAxis}) must not come before startAxis (${startAxis})`);
  const shape = [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normAxis('unsqueeze', axis, x.ndim + 1);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

/** Drop one size-1 axis, or every size-1 axis when `axis` is undefined. */
export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined)
    return reshape(
      x,
      x.shape.filter((d) => d !== 1),
    );
  const a = normAxis('squeeze', axis, x.ndim);
  if (x.shape[a] !== 1) return x;
  return reshape(x, [...x.shape.slice(0, a), ...x.shape.slice(a + 1)]);
}

/** Reorder axes: out.shape[i] = x.shape[axes[i]]. */
export function permute(x: Tensor, axes: readonly number[]): Tensor {
  if (axes.length !== x.ndim) {
    throw new Error(`permute: axes ${fmt(axes)} must list each of the ${x.ndim} axes of shape ${fmt(x.shape)} once`);
  }
  const perm = axes.map((a) => normAxis('permute', a, x.ndim, 'axes'));
  if (new Set(perm).size !== perm.length) throw new Error(`permute: axes ${fmt(axes)} repeat an axis`);
  if (perm.every((p, i) => p === i)) return x;
  const xs = stridesOf(x.shape);
  const shape = perm.map((p) => x.shape[p]);
  const out = allocateUninit(x.dtype, x.size); // the copy writes every element
  kernels().stridedCopy(
    out,
    x.data,
    0,
    shape,
    perm.map((p) => xs[p]),
  );
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return record(new Tensor(out, shape), 'permute', [x], (g) => [permute(g, inverse)]);
}

export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  const a = normAxis('transpose', axis0, x.ndim, 'axis0');
  const b = normAxis('transpose', axis1, x.ndim, 'axis1');
  const perm = [...x.shape.keys()];
  [perm[a], perm[b]] = [perm[b], perm[a]];
  return permute(x, perm);
}

/** Broadcast to `shape` (a copy); -1 keeps a size. Backward sums over the broadcast axes. */
export function expand(x: Tensor, shapeIn: Shape): Tensor {
  const off = shapeIn.length - x.ndim;
  if (off < 0) throw new Error(`expand: target shape ${fmt(shapeIn)} has fewer axes than the input ${fmt(x.shape)}`);
  const shape = shapeIn.map((d, i) => (d === -1 && i >= off ? x.shape[i - off] : d));
  const b = broadcastShapes('expand', x.shape, shape, ['input', 'shape']);
  if (b.some((d, i) => d !== shape[i]))
    throw new Error(`expand: cannot expand shape ${fmt(x.shape)} to ${fmt(shapeIn)}`);
  if (b.length === x.ndim && b.every((d, i) => d === x.shape[i])) return x;
  const out = allocate(x.dtype, sizeOf(shape));
  kernels().stridedCopy(out, x.data, 0, shape, broadcastStrides(x.shape, shape));
  return record(new Tensor(out, shape), 'expand', [x], (g) => [sumTo(g, x.shape)]);
}

/** Elements start, start+step, … < end along `axis` (Python slice rules; negatives count from the end). */
export function slice(x: Tensor, axis: number, start: number, end?: number, step = 1): Tensor {
  const a = normAxis('slice', axis, x.ndim);
  const n = x.shape[a];
  if (!Number.isInteger(step) || step < 1) throw new Error(`slice: step must be a positive integer, received ${step}`);
  const clampIdx = (i: number) => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
  const s = clampIdx(start);
  const e = clampIdx(end ?? n);
  const len = Math.max(0, Math.ceil((e - s) / step));
  const xs = stridesOf(x.shape);
  const shape = [...x.shape];
  shape[a] = len;
  const strides = [...xs];
  strides[a] *= step;
  const offset = s * xs[a];
  const out = allocateUninit(x.dtype, sizeOf(shape)); // the copy writes every element
  kernels().stridedCopy(out, x.data, offset, shape, strides);
  const backward = (g: Tensor, sums: (TypedArray | null)[] = [null]) => {
    const sum = sums[0];
    if (sum)
      kernels().stridedScatter(sum, offset, shape, strides, g.data); // into the running sum
    else {
      const gx = allocate(g.dtype, x.size);
      kernels().stridedScatter(gx, offset, shape, strides, g.data);
      return [new Tensor(gx, x.shape)];
    }
    return [null];
  };
  return record(new Tensor(out, shape), 'slice', [x], backward, backward);
}

/** The sub-tensor at `index` along `axis`, that axis removed. */
export function select(x: Tensor, axis: number, index: number): Tensor {
  const a = normAxis('select', axis, x.ndim);
  const n = x.shape[a];
  if (!Number.isInteger(index) || index < -n || index >= n) {
    throw new Error(`select: index ${index} is out of range for axis ${axis} of size ${n} (shape ${fmt(x.shape)})`);
  }
  const i = index < 0 ? index + n : index;
  return squeeze(slice(x, a, i, i + 1), a);
}

/** Join tensors along an existing axis. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new Error('concat: needs at least one tensor');
  const first = tensors[0];
  const a = normAxis('concat', axis, first.ndim);
  tensors.forEach((t, k) => {
    if (t.ndim !== first.ndim || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new Error(
        `concat: tensors[${k}] has shape ${fmt(t.shape)}, which does not match tensors[0]'s ${fmt(first.shape)} off axis ${a}`,
      );
    }
    if (t.dtype !== first.dtype) throw new Error(`concat: tensors[${k}] is ${t.dtype}, tensors[0] is ${first.dtype}`);
  });
  const shape = [...first.shape];
  shape[a] = tensors.reduce((s, t) => s + t.shape[a], 0);
  const out = allocate(first.dtype, sizeOf(shape));
  const os = stridesOf(shape);
  let offset = 0;
  for (const t of tensors) {
    kernels().stridedScatter(out, offset * os[a], t.shape, os, t.data, false);
    offset += t.shape[a];
  }
  return record(new Tensor(out, shape), 'concat', [...tensors], (g) => {
    let start = 0;
    return tensors.map((t) => {
      const gi = slice(g, a, start, start + t.shape[a]);
      start += t.shape[a];
      return gi;
    });
  });
}

/** Join tensors of one shape along a new axis. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new Error('stack: needs at least one tensor');
  const a = normAxis('stack', axis, tensors[0].ndim + 1);
  return concat(
    tensors.map((t) => unsqueeze(t, a)),
    a,
  );
}

/** Split into pieces of the given sizes (or equal chunks of size `sizes`) along `axis`. */
export function split(x: Tensor, sizes: number | number[], axis = 0): Tensor[] {
  const a = normAxis('split', axis, x.ndim);
  const n = x.shape[a];
  const list =
    typeof sizes === 'number'
      ? Array.from({ length: Math.ceil(n / sizes) }, (_, i) => Math.min(sizes, n - i * sizes))
      : sizes;
  if (list.reduce((s, d) => s + d, 0) !== n) {
    throw new Error(`split: sizes ${fmt(list)} must add up to ${n}, the size of axis ${axis} of ${fmt(x.shape)}`);
  }
  let start = 0;
  return list.map((d) => {
    const t = slice(x, a, start, start + d);
    start += d;
    return t;
  });
}

/**
 * Constant padding, torch.nn.functional.pad's convention: `pads` holds (before, after)
 * pairs starting from the LAST axis: [lastBefore, lastAfter, secondLastBefore, …].
 */
export function pad(x: Tensor, pads: readonly number[], value = 0): Tensor {
  if (pads.length % 2 !== 0 || pads.length / 2 > x.ndim || pads.some((p) => !Number.isInteger(p) || p < 0)) {
    throw new Error(
      `pad: pads must be pairs of non-negative integers for at most ${x.ndim} axes, received ${fmt(pads)}`,
    );
  }
  const before = new Array<number>(x.ndim).fill(0);
  const shape = [...x.shape];
  for (let k = 0; k < pads.length / 2; k++) {
    const axis = x.ndim - 1 - k;
    before[axis] = pads[2 * k];
    shape[axis] += pads[2 * k] + pads[2 * k + 1];
  }
  const out = allocate(x.dtype, sizeOf(shape));
  if (value !== 0) out.fill(value);
  const os = stridesOf(shape);
  const offset = before.reduce((s, b, i) => s + b * os[i], 0);
  kernels().stridedScatter(out, offset, x.shape, os, x.data, false);
  return record(new Tensor(out, shape), 'pad', [x], (g) => {
    const gx = allocate(g.dtype, x.size);
    kernels().stridedCopy(gx, g.data, offset, x.shape, os);
    return [new Tensor(gx, x.shape)];
  });
}
