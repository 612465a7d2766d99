import { Dropout, Embedding, LayerNorm, Linear } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';
import {
  SinusoidalPositionalEncoding,
  TransformerDecoder,
  TransformerDecoderLayer,
  TransformerEncoder,
  TransformerEncoderLayer,
} from '../../nn/transformer.js';
import * as F from '../../ops/index.js';
import { type Generator, defaultGenerator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { type DecodeState, type EncoderDecoder, type Seq2SeqOutput, PAD, type StepOutput } from './types.js';

export interface TransformerSeq2SeqConfig {
  srcVocab: number;
  tgtVocab: number;
  dModel: number;
  nhead: number;
  encoderLayers: number;
  decoderLayers: number;
  dimFeedforward: number;
  dropout?: number;
  normFirst?: boolean;
  maxLength?: number;
  generator?: Generator;
}

/**
 * The Transformer (Vaswani et al. 2017) for seq2seq: embeddings scaled by √d_model plus
 * sinusoidal positions, an encoder stack, a causal decoder stack with cross-attention, and a
 * linear output. Pre-norm stacks get a final LayerNorm. The alignment shown to people is the
 * last decoder layer's cross-attention, averaged over heads.
 */
export class TransformerSeq2Seq extends Module implements EncoderDecoder {
  readonly kind = 'transformer';
  src_embedding: Embedding;
  tgt_embedding: Embedding;
  positions: SinusoidalPositionalEncoding;
  encoder: TransformerEncoder;
  decoder: TransformerDecoder;
  output: Linear;
  dropout: Dropout;
  constructor(readonly config: TransformerSeq2SeqConfig) {
    super();
    const g = { generator: config.generator ?? defaultGenerator };
    const E = config.dModel;
    const layer = {
      dimFeedforward: config.dimFeedforward,
      dropout: config.dropout ?? 0.1,
      normFirst: config.normFirst ?? true,
      ...g,
    };
    const finalNorm = () => (layer.normFirst ? new LayerNorm(E) : null);
    this.src_embedding = new Embedding(config.srcVocab, E, { ...g, paddingIdx: PAD });
    this.tgt_embedding = new Embedding(config.tgtVocab, E, { ...g, paddingIdx: PAD });
    // N(0, 1/d) embeddings, so that the √d scaling gives unit-variance inputs
    for (const emb of [this.src_embedding, this.tgt_embedding]) {
      const w = emb.weight.data;
      for (let i = 0; i < w.length; i++) w[i] /= Math.sqrt(E);
    }
    this.positions = new SinusoidalPositionalEncoding(E, config.maxLength ?? 512);
    this.encoder = new TransformerEncoder(
      () => new TransformerEncoderLayer(E, config.nhead, layer),
      config.encoderLayers,
      finalNorm(),
    );
    this.decoder = new TransformerDecoder(
      () => new TransformerDecoderLayer(E, config.nhead, layer),
      config.decoderLayers,
      finalNorm(),
    );
    this.output = new Linear(E, config.tgtVocab, g);
    this.dropout = new Dropout(config.dropout ?? 0.1, g.generator);
  }

  private embed(emb: Embedding, ids: Tensor): Tensor {
    const x = F.mul(emb.forward(ids), Math.sqrt(this.config.dModel)); // [B, L, E]
    return this.dropout.forward(this.positions.forward(x));
  }

  private encode(src: Tensor, srcPad: Tensor): Tensor {
    return this.encoder.forward(this.embed(this.src_embedding, src), { srcKeyPaddingMask: srcPad }); // [B, S, E]
  }

  private decode(memory: Tensor, srcPad: Tensor, tgtIn: Tensor): { logits: Tensor; attention: Tensor } {
    const maps: { self: Tensor; cross: Tensor }[] = [];
    const y = this.decoder.forward(this.embed(this.tgt_embedding, tgtIn), memory, {
      tgtIsCausal: true,
      memoryKeyPaddingMask: srcPad,
      attentionMaps: maps,
    }); // [B, T, E]
    const logits = F.logSoftmax(this.output.forward(y), -1); // [B, T, V]
    return { logits, attention: F.mean(maps[maps.length - 1].cross, 1) }; // [B, T, S]
  }

  forward(src: Tensor, srcPad: Tensor, tgtIn: Tensor): Seq2SeqOutput {
    return this.decode(this.encode(src, srcPad), srcPad, tgtIn);
  }

  start(src: Tensor, srcPad: Tensor): DecodeState {
    const B = src.shape[0];
    return { memory: this.encode(src, srcPad), srcPad, prefix: F.zeros([B, 0], { dtype: 'int32' }) };
  }

  /** Decodes the whole prefix again each step: simple, and cheap at these lengths (T ≲ 30). */
  step(state: DecodeState, previous: Tensor): StepOutput {
    const prefix = F.concat([state.prefix!, F.unsqueeze(previous, 1)], 1); // [B, t + 1]
    const { logits, attention } = this.decode(state.memory!, state.srcPad!, prefix);
    const last = prefix.shape[1] - 1;
    return {
      logProbs: F.select(logits, 1, last),
      attention: F.select(attention, 1, last),
      state: { ...state, prefix },
    };
  }
}
