import * as F from '../../ops/index.js';
import { noGrad } from '../../tensor/autograd.js';
import { Tensor } from '../../tensor/tensor.js';
import { BOS, type DecodeState, type EncoderDecoder, EOS } from './types.js';

export interface GenerateOptions {
  /** Beam width; 1 = greedy. */
  beam?: number;
  maxLength?: number;
  /** GNMT length penalty α (Wu et al. 2016): score = log P / ((5 + |y|) / 6)^α; 0 = none. */
  lengthPenalty?: number;
}

export interface Hypothesis {
  /** Token ids without BOS and EOS. */
  tokens: number[];
  logProb: number;
  /** Per output token, its weights over the source [S] (when the model has them). */
  attention: number[][] | null;
}

/** Keep the rows `rows` of every state tensor (beam search reorders and expands with this). */
export function selectRows(state: DecodeState, rows: number[]): DecodeState {
  const index = F.tensor(rows, [rows.length], { dtype: 'int32' });
  const out: DecodeState = {};
  for (const [k, v] of Object.entries(state)) out[k] = v ? F.indexSelect(v, 0, index) : null;
  return out;
}

function rowOf(t: Tensor, r: number): number[] {
  const w = t.shape[t.ndim - 1];
  return Array.from(t.data.subarray(r * w, (r + 1) * w));
}

/**
 * Batched decoding: greedy when beam = 1, else beam search with length normalisation.
 * Returns the best hypothesis for each source row.
 */
export function generate(
  model: EncoderDecoder,
  src: Tensor,
  srcPad: Tensor,
  options: GenerateOptions = {},
): Hypothesis[] {
  const beam = options.beam ?? 1;
  const maxLength = options.maxLength ?? 2 * src.shape[1] + 10;
  if (!Number.isInteger(beam) || beam < 1)
    throw new Error(`generate: beam must be a positive integer, received ${beam}`);
  return noGrad(() =>
    beam === 1
      ? greedy(model, src, srcPad, maxLength)
      : beamSearch(model, src, srcPad, beam, maxLength, options.lengthPenalty ?? 0.6),
  );
}

function greedy(model: EncoderDecoder, src: Tensor, srcPad: Tensor, maxLength: number): Hypothesis[] {
  const B = src.shape[0];
  let state = model.start(src, srcPad);
  const hyps: Hypothesis[] = Array.from({ length: B }, () => ({ tokens: [], logProb: 0, attention: [] }));
  const done = new Array<boolean>(B).fill(false);
  let prev = new Int32Array(B).fill(BOS);
  for (let t = 0; t < maxLength && done.some((d) => !d); t++) {
    const out = model.step(state, new Tensor(prev, [B]), t);
    state = out.state;
    const best = F.argmax(out.logProbs, -1);
    const next = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      next[b] = best.data[b];
      if (done[b]) continue;
      const tok = best.data[b];
      hyps[b].logProb += out.logProbs.data[b * out.logProbs.shape[1] + tok];
      if (tok === EOS) {
        done[b] = true;
        continue;
      }
      hyps[b].tokens.push(tok);
      if (out.attention) hyps[b].attention!.push(rowOf(out.attention, b));
      else hyps[b].attention = null;
    }
    prev = next;
  }
  return hyps;
}

interface Beam {
  tokens: number[];
  logProb: number;
  attention: number[][] | null;
  finished: boolean;
}

function beamSearch(
  model: EncoderDecoder,
  src: Tensor,
  srcPad: Tensor,
  K: number,
  maxLength: number,
  alpha: number,
): Hypothesis[] {
  const B = src.shape[0];
  const penalty = (len: number) => ((5 + len) / 6) ** alpha;
  const normalised = (h: Beam) => h.logProb / penalty(h.tokens.length + 1);
  // every source row starts with one live beam; rows of `state` are (b, live beam) pairs
  let state = model.start(src, srcPad);
  let live: Beam[][] = Array.from({ length: B }, () => [{ tokens: [], logProb: 0, attention: [], finished: false }]);
  const finished: Beam[][] = Array.from({ length: B }, () => []);
  for (let t = 0; t < maxLength; t++) {
    const rows = live.flat();
    if (rows.length === 0) break;
    const prev = Int32Array.from(rows, (h) => (h.tokens.length ? h.tokens[h.tokens.length - 1] : BOS));
    const out = model.step(state, new Tensor(prev, [rows.length]), t);
    const V = out.logProbs.shape[1];
    const nextLive: Beam[][] = [];
    const keep: number[] = [];
    let r = 0;
    for (let b = 0; b < B; b++) {
      const candidates: { from: number; tok: number; logProb: number }[] = [];
      for (const h of live[b]) {
        const lp = out.logProbs.data.subarray(r * V, (r + 1) * V);
        // the K best extensions of this beam are enough: the K best overall are among them
        const top = [...lp.keys()].sort((i, j) => lp[j] - lp[i]).slice(0, K);
        for (const tok of top) candidates.push({ from: r, tok, logProb: h.logProb + lp[tok] });
        r++;
      }
      candidates.sort((x, y) => y.logProb - x.logProb);
      const beams: Beam[] = [];
      for (const c of candidates) {
        if (beams.length >= K) break;
        const parent = rows[c.from];
        const att = parent.attention && out.attention ? [...parent.attention, rowOf(out.attention, c.from)] : null;
        if (c.tok === EOS)
          finished[b].push({ tokens: parent.tokens, logProb: c.logProb, attention: parent.attention, finished: true });
        else {
          beams.push({ tokens: [...parent.tokens, c.tok], logProb: c.logProb, attention: att, finished: false });
          keep.push(c.from);
        }
      }
      // stop a row once its best finished hypothesis beats what any live one can still reach
      const bestDone = Math.max(-Infinity, ...finished[b].map(normalised));
      const bestLive = Math.max(-Infinity, ...beams.map((h) => h.logProb / penalty(maxLength + 1)));
      if (finished[b].length >= K || (finished[b].length > 0 && bestDone >= bestLive)) {
        keep.splice(keep.length - beams.length, beams.length);
        nextLive.push([]);
      } else nextLive.push(beams);
    }
    live = nextLive;
    if (keep.length === 0) break;
    state = selectRows(out.state, keep);
  }
  return Array.from({ length: B }, (_, b) => {
    const pool = finished[b].length ? finished[b] : live[b];
    const best = pool.reduce((x, y) => (normalised(y) > normalised(x) ? y : x));
    return { tokens: best.tokens, logProb: best.logProb, attention: best.attention };
  });
}
