import { type Conv2dOptions, conv2d } from '../ops/conv.js';
import { fmt } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { type InitOptions, uniform } from './layers.js';
import { Module } from './module.js';

/**
 * 2-D convolution (torch.nn.Conv2d, groups = 1): `weight` [out, in, kh, kw], `bias` [out].
 * Both start U(−1/√fan_in, 1/√fan_in) with fan_in = in·kh·kw, as PyTorch's default
 * (kaiming_uniform with a = √5 works out to that bound).
 */
export class Conv2d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly kernelSize: [number, number];
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | [number, number],
    readonly options: Conv2dOptions & InitOptions & { bias?: boolean } = {},
  ) {
    super();
    this.kernelSize = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    for (const [arg, v] of [
      ['inChannels', inChannels],
      ['outChannels', outChannels],
      ['kernelSize', this.kernelSize[0]],
      ['kernelSize', this.kernelSize[1]],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`Conv2d: ${arg} must be a positive integer, received ${v}`);
    }
    const bound = 1 / Math.sqrt(inChannels * this.kernelSize[0] * this.kernelSize[1]);
    this.weight = uniform([outChannels, inChannels, ...this.kernelSize], bound, options);
    this.bias = options.bias === false ? null : uniform([outChannels], bound, options);
  }
  /** x [N, in, H, W] → [N, out, Ho, Wo]. */
  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.inChannels)
      throw new Error(`Conv2d: input must be [N, ${this.inChannels}, H, W], received ${fmt(x.shape)}`);
    const { stride, padding, dilation } = this.options;
    return conv2d(x, this.weight, this.bias, { stride, padding, dilation });
  }
}
