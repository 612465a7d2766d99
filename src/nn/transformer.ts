import { reluDropout } from '../ops/fused.js';
import * as F from '../ops/index.js';
import { type Generator, defaultGenerator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { Dropout, LayerNorm, Linear } from './layers.js';
import { Module, ModuleList } from './module.js';
import { MultiheadAttention } from './multihead.js';

/**
 * Transformer layers (Vaswani et al. 2017 §3.1) as torch.nn.TransformerEncoderLayer /
 * DecoderLayer, batch first. Post-norm (the paper, PyTorch's default): x = LN(x + Sublayer(x));
 * pre-norm (normFirst, Xiong et al. 2020): x = x + Sublayer(LN(x)).
 * Shapes: B batch, S source length, T target length, E = dModel.
 */
export interface TransformerLayerOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: 'relu' | 'gelu';
  layerNormEps?: number;
  normFirst?: boolean;
  bias?: boolean;
  generator?: Generator;
  dtype?: 'float32' | 'float64';
}

export interface EncoderForwardOptions {
  /** bool (true = may attend) or float, broadcastable to [B, h, S, S]. */
  mask?: Tensor | null;
  /** [B, S], true = padding. */
  srcKeyPaddingMask?: Tensor | null;
  isCausal?: boolean;
  /** If given, each layer appends its self-attention weights [B, h, S, S]. */
  attentionMaps?: Tensor[];
}

export interface DecoderForwardOptions {
  tgtMask?: Tensor | null;
  memoryMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
  tgtIsCausal?: boolean;
  /** If given, each layer appends { self: [B, h, T, T], cross: [B, h, T, S] }. */
  attentionMaps?: { self: Tensor; cross: Tensor }[];
}

function resolved(o: TransformerLayerOptions) {
  return {
    dimFeedforward: o.dimFeedforward ?? 2048,
    dropout: o.dropout ?? 0.1,
    activation: o.activation ?? 'relu',
    layerNormEps: o.layerNormEps ?? 1e-5,
    normFirst: o.normFirst ?? false,
    bias: o.bias ?? true,
    generator: o.generator ?? defaultGenerator,
    dtype: o.dtype,
  };
}

/** The position-wise feed-forward network: linear2(dropout(act(linear1(x)))). */
function feedForward(
  layer: { linear1: Linear; linear2: Linear; dropout: Dropout; activation: 'relu' | 'gelu' },
  x: Tensor,
): Tensor {
  const a = layer.linear1.forward(x); // [B, L, ff]
  const d = layer.dropout;
  const h =
    layer.activation === 'relu'
      ? reluDropout(a, d.p, d.training, d.generator) // dropout(relu(a)) in one pass
      : d.forward(F.gelu(a));
  return layer.linear2.forward(h); // [B, L, E]
}

export class TransformerEncoderLayer extends Module {
  self_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  readonly activation: 'relu' | 'gelu';
  readonly normFirst: boolean;
  readonly options: TransformerLayerOptions;

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    options: TransformerLayerOptions = {},
  ) {
    super();
    const o = resolved(options);
    const init = { generator: o.generator, dtype: o.dtype, bias: o.bias };
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: o.dropout, ...init });
    this.linear1 = new Linear(dModel, o.dimFeedforward, init);
    this.dropout = new Dropout(o.dropout, o.generator);
    this.linear2 = new Linear(o.dimFeedforward, dModel, init);
    this.norm1 = new LayerNorm(dModel, o.layerNormEps, { bias: o.bias, dtype: o.dtype });
    this.norm2 = new LayerNorm(dModel, o.layerNormEps, { bias: o.bias, dtype: o.dtype });
    this.dropout1 = new Dropout(o.dropout, o.generator);
    this.dropout2 = new Dropout(o.dropout, o.generator);
    this.activation = o.activation;
    this.normFirst = o.normFirst;
    this.options = options;
  }

  /** src [B, S, E] → [B, S, E]. */
  forward(src: Tensor, options: EncoderForwardOptions = {}): Tensor {
    const selfAttention = (x: Tensor) => {
      const r = this.self_attn.forward(x, x, x, {
        attnMask: options.mask,
        keyPaddingMask: options.srcKeyPaddingMask,
        isCausal: options.isCausal,
        needWeights: options.attentionMaps !== undefined,
        averageAttnWeights: false,
      });
      if (options.attentionMaps && r.weights) options.attentionMaps.push(r.weights);
      return this.dropout1.forward(r.output);
    };
    const ff = (x: Tensor) => this.dropout2.forward(feedForward(this, x));
    let x = src;
    if (this.normFirst) {
      x = F.add(x, selfAttention(this.norm1.forward(x))); // x + SA(LN(x))
      x = F.add(x, ff(this.norm2.forward(x))); // x + FF(LN(x))
    } else {
      x = this.norm1.forward(F.add(x, selfAttention(x))); // LN(x + SA(x))
      x = this.norm2.forward(F.add(x, ff(x))); // LN(x + FF(x))
    }
    return x;
  }
}

export class TransformerDecoderLayer extends Module {
  self_attn: MultiheadAttention;
  multihead_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  norm3: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  dropout3: Dropout;
  readonly activation: 'relu' | 'gelu';
  readonly normFirst: boolean;
  readonly options: TransformerLayerOptions;

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    options: TransformerLayerOptions = {},
  ) {
    super();
    const o = resolved(options);
    const init = { generator: o.generator, dtype: o.dtype, bias: o.bias };
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: o.dropout, ...init });
    this.multihead_attn = new MultiheadAttention(dModel, nhead, { dropout: o.dropout, ...init });
    this.linear1 = new Linear(dModel, o.dimFeedforward, init);
    this.dropout = new Dropout(o.dropout, o.generator);
    this.linear2 = new Linear(o.dimFeedforward, dModel, init);
    this.norm1 = new LayerNorm(dModel, o.layerNormEps, { bias: o.bias, dtype: o.dtype });
    this.norm2 = new LayerNorm(dModel, o.layerNormEps, { bias: o.bias, dtype: o.dtype });
    this.norm3 = new LayerNorm(dModel, o.layerNormEps, { bias: o.bias, dtype: o.dtype });
    this.dropout1 = new Dropout(o.dropout, o.generator);
    this.dropout2 = new Dropout(o.dropout, o.generator);
    this.dropout3 = new Dropout(o.dropout, o.generator);
    this.activation = o.activation;
    this.normFirst = o.normFirst;
    this.options = options;
  }

  /** tgt [B, T, E], memory [B, S, E] → [B, T, E]. */
  forward(tgt: Tensor, memory: Tensor, options: DecoderForwardOptions = {}): Tensor {
    const want = options.attentionMaps !== undefined;
    let selfMap: Tensor | null = null;
    const selfAttention = (x: Tensor) => {
      const r = this.self_attn.forward(x, x, x, {
        attnMask: options.tgtMask,
        keyPaddingMask: options.tgtKeyPaddingMask,
        isCausal: options.tgtIsCausal,
        needWeights: want,
        averageAttnWeights: false,
      });
      selfMap = r.weights;
      return this.dropout1.forward(r.output);
    };
    const crossAttention = (x: Tensor) => {
      const r = this.multihead_attn.forward(x, memory, memory, {
        attnMask: options.memoryMask,
        keyPaddingMask: options.memoryKeyPaddingMask,
        needWeights: want,
        averageAttnWeights: false,
      });
      if (options.attentionMaps && r.weights && selfMap)
        options.attentionMaps.push({ self: selfMap, cross: r.weights });
      return this.dropout2.forward(r.output);
    };
    const ff = (x: Tensor) => this.dropout3.forward(feedForward(this, x));
    let x = tgt;
    if (this.normFirst) {
      x = F.add(x, selfAttention(this.norm1.forward(x)));
      x = F.add(x, crossAttention(this.norm2.forward(x)));
      x = F.add(x, ff(this.norm3.forward(x)));
    } else {
      x = this.norm1.forward(F.add(x, selfAttention(x)));
      x = this.norm2.forward(F.add(x, crossAttention(x)));
      x = this.norm3.forward(F.add(x, ff(x)));
    }
    return x;
  }
}

/** A stack of N encoder layers (`layers.0` …) and an optional final `norm`, as torch.nn.TransformerEncoder. */
export class TransformerEncoder extends Module {
  layers: ModuleList<TransformerEncoderLayer>;
  norm: LayerNorm | null;
  constructor(makeLayer: (index: number) => TransformerEncoderLayer, numLayers: number, norm: LayerNorm | null = null) {
    super();
    this.layers = new ModuleList(Array.from({ length: numLayers }, (_, i) => makeLayer(i)));
    this.norm = norm;
  }
  forward(src: Tensor, options: EncoderForwardOptions = {}): Tensor {
    let x = src;
    for (const layer of this.layers) x = layer.forward(x, options);
    return this.norm ? this.norm.forward(x) : x;
  }
}

/** A stack of N decoder layers and an optional final `norm`, as torch.nn.TransformerDecoder. */
export class TransformerDecoder extends Module {
  layers: ModuleList<TransformerDecoderLayer>;
  norm: LayerNorm | null;
  constructor(makeLayer: (index: number) => TransformerDecoderLayer, numLayers: number, norm: LayerNorm | null = null) {
    super();
    this.layers = new ModuleList(Array.from({ length: numLayers }, (_, i) => makeLayer(i)));
    this.norm = norm;
  }
  forward(tgt: Tensor, memory: Tensor, options: DecoderForwardOptions = {}): Tensor {
    let x = tgt;
    for (const layer of this.layers) x = layer.forward(x, memory, options);
    return this.norm ? this.norm.forward(x) : x;
  }
}

export interface TransformerOptions extends TransformerLayerOptions {
  dModel?: number;
  nhead?: number;
  numEncoderLayers?: number;
  numDecoderLayers?: number;
}

/** torch.nn.Transformer: `encoder` (layers + final norm) and `decoder` (layers + final norm). */
export class Transformer extends Module {
  encoder: TransformerEncoder;
  decoder: TransformerDecoder;
  readonly dModel: number;
  readonly nhead: number;
  constructor(options: TransformerOptions = {}) {
    super();
    const E = (this.dModel = options.dModel ?? 512);
    const h = (this.nhead = options.nhead ?? 8);
    const eps = options.layerNormEps ?? 1e-5;
    const ln = () => new LayerNorm(E, eps, { bias: options.bias ?? true, dtype: options.dtype });
    this.encoder = new TransformerEncoder(
      () => new TransformerEncoderLayer(E, h, options),
      options.numEncoderLayers ?? 6,
      ln(),
    );
    this.decoder = new TransformerDecoder(
      () => new TransformerDecoderLayer(E, h, options),
      options.numDecoderLayers ?? 6,
      ln(),
    );
  }
  /** src [B, S, E], tgt [B, T, E] → [B, T, E]. */
  forward(
    src: Tensor,
    tgt: Tensor,
    options: { src?: EncoderForwardOptions; tgt?: DecoderForwardOptions } = {},
  ): Tensor {
    const memory = this.encoder.forward(src, options.src);
    return this.decoder.forward(tgt, memory, { memoryKeyPaddingMask: options.src?.srcKeyPaddingMask, ...options.tgt });
  }
}

/**
 * Sinusoidal positional encoding (Vaswani et al. 2017 §3.5), added to x [B, L, E]:
 *   PE(pos, 2i) = sin(pos / 10000^(2i/E)),  PE(pos, 2i+1) = cos(pos / 10000^(2i/E)).
 * A fixed table, not a parameter (and not in the state dict).
 */
export class SinusoidalPositionalEncoding extends Module {
  private readonly table: Float64Array;
  constructor(
    readonly dModel: number,
    readonly maxLength = 4096,
  ) {
    super();
    this.table = new Float64Array(maxLength * dModel);
    for (let pos = 0; pos < maxLength; pos++) {
      for (let i = 0; i < dModel; i += 2) {
        const angle = pos / 10000 ** (i / dModel);
        this.table[pos * dModel + i] = Math.sin(angle);
        if (i + 1 < dModel) this.table[pos * dModel + i + 1] = Math.cos(angle);
      }
    }
  }
  /** The encodings of positions offset … offset + L − 1: [L, E]. */
  encodings(length: number, offset = 0, dtype: 'float32' | 'float64' = 'float32'): Tensor {
    if (offset + length > this.maxLength) {
      throw new Error(
        `SinusoidalPositionalEncoding: positions up to ${offset + length} exceed maxLength ${this.maxLength}`,
      );
    }
    return F.fromData(
      this.table.slice(offset * this.dModel, (offset + length) * this.dModel),
      [length, this.dModel],
      'float64',
    ).to(dtype);
  }
  forward(x: Tensor, offset = 0): Tensor {
    return F.add(x, this.encodings(x.shape[x.ndim - 2], offset, x.dtype as 'float32' | 'float64'));
  }
}

/** Learned positional embedding: `weight` [maxLength, E] ~ N(0, 1), added to x [B, L, E]. */
export class LearnedPositionalEncoding extends Module {
  weight: Tensor;
  constructor(
    readonly maxLength: number,
    readonly dModel: number,
    options: { generator?: Generator; dtype?: 'float32' | 'float64'; std?: number } = {},
  ) {
    super();
    this.weight = F.mul(F.randn([maxLength, dModel], options), options.std ?? 1)
      .detach()
      .requiresGrad_();
  }
  forward(x: Tensor, offset = 0): Tensor {
    const L = x.shape[x.ndim - 2];
    if (offset + L > this.maxLength)
      throw new Error(`LearnedPositionalEncoding: positions up to ${offset + L} exceed maxLength ${this.maxLength}`);
    return F.add(x, F.slice(this.weight, 0, offset, offset + L));
  }
}
