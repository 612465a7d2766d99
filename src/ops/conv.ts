import { type Conv2dGeometry, col2im, im2col, maxPool2dForward } from '../kernels/reference/conv.js';
import { kernels } from '../kernels/registry.js';
import { record } from '../tensor/autograd.js';
import { type FloatArray, allocate, isFloat } from '../tensor/dtype.js';
import { fmt } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
}

const pair = (
  op: string,
  name: string,
  v: number | [number, number] | undefined,
  dflt: number,
  min: number,
): [number, number] => {
  const p: [number, number] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : v;
  if (p.length !== 2 || p.some((d) => !Number.isInteger(d) || d < min)) {
    throw new Error(`${op}: ${name} must be an integer ≥ ${min} or a pair of them, received ${JSON.stringify(v)}`);
  }
  return p;
};

function geometry(op: string, x: Tensor, kh: number, kw: number, o: Conv2dOptions, dfltStride: number): Conv2dGeometry {
  if (x.ndim !== 4) throw new Error(`${op}: input must be [N, C, H, W], received ${fmt(x.shape)}`);
  if (!isFloat(x.dtype)) throw new Error(`${op}: input must be float, received ${x.dtype}`);
  const [, C, H, W] = x.shape;
  const stride = pair(op, 'stride', o.stride, dfltStride, 1);
  const padding = pair(op, 'padding', o.padding, 0, 0);
  const dilation = pair(op, 'dilation', o.dilation, 1, 1);
  const Ho = Math.floor((H + 2 * padding[0] - dilation[0] * (kh - 1) - 1) / stride[0]) + 1;
  const Wo = Math.floor((W + 2 * padding[1] - dilation[1] * (kw - 1) - 1) / stride[1]) + 1;
  if (Ho < 1 || Wo < 1) {
    throw new Error(`${op}: a ${kh}×${kw} window does not fit input ${fmt(x.shape)} with padding ${fmt(padding)}`);
  }
  return { C, H, W, kh, kw, stride, padding, dilation, Ho, Wo };
}

/**
 * 2-D convolution (cross-correlation, as torch.nn.functional.conv2d, groups = 1):
 * x [N, C, H, W], weight [O, C, kh, kw], bias [O] → [N, O, Ho, Wo].
 * Lowered to GEMM through im2col; the backward is GEMMs and col2im.
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  if (weight.ndim !== 4) throw new Error(`conv2d: weight must be [O, C, kh, kw], received ${fmt(weight.shape)}`);
  const [O, Cw, kh, kw] = weight.shape;
  const g = geometry('conv2d', x, kh, kw, options, 1);
  if (Cw !== g.C)
    throw new Error(
      `conv2d: weight ${fmt(weight.shape)} expects ${Cw} input channels, input ${fmt(x.shape)} has ${g.C}`,
    );
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== O))
    throw new Error(`conv2d: bias must be [${O}], received ${fmt(bias.shape)}`);
  if (weight.dtype !== x.dtype) throw new Error(`conv2d: weight is ${weight.dtype} but the input is ${x.dtype}`);
  const N = x.shape[0];
  const K = g.C * kh * kw;
  const L = g.Ho * g.Wo;
  const cols = allocate(x.dtype, N * K * L) as FloatArray; // [N, K, L]
  for (let n = 0; n < N; n++) im2col(cols.subarray(n * K * L), x.data as FloatArray, n * g.C * g.H * g.W, g);
  const out = allocate(x.dtype, N * O * L) as FloatArray; // [N, O, L] = W[O, K] · cols[n]
  kernels().gemm(out, weight.data as FloatArray, cols, N, O, L, K, false, false, 0, K * L, false);
  if (bias)
    for (let n = 0; n < N; n++)
      for (let o = 0; o < O; o++) {
        const b = bias.data[o];
        const base = (n * O + o) * L;
        for (let l = 0; l < L; l++) out[base + l] += b;
      }
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(new Tensor(out, [N, O, g.Ho, g.Wo]), 'conv2d', inputs, (grad) => {
    const gd = grad.data as FloatArray; // [N, O, L]
    const grads: (Tensor | null)[] = [null, null];
    if (x.requiresGrad) {
      const dcols = allocate(x.dtype, N * K * L) as FloatArray; // dcols[n] = Wᵀ[K, O] · dOut[n]
      kernels().gemm(dcols, weight.data as FloatArray, gd, N, K, L, O, true, false, 0, O * L, false);
      const dx = allocate(x.dtype, x.size) as FloatArray;
      for (let n = 0; n < N; n++) col2im(dx, n * g.C * g.H * g.W, dcols.subarray(n * K * L), g);
      grads[0] = new Tensor(dx, x.shape);
    }
    if (weight.requiresGrad) {
      const dw = allocate(x.dtype, O * K) as FloatArray; // dW = Σ_n dOut[n][O, L] · cols[n]ᵀ
      for (let n = 0; n < N; n++) {
        kernels().gemm(dw, gd.subarray(n * O * L), cols.subarray(n * K * L), 1, O, K, L, false, true, 0, 0, true);
      }
      grads[1] = new Tensor(dw, weight.shape);
    }
    if (bias) {
      const db = allocate(x.dtype, O);
      for (let n = 0; n < N; n++)
        for (let o = 0; o < O; o++) {
          let s = 0;
          for (let l = 0; l < L; l++) s += gd[(n * O + o) * L + l];
          db[o] += s;
        }
      grads.push(bias.requiresGrad ? new Tensor(db, [O]) : null);
    }
    return grads;
  });
}

/** 2-D max pooling over [N, C, H, W]; stride defaults to the kernel size, as PyTorch. */
export function maxPool2d(x: Tensor, kernelSize: number | [number, number], options: Conv2dOptions = {}): Tensor {
  const [kh, kw] = pair('maxPool2d', 'kernelSize', kernelSize, 1, 1);
  const g = geometry('maxPool2d', x, kh, kw, { stride: [kh, kw], ...options }, kh);
  if (g.padding[0] * 2 > kh || g.padding[1] * 2 > kw) {
    throw new Error(`maxPool2d: padding ${fmt(g.padding)} must be at most half the kernel size ${fmt([kh, kw])}`);
  }
  const [N, C] = x.shape;
  const planes = N * C;
  const out = allocate(x.dtype, planes * g.Ho * g.Wo) as FloatArray;
  const arg = new Int32Array(out.length);
  maxPool2dForward(out, arg, x.data as FloatArray, planes, g);
  return record(new Tensor(out, [N, C, g.Ho, g.Wo]), 'maxPool2d', [x], (grad) => {
    // forward: out[p, o] = x[p, argmax[p, o]]  ⇒  dx[p, argmax[p, o]] += dout[p, o]
    const dx = allocate(x.dtype, x.size);
    const per = g.Ho * g.Wo;
    for (let i = 0; i < out.length; i++) dx[Math.floor(i / per) * g.H * g.W + arg[i]] += grad.data[i];
    return [new Tensor(dx, x.shape)];
  });
}
