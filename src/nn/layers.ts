import * as F from '../ops/index.js';
import { type Generator, defaultGenerator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import { Module } from './module.js';

export interface InitOptions {
  generator?: Generator;
  dtype?: 'float32' | 'float64';
}

/** A parameter: a leaf tensor requiring grad. */
export function parameter(t: Tensor): Tensor {
  return t.detach().requiresGrad_();
}

/** U(−bound, bound): torch's default for Linear weights and biases is bound = 1/√fan_in (kaiming_uniform, a = √5). */
export function uniform(shape: number[], bound: number, o: InitOptions = {}): Tensor {
  return parameter(
    F.rand(shape, { low: -bound, high: bound, generator: o.generator ?? defaultGenerator, dtype: o.dtype }),
  );
}

/** y = x Wᵀ + b (torch.nn.Linear): `weight` [out, in], `bias` [out]. */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: InitOptions & { bias?: boolean } = {},
  ) {
    super();
    checkSize('Linear', 'inFeatures', inFeatures);
    checkSize('Linear', 'outFeatures', outFeatures);
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = uniform([outFeatures, inFeatures], bound, options);
    this.bias = options.bias === false ? null : uniform([outFeatures], bound, options);
  }
  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
}

/**
 * Lookup table (torch.nn.Embedding): `weight` [num, dim] ~ N(0, 1); the paddingIdx row starts
 * at 0 and gets no gradient. A negative paddingIdx counts from the end and is stored
 * normalised (−1 becomes num − 1), as torch.nn.Embedding does.
 */
export class Embedding extends Module {
  weight: Tensor;
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: InitOptions & { paddingIdx?: number } = {},
  ) {
    super();
    checkSize('Embedding', 'numEmbeddings', numEmbeddings);
    checkSize('Embedding', 'embeddingDim', embeddingDim);
    const w = F.randn([numEmbeddings, embeddingDim], { generator: options.generator, dtype: options.dtype });
    let pad = options.paddingIdx;
    if (pad !== undefined) {
      if (!Number.isInteger(pad) || pad < -numEmbeddings || pad >= numEmbeddings) {
        throw new Error(`Embedding: paddingIdx must be in [${-numEmbeddings}, ${numEmbeddings}), received ${pad}`);
      }
      if (pad < 0) pad += numEmbeddings;
      w.data.fill(0, pad * embeddingDim, (pad + 1) * embeddingDim);
    }
    this.paddingIdx = pad ?? null;
    this.weight = parameter(w);
  }
  readonly paddingIdx: number | null;
  forward(indices: Tensor): Tensor {
    return F.embedding(this.weight, indices, this.paddingIdx);
  }
}

/** torch.nn.LayerNorm over the trailing `normalizedShape`: `weight` = 1, `bias` = 0 at start. */
export class LayerNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  readonly normalizedShape: number[];
  constructor(
    normalizedShape: number | number[],
    readonly eps = 1e-5,
    options: { elementwiseAffine?: boolean; bias?: boolean; dtype?: DType } = {},
  ) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.normalizedShape.forEach((d) => checkSize('LayerNorm', 'normalizedShape', d));
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? parameter(F.ones(this.normalizedShape, { dtype: options.dtype })) : null;
    this.bias =
      affine && options.bias !== false ? parameter(F.zeros(this.normalizedShape, { dtype: options.dtype })) : null;
  }
  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
}

/** torch.nn.Dropout: zeroes with probability p in train mode, identity in eval mode. */
export class Dropout extends Module {
  constructor(
    readonly p = 0.5,
    readonly generator?: Generator,
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be in [0, 1], received ${p}`);
  }
  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training, this.generator);
  }
}

function checkSize(module: string, arg: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${module}: ${arg} must be a positive integer, received ${v}`);
}
