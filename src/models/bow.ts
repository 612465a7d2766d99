/**
 * Bag-of-words logistic regression, the baseline of the spam comparison (issue #8):
 *   logits = b + Σ_{w ∈ distinct tokens of the message} W_w         W [V, C], b [C]
 * i.e. a linear model on binary word-presence features x ∈ {0, 1}^V (logits = xᵀW + b), with a
 * softmax over the C classes (for C = 2 this is logistic regression with weight W_spam − W_ham).
 * The sum over the present words is an embedding lookup summed over time (PyTorch's
 * EmbeddingBag, mode 'sum'), so no [B, V] feature matrix is ever built. Padding (id 0) has no
 * weight: its row starts at zero and, as PyTorch's padding_idx, never gets a gradient. Starts at
 * zero, as logistic regression usually does: the loss is convex.
 */
import { parameter } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import * as F from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';

export class BagOfWordsClassifier extends Module {
  weight: Tensor; // [V, C]
  bias: Tensor; // [C]
  constructor(
    readonly vocab: number,
    readonly classes: number,
  ) {
    super();
    for (const [name, v] of [
      ['vocab', vocab],
      ['classes', classes],
    ] as const)
      if (!Number.isInteger(v) || v < 1)
        throw new Error(`BagOfWordsClassifier: ${name} must be an integer >= 1, received ${v}`);
    this.weight = parameter(F.zeros([vocab, classes]));
    this.bias = parameter(F.zeros([classes]));
  }

  /** tokens [B, T] int32 (0 = padding) → logits [B, C]; `weights` null (there is no attention). */
  forward(tokens: Tensor): { logits: Tensor; weights: null } {
    if (tokens.ndim !== 2 || tokens.dtype !== 'int32')
      throw new Error(
        `BagOfWordsClassifier: tokens must be int32 [B, T], received ${tokens.dtype} [${tokens.shape.join(', ')}]`,
      );
    const present = F.fromData(distinctPerRow(tokens), tokens.shape, 'int32'); // [B, T], repeats → 0
    const summed = F.sum(F.embedding(this.weight, present, 0), 1); // [B, T, C] → [B, C]
    return { logits: F.add(summed, this.bias), weights: null }; // [B, C]
  }
}

/** Each row's ids with repeats replaced by padding 0: presence, not counts. */
function distinctPerRow(tokens: Tensor): Int32Array {
  const [B, T] = tokens.shape;
  const out = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const seen = new Set<number>();
    for (let t = 0; t < T; t++) {
      const id = tokens.data[b * T + t];
      if (id !== 0 && !seen.has(id)) {
        seen.add(id);
        out[b * T + t] = id;
      }
    }
  }
  return out;
}
