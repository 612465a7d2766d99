/**
 * A decoder-only language model (GPT-style, Radford et al. 2018) from the same blocks as the
 * encoder-decoder: token embedding + sinusoidal positions, pre-norm Transformer layers with
 * causal self-attention, a final LayerNorm and an output projection. Shapes: B batch,
 * T tokens, E model width, V vocabulary.
 */
import { Embedding, LayerNorm, Linear } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { SinusoidalPositionalEncoding, TransformerEncoder, TransformerEncoderLayer } from '../nn/transformer.js';
import * as F from '../ops/index.js';
import { noGrad } from '../tensor/autograd.js';
import { type Generator, defaultGenerator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';

export interface LanguageModelConfig {
  vocab: number;
  dModel: number;
  nhead: number;
  layers: number;
  dimFeedforward?: number;
  dropout?: number;
  maxLength: number;
  generator?: Generator;
}

export class TransformerLanguageModel extends Module {
  embedding: Embedding;
  positions: SinusoidalPositionalEncoding;
  blocks: TransformerEncoder;
  output: Linear;
  constructor(readonly config: LanguageModelConfig) {
    super();
    const g = { generator: config.generator ?? defaultGenerator };
    const E = config.dModel;
    this.embedding = new Embedding(config.vocab, E, g);
    this.positions = new SinusoidalPositionalEncoding(E, config.maxLength);
    const layer = {
      dimFeedforward: config.dimFeedforward ?? 4 * E,
      dropout: config.dropout ?? 0.1,
      normFirst: true,
      ...g,
    };
    this.blocks = new TransformerEncoder(
      () => new TransformerEncoderLayer(E, config.nhead, layer),
      config.layers,
      new LayerNorm(E),
    );
    this.output = new Linear(E, config.vocab, g);
  }

  /** tokens [B, T] int32 → log-probabilities of the next token at every position [B, T, V]. */
  forward(tokens: Tensor, attentionMaps?: Tensor[]): Tensor {
    const x = this.positions.forward(F.mul(this.embedding.forward(tokens), Math.sqrt(this.config.dModel))); // [B, T, E]
    const h = this.blocks.forward(x, { isCausal: true, attentionMaps }); // position t sees tokens ≤ t: [B, T, E]
    return F.logSoftmax(this.output.forward(h), -1); // [B, T, V]
  }

  /** Mean next-token cross-entropy of tokens [B, T]: predict tokens[:, 1:] from tokens[:, :-1]. */
  loss(tokens: Tensor): Tensor {
    const T = tokens.shape[1];
    const logProbs = this.forward(F.slice(tokens, 1, 0, T - 1)); // [B, T−1, V]
    return F.nllLoss(F.reshape(logProbs, [-1, this.config.vocab]), F.reshape(F.slice(tokens, 1, 1, T), [-1]));
  }

  /** Extend `prompt` (token ids) by `count` tokens, greedily or by sampling at `temperature`. */
  generate(prompt: number[], count: number, options: { temperature?: number; generator?: Generator } = {}): number[] {
    const out = [...prompt];
    const temperature = options.temperature ?? 0;
    const g = options.generator ?? defaultGenerator;
    noGrad(() => {
      for (let i = 0; i < count; i++) {
        const ctx = out.slice(-this.config.maxLength);
        const lp = this.forward(new Tensor(Int32Array.from(ctx), [1, ctx.length])); // [1, t, V]
        const last = lp.data.subarray((ctx.length - 1) * this.config.vocab, ctx.length * this.config.vocab);
        out.push(temperature > 0 ? sample(last, temperature, g) : argmaxOf(last));
      }
    });
    return out;
  }
}

function argmaxOf(xs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

function sample(logProbs: ArrayLike<number>, temperature: number, g: Generator): number {
  const w = Array.from(logProbs, (lp) => Math.exp(lp / temperature));
  let r = g.uniform() * w.reduce((a, b) => a + b, 0);
  for (let i = 0; i < w.length; i++) if ((r -= w[i]) <= 0) return i;
  return w.length - 1;
}
