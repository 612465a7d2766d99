import { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import * as F from '../ops/index.js';

/**
 * The smallest model that needs attention: reverse a sequence of digits with one layer of
 * scaled dot-product cross-attention (Vaswani et al. 2017, eq. 1). Output position i asks
 * (query from a learned position embedding) which input position to copy; the keys carry
 * input positions and the values carry the digits. Learning to reverse means learning the
 * anti-diagonal attention map, which is what `npm start` shows.
 *
 * Shapes: B batch, T sequence length, V vocabulary, d model size.
 */
export interface ReverserConfig {
  vocab: number;
  length: number;
  dim: number;
}

export class AttentionReverser {
  readonly config: ReverserConfig;
  readonly params: Record<string, Tensor>;

  constructor(config: ReverserConfig, generator: Generator) {
    this.config = config;
    const { vocab: V, length: T, dim: d } = config;
    const init = (shape: number[], scale: number) =>
      F.mul(F.randn(shape, { generator }), scale).detach().requiresGrad_();
    this.params = {
      token_embedding: init([V, d], 0.5), // E  [V, d]
      key_position: init([T, d], 0.5), // P_k [T, d]
      query_position: init([T, d], 0.5), // P_q [T, d]
      w_q: init([d, d], 1 / Math.sqrt(d)), // W_q [d, d]
      w_k: init([d, d], 1 / Math.sqrt(d)), // W_k [d, d]
      w_v: init([d, d], 1 / Math.sqrt(d)), // W_v [d, d]
      w_out: init([V, d], 1 / Math.sqrt(d)), // W_o [V, d]
    };
  }

  /** tokens int32 [B, T] → logits [B, T, V] and the attention map [B, T, T] (output × input). */
  forward(tokens: Tensor): { logits: Tensor; weights: Tensor } {
    const p = this.params;
    const d = this.config.dim;
    const x = F.embedding(p.token_embedding, tokens); // [B, T, d]
    const q = F.matmul(p.query_position, p.w_q); // [T, d]: the same queries for every example
    const k = F.matmul(F.add(x, p.key_position), p.w_k); // [B, T, d]
    const v = F.matmul(x, p.w_v); // [B, T, d]
    const scores = F.div(F.matmul(q, F.transpose(k, 1, 2)), Math.sqrt(d)); // [B, T, T]
    const weights = F.softmax(scores, -1); // [B, T, T]
    const context = F.matmul(weights, v); // [B, T, d]
    const logits = F.linear(context, p.w_out); // [B, T, V]
    return { logits, weights };
  }
}

/** A batch of random digit sequences and their reversals. */
export function reversalBatch(
  batch: number,
  config: ReverserConfig,
  generator: Generator,
): { src: Tensor; tgt: Tensor } {
  const src = F.randint(0, config.vocab, [batch, config.length], { generator });
  const tgt = F.fromData(
    Int32Array.from({ length: src.size }, (_, i) => {
      const b = Math.floor(i / config.length);
      const t = i % config.length;
      return src.data[b * config.length + config.length - 1 - t];
    }),
    src.shape,
    'int32',
  );
  return { src, tgt };
}
