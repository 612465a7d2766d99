import type { Tensor } from '../../tensor/tensor.js';

/**
 * The interface every encoder-decoder shares, so training, decoding, evaluation and drawing
 * work for all of them. Shapes: B batch, S source length, T target length, V target vocabulary.
 * Token ids: 0 pad, 1 BOS, 2 EOS (src/data/vocab.ts).
 */
export { PAD, BOS, EOS } from '../../data/vocab.js';

export interface Seq2SeqOutput {
  /** [B, T, V] */
  logits: Tensor;
  /** The alignment drawn for people: [B, T, S] (the Transformer's is the last layer's cross-attention averaged over heads). */
  attention: Tensor | null;
}

/** Per-row decoding state: every tensor has the batch (or beam) rows on axis 0. */
export type DecodeState = Record<string, Tensor | null>;

export interface StepOutput {
  /** [B, V] log-probabilities of the next token */
  logProbs: Tensor;
  /** [B, S] weights over the source at this step, or null */
  attention: Tensor | null;
  state: DecodeState;
}

export interface EncoderDecoder {
  readonly kind: string;
  /** Teacher forcing: src [B, S] int32, srcPad [B, S] bool (true = padding), tgtIn [B, T] int32 (BOS + target). */
  forward(src: Tensor, srcPad: Tensor, tgtIn: Tensor): Seq2SeqOutput;
  /** Encode and set up decoding. */
  start(src: Tensor, srcPad: Tensor): DecodeState;
  /** One decoding step from the previous tokens [B] (int32). */
  step(state: DecodeState, previous: Tensor, t: number): StepOutput;
}
