import { type AttentionOptions, type AttentionResult, attention } from '../attention/attention.js';
import { unpaddedLengths } from '../attention/masks.js';
import * as F from '../ops/index.js';
import { type Generator, defaultGenerator } from '../tensor/random.js';
import { fmt } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { parameter, uniform } from './layers.js';
import { Module } from './module.js';

/**
 * Attention modules that own the parameters of a learned score (spec §1). PyTorch has none of
 * these, so the names are the papers': W_q, W_k, v (Bahdanau), W (Luong), beta (Graves),
 * W_p, v_p (Luong local-p), w, b (attention pooling). Each forward takes
 * query [B, n, dq], key [B, m, dk], value [B, m, dv] and returns attention()'s { output, weights }.
 */
export type AttentionCallOptions = Omit<
  AttentionOptions,
  'score' | 'W' | 'Wq' | 'Wk' | 'v' | 'b' | 'beta' | 'generator' | 'training'
>;

interface Init {
  generator?: Generator;
  dtype?: 'float32' | 'float64';
}

/** Shared by the modules: dropout, train mode and the generator reach attention(). */
abstract class ScoredAttention extends Module {
  readonly generator: Generator;
  constructor(init: Init) {
    super();
    this.generator = init.generator ?? defaultGenerator;
  }
  protected run(q: Tensor, k: Tensor, v: Tensor, o: AttentionOptions): AttentionResult {
    return attention(q, k, v, { ...o, training: this.training, generator: this.generator });
  }
}

/** Bahdanau (additive, concat) attention: e_ij = vᵀ tanh(W_q q_i + W_k k_j + b). */
export class AdditiveAttention extends ScoredAttention {
  W_q: Tensor; // [da, dq]
  W_k: Tensor; // [da, dk]
  b: Tensor | null; // [da]
  v: Tensor; // [da]
  constructor(queryDim: number, keyDim: number, attentionDim: number, options: Init & { bias?: boolean } = {}) {
    super(options);
    this.W_q = uniform([attentionDim, queryDim], 1 / Math.sqrt(queryDim), options);
    this.W_k = uniform([attentionDim, keyDim], 1 / Math.sqrt(keyDim), options);
    this.b = options.bias === false ? null : parameter(F.zeros([attentionDim], { dtype: options.dtype }));
    this.v = uniform([attentionDim], 1 / Math.sqrt(attentionDim), options);
  }
  /** W_k k for keys [..., m, dk] → [..., m, da]: compute once, pass as `projectedKeys` at every decoder step. */
  projectKeys(key: Tensor): Tensor {
    return F.linear(key, this.W_k);
  }
  forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    options: AttentionCallOptions & { projectedKeys?: Tensor } = {},
  ): AttentionResult {
    return this.run(query, key, value, {
      ...options,
      score: 'additive',
      Wq: this.W_q,
      Wk: this.W_k,
      v: this.v,
      b: this.b,
    });
  }
}

/** Luong's general (bilinear) attention: e_ij = q_iᵀ W k_j. */
export class GeneralAttention extends ScoredAttention {
  W: Tensor; // [dq, dk]
  constructor(queryDim: number, keyDim: number, options: Init = {}) {
    super(options);
    this.W = uniform([queryDim, keyDim], 1 / Math.sqrt(keyDim), options);
  }
  forward(query: Tensor, key: Tensor, value: Tensor, options: AttentionCallOptions = {}): AttentionResult {
    return this.run(query, key, value, { ...options, score: 'general', W: this.W });
  }
}

/** Luong's location attention: e_i = W q_i, one score per source position (up to maxLength). */
export class LocationAttention extends ScoredAttention {
  W: Tensor; // [m_max, dq]
  constructor(queryDim: number, maxLength: number, options: Init = {}) {
    super(options);
    this.W = uniform([maxLength, queryDim], 1 / Math.sqrt(queryDim), options);
  }
  forward(query: Tensor, key: Tensor, value: Tensor, options: AttentionCallOptions = {}): AttentionResult {
    return this.run(query, key, value, { ...options, score: 'location', W: this.W });
  }
}

/** Content (cosine) attention of the Neural Turing Machine: e_ij = β · cos(q_i, k_j), β learned if asked. */
export class CosineAttention extends ScoredAttention {
  beta: Tensor | null; // [1]
  readonly fixedBeta: number;
  constructor(options: Init & { beta?: number; learnBeta?: boolean } = {}) {
    super(options);
    this.fixedBeta = options.beta ?? 1;
    this.beta = options.learnBeta ? parameter(F.full([1], this.fixedBeta, { dtype: options.dtype })) : null;
  }
  forward(query: Tensor, key: Tensor, value: Tensor, options: AttentionCallOptions = {}): AttentionResult {
    return this.run(query, key, value, { ...options, score: 'cosine', beta: this.beta ?? this.fixedBeta });
  }
}

/**
 * Luong's local attention. local-m: window around p_t = t. local-p: the window's centre is
 * predicted, p_t = S · sigmoid(v_pᵀ tanh(W_p h_t)) (eq. 9), and the weights are multiplied by
 * a Gaussian around it (eq. 10); gradients reach W_p and v_p through p_t. The score inside the
 * window is dot, general (W) or additive (concat).
 */
export class LocalAttention extends ScoredAttention {
  W_p: Tensor | null = null; // [dp, dq]
  v_p: Tensor | null = null; // [dp]
  W: Tensor | null = null; // general score: [dq, dk]
  readonly mode: 'local-m' | 'local-p';
  readonly D: number;
  readonly score: 'dot' | 'general';
  constructor(
    queryDim: number,
    options: Init & {
      mode?: 'local-m' | 'local-p';
      D?: number;
      score?: 'dot' | 'general';
      keyDim?: number;
      predictorDim?: number;
    } = {},
  ) {
    super(options);
    this.mode = options.mode ?? 'local-p';
    this.D = options.D ?? 10; // Luong et al. used D = 10
    this.score = options.score ?? 'general';
    if (this.mode === 'local-p') {
      const dp = options.predictorDim ?? queryDim;
      this.W_p = uniform([dp, queryDim], 1 / Math.sqrt(queryDim), options);
      this.v_p = uniform([dp], 1 / Math.sqrt(dp), options);
    }
    if (this.score === 'general')
      this.W = uniform([queryDim, options.keyDim ?? queryDim], 1 / Math.sqrt(queryDim), options);
  }
  /**
   * p_t = S · sigmoid(v_pᵀ tanh(W_p h_t)): [B, n] positions in [0, S]. `sourceLength` is one
   * number, or a tensor broadcastable to [B, n] when rows have their own lengths (padding).
   */
  predictPosition(query: Tensor, sourceLength: number | Tensor): Tensor {
    if (!this.W_p || !this.v_p) throw new Error('LocalAttention: predictPosition needs mode local-p');
    return F.mul(F.sigmoid(F.matmul(F.tanh(F.linear(query, this.W_p)), this.v_p)), sourceLength); // [B, n]
  }
  /** `offset` shifts local-m's p_t = t + offset (for step-by-step decoding). */
  forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    options: AttentionCallOptions & { offset?: number } = {},
  ): AttentionResult & { position?: Tensor } {
    const S = key.shape[key.ndim - 2];
    const score = this.score === 'general' ? { score: 'general' as const, W: this.W! } : { score: 'dot' as const };
    if (this.mode === 'local-m') {
      return this.run(query, key, value, {
        ...options,
        ...score,
        window: { type: 'local-m', D: this.D, offset: options.offset ?? 0 },
      });
    }
    // Luong's p_t lies in [0, S] with S the row's own source length; the last real position is S − 1
    const position = this.predictPosition(query, lastPositions(options.keyPaddingMask, S, query.ndim - 1));
    const r = this.run(query, key, value, { ...options, ...score, window: { type: 'local-p', D: this.D, position } });
    return { ...r, position };
  }
}

/** S − 1 for every row, or per row from a key padding mask [B, S], shaped [B, 1, …] to broadcast over `rank` axes. */
function lastPositions(keyPaddingMask: Tensor | null | undefined, S: number, rank: number): number | Tensor {
  if (!keyPaddingMask) return S - 1;
  const last = Float32Array.from(unpaddedLengths(keyPaddingMask), (n) => n - 1);
  return new Tensor(last, [last.length, ...new Array<number>(rank - 1).fill(1)]);
}

/**
 * Attention pooling (source article 004, a Keras layer): a sequence x [B, T, D] to one vector,
 *   e_t = x_t · w + b_t,  α = softmax_t(e),  out = Σ_t α_t x_t.
 * `w` [D] starts N(0, 0.05²) (Keras' random_normal) and `b` [maxLength] at zero. (The article's
 * Keras code adds a [T] bias to [B, T, 1] scores, which broadcasts to [B, T, T]; we implement
 * the formula it states: one bias per time step.) Padding positions get no weight.
 */
export class AttentionPooling extends Module {
  w: Tensor; // [D]
  b: Tensor; // [maxLength]
  constructor(
    readonly inputDim: number,
    readonly maxLength: number,
    options: Init = {},
  ) {
    super();
    this.w = parameter(F.mul(F.randn([inputDim], { generator: options.generator, dtype: options.dtype }), 0.05));
    this.b = parameter(F.zeros([maxLength], { dtype: options.dtype }));
  }
  /** x [B, T, D], keyPaddingMask [B, T] (true = padding) → { output [B, D], weights [B, T] }. */
  forward(x: Tensor, keyPaddingMask: Tensor | null = null): { output: Tensor; weights: Tensor } {
    if (x.ndim !== 3 || x.shape[2] !== this.inputDim) {
      throw new Error(`AttentionPooling: x must be [B, T, ${this.inputDim}], received ${fmt(x.shape)}`);
    }
    const T = x.shape[1];
    if (T > this.maxLength)
      throw new Error(`AttentionPooling: sequence length ${T} exceeds maxLength ${this.maxLength}`);
    let e = F.add(F.matmul(x, this.w), F.slice(this.b, 0, 0, T)); // e_t = x_t · w + b_t: [B, T]
    if (keyPaddingMask) e = F.maskedFill(e, keyPaddingMask, -Infinity);
    const weights = F.softmax(e, -1); // α: [B, T]
    const output = F.squeeze(F.matmul(F.unsqueeze(weights, 1), x), 1); // Σ_t α_t x_t: [B, D]
    return { output, weights };
  }
}
