/**
 * The captioner's training objective (Xu et al. 2015):
 *   soft:  L = −Σ_t log p(y_t) / N_tokens + λ · mean_b Σ_i (1 − Σ_t α_bti)²          (eq. 14)
 *   hard:  the same cross-entropy, plus the score-function surrogate of eq. 12 with a
 *          moving-average baseline and an entropy bonus (ReinforceBaseline), whose reward for
 *          example b is log p(y_b | s_b, a_b) = −Σ_t nll_bt, the paper's reward.
 *   none:  the cross-entropy only.
 * Steps past a caption's EOS (PAD targets) count nowhere: not in the cross-entropy, not in
 * Σ_t α_ti, not in log p(s) or the entropy.
 */
import { PAD } from '../data/vocab.js';
import type { ReinforceBaseline } from '../attention/reinforce.js';
import * as F from '../ops/index.js';
import { Tensor } from '../tensor/tensor.js';
import type { CaptionForward } from './captioner.js';

export interface CaptionLossOptions {
  /** λ of the doubly stochastic penalty (soft and hard); 0 turns it off. */
  doublyStochastic: number;
  /** hard attention: the baseline, its reward weight and entropy weight (null otherwise). */
  reinforce: ReinforceBaseline | null;
}

export interface CaptionLoss {
  /** What to backpropagate (scalar). */
  loss: Tensor;
  /** Mean cross-entropy per target token (EOS included). */
  crossEntropy: number;
  /** λ Σ_i (1 − Σ_t α_ti)², batch mean (0 without attention). */
  penalty: number;
  /** Per-example −log p(y | a) [B] (the hard-attention reward, negated). */
  nllPerExample: number[];
}

export function captionLoss(out: CaptionForward, tgtOut: Tensor, o: CaptionLossOptions): CaptionLoss {
  const B = tgtOut.shape[0];
  const mask = F.ne(tgtOut, PAD); // [B, T] bool, true at real targets
  const maskF = mask.to(out.logits.dtype); // [B, T]
  const safe = F.where(mask, tgtOut, 0).to('int32'); // [B, T]
  const picked = F.squeeze(F.gather(out.logits, 2, F.unsqueeze(safe, 2)), 2); // log p(y_t): [B, T]
  const nll = F.neg(F.mul(picked, maskF)); // [B, T], 0 at padding
  const tokens = Math.max(1, F.sum(maskF).item()); // real target tokens
  const ce = F.div(F.sum(nll), tokens); // scalar
  let loss = ce;
  let penalty = 0;
  if (out.alphas && o.doublyStochastic > 0) {
    const attended = F.sum(F.mul(out.alphas, F.unsqueeze(maskF, 2)), 1); // Σ_t α_ti over real steps: [B, L]
    const gap = F.sub(attended, 1); // Σ_t α_ti − 1, squared below: [B, L]
    const ds = F.mul(F.mean(F.sum(F.mul(gap, gap), 1)), o.doublyStochastic); // λ · mean_b Σ_i (…)²
    penalty = ds.item();
    loss = F.add(loss, ds);
  }
  const nllPerExample = Array.from(F.sum(nll, 1).detach().data as ArrayLike<number>); // [B]
  if (o.reinforce) {
    if (!out.logProbs || !out.entropies) throw new Error('captionLoss: reinforce needs a hard-attention forward');
    const reward = new Tensor(
      Float64Array.from(nllPerExample, (x) => -x),
      [B],
    ); // log p(y | s): [B]
    const logP = F.mul(out.logProbs, maskF); // log α_{t,s_t} at real steps: [B, T]
    const entropy = F.mul(out.entropies, maskF); // H(α_t) at real steps: [B, T]
    loss = F.add(loss, o.reinforce.surrogate(reward, logP, entropy));
  }
  return { loss, crossEntropy: ce.item(), penalty, nllPerExample };
}
