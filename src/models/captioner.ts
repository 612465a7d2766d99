/**
 * Show, Attend and Tell (Xu et al. 2015) at the size of a CPU: a small CNN turns the image into
 * an L-cell grid of annotation vectors a_1 … a_L (D each), and an LSTM writes the caption one
 * word at a time, looking at the grid through attention.
 *
 *   a = CNN(image)                                   [B, L, D]     (§3.1.1, "annotation vectors")
 *   h_0 = tanh(f_init,h(ā)),  c_0 = tanh(f_init,c(ā)),  ā = (1/L) Σ_i a_i         (§3.1.2)
 *   e_ti = f_att(a_i, h_{t−1}) = vᵀ tanh(W_q h_{t−1} + W_k a_i + b),  α_t = softmax(e_t)  (eq. 4, 5)
 *   soft: ẑ_t = β_t Σ_i α_ti a_i,  β_t = σ(f_β(h_{t−1}))                       (eq. 13, §4.2.1)
 *   hard: ẑ_t = β_t a_s,  s ~ Categorical(α_t) (argmax in eval)                (eq. 8, §4.1)
 *         and, to cut the estimator's variance, with probability `expectedProb` (the paper:
 *         0.5) an image's whole caption is trained with the expected value Σ α a instead (§4.1)
 *   none: ẑ_t = ā at every step (the no-attention baseline)
 *   h_t, c_t = LSTM([E y_{t−1}; ẑ_t], h_{t−1}, c_{t−1})                          (eq. 1–3)
 *   p(y_t) = softmax(L_o(E y_{t−1} + L_h h_t + L_z ẑ_t))                         (eq. 7, "deep output")
 *
 * Training (src/models/captioner-loss.ts): cross-entropy, plus the doubly stochastic penalty
 * λ Σ_i (1 − Σ_t α_ti)² (eq. 14) for soft, plus the score-function term with a moving-average
 * baseline and an entropy bonus (eq. 12, src/attention/reinforce.ts) for hard.
 *
 * The model is an EncoderDecoder (src/models/seq2seq/types.ts) whose "source" is the image
 * batch [B, 1, H, W], so greedy and beam decoding are seq2seq's `generate`, unchanged; the
 * per-step attention it returns is α_t over the L cells.
 * Shapes: B batch, T caption steps, V vocabulary, L = Hg·Wg grid cells, D annotation size,
 * E embedding, H LSTM hidden, da attention size.
 */
import { Conv2d } from '../nn/conv.js';
import { Dropout, Embedding, Linear } from '../nn/layers.js';
import { AdditiveAttention } from '../nn/attention-layers.js';
import { LSTMCell } from '../nn/rnn.js';
import { Module } from '../nn/module.js';
import * as F from '../ops/index.js';
import { type Generator, defaultGenerator } from '../tensor/random.js';
import { fmt } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../tensor/autograd.js';
import { PAD } from '../data/vocab.js';
import type { DecodeState, EncoderDecoder, Seq2SeqOutput, StepOutput } from './seq2seq/types.js';

export const CAPTION_ATTENTION = ['soft', 'hard', 'none'] as const;
export type CaptionAttention = (typeof CAPTION_ATTENTION)[number];

export interface CaptionerSpec {
  kind: 'captioner';
  attention: CaptionAttention;
  vocabSize: number;
  /** Output channels of the four conv layers; the last is D. */
  channels: [number, number, number, number];
  embed: number;
  hidden: number;
  attentionDim: number;
  dropout: number;
  /**
   * Hard attention, training only: the probability that an image uses the expected location
   * Σ_i α_ti a_i instead of a sample at every step (Xu et al. 2015 §4.1 used 0.5). Default 0.
   */
  expectedProb?: number;
  /**
   * The gate β_t = σ(f_β(h_{t−1})) on the context (default true). The paper gates soft attention
   * only (§4.2.1); here hard attention without it did worse: its attention in the named box fell
   * below chance (2–8 % over the first 1,000 steps; gated, 19–23 % over the first 600).
   */
  gate?: boolean;
}

export function defaultCaptionerSpec(attention: CaptionAttention, vocabSize: number): CaptionerSpec {
  return {
    kind: 'captioner',
    attention,
    vocabSize,
    channels: [8, 16, 32, 64],
    embed: 32,
    hidden: 128,
    attentionDim: 64,
    dropout: 0.1,
    expectedProb: attention === 'hard' ? 0.5 : 0,
  };
}

/** Everything one decoding step computes; `step` keeps the EncoderDecoder part. */
export interface CaptionStep extends StepOutput {
  /** α_t [B, L] (null without attention) */
  alpha: Tensor | null;
  /** β_t [B] */
  beta: Tensor | null;
  /** hard: log α_{t,s} of the sampled cell [B], and H(α_t) [B] */
  logProb: Tensor | null;
  entropy: Tensor | null;
  /** hard: the cell taken, int32 [B] */
  selected: Tensor | null;
}

export interface CaptionForward extends Seq2SeqOutput {
  /** α [B, T, L], β [B, T] (null for 'none', β null without the gate); hard: log α of the samples and entropies [B, T]. */
  alphas: Tensor | null;
  betas: Tensor | null;
  logProbs: Tensor | null;
  entropies: Tensor | null;
}

function heInit(conv: Conv2d, generator: Generator): void {
  const [, cin, kh, kw] = conv.weight.shape;
  const std = Math.sqrt(2 / (cin * kh * kw));
  for (let i = 0; i < conv.weight.size; i++) conv.weight.data[i] = std * generator.normal();
  conv.bias?.data.fill(0);
}

export class Captioner extends Module implements EncoderDecoder {
  readonly kind = 'captioner';
  conv1: Conv2d;
  conv2: Conv2d;
  conv3: Conv2d;
  conv4: Conv2d;
  embedding: Embedding;
  init_h: Linear;
  init_c: Linear;
  attention: AdditiveAttention | null;
  f_beta: Linear | null;
  decode_step: LSTMCell;
  L_h: Linear;
  L_z: Linear;
  L_o: Linear;
  dropout: Dropout;
  /**
   * Hard attention in training: the share of images that use the expected location, from
   * spec.expectedProb. A trainer may lower it over the first steps (attend train caption
   * --expected-warmup): the attention learns where to look on the expectation before sampling.
   */
  expectedProb: number;
  /**
   * Training with a fixed encoder (attend train caption --freeze-encoder): the CNN runs outside
   * autograd, so its weights get no gradient and no optimiser touches them. Xu et al. used a
   * pretrained VGG this way, whose annotations mean something from the first step.
   */
  freezeEncoder = false;

  constructor(
    readonly spec: CaptionerSpec,
    readonly generator: Generator = defaultGenerator,
    dtype: 'float32' | 'float64' = 'float32',
  ) {
    super();
    if (!(CAPTION_ATTENTION as readonly string[]).includes(spec.attention))
      throw new Error(`Captioner: attention must be one of ${CAPTION_ATTENTION.join(', ')}, received '${spec.attention}'`); // prettier-ignore
    const g = { generator, dtype };
    const [c1, c2, c3, D] = spec.channels;
    const { embed: E, hidden: H } = spec;
    // encoder: a strided conv, then two conv + pool blocks, then a conv: the image shrinks 8× each way
    this.conv1 = new Conv2d(1, c1, 3, { stride: 2, padding: 1, ...g });
    this.conv2 = new Conv2d(c1, c2, 3, { padding: 1, ...g });
    this.conv3 = new Conv2d(c2, c3, 3, { padding: 1, ...g });
    this.conv4 = new Conv2d(c3, D, 3, { padding: 1, ...g });
    // He et al. 2015 initialisation (N(0, 2/fan_in), zero bias) for the ReLU stack: PyTorch's
    // default bound 1/√fan_in shrinks the signal about 2× a layer, and measured on real scenes
    // the annotations came out with std 0.02 and cells differing by 0.007, which the decoder
    // could barely tell apart (Xu et al. had a pretrained VGG instead; we train from scratch)
    for (const conv of [this.conv1, this.conv2, this.conv3, this.conv4]) heInit(conv, generator);
    this.embedding = new Embedding(spec.vocabSize, E, { paddingIdx: PAD, ...g });
    this.init_h = new Linear(D, H, g);
    this.init_c = new Linear(D, H, g);
    const attend = spec.attention !== 'none';
    this.attention = attend ? new AdditiveAttention(H, D, spec.attentionDim, g) : null;
    this.f_beta = attend && spec.gate !== false ? new Linear(H, 1, g) : null;
    this.decode_step = new LSTMCell(E + D, H, g);
    this.L_h = new Linear(H, E, g);
    this.L_z = new Linear(D, E, g);
    this.L_o = new Linear(E, spec.vocabSize, g);
    this.dropout = new Dropout(spec.dropout, generator);
    this.expectedProb = spec.expectedProb ?? 0;
  }

  /** The annotation vectors: images [B, 1, Hi, Wi] → a [B, L, D] and the grid size [Hg, Wg]. */
  encode(images: Tensor): { annotations: Tensor; grid: [number, number] } {
    if (images.ndim !== 4 || images.shape[1] !== 1)
      throw new Error(`Captioner: images must be [B, 1, H, W], received ${fmt(images.shape)}`);
    return this.freezeEncoder ? noGrad(() => this.runEncoder(images)) : this.runEncoder(images);
  }

  /** The CNN's parameters (conv1 … conv4), which --encoder-from loads and --freeze-encoder fixes. */
  encoderParameters(): Tensor[] {
    return [this.conv1, this.conv2, this.conv3, this.conv4].flatMap((c) => c.parameters());
  }

  private runEncoder(images: Tensor): { annotations: Tensor; grid: [number, number] } {
    let x = F.relu(this.conv1.forward(images)); // [B, c1, Hi/2, Wi/2]
    x = F.maxPool2d(F.relu(this.conv2.forward(x)), 2); // [B, c2, Hi/4, Wi/4]
    x = F.maxPool2d(F.relu(this.conv3.forward(x)), 2); // [B, c3, Hi/8, Wi/8]
    x = F.relu(this.conv4.forward(x)); // [B, D, Hg, Wg]
    const [B, D, Hg, Wg] = x.shape;
    const annotations = F.transpose(F.reshape(x, [B, D, Hg * Wg]), 1, 2); // [B, L, D], cell i = row-major (y, x)
    return { annotations, grid: [Hg, Wg] };
  }

  /** The annotation grid [Hg, Wg] for height × width images (without running the encoder). */
  gridSize(height: number, width: number): [number, number] {
    const strided = (n: number) => Math.floor((n - 1) / 2) + 1; // conv1: k 3, stride 2, padding 1
    const pooled = (n: number) => Math.floor(Math.floor(strided(n) / 2) / 2); // two 2×2 max pools
    return [pooled(height), pooled(width)];
  }

  /** Encode and set up decoding: the EncoderDecoder's `start`; srcPad is unused (every cell is real). */
  start(images: Tensor, _srcPad?: Tensor | null): DecodeState {
    const { annotations } = this.encode(images); // [B, L, D]
    const meanA = F.mean(annotations, 1); // ā [B, D]
    return {
      h: F.tanh(this.init_h.forward(meanA)), // h_0 [B, H]
      c: F.tanh(this.init_c.forward(meanA)), // c_0 [B, H]
      annotations,
      meanA,
      keys: this.attention ? this.attention.projectKeys(annotations) : null, // W_k a_i, once per image: [B, L, da]
      expected: this.drawExpected(annotations.shape[0]), // bool [B] or null
    };
  }

  /** Hard attention in training: which images use the expected location this caption (bool [B]). */
  private drawExpected(B: number): Tensor | null {
    const p = this.expectedProb;
    if (this.spec.attention !== 'hard' || !this.training || !(p > 0)) return null;
    return new Tensor(
      Uint8Array.from({ length: B }, () => (this.generator.uniform() < p ? 1 : 0)),
      [B],
    ); // [B]
  }

  step(state: DecodeState, previous: Tensor): CaptionStep {
    const { h, c, annotations, meanA, keys } = state as Record<string, Tensor>;
    const expected = state.expected ?? null; // bool [B] or null
    const y = this.embedding.forward(previous); // E y_{t−1}: [B, E]
    let z = meanA; // ẑ_t [B, D]
    let alpha: Tensor | null = null;
    let beta: Tensor | null = null;
    let logProb: Tensor | null = null;
    let entropy: Tensor | null = null;
    let selected: Tensor | null = null;
    if (this.attention) {
      const r = this.attention.forward(F.unsqueeze(h, 1), annotations, annotations, {
        projectedKeys: keys,
        mode: this.spec.attention === 'hard' ? 'hard' : 'soft',
      }); // output [B, 1, D], weights [B, 1, L]
      alpha = F.squeeze(r.weights, 1); // α_t [B, L]
      let attended = F.squeeze(r.output, 1); // Σ α a (soft) or a_s (hard): [B, D]
      if (r.logProb) logProb = F.squeeze(r.logProb, 1); // [B]
      if (expected && logProb) {
        const mean = F.squeeze(F.matmul(r.weights, annotations), 1); // Σ_i α_ti a_i: [B, D]
        attended = F.where(F.unsqueeze(expected, 1), mean, attended); // [B, D]
        logProb = F.where(expected, 0, logProb); // no sample was used: no score-function term
      }
      z = attended; // ẑ_t: [B, D]
      if (this.f_beta) {
        const gate = F.sigmoid(this.f_beta.forward(h)); // β_t [B, 1]
        z = F.mul(gate, attended); // β_t · attended: [B, D]
        beta = F.squeeze(gate, 1); // [B]
      }
      if (r.entropy) entropy = F.squeeze(r.entropy, 1); // [B]
      if (r.selected) selected = F.squeeze(r.selected, 1); // [B]
    }
    const [hNext, cNext] = this.decode_step.forward(F.concat([y, z], 1), h, c); // [B, H] each
    const out = F.add(F.add(y, this.L_h.forward(hNext)), this.L_z.forward(z)); // E y + L_h h_t + L_z ẑ_t: [B, E]
    const logProbs = F.logSoftmax(this.L_o.forward(this.dropout.forward(out)), -1); // [B, V]
    return {
      logProbs,
      attention: alpha,
      state: { ...state, h: hNext, c: cNext },
      alpha,
      beta,
      logProb,
      entropy,
      selected,
    };
  }

  /** Teacher forcing: images [B, 1, Hi, Wi], tgtIn [B, T] int32 (BOS + words). */
  forward(images: Tensor, _srcPad: Tensor | null, tgtIn: Tensor): CaptionForward {
    if (tgtIn.ndim !== 2 || tgtIn.shape[0] !== images.shape[0])
      throw new Error(`Captioner: tgtIn must be [B=${images.shape[0]}, T], received ${fmt(tgtIn.shape)}`);
    let state = this.start(images);
    const steps: CaptionStep[] = [];
    for (let t = 0; t < tgtIn.shape[1]; t++) {
      const s = this.step(state, F.select(tgtIn, 1, t)); // previous word y_{t−1}: [B]
      state = s.state;
      steps.push(s);
    }
    const stackOf = (k: 'alpha' | 'beta' | 'logProb' | 'entropy') =>
      steps[0][k]
        ? F.stack(
            steps.map((s) => s[k]!),
            1,
          )
        : null;
    const alphas = stackOf('alpha'); // [B, T, L]
    return {
      logits: F.stack(
        steps.map((s) => s.logProbs),
        1,
      ), // [B, T, V] (log-probabilities)
      attention: alphas,
      alphas,
      betas: stackOf('beta'), // [B, T]
      logProbs: stackOf('logProb'), // [B, T]
      entropies: stackOf('entropy'), // [B, T]
    };
  }
}
