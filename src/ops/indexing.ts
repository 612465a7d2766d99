import { record } from '../tensor/autograd.js';
import { type TypedArray, allocate } from '../tensor/dtype.js';
import { fmt, normAxis, sizeOf, stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { reshape } from './shape.js';

/** Index tensors are int32; every index is range-checked with the op and axis named. */
function checkIndex(op: string, index: Tensor, size: number, axis: number, arg = 'index'): void {
  if (index.dtype !== 'int32') throw new Error(`${op}: ${arg} must be an int32 tensor, received ${index.dtype}`);
  for (let i = 0; i < index.size; i++) {
    const v = index.data[i];
    if (v < 0 || v >= size) throw new Error(`${op}: ${arg} holds ${v}, out of range for axis ${axis} of size ${size}`);
  }
}

/**
 * Visit every position of `shape` (index.shape for gather/scatter), giving its flat index
 * and the offset into a tensor with strides `xs` where axis `a` is replaced by index[i].
 */
function forEachIndexed(
  shape: readonly number[],
  xs: readonly number[],
  a: number,
  index: Tensor,
  visit: (i: number, xOffset: number) => void,
): void {
  const rank = shape.length;
  const coord = new Array<number>(rank).fill(0);
  for (let i = 0; i < index.size; i++) {
    let off = 0;
    for (let d = 0; d < rank; d++) off += (d === a ? index.data[i] : coord[d]) * xs[d];
    visit(i, off);
    for (let d = rank - 1; d >= 0; d--) {
      if (++coord[d] < shape[d]) break;
      coord[d] = 0;
    }
  }
}

function checkGatherShapes(op: string, x: Tensor, index: Tensor, a: number): void {
  if (index.ndim !== x.ndim || index.shape.some((d, i) => i !== a && d > x.shape[i])) {
    throw new Error(
      `${op}: index of shape ${fmt(index.shape)} must have the rank of input ${fmt(x.shape)} and no larger size off axis ${a}`,
    );
  }
}

/** torch.gather: out[i][j][k] = x[i][index[i][j][k]][k] for axis 1 (and likewise for any axis). */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  const a = normAxis('gather', axis, x.ndim);
  checkGatherShapes('gather', x, index, a);
  checkIndex('gather', index, x.shape[a], a);
  const out = allocate(x.dtype, index.size);
  const xs = stridesOf(x.shape);
  forEachIndexed(index.shape, xs, a, index, (i, off) => (out[i] = x.data[off]));
  return record(new Tensor(out, index.shape), 'gather', [x], (g) => [scatterAdd(zerosOf(x), a, index, g)]);
}

/** torch.scatter_add: out = x; out[i][index[i][j][k]][k] += src[i][j][k] for axis 1. */
export function scatterAdd(x: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  const a = normAxis('scatterAdd', axis, x.ndim);
  checkGatherShapes('scatterAdd', x, index, a);
  if (src.ndim !== index.ndim || src.shape.some((d, i) => d < index.shape[i])) {
    throw new Error(`scatterAdd: src of shape ${fmt(src.shape)} must cover index of shape ${fmt(index.shape)}`);
  }
  checkIndex('scatterAdd', index, x.shape[a], a);
  const out = x.data.slice();
  const xs = stridesOf(x.shape);
  const ss = stridesOf(src.shape);
  const is = stridesOf(index.shape);
  forEachIndexed(index.shape, xs, a, index, (i, off) => {
    // src may be larger than index: find the same coordinates in src
    let si = 0;
    let r = i;
    for (let d = 0; d < is.length; d++) {
      const c = Math.floor(r / is[d]);
      r -= c * is[d];
      si += c * ss[d];
    }
    out[off] += src.data[si];
  });
  return record(new Tensor(out, x.shape), 'scatterAdd', [x, src], (g) => [g, gatherPrefix(g, a, index, src.shape)]);
}

/** The gradient for scatterAdd's src: gathered from g where index reaches, zero beyond. */
function gatherPrefix(g: Tensor, a: number, index: Tensor, srcShape: readonly number[]): Tensor {
  const picked = gather(g, a, index);
  if (picked.shape.every((d, i) => d === srcShape[i])) return picked;
  const out = allocate(g.dtype, sizeOf(srcShape));
  const ss = stridesOf(srcShape);
  const is = stridesOf(index.shape);
  for (let i = 0; i < picked.size; i++) {
    let si = 0;
    let r = i;
    for (let d = 0; d < is.length; d++) {
      const c = Math.floor(r / is[d]);
      r -= c * is[d];
      si += c * ss[d];
    }
    out[si] = picked.data[i];
  }
  return new Tensor(out, srcShape);
}

function zerosOf(x: Tensor): Tensor {
  return new Tensor(allocate(x.dtype, x.size), x.shape);
}

/** Entries at the given positions (a 1-D int32 index) along `axis`. Backward adds into those positions. */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  return indexSelectOp('indexSelect', x, axis, index, undefined);
}

/**
 * Embedding lookup: rows of `weight` [V, D] at `indices` (int32, any shape) → [..., D].
 * The row at `paddingIdx`, if given, receives no gradient (as torch.nn.Embedding); a
 * negative paddingIdx counts from the end (−1 is the last row), as F.embedding normalises it.
 */
export function embedding(weight: Tensor, indices: Tensor, paddingIdx?: number | null): Tensor {
  if (weight.ndim !== 2) throw new Error(`embedding: weight must be 2-D [num, dim], received ${fmt(weight.shape)}`);
  const num = weight.shape[0];
  let skip: number | undefined;
  if (paddingIdx !== undefined && paddingIdx !== null) {
    if (!Number.isInteger(paddingIdx) || paddingIdx < -num || paddingIdx >= num) {
      throw new Error(`embedding: paddingIdx must be an integer in [${-num}, ${num - 1}], received ${paddingIdx}`);
    }
    skip = paddingIdx < 0 ? paddingIdx + num : paddingIdx;
  }
  const rows = indexSelectOp('embedding', weight, 0, reshape(indices, [indices.size]), skip);
  return reshape(rows, [...indices.shape, weight.shape[1]]);
}

function indexSelectOp(op: string, x: Tensor, axis: number, index: Tensor, skipRow: number | undefined): Tensor {
  const a = normAxis(op, axis, x.ndim);
  if (index.ndim !== 1) throw new Error(`${op}: index must be 1-D, received shape ${fmt(index.shape)}`);
  checkIndex(op, index, x.shape[a], a);
  const outer = sizeOf(x.shape.slice(0, a));
  const n = x.shape[a];
  const inner = sizeOf(x.shape.slice(a + 1));
  const k = index.size;
  const out = allocate(x.dtype, outer * k * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < k; j++) {
      const src = (o * n + index.data[j]) * inner;
      out.set(x.data.subarray(src, src + inner), (o * k + j) * inner);
    }
  }
  const shape = [...x.shape];
  shape[a] = k;
  // forward: out[o, j, :] = x[o, index[j], :]  ⇒  gx[o, index[j], :] += g[o, j, :]
  const scatter = (g: Tensor, gx: TypedArray) => {
    const gd = g.data;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < k; j++) {
        if (index.data[j] === skipRow) continue;
        const dst = (o * n + index.data[j]) * inner;
        const src = (o * k + j) * inner;
        for (let i = 0; i < inner; i++) gx[dst + i] += gd[src + i];
      }
    }
  };
  const backward = (g: Tensor, sums: (TypedArray | null)[] = [null]) => {
    const sum = sums[0];
    if (sum)
      scatter(g, sum); // into the running sum
    else {
      const gx = allocate(g.dtype, x.size);
      scatter(g, gx);
      return [new Tensor(gx, x.shape)];
    }
    return [null];
  };
  return record(new Tensor(out, shape), op, [x], backward, backward);
}

/**
 * Windows of rows: out[..., i, c, :] = x[..., start[..., i] + c, :] for c in [0, width),
 * zero where start + c falls outside [0, m). x is [..., m, d], start int32 [..., n] with the
 * same leading axes → [..., n, width, d]. This is what makes local and sliding-window
 * attention cost n·width instead of n·m. Backward adds each window back into its rows.
 */
export function windows(x: Tensor, start: Tensor, width: number): Tensor {
  if (x.ndim < 2) throw new Error(`windows: x must be [..., m, d], received ${fmt(x.shape)}`);
  const lead = x.shape.slice(0, -2);
  if (start.dtype !== 'int32' || start.ndim !== lead.length + 1 || lead.some((s, i) => s !== start.shape[i])) {
    throw new Error(
      `windows: start must be int32 [${[...lead, 'n'].join(', ')}] for x ${fmt(x.shape)}, received ${start.dtype} ${fmt(start.shape)}`,
    );
  }
  if (!Number.isInteger(width) || width < 1)
    throw new Error(`windows: width must be a positive integer, received ${width}`);
  const m = x.shape[x.ndim - 2];
  const d = x.shape[x.ndim - 1];
  const n = start.shape[start.ndim - 1];
  const batches = sizeOf(lead);
  const out = allocate(x.dtype, batches * n * width * d);
  // visit(srcRow, dstRow) for every in-range window row
  const each = (visit: (src: number, dst: number) => void) => {
    for (let b = 0; b < batches; b++) {
      for (let i = 0; i < n; i++) {
        const s0 = start.data[b * n + i];
        for (let c = 0; c < width; c++) {
          const j = s0 + c;
          if (j >= 0 && j < m) visit((b * m + j) * d, ((b * n + i) * width + c) * d);
        }
      }
    }
  };
  each((src, dst) => out.set(x.data.subarray(src, src + d), dst));
  return record(new Tensor(out, [...lead, n, width, d]), 'windows', [x], (g) => {
    const gx = allocate(g.dtype, x.size);
    each((src, dst) => {
      for (let k = 0; k < d; k++) gx[src + k] += g.data[dst + k];
    });
    return [new Tensor(gx, x.shape)];
  });
}
