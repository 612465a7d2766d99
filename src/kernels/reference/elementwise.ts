import type { Arith, BinaryFn, TypedArray } from '../types.js';

export type { Arith, BinaryFn };

/**
 * Elementwise kernels with broadcasting given as strides (0 on a broadcast axis).
 * The four arithmetic ops get their own loops so V8 can keep them tight; everything else
 * goes through a function argument.
 */
export type UnaryFn = (a: number) => number;

export function unary(out: TypedArray, x: TypedArray, f: UnaryFn): void {
  for (let i = 0; i < out.length; i++) out[i] = f(x[i]);
}

/**
 * The unary ops a training step runs most, each its own loop: a call through `f` per element
 * cannot be inlined once `unary` has seen several functions (its call site goes megamorphic).
 */
export type UnaryCode = 'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'tanh' | 'sigmoid' | 'relu';

/** out = f(x) for one of the codes. */
export function unaryMath(code: UnaryCode, out: TypedArray, x: TypedArray): void {
  const n = out.length;
  switch (code) {
    case 'neg':
      for (let i = 0; i < n; i++) out[i] = -x[i];
      return;
    case 'exp':
      for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]);
      return;
    case 'log':
      for (let i = 0; i < n; i++) out[i] = Math.log(x[i]);
      return;
    case 'sqrt':
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]);
      return;
    case 'abs':
      for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]);
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) out[i] = sigmoid(x[i]);
      return;
    case 'relu':
      if (out instanceof Float32Array && x instanceof Float32Array) return reluF32(int32View(out), int32View(x));
      // NOTE: "v < 0 → 0", so NaN fails the test and propagates, and relu(−0) = −0, as PyTorch
      for (let i = 0; i < n; i++) {
        const v = x[i];
        out[i] = v < 0 ? 0 : v;
      }
      return;
  }
}

/** dx = dy · f'(x), from x and the forward output y = f(x) (whichever the derivative reads). */
export function unaryMathBackward(code: UnaryCode, dx: TypedArray, dy: TypedArray, x: TypedArray, y: TypedArray): void {
  const n = dx.length;
  switch (code) {
    case 'neg':
      for (let i = 0; i < n; i++) dx[i] = -dy[i];
      return;
    case 'exp': // (eˣ)' = eˣ = y
      for (let i = 0; i < n; i++) dx[i] = dy[i] * y[i];
      return;
    case 'log': // 1/x
      for (let i = 0; i < n; i++) dx[i] = dy[i] * (1 / x[i]);
      return;
    case 'sqrt': // 1/(2√x) = 0.5/y
      for (let i = 0; i < n; i++) dx[i] = dy[i] * (0.5 / y[i]);
      return;
    case 'abs': // sign(x), sign(0) = 0 as PyTorch
      for (let i = 0; i < n; i++) dx[i] = dy[i] * Math.sign(x[i]);
      return;
    case 'tanh': // 1 − y²
      for (let i = 0; i < n; i++) {
        const t = y[i];
        dx[i] = dy[i] * (1 - t * t);
      }
      return;
    case 'sigmoid': // y(1 − y)
      for (let i = 0; i < n; i++) {
        const s = y[i];
        dx[i] = dy[i] * (s * (1 - s));
      }
      return;
    case 'relu': // "x ≤ 0 → 0": NaN fails the test and passes its gradient, as PyTorch
      // NOTE: +!(·) turns the test into 0/1 without a branch (see reluF32 on why that matters)
      for (let i = 0; i < n; i++) dx[i] = dy[i] * +!(x[i] <= 0);
      return;
  }
}

/**
 * relu on float32 without a branch per element. On real activations the sign is a coin toss,
 * so `v < 0 ? 0 : v` mispredicts half the time and runs ~4× slower than a multiply.
 * The decision is made on the bits (read through Int32Array views of the same memory), with
 * exactly `v < 0 ? 0 : v`'s results: negatives → +0, −0 stays −0, NaN stays NaN.
 * With b the bits and a = b & 0x7fffffff (the magnitude), v < 0 ⟺ b < 0 ∧ a ≠ 0 ∧ a ≤ 0x7f800000
 * (sign set, not −0, not NaN); each test is a sign bit, spread to a mask by `>> 31`.
 */
export function reluF32(out: Int32Array, x: Int32Array): void {
  for (let i = 0; i < out.length; i++) {
    const b = x[i];
    const a = b & 0x7fffffff;
    const negative = (b >> 31) & (-a >> 31) & ((a - 0x7f800001) >> 31);
    out[i] = b & ~negative;
  }
}

/**
 * out = relu(x) · keep · scale and its backward dx = dy · keep · scale · [x passes relu], in one
 * pass each (dropout after relu, ops/fused.ts): for large activations the passes over memory,
 * not the arithmetic, are the cost. relu's 0/1 decisions as in reluF32 and unaryMathBackward.
 */
export function reluScale(out: TypedArray, x: TypedArray, keep: Uint8Array, scale: number): void {
  if (out instanceof Float32Array && x instanceof Float32Array) {
    const ob = int32View(out);
    const xb = int32View(x);
    for (let i = 0; i < out.length; i++) {
      const b = xb[i];
      const a = b & 0x7fffffff;
      ob[i] = b & ~((b >> 31) & (-a >> 31) & ((a - 0x7f800001) >> 31)); // relu, as reluF32
      out[i] = out[i] * (keep[i] * scale);
    }
    return;
  }
  for (let i = 0; i < out.length; i++) {
    const v = x[i];
    out[i] = (v < 0 ? 0 : v) * (keep[i] * scale);
  }
}

export function reluScaleBackward(
  dx: TypedArray,
  dy: TypedArray,
  x: TypedArray,
  keep: Uint8Array,
  scale: number,
): void {
  for (let i = 0; i < dx.length; i++) dx[i] = dy[i] * (keep[i] * scale) * +!(x[i] <= 0);
}

/**
 * Dropout's product, forward and backward: out = x · keep · scale (keep 0 or 1). A product, not a
 * select: 0 · ∞ = NaN, as PyTorch.
 */
export function maskScale(out: TypedArray, x: TypedArray, keep: Uint8Array, scale: number): void {
  for (let i = 0; i < out.length; i++) out[i] = x[i] * (keep[i] * scale);
}

/** The bits of a float32 array, same memory. */
export function int32View(x: Float32Array): Int32Array {
  return new Int32Array(x.buffer, x.byteOffset, x.length);
}

/** σ(v); two branches keep exp() from overflowing for large |v|. */
export function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

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
    const rows = arithRows(n, a, aStrides, b, bStrides, shape);
    if (rows) return arithRow(f, out, rows.full, rows.row, rows.period, rows.bFirst);
    return arithStrided(f, out, a, aStrides, b, bStrides, shape);
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

/** The general broadcast of an arithmetic op: the odometer below with the op's own inner loops. */
function arithStrided(
  code: Arith,
  out: TypedArray,
  a: TypedArray,
  aStrides: readonly number[],
  b: TypedArray,
  bStrides: readonly number[],
  shape: readonly number[],
): void {
  const n = out.length;
  const rank = shape.length;
  const last = rank - 1;
  const len = shape[last];
  const sa = aStrides[last];
  const sb = bStrides[last];
  const idx = new Array<number>(rank).fill(0);
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < n; o += len) {
    switch (code) {
      case 'add':
        for (let j = 0; j < len; j++) out[o + j] = a[ia + j * sa] + b[ib + j * sb];
        break;
      case 'sub':
        for (let j = 0; j < len; j++) out[o + j] = a[ia + j * sa] - b[ib + j * sb];
        break;
      case 'mul':
        for (let j = 0; j < len; j++) out[o + j] = a[ia + j * sa] * b[ib + j * sb];
        break;
      case 'div':
        for (let j = 0; j < len; j++) out[o + j] = a[ia + j * sa] / b[ib + j * sb];
        break;
    }
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
 * out[idx] = cond[idx · cStrides] ? a[idx · aStrides] : b[idx · bStrides] over every index of
 * `shape` (out contiguous; strides 0 on broadcast axes, so a scalar or a mask row is never copied).
 */
export function select(
  out: TypedArray,
  cond: TypedArray,
  cStrides: readonly number[],
  a: TypedArray,
  aStrides: readonly number[],
  b: TypedArray,
  bStrides: readonly number[],
  shape: readonly number[],
): void {
  const n = out.length;
  if (n === 0) return;
  if (cond.length === n && a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = cond[i] ? a[i] : b[i];
    return;
  }
  const rank = shape.length;
  if (rank === 0) {
    out[0] = cond[0] ? a[0] : b[0];
    return;
  }
  const last = rank - 1;
  const len = shape[last];
  const sc = cStrides[last];
  const sa = aStrides[last];
  const sb = bStrides[last];
  const idx = new Array<number>(rank).fill(0);
  let ic = 0;
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < n; o += len) {
    for (let j = 0; j < len; j++) out[o + j] = cond[ic + j * sc] ? a[ia + j * sa] : b[ib + j * sb];
    for (let d = last - 1; d >= 0; d--) {
      idx[d]++;
      ic += cStrides[d];
      ia += aStrides[d];
      ib += bStrides[d];
      if (idx[d] < shape[d]) break;
      ic -= idx[d] * cStrides[d];
      ia -= idx[d] * aStrides[d];
      ib -= idx[d] * bStrides[d];
      idx[d] = 0;
    }
  }
}

/**
 * The bias-add case of a broadcast: one operand `full` (n elements) and the other a `row` that
 * repeats every `period` elements of it; bFirst when the row is a (out = row ∘ full). Null when
 * the broadcast is another pattern. Backends with their own arithmetic loops use it too.
 */
export function arithRows(
  n: number,
  a: TypedArray,
  aStrides: readonly number[],
  b: TypedArray,
  bStrides: readonly number[],
  shape: readonly number[],
): { full: TypedArray; row: TypedArray; period: number; bFirst: boolean } | null {
  const period = a.length === n ? trailingPeriod(b, bStrides, shape) : 0;
  if (period > 0) return { full: a, row: b, period, bFirst: false };
  const periodA = b.length === n ? trailingPeriod(a, aStrides, shape) : 0;
  if (periodA > 0) return { full: b, row: a, period: periodA, bFirst: true };
  return null;
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
