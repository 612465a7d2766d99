import type { Vocab } from '../../data/vocab.js';
import { padBatch } from '../../data/batching.js';
import { generate } from './decode.js';
import type { EncoderDecoder } from './types.js';

export interface Prediction {
  source: string[];
  tokens: string[];
  logProb: number;
  /** Per output token, its weights over the source tokens. */
  attention: number[][] | null;
}

export interface PredictOptions {
  beam?: number;
  lengthPenalty?: number;
  batchSize?: number;
  maxLength?: number;
}

/**
 * Decode many token sequences: sorted by length into batches (little padding), decoded
 * batched, returned in the input order.
 */
export function predictSequences(
  model: EncoderDecoder,
  sources: readonly (readonly string[])[],
  srcVocab: Vocab,
  tgtVocab: Vocab,
  options: PredictOptions = {},
): Prediction[] {
  const batchSize = options.batchSize ?? 128;
  const order = sources.map((_, i) => i).sort((a, b) => sources[a].length - sources[b].length);
  const out: Prediction[] = new Array(sources.length);
  for (let start = 0; start < order.length; start += batchSize) {
    const rows = order.slice(start, start + batchSize);
    const ids = rows.map((i) => srcVocab.encode(sources[i]));
    ids.forEach((s, r) => {
      if (s.length === 0) throw new Error(`predictSequences: sources[${rows[r]}] must not be empty, received []`);
    });
    const { src, srcPad } = padBatch(ids.map((s) => ({ src: s, tgt: [] }))); // [B, S] each
    const hyps = generate(model, src, srcPad, {
      beam: options.beam ?? 1,
      lengthPenalty: options.lengthPenalty,
      maxLength: options.maxLength ?? 2 * src.shape[1] + 10,
    });
    hyps.forEach((h, b) => {
      const i = rows[b];
      const len = ids[b].length;
      out[i] = {
        source: [...sources[i]],
        tokens: tgtVocab.decode(h.tokens),
        logProb: h.logProb,
        attention: h.attention ? h.attention.map((row) => row.slice(0, len)) : null,
      };
    });
  }
  return out;
}
