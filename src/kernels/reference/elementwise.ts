import type { TypedArray } from '../types.js';

/**
 * Elementwise kernels with broadcasting given as strides (0 on a broadcast axis).
 * The four arithmetic ops get their own loops so V8 can keep them tight; everything else
 * goes through a function argument.
 */
export type BinaryFn = (a: number, b: number) => number;
export type UnaryFn = (a: number) => number;

export function unary(out: TypedArray, x: TypedArray, f: UnaryFn): void {
  for (let i = 0; i < out.length; i++) out[i] = f(x[i]);
}

export type Arith = 'add' | 'sub' | 'mul' | 'div';

function arithSame(code: Arith, out: TypedArray, a: TypedArray, b: TypedArray): void {
  const n = out.length;
  switch (code) {
    case 'add':
      for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
      return;
    case 'sub':
      for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
      return;
    case 'mul':
      for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
      return;
    case 'div':
      for (let i = 0; i < n; i++) out[i] = a[i] / b[i];
      return;
  }
}

/** out = a ∘ b where b repeats every `period` elements of a (the bias-add shape [N, C] ∘ [C]). */
function arithRow(code: Arith, out: TypedArray, a: TypedArray, b: TypedArray, period: number, bFirst: boolean): void {
  const n = out.length;
  for (let o = 0; o < n; o += period) {
    switch (code) {
      case 'add':
        for (let j = 0; j < period; j++) out[o + j] = a[o + j] + b[j];
        break;
      case 'mul':
        for (let j = 0; j < period; j++) out[o + j] = a[o + j] * b[j];
        break;
      case 'sub':
        if (bFirst) for (let j = 0; j < period; j++) out[o + j] = b[j] - a[o + j];
        else for (let j = 0; j < period; j++) out[o + j] = a[o + j] - b[j];
        break;
      case 'div':
        if (bFirst) for (let j = 0; j < period; j++) out[o + j] = b[j] / a[o + j];
        else for (let j = 0; j < period; j++) out[o + j] = a[o + j] / b[j];
        break;
    }
  }
}

const ARITH: Record<Arith, BinaryFn> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
};

/**
 * out[idx] = f(a[idx · aStrides], b[idx · bStrides]) over every index of `shape` (out contiguous).
 * `f` is either one of the arithmetic codes or a function.
 */
export function binary(
  out: TypedArray,
  a: TypedArray,
  aStrides: readonly number[],
  b: TypedArray,
  bStrides: readonly number[],
  shape: readonly number[],
  f: Arith | BinaryFn,
): void {
  const n = out.length;
  if (n === 0) return;
  if (typeof f === 'string') {
    if (a.length === n && b.length === n) return arithSame(f, out, a, b);
    const period = trailingPeriod(b, bStrides, shape);
    if (a.length === n && period > 0) return arithRow(f, out, a, b, period, false);
    const periodA = trailingPeriod(a, aStrides, shape);
    if (b.length === n && periodA > 0) return arithRow(f, out, b, a, periodA, true);
    f = ARITH[f];
  }
  if (a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = f(a[i], b[i]);
    return;
  }
  const rank = shape.length;
  const last = rank - 1;
  const len = shape[last];
  const sa = aStrides[last];
  const sb = bStrides[last];
  const idx = new Array<number>(rank).fill(0);
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < n; o += len) {
    for (let j = 0; j < len; j++) out[o + j] = f(a[ia + j * sa], b[ib + j * sb]);
    for (let d = last - 1; d >= 0; d--) {
      idx[d]++;
      ia += aStrides[d];
      ib += bStrides[d];
      if (idx[d] < shape[d]) break;
      ia -= idx[d] * aStrides[d];
      ib -= idx[d] * bStrides[d];
      idx[d] = 0;
    }
  }
}

/**
 * If `x`, read through `strides` over `shape`, is one contiguous block repeated along the
 * leading axes (strides 0 there, row-major over a trailing suffix), return the block length.
 */
function trailingPeriod(x: TypedArray, strides: readonly number[], shape: readonly number[]): number {
  let period = 1;
  let d = shape.length - 1;
  for (; d >= 0 && strides[d] === period && shape[d] !== 1; d--) period *= shape[d];
  if (period !== x.length) return 0;
  for (; d >= 0; d--) if (strides[d] !== 0 && shape[d] !== 1) return 0;
  return period;
}

/**
 * Reductions over the middle axis of a [outer, n, inner] layout.
 * Sums accumulate in double precision (JS numbers) before the single store.
 */
export function reduceSum(out: TypedArray, x: TypedArray, outer: number, n: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = 0;
      const base = o * n * inner + i;
      for (let j = 0; j < n; j++) acc += x[base + j * inner];
      out[o * inner + i] = acc;
    }
  }
}

/** Max (or min, with sign = -1) and its first index along the axis; NaN propagates as in PyTorch. */
export function reduceArgExtreme(
  out: TypedArray,
  arg: Int32Array,
  x: TypedArray,
  outer: number,
  n: number,
  inner: number,
  sign: 1 | -1,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let best = x[base];
      let bi = 0;
      for (let j = 1; j < n && best === best; j++) {
        const v = x[base + j * inner];
        if (v !== v || sign * (v - best) > 0) {
          best = v;
          bi = j;
        }
      }
      out[o * inner + i] = best;
      arg[o * inner + i] = bi;
    }
  }
}
