import * as F from '../ops/index.js';
import { fmt } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Alignment scores e[..., i, j] = score(q_i, k_j) (spec §1). Queries are [..., n, dq], keys
 * [..., m, dk]; the leading axes ([B] or [B, h]) broadcast. Learned parameters are passed in
 * (the modules in src/nn own them):
 *
 * | score        | e_ij                              | parameters                          |
 * |--------------|-----------------------------------|-------------------------------------|
 * | dot          | q_iᵀ k_j                          | —                                   |
 * | scaled-dot   | q_iᵀ k_j · scale (1/√dk default)  | —                     (Vaswani 2017)|
 * | general      | q_iᵀ W k_j                        | W [dq, dk]            (Luong 2015)  |
 * | additive     | vᵀ tanh(W_q q_i + W_k k_j + b)    | W_q [da, dq], W_k [da, dk], v [da], b [da] (Bahdanau 2015) |
 * | location     | (W q_i)_j                         | W [m_max, dq]         (Luong 2015)  |
 * | cosine       | β · cos(q_i, k_j)                 | β (number or tensor)  (Graves 2014) |
 */
export type ScoreName = 'dot' | 'scaled-dot' | 'general' | 'additive' | 'location' | 'cosine';

export interface ScoreParams {
  /** general: W [dq, dk]; location: W [m_max, dq]. */
  W?: Tensor;
  /** additive: W_q [da, dq], W_k [da, dk], v [da], optional bias b [da]. */
  Wq?: Tensor;
  Wk?: Tensor;
  v?: Tensor;
  b?: Tensor | null;
  /** additive: W_k k computed once per sequence by the caller ([..., m, da]); then Wk is not used. */
  projectedKeys?: Tensor | null;
  /** cosine: sharpness β (default 1). */
  beta?: number | Tensor;
  /** scaled-dot: override 1/√dk. */
  scale?: number;
}

export const SCORE_NAMES: readonly ScoreName[] = ['dot', 'scaled-dot', 'general', 'additive', 'location', 'cosine'];

function need(score: ScoreName, name: keyof ScoreParams, p: ScoreParams): Tensor {
  const t = p[name];
  if (!t || typeof t === 'number') throw new Error(`attention: score '${score}' needs the parameter ${name}`);
  return t;
}

/** Scores [..., n, m] for queries [..., n, dq] and keys [..., m, dk]. */
export function alignmentScores(score: ScoreName, q: Tensor, k: Tensor, p: ScoreParams = {}): Tensor {
  const dq = q.shape[q.ndim - 1];
  const dk = k.shape[k.ndim - 1];
  const m = k.shape[k.ndim - 2];
  const sameDim = () => {
    if (dq !== dk)
      throw new Error(
        `attention: score '${score}' needs query and key sizes to match, received query ${fmt(q.shape)} and key ${fmt(k.shape)}`,
      );
  };
  switch (score) {
    case 'dot':
      sameDim();
      return F.matmulT(q, k); // q kᵀ: [..., n, m]
    case 'scaled-dot':
      sameDim();
      return F.mul(F.matmulT(q, k), p.scale ?? 1 / Math.sqrt(dk)); // q kᵀ · scale: [..., n, m]
    case 'general': {
      const W = need(score, 'W', p); // [dq, dk]
      if (W.ndim !== 2 || W.shape[0] !== dq || W.shape[1] !== dk) {
        throw new Error(`attention: score 'general' needs W of shape [${dq}, ${dk}], received ${fmt(W.shape)}`);
      }
      return F.matmulT(F.matmul(q, W), k); // (q W) kᵀ: [..., n, m]
    }
    case 'additive': {
      const Wq = need(score, 'Wq', p); // [da, dq]
      const v = need(score, 'v', p); // [da]
      const qp = F.linear(q, Wq, p.b ?? null); // [..., n, da]
      const kp = p.projectedKeys ?? F.linear(k, need(score, 'Wk', p)); // [..., m, da]
      if (v.ndim === 1 && qp.dtype === kp.dtype && qp.dtype === v.dtype) return F.additiveScores(qp, kp, v); // one op
      const h = F.tanh(F.add(F.unsqueeze(qp, -2), F.unsqueeze(kp, -3))); // [..., n, m, da]
      return F.matmul(h, v); // vᵀ h: [..., n, m]
    }
    case 'location': {
      const W = need(score, 'W', p); // [m_max, dq]
      if (W.ndim !== 2 || W.shape[1] !== dq || W.shape[0] < m) {
        throw new Error(`attention: score 'location' needs W of shape [m_max ≥ ${m}, ${dq}], received ${fmt(W.shape)}`);
      }
      const e = F.linear(q, W); // [..., n, m_max]
      const scores = W.shape[0] === m ? e : F.slice(e, -1, 0, m); // [..., n, m]
      // the keys' content plays no part, only their positions; broadcast to k's leading axes
      return F.add(scores, F.zeros([...k.shape.slice(0, -2), 1, m], { dtype: q.dtype }));
    }
    case 'cosine': {
      sameDim();
      const unit = (x: Tensor) => F.div(x, F.add(F.sqrt(F.sum(F.mul(x, x), -1, true)), 1e-8)); // x / ‖x‖
      const cos = F.matmulT(unit(q), unit(k)); // [..., n, m]
      const beta = p.beta ?? 1;
      return F.mul(cos, beta);
    }
    default:
      throw new Error(`attention: score must be one of ${SCORE_NAMES.join(', ')}, received ${String(score)}`);
  }
}
