import { kernels } from '../kernels/registry.js';
import { referenceKernels } from '../kernels/reference/index.js';
import * as F from '../ops/index.js';
import { type Generator, defaultGenerator } from '../tensor/random.js';
import { fmt, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { type MaskOptions, applyMasks } from './masks.js';
import { type ScoreName, type ScoreParams, alignmentScores } from './scores.js';

/**
 * Which keys a query may look at (Luong et al. 2015 §3.2; Beltagy et al. 2020 for sliding):
 * - global: all of them.
 * - local-m: the 2D+1 keys around p_i = i + offset (monotonic alignment).
 * - local-p: the 2D+1 keys around a predicted position p_i (float [..., n], differentiable),
 *   the weights multiplied by exp(−(j − p_i)² / (2σ²)), σ = D/2.
 * - sliding: the keys with |i − j| ≤ size (only j ≤ i when causal).
 * The windowed forms gather just the window, so their cost grows as n·(window), not n·m.
 */
export type AttentionWindow =
  | { type: 'global' }
  | { type: 'local-m'; D: number; offset?: number }
  | { type: 'local-p'; D: number; position: Tensor }
  | { type: 'sliding'; size: number };

export interface AttentionOptions extends MaskOptions, ScoreParams {
  /** Default 'scaled-dot'. */
  score?: ScoreName;
  /** Dropout probability on the weights (train mode only). */
  dropout?: number;
  /** Train mode: dropout on, hard attention samples. Default true. */
  training?: boolean;
  generator?: Generator;
  /** soft (default): the weighted average. hard: one key per query (Xu et al. 2015). */
  mode?: 'soft' | 'hard';
  /** Hard attention's gradient: 'reinforce' (score function, default) or 'gumbel' (straight-through Gumbel-softmax). */
  estimator?: 'reinforce' | 'gumbel';
  /** Gumbel-softmax temperature τ (default 1). */
  temperature?: number;
  window?: AttentionWindow;
  /**
   * false: the weights are not returned, and soft global dot/scaled-dot attention with only
   * key padding and causal masks (no dropout in training) runs through the fused kernel, which
   * never stores them (O(n) memory per head instead of O(n·m)). Other cases compute as usual.
   */
  needWeights?: boolean;
  /**
   * With needWeights false, whether to take the fused kernel: true always (when the case
   * allows), undefined lets the library choose (see `fusedPays`), false never.
   */
  fused?: boolean;
}

export interface AttentionResult {
  /** [..., n, dv] */
  output: Tensor;
  /** The attention map α: [..., n, m], or [..., n, width] for windowed attention (see windowStart). */
  weights: Tensor;
  /** Windowed attention: int32 [..., n], the key index of weights[..., i, 0]. */
  windowStart?: Tensor;
  /** Hard attention: int32 [..., n], the key each query took (−1 if it had none). */
  selected?: Tensor;
  /** Hard attention: [..., n], log α of the selected key (the score-function term). */
  logProb?: Tensor;
  /** Hard attention: [..., n], the entropy of α (for the entropy bonus). */
  entropy?: Tensor;
}

/**
 * Attention (spec §1): e = score(q, k) → masks → α = softmax(e) → output = α · v.
 * query [..., n, dq], key [..., m, dk], value [..., m, dv]; the leading axes are [B] or
 * [B, h] and broadcast. Batch first, like PyTorch's batch_first=True and SDPA.
 */
export function attention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  options: AttentionOptions & { needWeights: false },
): { output: Tensor; weights: Tensor | null };
export function attention(query: Tensor, key: Tensor, value: Tensor, options?: AttentionOptions): AttentionResult;
export function attention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  options: AttentionOptions = {},
): AttentionResult | { output: Tensor; weights: Tensor | null } {
  if (query.ndim < 2 || key.ndim < 2 || value.ndim < 2) {
    throw new Error(
      `attention: query, key and value must be [..., n, d], received ${fmt(query.shape)}, ${fmt(key.shape)}, ${fmt(value.shape)}`,
    );
  }
  const m = key.shape[key.ndim - 2];
  if (value.shape[value.ndim - 2] !== m) {
    throw new Error(
      `attention: key ${fmt(key.shape)} and value ${fmt(value.shape)} must have the same number of positions (axis -2)`,
    );
  }
  const window = options.window ?? { type: 'global' };
  if (window.type !== 'global') return windowedAttention(query, key, value, window, options);
  if (
    options.needWeights === false &&
    options.fused !== false &&
    fusable(query, options) &&
    (options.fused || fusedPays(query, key))
  ) {
    const score = options.score ?? 'scaled-dot';
    const causal = options.causal ?? false;
    const output = F.scaledDotProductAttention(query, key, value, {
      scale: score === 'dot' ? 1 : options.scale,
      causalOffset: causal === false ? null : causal === true ? 0 : causal.offset,
      keyPaddingMask: options.keyPaddingMask,
    });
    return { output, weights: null };
  }

  const scores = alignmentScores(options.score ?? 'scaled-dot', query, key, options); // [..., n, m]
  const masked = applyMasks(scores, options); // [..., n, m]
  const weights = F.softmax(masked, -1); // α [..., n, m]; a fully masked row is all zeros
  if ((options.mode ?? 'soft') === 'hard') return hardAttention(masked, weights, value, options);
  const dropped = F.dropout(weights, options.dropout ?? 0, options.training ?? true, options.generator);
  return { output: F.matmul(dropped, value), weights: options.needWeights === false ? null : weights }; // [..., n, dv]
}

/**
 * Whether to take the fused kernel. It never stores the n×m weights, but the reference fused
 * kernel is plain scalar loops, far slower than the composed path's GEMMs: take it only when a
 * backend brings its own fused kernel, or when the weights would be too large to hold
 * (more than 2²⁶ values, 256 MB in float32).
 */
function fusedPays(query: Tensor, key: Tensor): boolean {
  if (kernels().attentionForward !== referenceKernels.attentionForward) return true;
  const rows = query.size / query.shape[query.ndim - 1]; // G·n queries
  return rows * key.shape[key.ndim - 2] > 2 ** 26; // G·n·m weights
}

/** Whether the fused kernel computes exactly what the composed path would. */
function fusable(query: Tensor, o: AttentionOptions): boolean {
  const score = o.score ?? 'scaled-dot';
  const dropout = (o.dropout ?? 0) > 0 && (o.training ?? true);
  return (
    (score === 'dot' || score === 'scaled-dot') &&
    (o.mode ?? 'soft') === 'soft' &&
    !o.attnMask &&
    !dropout &&
    query.ndim >= 3
  );
}

/**
 * Hard attention (Xu et al. 2015 §4.1): each query takes one key s ~ Categorical(α) in
 * training, argmax(α) in eval, and returns v_s. The choice is not differentiable, so:
 * - 'reinforce': output's gradient reaches v only; `logProb` = log α_s and `entropy` = H(α)
 *   let the training loop add the score-function term (see ReinforceBaseline).
 * - 'gumbel': s = argmax(log α + g), g ~ Gumbel(0, 1); the forward uses the one-hot, the
 *   backward the gradient of softmax((log α + g)/τ) (straight-through, Jang et al. 2017).
 */
function hardAttention(masked: Tensor, weights: Tensor, value: Tensor, options: AttentionOptions): AttentionResult {
  const training = options.training ?? true;
  const estimator = options.estimator ?? 'reinforce';
  const gen = options.generator ?? defaultGenerator;
  const m = weights.shape[weights.ndim - 1];
  const rows = weights.size / m;
  const a = weights.data;
  const selected = new Int32Array(rows);
  const gumbel = estimator === 'gumbel' && training ? new Float64Array(rows * m) : null;
  for (let r = 0; r < rows; r++) {
    let pick = -1;
    if (gumbel) {
      let best = -Infinity;
      for (let j = 0; j < m; j++) {
        const g = -Math.log(-Math.log(gen.uniform() || Number.MIN_VALUE));
        gumbel[r * m + j] = g;
        const v = a[r * m + j] > 0 ? Math.log(a[r * m + j]) + g : -Infinity;
        if (v > best) [best, pick] = [v, j];
      }
    } else if (training) {
      let u = gen.uniform();
      for (let j = 0; j < m && pick < 0; j++) if ((u -= a[r * m + j]) < 0) pick = j;
      if (pick < 0) for (let j = m - 1; j >= 0 && pick < 0; j--) if (a[r * m + j] > 0) pick = j; // rounding
    } else {
      let best = 0;
      for (let j = 0; j < m; j++) if (a[r * m + j] > best) [best, pick] = [a[r * m + j], j];
    }
    selected[r] = pick;
  }
  const oneHotData = F.zerosLike(weights).data;
  for (let r = 0; r < rows; r++) if (selected[r] >= 0) oneHotData[r * m + selected[r]] = 1;
  const oneHot = new Tensor(oneHotData, weights.shape); // [..., n, m]
  const sel = new Tensor(selected, weights.shape.slice(0, -1)); // [..., n]
  const logA = F.logSoftmax(masked, -1); // [..., n, m]
  const safeSel = F.unsqueeze(F.clamp(sel, 0, null).to('int32'), -1); // [..., n, 1]
  const has = F.ge(sel, 0);
  const logProb = F.where(has, F.squeeze(F.gather(logA, -1, safeSel), -1), 0); // [..., n]
  // H(α) = −Σ α log α, with 0·log 0 = 0 for masked keys
  const entropy = F.neg(F.sum(F.where(F.gt(weights, 0), F.mul(weights, logA), 0), -1)); // [..., n]
  let mix: Tensor = oneHot;
  if (gumbel) {
    const tau = options.temperature ?? 1;
    if (!(tau > 0)) throw new Error(`attention: temperature must be > 0, received ${tau}`);
    const soft = F.softmax(
      F.div(F.add(masked, F.fromData(gumbel, weights.shape, 'float64').to(weights.dtype)), tau),
      -1,
    );
    mix = F.add(F.sub(soft, soft.detach()), oneHot); // one-hot forward, soft gradient
  }
  return { output: F.matmul(mix, value), weights, selected: sel, logProb, entropy };
}

/** Local-m, local-p and sliding-window attention over gathered windows of keys. */
function windowedAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  window: Exclude<AttentionWindow, { type: 'global' }>,
  options: AttentionOptions,
): AttentionResult {
  const score = options.score ?? 'scaled-dot';
  if (score === 'location')
    throw new Error(`attention: score 'location' needs global attention, not window '${window.type}'`);
  if ((options.mode ?? 'soft') === 'hard')
    throw new Error(`attention: hard attention needs global attention, not window '${window.type}'`);
  if (options.attnMask)
    throw new Error(`attention: attnMask is for global attention; window '${window.type}' builds its own`);
  const lead = q.shape.slice(0, -2);
  const n = q.shape[q.ndim - 2];
  const m = k.shape[k.ndim - 2];
  const kk = F.expand(k, [...lead, m, k.shape[k.ndim - 1]]); // [..., m, dk]
  const vv = F.expand(v, [...lead, m, v.shape[v.ndim - 1]]); // [..., m, dv]
  const causal = options.causal ?? false;
  const offset = typeof causal === 'object' ? causal.offset : 0;
  const rows = sizeOf(lead) * n;

  // window start and width per query
  let width: number;
  const start = new Int32Array(rows);
  let position: Tensor | null = null; // local-p's p_i, broadcast to [..., n]
  if (window.type === 'sliding') {
    checkInt('window.size', window.size, 0);
    width = 2 * window.size + 1;
    for (let r = 0; r < rows; r++) start[r] = (r % n) + offset - window.size;
  } else {
    checkInt('window.D', window.D, 0);
    width = 2 * window.D + 1;
    if (window.type === 'local-m') {
      const off = window.offset ?? offset;
      for (let r = 0; r < rows; r++) start[r] = (r % n) + off - window.D;
    } else {
      position = F.expand(window.position, [...lead, n]); // [..., n]
      for (let r = 0; r < rows; r++) start[r] = Math.round(position.data[r]) - window.D;
    }
  }
  const startT = new Tensor(start, [...lead, n]);
  const kw = F.windows(kk, startT, width); // [..., n, W, dk]
  const vw = F.windows(vv, startT, width); // [..., n, W, dv]
  const scores = F.squeeze(alignmentScores(score, F.unsqueeze(q, -2), kw, options), -2); // [..., n, W]

  // which window slots are real keys: in range, not padding, not in the future
  const pad = options.keyPaddingMask ?? null;
  if (pad && (pad.dtype !== 'bool' || pad.ndim !== 2 || pad.shape[0] !== q.shape[0] || pad.shape[1] !== m)) {
    throw new Error(
      `attention: keyPaddingMask must be bool [B=${q.shape[0]}, m=${m}] (true = padding), received ${pad.dtype} ${fmt(pad.shape)}`,
    );
  }
  const perBatch = rows / q.shape[0];
  const blocked = new Uint8Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const b = Math.floor(r / perBatch);
    for (let c = 0; c < width; c++) {
      const j = start[r] + c;
      const ok = j >= 0 && j < m && !(pad && pad.data[b * m + j]) && !(causal && j > (r % n) + offset);
      blocked[r * width + c] = ok ? 0 : 1;
    }
  }
  const masked = F.maskedFill(scores, new Tensor(blocked, scores.shape), -Infinity);
  let weights = F.softmax(masked, -1); // [..., n, W]
  if (position) {
    // Luong eq. 10: α_j · exp(−(j − p)² / (2σ²)), σ = D/2, differentiable through p
    const sigma = (window as { D: number }).D / 2;
    const j = new Float64Array(rows * width);
    for (let r = 0; r < rows; r++) for (let c = 0; c < width; c++) j[r * width + c] = start[r] + c;
    const dist = F.sub(F.fromData(j, scores.shape, 'float64').to(q.dtype), F.unsqueeze(position, -1)); // [..., n, W]
    weights = F.mul(weights, F.exp(F.div(F.mul(dist, dist), -2 * sigma * sigma)));
  }
  const dropped = F.dropout(weights, options.dropout ?? 0, options.training ?? true, options.generator);
  const output = F.squeeze(F.matmul(F.unsqueeze(dropped, -2), vw), -2); // Σ_c α_c v_c: [..., n, dv]
  return { output, weights, windowStart: startT };
}

function checkInt(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new Error(`attention: ${name} must be an integer ≥ ${min}, received ${v}`);
}

/** Expand windowed weights [..., n, W] with their starts to a dense map [..., n, m] (for drawing). */
export function denseWeights(result: AttentionResult, m: number): Tensor {
  const { weights, windowStart } = result;
  if (!windowStart) return weights;
  const W = weights.shape[weights.ndim - 1];
  const rows = weights.size / W;
  const out = F.zeros([...weights.shape.slice(0, -1), m], { dtype: weights.dtype });
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < W; c++) {
      const j = windowStart.data[r] + c;
      if (j >= 0 && j < m) out.data[r * m + j] = weights.data[r * W + c];
    }
  }
  return out;
}
