import { record } from '../tensor/autograd.js';
import { type DType, type TypedArray, DTYPES, allocate, dtypeOf, isFloat } from '../tensor/dtype.js';
import { type Generator, defaultGenerator } from '../tensor/random.js';
import { type Shape, checkShape, fmt, sizeOf } from '../tensor/shape.js';
import { Tensor, type NestedArray } from '../tensor/tensor.js';

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}
export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

function checkDtype(op: string, dtype: DType | undefined): DType {
  const d = dtype ?? 'float32';
  if (!DTYPES.includes(d)) throw new Error(`${op}: dtype must be one of ${DTYPES.join(', ')}, received ${String(d)}`);
  return d;
}

function finish(t: Tensor, options: TensorOptions): Tensor {
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

/** Infer the shape of nested arrays, checking they are not ragged. */
function nestedShape(data: unknown): number[] {
  const shape: number[] = [];
  let cur = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

function flattenNested(data: unknown, shape: number[], dim: number, out: (number | boolean)[]): void {
  if (dim === shape.length) {
    if (typeof data !== 'number' && typeof data !== 'boolean') {
      throw new Error(`tensor: expected a number or boolean at depth ${dim}, received ${JSON.stringify(data)}`);
    }
    out.push(data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[dim]) {
    throw new Error(
      `tensor: ragged nested array: expected ${shape[dim]} entries at depth ${dim} (shape ${fmt(shape)})`,
    );
  }
  for (const x of data) flattenNested(x, shape, dim + 1, out);
}

/**
 * Make a tensor from nested arrays, a flat array or typed array with a shape, or a number.
 * dtype: given, else from a typed array, else bool for booleans, else float32.
 */
export function tensor(
  data: NestedArray | readonly number[] | TypedArray,
  shape?: Shape,
  options: TensorOptions = {},
): Tensor {
  let flat: ArrayLike<number | boolean>;
  let inferred: number[];
  let dtype = options.dtype;
  if (ArrayBuffer.isView(data)) {
    flat = data as TypedArray;
    inferred = [data.length];
    dtype ??= dtypeOf(data as TypedArray);
  } else {
    inferred = nestedShape(data);
    const out: (number | boolean)[] = [];
    flattenNested(data, inferred, 0, out);
    flat = out;
    dtype ??= out.length > 0 && typeof out[0] === 'boolean' ? 'bool' : 'float32';
  }
  dtype = checkDtype('tensor', dtype);
  const finalShape = shape === undefined ? inferred : checkShape('tensor', shape);
  if (sizeOf(finalShape) !== flat.length) {
    throw new Error(
      `tensor: ${flat.length} values do not fill shape ${fmt(finalShape)} (${sizeOf(finalShape)} elements)`,
    );
  }
  const arr = allocate(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) arr[i] = Number(flat[i]);
  return finish(new Tensor(arr, finalShape), options);
}

/** A tensor over existing data, no copy (internal helper; data must match the dtype). */
export function fromData(data: TypedArray | number[], shape: Shape, dtype: DType = 'float32'): Tensor {
  if (ArrayBuffer.isView(data) && dtypeOf(data) === dtype) return new Tensor(data, shape);
  const arr = allocate(dtype, data.length);
  for (let i = 0; i < data.length; i++) arr[i] = data[i];
  return new Tensor(arr, shape);
}

export function full(shape: Shape, value: number, options: TensorOptions = {}): Tensor {
  const s = checkShape('full', shape);
  const arr = allocate(checkDtype('full', options.dtype), sizeOf(s));
  if (value !== 0) arr.fill(value);
  return finish(new Tensor(arr, s), options);
}
export function zeros(shape: Shape, options: TensorOptions = {}): Tensor {
  return full(shape, 0, options);
}
export function ones(shape: Shape, options: TensorOptions = {}): Tensor {
  return full(shape, 1, options);
}
export function zerosLike(t: Tensor): Tensor {
  return full(t.shape, 0, { dtype: t.dtype });
}
export function onesLike(t: Tensor): Tensor {
  return full(t.shape, 1, { dtype: t.dtype });
}

/** [start, end) by step, like torch.arange; arange(n) is 0..n-1. dtype defaults to int32 for integer arguments. */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (step === 0 || !Number.isFinite(step))
    throw new Error(`arange: step must be a non-zero finite number, received ${step}`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const allInt = [start, end, step].every(Number.isInteger);
  const arr = allocate(checkDtype('arange', options.dtype ?? (allInt ? 'int32' : 'float32')), n);
  for (let i = 0; i < n; i++) arr[i] = start + i * step;
  return finish(new Tensor(arr, [n]), options);
}

/** Standard normal samples from the seeded generator (see tensor/random.ts for the algorithm). */
export function randn(shape: Shape, options: RandomOptions = {}): Tensor {
  const s = checkShape('randn', shape);
  const dtype = checkDtype('randn', options.dtype);
  if (!isFloat(dtype)) throw new Error(`randn: dtype must be float32 or float64, received ${dtype}`);
  const g = options.generator ?? defaultGenerator;
  const arr = allocate(dtype, sizeOf(s));
  for (let i = 0; i < arr.length; i++) arr[i] = g.normal();
  return finish(new Tensor(arr, s), options);
}

/** Uniform samples in [low, high) from the seeded generator. */
export function rand(shape: Shape, options: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  const s = checkShape('rand', shape);
  const dtype = checkDtype('rand', options.dtype);
  if (!isFloat(dtype)) throw new Error(`rand: dtype must be float32 or float64, received ${dtype}`);
  const g = options.generator ?? defaultGenerator;
  const lo = options.low ?? 0;
  const span = (options.high ?? 1) - lo;
  const arr = allocate(dtype, sizeOf(s));
  for (let i = 0; i < arr.length; i++) arr[i] = lo + span * g.uniform();
  return finish(new Tensor(arr, s), options);
}

/** Random integers in [low, high). */
export function randint(low: number, high: number, shape: Shape, options: { generator?: Generator } = {}): Tensor {
  if (!(high > low)) throw new Error(`randint: high must exceed low, received low=${low}, high=${high}`);
  const s = checkShape('randint', shape);
  const g = options.generator ?? defaultGenerator;
  const arr = new Int32Array(sizeOf(s));
  for (let i = 0; i < arr.length; i++) arr[i] = low + g.int(high - low);
  return new Tensor(arr, s);
}

/** A copy in another dtype. Differentiable between float types (the gradient is cast back). */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkDtype('cast', dtype);
  if (x.dtype === dtype) return x;
  const arr = allocate(dtype, x.size);
  if (dtype === 'bool') for (let i = 0; i < arr.length; i++) arr[i] = x.data[i] !== 0 ? 1 : 0;
  else if (dtype === 'int32') for (let i = 0; i < arr.length; i++) arr[i] = Math.trunc(x.data[i]);
  else arr.set(x.data);
  const out = new Tensor(arr, x.shape);
  if (!isFloat(dtype) || !isFloat(x.dtype)) return out;
  return record(out, 'cast', [x], (g) => [cast(g, x.dtype)]);
}

/** A copy with its own storage. */
export function clone(x: Tensor): Tensor {
  const out = new Tensor(x.data.slice(), x.shape);
  return record(out, 'clone', [x], (g) => [g]);
}
