import { AdditiveAttention, GeneralAttention, LocalAttention } from '../../nn/attention-layers.js';
import { Dropout, Embedding, Linear } from '../../nn/layers.js';
import { Module, ModuleList } from '../../nn/module.js';
import { GRU, GRUCell, LSTM, LSTMCell } from '../../nn/rnn.js';
import { attention, denseWeights } from '../../attention/attention.js';
import { unpaddedLengths } from '../../attention/masks.js';
import * as F from '../../ops/index.js';
import { type Generator, defaultGenerator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { type DecodeState, type EncoderDecoder, type Seq2SeqOutput, PAD, type StepOutput } from './types.js';

/**
 * The RNN encoder-decoders of spec §2, each written to read like its paper.
 * Shapes: B batch, S source length, T target length, E embedding, H hidden, V vocabulary.
 */
export interface RnnSeq2SeqConfig {
  srcVocab: number;
  tgtVocab: number;
  embed: number;
  hidden: number;
  layers?: number;
  dropout?: number;
  generator?: Generator;
}

/** Teacher forcing through `step`, so training and decoding share one code path. */
function teacherForce(model: EncoderDecoder, src: Tensor, srcPad: Tensor, tgtIn: Tensor): Seq2SeqOutput {
  const T = tgtIn.shape[1];
  let state = model.start(src, srcPad);
  const logits: Tensor[] = [];
  const maps: Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const out = model.step(state, F.select(tgtIn, 1, t), t);
    state = out.state;
    logits.push(out.logProbs); // [B, V]
    if (out.attention) maps.push(out.attention); // [B, S]
  }
  return { logits: F.stack(logits, 1), attention: maps.length ? F.stack(maps, 1) : null }; // [B, T, V], [B, T, S]
}

/**
 * Sequence to sequence without attention (Sutskever et al. 2014): the encoder's final state
 * is the only bridge to the decoder, the fixed-length bottleneck the articles describe. The
 * source is read reversed, as in the paper. GRU layers (the paper used LSTMs).
 */
export class PlainSeq2Seq extends Module implements EncoderDecoder {
  readonly kind = 'seq2seq';
  src_embedding: Embedding;
  tgt_embedding: Embedding;
  encoder: GRU;
  decoder: GRU;
  output: Linear;
  dropout: Dropout;
  constructor(readonly config: RnnSeq2SeqConfig) {
    super();
    const g = { generator: config.generator ?? defaultGenerator };
    const L = config.layers ?? 1;
    this.src_embedding = new Embedding(config.srcVocab, config.embed, { ...g, paddingIdx: PAD });
    this.tgt_embedding = new Embedding(config.tgtVocab, config.embed, { ...g, paddingIdx: PAD });
    this.encoder = new GRU(config.embed, config.hidden, { numLayers: L, dropout: config.dropout, ...g });
    this.decoder = new GRU(config.embed, config.hidden, { numLayers: L, dropout: config.dropout, ...g });
    this.output = new Linear(config.hidden, config.tgtVocab, g);
    this.dropout = new Dropout(config.dropout ?? 0, g.generator);
  }
  forward(src: Tensor, srcPad: Tensor, tgtIn: Tensor): Seq2SeqOutput {
    const state = this.start(src, srcPad);
    const y = this.dropout.forward(this.tgt_embedding.forward(tgtIn)); // [B, T, E]
    const { output } = this.decoder.forward(y, F.transpose(state.h!, 0, 1)); // [B, T, H]
    return { logits: F.logSoftmax(this.output.forward(this.dropout.forward(output)), -1), attention: null };
  }
  start(src: Tensor, srcPad: Tensor): DecodeState {
    const lengths = unpaddedLengths(srcPad);
    const [B, S] = src.shape;
    // reverse each row's real tokens (Sutskever et al.: "reversing the source sentences")
    const rev = new Int32Array(B * S);
    for (let b = 0; b < B; b++)
      for (let s = 0; s < S; s++) rev[b * S + s] = s < lengths[b] ? src.data[b * S + lengths[b] - 1 - s] : PAD;
    const x = this.dropout.forward(this.src_embedding.forward(F.fromData(rev, [B, S], 'int32'))); // [B, S, E]
    const { hN } = this.encoder.forward(x, null, { lengths }); // [L, B, H]
    return { h: F.transpose(hN, 0, 1) }; // rows first for beam search: [B, L, H]
  }
  step(state: DecodeState, previous: Tensor): StepOutput {
    const h = F.transpose(state.h!, 0, 1); // the GRU wants [L, B, H]
    const y = F.unsqueeze(this.tgt_embedding.forward(previous), 1); // [B, 1, E]
    const { output, hN } = this.decoder.forward(y, h);
    const logProbs = F.logSoftmax(this.output.forward(F.squeeze(output, 1)), -1); // [B, V]
    return { logProbs, attention: null, state: { h: F.transpose(hN, 0, 1) } };
  }
}

/**
 * RNNsearch (Bahdanau, Cho & Bengio 2015). A bidirectional GRU reads the source into
 * annotations h_j = [→h_j; ←h_j]. At step i the previous decoder state s_{i−1} is the query:
 *   e_ij = v_aᵀ tanh(W_a s_{i−1} + U_a h_j),  α_ij = softmax_j(e_ij),  c_i = Σ_j α_ij h_j
 *   s_i = GRU(s_{i−1}, [E y_{i−1}; c_i]),     p(y_i) = softmax(W_o tanh(W_t [s_i; E y_{i−1}; c_i]))
 * (the paper's maxout deep output is a tanh layer here); s_0 = tanh(W_s ←h_1). With `layers` > 1
 * the encoder is a stack of bidirectional GRUs and the annotations are its top layer's.
 */
export class Bahdanau extends Module implements EncoderDecoder {
  readonly kind = 'bahdanau';
  src_embedding: Embedding;
  tgt_embedding: Embedding;
  encoder: GRU;
  init_state: Linear;
  attention: AdditiveAttention;
  decoder: GRUCell;
  deep_output: Linear;
  output: Linear;
  dropout: Dropout;
  constructor(readonly config: RnnSeq2SeqConfig) {
    super();
    const g = { generator: config.generator ?? defaultGenerator };
    const { embed: E, hidden: H } = config;
    this.src_embedding = new Embedding(config.srcVocab, E, { ...g, paddingIdx: PAD });
    this.tgt_embedding = new Embedding(config.tgtVocab, E, { ...g, paddingIdx: PAD });
    // layers > 1 stacks bidirectional GRUs (dropout between them); the paper used one
    this.encoder = new GRU(E, H, { bidirectional: true, numLayers: config.layers ?? 1, dropout: config.dropout, ...g });
    this.init_state = new Linear(H, H, g);
    this.attention = new AdditiveAttention(H, 2 * H, H, g);
    this.decoder = new GRUCell(E + 2 * H, H, g);
    this.deep_output = new Linear(H + E + 2 * H, H, g);
    this.output = new Linear(H, config.tgtVocab, g);
    this.dropout = new Dropout(config.dropout ?? 0, g.generator);
  }
  forward(src: Tensor, srcPad: Tensor, tgtIn: Tensor): Seq2SeqOutput {
    return teacherForce(this, src, srcPad, tgtIn);
  }
  start(src: Tensor, srcPad: Tensor): DecodeState {
    const H = this.config.hidden;
    const x = this.dropout.forward(this.src_embedding.forward(src)); // [B, S, E]
    const { output: annotations } = this.encoder.forward(x, null, { lengths: unpaddedLengths(srcPad) }); // [B, S, 2H]
    const backwardFirst = F.slice(F.select(annotations, 1, 0), 1, H); // ←h_1: [B, H]
    return {
      s: F.tanh(this.init_state.forward(backwardFirst)), // s_0: [B, H]
      annotations, // [B, S, 2H]
      keys: this.attention.projectKeys(annotations), // U_a h_j, once per sequence: [B, S, H]
      srcPad,
    };
  }
  step(state: DecodeState, previous: Tensor): StepOutput {
    const { s, annotations, keys, srcPad } = state as Record<string, Tensor>;
    const y = this.dropout.forward(this.tgt_embedding.forward(previous)); // E y_{i−1}: [B, E]
    const r = this.attention.forward(F.unsqueeze(s, 1), annotations, annotations, {
      keyPaddingMask: srcPad,
      projectedKeys: keys,
    });
    const c = F.squeeze(r.output, 1); // c_i: [B, 2H]
    const sNext = this.decoder.forward(F.concat([y, c], 1), s); // s_i: [B, H]
    const t = F.tanh(this.deep_output.forward(F.concat([sNext, y, c], 1))); // [B, H]
    const logProbs = F.logSoftmax(this.output.forward(this.dropout.forward(t)), -1); // [B, V]
    return { logProbs, attention: F.squeeze(r.weights, 1), state: { ...state, s: sNext } };
  }
}

export interface LuongConfig extends RnnSeq2SeqConfig {
  /** dot, general, or concat (additive). */
  score?: 'dot' | 'general' | 'concat';
  /** global, or local with window half-width D. */
  window?: 'global' | 'local-m' | 'local-p';
  D?: number;
}

/**
 * Effective approaches to attention-based NMT (Luong, Pham & Manning 2015). Stacked LSTMs;
 * the query is the current top decoder state h_t:
 *   score(h_t, h̄_s) ∈ {h_tᵀ h̄_s, h_tᵀ W_a h̄_s, v_aᵀ tanh(W_a [h_t; h̄_s])},  c_t = Σ_s a_t(s) h̄_s
 *   h̃_t = tanh(W_c [c_t; h_t]),  p(y_t) = softmax(W_s h̃_t)
 * with input feeding (h̃_{t−1} joins the next input) and global, local-m or local-p windows.
 */
export class Luong extends Module implements EncoderDecoder {
  readonly kind = 'luong';
  src_embedding: Embedding;
  tgt_embedding: Embedding;
  encoder: LSTM;
  decoder: ModuleList<LSTMCell>;
  attention: GeneralAttention | AdditiveAttention | LocalAttention | null;
  W_c: Linear;
  W_s: Linear;
  dropout: Dropout;
  readonly score: 'dot' | 'general' | 'concat';
  readonly window: 'global' | 'local-m' | 'local-p';
  constructor(readonly config: LuongConfig) {
    super();
    const g = { generator: config.generator ?? defaultGenerator };
    const { embed: E, hidden: H } = config;
    const L = config.layers ?? 1;
    this.score = config.score ?? 'general';
    this.window = config.window ?? 'global';
    this.src_embedding = new Embedding(config.srcVocab, E, { ...g, paddingIdx: PAD });
    this.tgt_embedding = new Embedding(config.tgtVocab, E, { ...g, paddingIdx: PAD });
    this.encoder = new LSTM(E, H, { numLayers: L, dropout: config.dropout, ...g });
    this.decoder = new ModuleList(Array.from({ length: L }, (_, l) => new LSTMCell(l === 0 ? E + H : H, H, g)));
    if (this.window !== 'global') {
      if (this.score === 'concat')
        throw new Error(`Luong: local attention takes score dot or general, received concat`);
      this.attention = new LocalAttention(H, { mode: this.window, D: config.D ?? 10, score: this.score, ...g });
    } else if (this.score === 'general') this.attention = new GeneralAttention(H, H, g);
    else if (this.score === 'concat') this.attention = new AdditiveAttention(H, H, H, g);
    else this.attention = null;
    this.W_c = new Linear(2 * H, H, { bias: false, ...g });
    this.W_s = new Linear(H, config.tgtVocab, g);
    this.dropout = new Dropout(config.dropout ?? 0, g.generator);
  }
  forward(src: Tensor, srcPad: Tensor, tgtIn: Tensor): Seq2SeqOutput {
    return teacherForce(this, src, srcPad, tgtIn);
  }
  start(src: Tensor, srcPad: Tensor): DecodeState {
    const x = this.dropout.forward(this.src_embedding.forward(src)); // [B, S, E]
    const { output, hN, cN } = this.encoder.forward(x, null, null, { lengths: unpaddedLengths(srcPad) }); // [B, S, H], [L, B, H]
    const B = src.shape[0];
    const state: DecodeState = { memory: output, srcPad, feed: F.zeros([B, this.config.hidden]) }; // h̃_0 = 0
    // the decoder starts from the encoder's final states; rows on axis 0 for beam search
    for (let l = 0; l < hN.shape[0]; l++) {
      state[`h${l}`] = F.select(hN, 0, l);
      state[`c${l}`] = F.select(cN, 0, l);
    }
    return state;
  }
  step(state: DecodeState, previous: Tensor, t: number): StepOutput {
    const memory = state.memory!;
    const srcPad = state.srcPad!;
    const y = this.dropout.forward(this.tgt_embedding.forward(previous)); // [B, E]
    let input = F.concat([y, state.feed!], 1); // input feeding: [E y_{t−1}; h̃_{t−1}]
    const next: DecodeState = { memory, srcPad };
    this.decoder.namedChildren().forEach(([, cell], l) => {
      const [h, c] = (cell as LSTMCell).forward(input, state[`h${l}`]!, state[`c${l}`]!);
      next[`h${l}`] = h;
      next[`c${l}`] = c;
      input = this.dropout.forward(h);
    });
    const ht = F.unsqueeze(input, 1); // the top state h_t as the query: [B, 1, H]
    const r = this.attend(ht, memory, srcPad, t);
    const c = F.squeeze(r.output, 1); // c_t: [B, H]
    const feed = F.tanh(this.W_c.forward(F.concat([c, F.squeeze(ht, 1)], 1))); // h̃_t: [B, H]
    next.feed = feed;
    const logProbs = F.logSoftmax(this.W_s.forward(this.dropout.forward(feed)), -1); // [B, V]
    const weights = F.squeeze(denseWeights(r, memory.shape[1]), 1); // local windows spread over the source: [B, S]
    return { logProbs, attention: weights, state: next };
  }
  private attend(q: Tensor, memory: Tensor, srcPad: Tensor, t: number) {
    const opts = { keyPaddingMask: srcPad };
    if (this.attention instanceof LocalAttention)
      return this.attention.forward(q, memory, memory, { ...opts, offset: t });
    if (this.attention) return this.attention.forward(q, memory, memory, opts);
    return attention(q, memory, memory, { ...opts, score: 'dot' });
  }
}
