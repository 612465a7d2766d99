/**
 * A sequence classifier with attention pooling (source article 004): the Keras model
 *   Embedding → (optional encoder: a GRU or Transformer encoder layers) → pooling → Dense → softmax
 * with the pooling being attention (e_t = x_t·w + b_t, α = softmax_t e, Σ α_t x_t), or mean,
 * max or last-state pooling for comparison. Shapes: B batch, T tokens, E embedding, H hidden,
 * C classes. Padding (id 0) is masked from every pooling.
 */
import { unpaddedLengths } from '../attention/masks.js';
import { AttentionPooling } from '../nn/attention-layers.js';
import { Dropout, Embedding, Linear } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { GRU } from '../nn/rnn.js';
import { SinusoidalPositionalEncoding, TransformerEncoder, TransformerEncoderLayer } from '../nn/transformer.js';
import * as F from '../ops/index.js';
import { type Generator, defaultGenerator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

export type Pooling = 'attention' | 'mean' | 'max' | 'last';
export const POOLINGS: readonly Pooling[] = ['attention', 'mean', 'max', 'last'];

export interface ClassifierConfig {
  vocab: number;
  classes: number;
  embed: number;
  /** 'none': pool the embeddings directly, as the article's Keras model does. */
  encoder: 'none' | 'gru' | 'transformer';
  hidden?: number;
  heads?: number;
  layers?: number;
  maxLength: number;
  pooling: Pooling;
  dropout?: number;
  generator?: Generator;
}

export class AttentionClassifier extends Module {
  embedding: Embedding;
  positions: SinusoidalPositionalEncoding | null;
  encoder: GRU | TransformerEncoder | null;
  pool: AttentionPooling | null;
  dropout: Dropout;
  classifier: Linear;
  readonly width: number;
  constructor(readonly config: ClassifierConfig) {
    super();
    const g = { generator: config.generator ?? defaultGenerator };
    const E = config.embed;
    this.embedding = new Embedding(config.vocab, E, { ...g, paddingIdx: 0 });
    this.positions = null;
    this.encoder = null;
    this.width = E;
    if (config.encoder === 'gru') {
      const H = config.hidden ?? E;
      this.encoder = new GRU(E, H, { bidirectional: true, ...g });
      this.width = 2 * H;
    } else if (config.encoder === 'transformer') {
      this.positions = new SinusoidalPositionalEncoding(E, config.maxLength);
      const layer = { dimFeedforward: 4 * E, dropout: config.dropout ?? 0.1, normFirst: true, ...g };
      this.encoder = new TransformerEncoder(
        () => new TransformerEncoderLayer(E, config.heads ?? 4, layer),
        config.layers ?? 1,
      );
    }
    this.pool = config.pooling === 'attention' ? new AttentionPooling(this.width, config.maxLength, g) : null;
    this.dropout = new Dropout(config.dropout ?? 0.1, g.generator);
    this.classifier = new Linear(this.width, config.classes, g);
  }

  /**
   * tokens [B, T] int32 (0 = padding) → logits [B, C] and, for attention pooling, the weights
   * α [B, T] over the tokens (what the article's figures show).
   */
  forward(tokens: Tensor): { logits: Tensor; weights: Tensor | null } {
    const pad = F.eq(tokens, 0); // [B, T], true = padding
    let x = this.dropout.forward(this.embedding.forward(tokens)); // [B, T, E]
    if (this.encoder instanceof GRU) {
      x = this.encoder.forward(x, null, { lengths: unpaddedLengths(pad) }).output; // [B, T, 2H]
    } else if (this.encoder) {
      x = this.encoder.forward(this.positions!.forward(x), { srcKeyPaddingMask: pad }); // [B, T, E]
    }
    const { pooled, weights } = this.poolTokens(x, pad);
    return { logits: this.classifier.forward(this.dropout.forward(pooled)), weights }; // [B, C]
  }

  private poolTokens(x: Tensor, pad: Tensor): { pooled: Tensor; weights: Tensor | null } {
    const keep = F.unsqueeze(F.logicalNot(pad), -1); // [B, T, 1]
    switch (this.config.pooling) {
      case 'attention': {
        const r = this.pool!.forward(x, pad);
        return { pooled: r.output, weights: r.weights }; // [B, W], [B, T]
      }
      case 'mean': {
        const count = F.clamp(F.sum(F.cast(keep, x.dtype), 1), 1, null); // [B, 1]
        return { pooled: F.div(F.sum(F.where(keep, x, 0), 1), count), weights: null }; // [B, W]
      }
      case 'max':
        return { pooled: F.max(F.where(keep, x, -1e9), 1), weights: null }; // [B, W]
      case 'last': {
        // the last real token's state (for a bidirectional GRU, the forward half has read everything)
        const [B, T, W] = x.shape;
        const index = new Int32Array(B * W);
        for (let b = 0; b < B; b++) {
          let last = 0;
          for (let t = 0; t < T; t++) if (!pad.data[b * T + t]) last = t;
          index.fill(last, b * W, (b + 1) * W);
        }
        const idx = F.fromData(index, [B, 1, W], 'int32');
        return { pooled: F.squeeze(F.gather(x, 1, idx), 1), weights: null }; // [B, W]
      }
    }
  }
}
