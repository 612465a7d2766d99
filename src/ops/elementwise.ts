import { kernels } from '../kernels/registry.js';
import {
  type Arith,
  type BinaryFn,
  type UnaryCode,
  select,
  unary,
  unaryMath,
  unaryMathBackward,
} from '../kernels/reference/elementwise.js';
import { record } from '../tensor/autograd.js';
import { type DType, allocate, allocateUninit, isFloat, promote } from '../tensor/dtype.js';
import { type Shape, broadcastShapes, broadcastStrides, fmt, sameShape } from '../tensor/shape.js';
import { Tensor, type TensorLike } from '../tensor/tensor.js';

/**
 * Elementwise ops. Each unary op is its forward f(x) and its local derivative df(x, y)
 * (y = f(x)) side by side; backward is grad · df. Binary ops broadcast NumPy-style, and
 * their backward sums the gradient back to each input's shape (`sumTo`).
 */

/** A number becomes a 0-d tensor of the other operand's dtype (a "weak" scalar, as in PyTorch). */
export function lift(x: TensorLike, like: Tensor): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x !== 'number') throw new Error(`expected a Tensor or a number, received ${typeof x}`);
  const dtype: DType =
    isFloat(like.dtype) || Number.isInteger(x) ? (like.dtype === 'bool' ? 'int32' : like.dtype) : 'float32';
  const arr = allocate(dtype, 1);
  arr[0] = x;
  return new Tensor(arr, []);
}

/** Sum a broadcast gradient back to `shape` (the adjoint of broadcasting). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const out = allocate(
    g.dtype,
    shape.reduce((a, b) => a * b, 1),
  );
  kernels().stridedScatter(out, 0, g.shape, broadcastStrides(shape, g.shape), g.data);
  return new Tensor(out, shape);
}

function binaryForward(op: string, a: Tensor, b: Tensor, f: Arith | BinaryFn, dtype?: DType): Tensor {
  const shape = broadcastShapes(op, a.shape, b.shape);
  const size = shape.reduce((x, y) => x * y, 1);
  const out = allocateUninit(dtype ?? promote(a.dtype, b.dtype), size); // `binary` writes every element
  // NOTE: mixed dtypes are read through the same loops; JS numbers carry either exactly.
  kernels().binary(out, a.data, broadcastStrides(a.shape, shape), b.data, broadcastStrides(b.shape, shape), shape, f);
  return new Tensor(out, shape);
}

export function add(a: Tensor, bIn: TensorLike): Tensor {
  const b = lift(bIn, a);
  const out = binaryForward('add', a, b, 'add');
  return record(out, 'add', [a, b], (g) => [sumTo(g, a.shape), sumTo(g, b.shape)]);
}

export function sub(a: Tensor, bIn: TensorLike): Tensor {
  const b = lift(bIn, a);
  const out = binaryForward('sub', a, b, 'sub');
  return record(out, 'sub', [a, b], (g) => [sumTo(g, a.shape), sumTo(neg(g), b.shape)]);
}

export function mul(a: Tensor, bIn: TensorLike): Tensor {
  const b = lift(bIn, a);
  const out = binaryForward('mul', a, b, 'mul');
  return record(out, 'mul', [a, b], (g) => [
    a.requiresGrad ? sumTo(mul(g, b), a.shape) : null,
    b.requiresGrad ? sumTo(mul(g, a), b.shape) : null,
  ]);
}

export function div(a: Tensor, bIn: TensorLike): Tensor {
  const b = lift(bIn, a);
  const out = binaryForward('div', a, b, 'div', isFloat(promote(a.dtype, b.dtype)) ? undefined : 'float32');
  // d(a/b)/da = 1/b ; d(a/b)/db = −a/b² = −out/b
  return record(out, 'div', [a, b], (g) => [
    a.requiresGrad ? sumTo(div(g, b), a.shape) : null,
    b.requiresGrad ? sumTo(neg(div(mul(g, out), b)), b.shape) : null,
  ]);
}

/** x ** e for a number or tensor exponent. */
export function pow(x: Tensor, eIn: TensorLike): Tensor {
  if (typeof eIn === 'number') {
    const e = eIn;
    // d(x^e)/dx = e·x^(e−1)
    return unaryOp(
      'pow',
      x,
      (v) => v ** e,
      (v) => (e === 0 ? 0 : e * v ** (e - 1)),
    );
  }
  const e = eIn;
  const out = binaryForward('pow', x, e, (a, b) => a ** b);
  return record(out, 'pow', [x, e], (g) => [
    x.requiresGrad
      ? sumTo(
          mul(
            g,
            binaryForward('pow', x, e, (a, b) => (b === 0 ? 0 : b * a ** (b - 1))),
          ),
          x.shape,
        )
      : null,
    // d(x^e)/de = x^e · ln x. PyTorch takes it as 0 only where x = 0 and e ≥ 0 (there
    // x^e is 0 or 1 and the limit of x^e·ln x is 0); for x = 0, e < 0 it is ∞ · (−∞) = −∞.
    // x^e is recomputed here because the kernel sees two operands, not three.
    e.requiresGrad
      ? sumTo(
          mul(
            g,
            binaryForward('pow', x, e, (a, b) => (a === 0 && b >= 0 ? 0 : a ** b * Math.log(a))),
          ),
          e.shape,
        )
      : null,
  ]);
}

/**
 * A unary op from its function and its local derivative df(x, y), y = f(x).
 * Integer inputs are promoted to float32 for the float functions.
 */
function unaryOp(name: string, x: Tensor, f: (x: number) => number, df: (x: number, y: number) => number): Tensor {
  const dtype = isFloat(x.dtype) ? x.dtype : 'float32';
  const out = allocateUninit(dtype, x.size); // unary, and the loop below, write every element
  unary(out, x.data, f);
  const y = new Tensor(out, x.shape);
  return record(y, name, [x], (g) => {
    const d = allocateUninit(g.dtype, g.size);
    const gd = g.data;
    const xd = x.data;
    for (let i = 0; i < d.length; i++) d[i] = gd[i] * df(xd[i], out[i]);
    return [new Tensor(d, x.shape)];
  });
}

/** A unary op with its own forward and backward loops (see `unaryMath`). */
function mathOp(code: UnaryCode, x: Tensor): Tensor {
  const dtype = isFloat(x.dtype) ? x.dtype : 'float32';
  const out = allocateUninit(dtype, x.size); // unaryMath and its backward write every element
  unaryMath(code, out, x.data);
  const y = new Tensor(out, x.shape);
  return record(y, code, [x], (g) => {
    const d = allocateUninit(g.dtype, g.size);
    unaryMathBackward(code, d, g.data, x.data, out);
    return [new Tensor(d, x.shape)];
  });
}

export const neg = (x: Tensor): Tensor =>
  x.dtype === 'int32' ? binaryForward('neg', x, lift(-1, x), 'mul') : mathOp('neg', x);
export const exp = (x: Tensor): Tensor => mathOp('exp', x);
export const log = (x: Tensor): Tensor => mathOp('log', x);
export const sqrt = (x: Tensor): Tensor => mathOp('sqrt', x);
export const abs = (x: Tensor): Tensor => mathOp('abs', x); // d/dx = sign(x), sign(0) = 0 as PyTorch
export const tanh = (x: Tensor): Tensor => mathOp('tanh', x); // d/dx = 1 − y²
export const sigmoid = (x: Tensor): Tensor => mathOp('sigmoid', x); // d/dx = y(1 − y)
// NOTE: relu(NaN) = NaN with gradient 1, and relu(−0) = −0, as PyTorch (see unaryMath)
export const relu = (x: Tensor): Tensor => mathOp('relu', x);

/**
 * Clamp to [min, max] as PyTorch: min(max(x, lo), hi), so when min > max every value
 * becomes max; NaN stays NaN. The gradient passes where min ≤ x ≤ max (none when min > max).
 */
export function clamp(x: Tensor, min: number | null, max: number | null): Tensor {
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  return unaryOp(
    'clamp',
    x,
    (v) => {
      const u = v < lo ? lo : v; // max(x, lo)
      return u > hi ? hi : u; // then min(·, hi): hi wins over lo
    },
    (v) => (v >= lo && v <= hi ? 1 : 0),
  );
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * GELU (Hendrycks & Gimpel 2016). 'none': x·Φ(x), Φ the normal CDF; d/dx = Φ(x) + x·φ(x).
 * 'tanh': 0.5x(1 + tanh(u)), u = √(2/π)(x + 0.044715x³); d/dx = 0.5(1 + t) + 0.5x(1 − t²)·u'.
 */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  if (approximate === 'tanh') {
    return unaryOp(
      'gelu',
      x,
      (v) => 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))),
      (v) => {
        const t = Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v));
        return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v);
      },
    );
  }
  if (approximate !== 'none')
    throw new Error(`gelu: approximate must be 'none' or 'tanh', received ${String(approximate)}`);
  return unaryOp(
    'gelu',
    x,
    (v) => 0.5 * v * (1 + erf(v * SQRT1_2)),
    (v) => 0.5 * (1 + erf(v * SQRT1_2)) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v),
  );
}

/**
 * erf to double precision: erf(x) = (2/√π) e^(−x²) Σ_n 2^n x^(2n+1) / (2n+1)!!
 * (Abramowitz & Stegun 7.1.6): every term is positive, so no cancellation; beyond |x| = 6
 * erf is ±1 in double precision.
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x);
  let term = ax;
  let sum = ax;
  for (let n = 0; term > sum * 1e-17; n++) {
    term *= (2 * ax * ax) / (2 * n + 3);
    sum += term;
  }
  const r = (2 / Math.sqrt(Math.PI)) * Math.exp(-ax * ax) * sum;
  return x < 0 ? -r : r;
}

// ---- comparisons and logic: bool results, no gradient ----
const compare = (op: string, f: BinaryFn) => (a: Tensor, b: TensorLike) => binaryForward(op, a, lift(b, a), f, 'bool');
export const eq = compare('eq', (a, b) => (a === b ? 1 : 0));
export const ne = compare('ne', (a, b) => (a !== b ? 1 : 0));
export const lt = compare('lt', (a, b) => (a < b ? 1 : 0));
export const le = compare('le', (a, b) => (a <= b ? 1 : 0));
export const gt = compare('gt', (a, b) => (a > b ? 1 : 0));
export const ge = compare('ge', (a, b) => (a >= b ? 1 : 0));
export const logicalAnd = compare('logicalAnd', (a, b) => (a && b ? 1 : 0));
export const logicalOr = compare('logicalOr', (a, b) => (a || b ? 1 : 0));
export function logicalNot(x: Tensor): Tensor {
  const out = new Uint8Array(x.size);
  for (let i = 0; i < out.length; i++) out[i] = x.data[i] ? 0 : 1;
  return new Tensor(out, x.shape);
}

function checkBool(op: string, arg: string, t: Tensor): void {
  if (t.dtype !== 'bool') throw new Error(`${op}: ${arg} must be a bool tensor, received dtype ${t.dtype}`);
}

/** cond ? a : b, broadcasting all three. Gradients flow to the chosen side only. */
export function where(cond: Tensor, aIn: TensorLike, bIn: TensorLike): Tensor {
  checkBool('where', 'cond', cond);
  const like = aIn instanceof Tensor ? aIn : bIn instanceof Tensor ? bIn : new Tensor(new Float32Array(1), []);
  const a = lift(aIn, like);
  const b = lift(bIn, like);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, a.shape, ['cond', 'a']), b.shape, [
    'cond/a',
    'b',
  ]);
  const n = shape.reduce((x, y) => x * y, 1);
  const out = allocateUninit(promote(a.dtype, b.dtype), n); // select writes every element
  const strides = (t: Tensor) => broadcastStrides(t.shape, shape);
  select(out, cond.data, strides(cond), a.data, strides(a), b.data, strides(b), shape);
  const y = new Tensor(out, shape);
  return record(y, 'where', [a, b], (g) => [
    a.requiresGrad ? sumTo(where(cond, g, 0), a.shape) : null,
    b.requiresGrad ? sumTo(where(cond, 0, g), b.shape) : null,
  ]);
}

/** x with `value` wherever mask is true (mask broadcasts to x's shape). */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  checkBool('maskedFill', 'mask', mask);
  if (!sameShape(broadcastShapes('maskedFill', x.shape, mask.shape, ['x', 'mask']), x.shape)) {
    throw new Error(`maskedFill: mask of shape ${fmt(mask.shape)} must broadcast to x's shape ${fmt(x.shape)}`);
  }
  return where(mask, value, x);
}
