import * as F from '../../ops/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { DecodeState, EncoderDecoder, Seq2SeqOutput, StepOutput } from './types.js';

/**
 * Several trained encoder-decoders decoded as one: the next-token distribution is the mean of
 * the members' distributions, p(y) = (1/K) Σ_k p_k(y), so log p = logsumexp_k(log p_k) − log K
 * (the usual ensemble of neural translation, e.g. Sutskever et al. 2014 §3.6, and of the G2P
 * results this project compares with). Members must share their vocabularies; each keeps its
 * own decoding state, stored here under the member's index ('0.h', '1.h', …) so that beam
 * search reorders every member's rows together. The alignment drawn is the mean of the
 * members' (those that have one).
 */
export class Ensemble implements EncoderDecoder {
  readonly kind = 'ensemble';

  constructor(readonly members: readonly EncoderDecoder[]) {
    if (members.length === 0) throw new Error('Ensemble: needs at least one member, received 0');
  }

  forward(src: Tensor, srcPad: Tensor, tgtIn: Tensor): Seq2SeqOutput {
    const outs = this.members.map((m) => m.forward(src, srcPad, tgtIn));
    return {
      logits: this.meanLogProbs(outs.map((o) => F.logSoftmax(o.logits, -1))), // [B, T, V]
      attention: meanOf(outs.map((o) => o.attention)), // [B, T, S] or null
    };
  }

  start(src: Tensor, srcPad: Tensor): DecodeState {
    return this.join(this.members.map((m) => m.start(src, srcPad)));
  }

  step(state: DecodeState, previous: Tensor, t: number): StepOutput {
    const outs = this.members.map((m, k) => m.step(this.part(state, k), previous, t));
    return {
      logProbs: this.meanLogProbs(outs.map((o) => o.logProbs)), // [B, V]
      attention: meanOf(outs.map((o) => o.attention)), // [B, S] or null
      state: this.join(outs.map((o) => o.state)),
    };
  }

  /** log((1/K) Σ_k exp(lp_k)) over the members' log-probabilities, each [..., V]. */
  private meanLogProbs(logProbs: Tensor[]): Tensor {
    if (logProbs.length === 1) return logProbs[0];
    return F.sub(F.logSumExp(F.stack(logProbs, 0), 0), Math.log(logProbs.length)); // [..., V]
  }

  private join(states: DecodeState[]): DecodeState {
    const out: DecodeState = {};
    states.forEach((s, k) => {
      for (const [key, v] of Object.entries(s)) out[`${k}.${key}`] = v;
    });
    return out;
  }

  private part(state: DecodeState, k: number): DecodeState {
    const prefix = `${k}.`;
    const out: DecodeState = {};
    for (const [key, v] of Object.entries(state)) if (key.startsWith(prefix)) out[key.slice(prefix.length)] = v;
    return out;
  }
}

function meanOf(maps: (Tensor | null)[]): Tensor | null {
  const present = maps.filter((m): m is Tensor => m !== null);
  if (present.length === 0) return null;
  return present.length === 1 ? present[0] : F.mean(F.stack(present, 0), 0);
}
