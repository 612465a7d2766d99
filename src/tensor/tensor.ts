import * as ops from '../ops/index.js';
import { type BackwardOptions, type GradFn, isGradEnabled, runBackward } from './autograd.js';
import { type DType, type TypedArray, dtypeOf, isFloat } from './dtype.js';
import { formatTensor } from './format.js';
import { type Shape, fmt, sizeOf } from './shape.js';

export type Scalar = number | boolean;
export type TensorLike = Tensor | number;
/** Nested arrays as returned by toArray(). */
export type NestedArray = number | boolean | NestedArray[];

/**
 * An n-dimensional array with an optional gradient.
 *
 * Storage is one dense row-major JS typed array (`data`), so memory is reclaimed by the
 * JavaScript garbage collector like any other object: nothing to free by hand. The WebAssembly
 * backends copy into a reused scratch arena for the duration of a kernel only.
 * Ops return new tensors; only reshape-like ops share `data` with their input.
 */
export class Tensor {
  readonly data: TypedArray;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Gradient accumulated by backward() (leaves only, as in PyTorch). */
  grad: Tensor | null = null;
  /** How this tensor was made, for backward; null for leaves. */
  gradFn: GradFn | null = null;
  /** @internal set through `requiresGrad` (leaves) or by autograd (op outputs). */
  _requiresGrad = false;

  constructor(data: TypedArray, shape: Shape) {
    if (data.length !== sizeOf(shape)) {
      throw new Error(`Tensor: data has ${data.length} elements but shape ${fmt(shape)} needs ${sizeOf(shape)}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtypeOf(data);
  }

  get requiresGrad(): boolean {
    return this._requiresGrad;
  }
  set requiresGrad(v: boolean) {
    if (this.gradFn && !v) throw new Error('requiresGrad: only leaf tensors can stop requiring grad; use detach()');
    if (v && !isFloat(this.dtype))
      throw new Error(`requiresGrad: only float tensors can require grad, this is ${this.dtype}`);
    this._requiresGrad = v;
  }

  /** Mark as requiring grad and return this (like PyTorch's requires_grad_()). */
  requiresGrad_(v = true): this {
    this.requiresGrad = v;
    return this;
  }

  get isLeaf(): boolean {
    return this.gradFn === null;
  }
  get ndim(): number {
    return this.shape.length;
  }
  get size(): number {
    return this.data.length;
  }
  numel(): number {
    return this.data.length;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1)
      throw new Error(`item: the tensor must have one element, its shape is ${fmt(this.shape)}`);
    return this.dtype === 'bool' ? Number(this.data[0] !== 0) : this.data[0];
  }

  /** Nested JS arrays (numbers; booleans for bool tensors). A 0-d tensor gives its number. */
  toArray(): NestedArray {
    const { data, shape, dtype } = this;
    const at = (i: number): number | boolean => (dtype === 'bool' ? data[i] !== 0 : data[i]);
    if (shape.length === 0) return at(0);
    const build = (dim: number, offset: number, stride: number): NestedArray[] => {
      const n = shape[dim];
      const inner = stride / n;
      const out: NestedArray[] = new Array(n);
      for (let i = 0; i < n; i++) {
        out[i] = dim === shape.length - 1 ? at(offset + i) : build(dim + 1, offset + i * inner, inner);
      }
      return out;
    };
    return build(0, 0, data.length === 0 ? sizeOf(shape.map((d) => d || 1)) : data.length);
  }

  /**
   * Backpropagate from this tensor. A non-scalar needs `grad` of its shape (as in PyTorch).
   * `releaseActivations` (a training step): see `BackwardOptions`.
   */
  backward(grad?: Tensor | TypedArray | number[], options: BackwardOptions = {}): void {
    if (!this.requiresGrad) {
      throw new Error(
        'backward: this tensor does not require grad (no input had requiresGrad, or it was made in noGrad)',
      );
    }
    let g: Tensor;
    if (grad === undefined) {
      if (this.size !== 1) {
        throw new Error(
          `backward: grad can be implicit only for a one-element output; this has shape ${fmt(this.shape)}`,
        );
      }
      g = ops.onesLike(this);
    } else {
      if (!(grad instanceof Tensor) && grad.length !== this.size) {
        throw new Error(`backward: grad must have the output's shape ${fmt(this.shape)}, received [${grad.length}]`);
      }
      g = grad instanceof Tensor ? grad : ops.fromData(grad, this.shape, this.dtype);
      if (g.size !== this.size || g.shape.length !== this.shape.length || g.shape.some((d, i) => d !== this.shape[i])) {
        throw new Error(`backward: grad must have the output's shape ${fmt(this.shape)}, received ${fmt(g.shape)}`);
      }
      if (g.dtype !== this.dtype) g = ops.cast(g, this.dtype);
    }
    runBackward(this, g, options);
  }

  /** A tensor sharing this one's data, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A copy with its own data (differentiable). */
  clone(): Tensor {
    return ops.clone(this);
  }

  /** Whether this tensor would record ops right now. */
  get recording(): boolean {
    return this.requiresGrad && isGradEnabled();
  }

  toString(): string {
    return formatTensor(this);
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return formatTensor(this);
  }

  // ---- ops as methods: each delegates to the function of the same name in src/ops ----
  add(other: TensorLike): Tensor {
    return ops.add(this, other);
  }
  sub(other: TensorLike): Tensor {
    return ops.sub(this, other);
  }
  mul(other: TensorLike): Tensor {
    return ops.mul(this, other);
  }
  div(other: TensorLike): Tensor {
    return ops.div(this, other);
  }
  neg(): Tensor {
    return ops.neg(this);
  }
  pow(exponent: TensorLike): Tensor {
    return ops.pow(this, exponent);
  }
  exp(): Tensor {
    return ops.exp(this);
  }
  log(): Tensor {
    return ops.log(this);
  }
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  abs(): Tensor {
    return ops.abs(this);
  }
  tanh(): Tensor {
    return ops.tanh(this);
  }
  sigmoid(): Tensor {
    return ops.sigmoid(this);
  }
  relu(): Tensor {
    return ops.relu(this);
  }
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor {
    return ops.gelu(this, approximate);
  }
  clamp(min: number | null, max: number | null): Tensor {
    return ops.clamp(this, min, max);
  }
  eq(other: TensorLike): Tensor {
    return ops.eq(this, other);
  }
  ne(other: TensorLike): Tensor {
    return ops.ne(this, other);
  }
  lt(other: TensorLike): Tensor {
    return ops.lt(this, other);
  }
  le(other: TensorLike): Tensor {
    return ops.le(this, other);
  }
  gt(other: TensorLike): Tensor {
    return ops.gt(this, other);
  }
  ge(other: TensorLike): Tensor {
    return ops.ge(this, other);
  }
  logicalNot(): Tensor {
    return ops.logicalNot(this);
  }
  maskedFill(mask: Tensor, value: number): Tensor {
    return ops.maskedFill(this, mask, value);
  }
  sum(axis?: number | number[], keepdim = false): Tensor {
    return ops.sum(this, axis, keepdim);
  }
  mean(axis?: number | number[], keepdim = false): Tensor {
    return ops.mean(this, axis, keepdim);
  }
  max(axis?: number, keepdim = false): Tensor {
    return ops.max(this, axis, keepdim);
  }
  min(axis?: number, keepdim = false): Tensor {
    return ops.min(this, axis, keepdim);
  }
  argmax(axis?: number, keepdim = false): Tensor {
    return ops.argmax(this, axis, keepdim);
  }
  argmin(axis?: number, keepdim = false): Tensor {
    return ops.argmin(this, axis, keepdim);
  }
  logSumExp(axis: number | number[], keepdim = false): Tensor {
    return ops.logSumExp(this, axis, keepdim);
  }
  softmax(axis = -1): Tensor {
    return ops.softmax(this, axis);
  }
  logSoftmax(axis = -1): Tensor {
    return ops.logSoftmax(this, axis);
  }
  matmul(other: Tensor): Tensor {
    return ops.matmul(this, other);
  }
  reshape(...shape: number[] | [number[]]): Tensor {
    return ops.reshape(this, flatArgs(shape));
  }
  view(...shape: number[] | [number[]]): Tensor {
    return ops.reshape(this, flatArgs(shape));
  }
  flatten(startAxis = 0, endAxis = -1): Tensor {
    return ops.flatten(this, startAxis, endAxis);
  }
  squeeze(axis?: number): Tensor {
    return ops.squeeze(this, axis);
  }
  unsqueeze(axis: number): Tensor {
    return ops.unsqueeze(this, axis);
  }
  transpose(axis0 = -2, axis1 = -1): Tensor {
    return ops.transpose(this, axis0, axis1);
  }
  /** The transpose of a 2-D tensor (torch's `.T` for matrices). */
  get T(): Tensor {
    if (this.ndim !== 2) throw new Error(`T: needs a 2-D tensor, received shape ${fmt(this.shape)}`);
    return ops.transpose(this, 0, 1);
  }
  permute(...axes: number[] | [number[]]): Tensor {
    return ops.permute(this, flatArgs(axes));
  }
  expand(...shape: number[] | [number[]]): Tensor {
    return ops.expand(this, flatArgs(shape));
  }
  slice(axis: number, start: number, end?: number, step = 1): Tensor {
    return ops.slice(this, axis, start, end, step);
  }
  select(axis: number, index: number): Tensor {
    return ops.select(this, axis, index);
  }
  gather(axis: number, index: Tensor): Tensor {
    return ops.gather(this, axis, index);
  }
  indexSelect(axis: number, index: Tensor): Tensor {
    return ops.indexSelect(this, axis, index);
  }
  pad(pads: number[], value = 0): Tensor {
    return ops.pad(this, pads, value);
  }
  /** A copy with another dtype (differentiable between float types). */
  to(dtype: DType): Tensor {
    return ops.cast(this, dtype);
  }
  float(): Tensor {
    return ops.cast(this, 'float32');
  }
  double(): Tensor {
    return ops.cast(this, 'float64');
  }
}

function flatArgs(args: number[] | [number[]]): number[] {
  return Array.isArray(args[0]) ? (args[0] as number[]) : (args as number[]);
}
