import * as F from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * The score-function (REINFORCE) term for hard attention, as Xu et al. 2015 eq. 12:
 *   ∂L/∂W ≈ Σ_n [ ∂log p(y|s)/∂W + λ_r (log p(y|s) − b) ∂log p(s|a)/∂W + λ_e ∂H[s]/∂W ]
 * with a moving-average baseline b (eq. 13) to cut the variance. `surrogate` returns a scalar
 * whose gradient is the last two terms (negated, for a loss to minimise): add it to the loss.
 */
export class ReinforceBaseline {
  /** The moving average of the reward; null until the first update. */
  baseline: number | null = null;

  constructor(
    readonly decay = 0.9,
    readonly rewardWeight = 1,
    readonly entropyWeight = 0.01,
  ) {
    if (!(decay >= 0 && decay < 1)) throw new Error(`ReinforceBaseline: decay must be in [0, 1), received ${decay}`);
  }

  /**
   * reward: [B] per-example reward, usually log p(y | s) (minus the loss), as a plain tensor.
   * logProb: [B, ...] log α of the sampled keys (from attention's hard mode; summed per example).
   * entropy: [B, ...] entropies of α (same shape as logProb), or null.
   */
  surrogate(reward: Tensor, logProb: Tensor, entropy: Tensor | null = null): Tensor {
    const B = reward.size;
    if (logProb.shape[0] !== B) {
      throw new Error(`ReinforceBaseline: logProb's first axis (${logProb.shape[0]}) must match reward's size (${B})`);
    }
    const r = Array.from(reward.data as ArrayLike<number>);
    const mean = r.reduce((s, x) => s + x, 0) / B;
    const b = this.baseline ?? mean;
    const advantage = F.fromData(
      r.map((x) => this.rewardWeight * (x - b)),
      [B],
      logProb.dtype,
    ); // [B], constant
    const perExample =
      logProb.ndim > 1
        ? F.sum(
            logProb,
            [...Array(logProb.ndim - 1).keys()].map((i) => i + 1),
          )
        : logProb; // [B]
    let loss = F.neg(F.mean(F.mul(advantage, perExample)));
    if (entropy && this.entropyWeight !== 0)
      loss = F.sub(loss, F.mul(F.mean(F.sum(F.reshape(entropy, [B, -1]), 1)), this.entropyWeight));
    this.baseline = this.baseline === null ? mean : this.decay * this.baseline + (1 - this.decay) * mean;
    return loss;
  }
}
