/**
 * Grapheme-to-phoneme scores, as reported for CMUdict (Yao & Zweig 2015; Rao et al. 2015).
 * A word may have several correct pronunciations (src/data/cmudict.ts keeps them all):
 * - WER (word error rate): the share of words whose prediction equals NONE of the references.
 * - PER (phoneme error rate), corpus level: Σ edit distance / Σ reference length, each word
 *   scored against its closest reference (fewest edits; ties → the one listed first, the
 *   dictionary's main pronunciation). Not the mean of per-word rates, which would weigh a
 *   two-phoneme word like a ten-phoneme one.
 */
import { editDistance } from './edit-distance.js';

export interface LengthBucket {
  /** Source word length (letters). */
  length: number;
  words: number;
  /** Words with any phoneme wrong. */
  errors: number;
  wer: number;
}

export interface G2PScores {
  words: number;
  /** Words with any phoneme wrong. */
  wordErrors: number;
  wer: number;
  /** Σ edits against the closest reference. */
  phonemeErrors: number;
  /** Σ length of the closest reference. */
  referencePhonemes: number;
  per: number;
  /** WER by source word length, ascending; only when source lengths were given. */
  byLength: LengthBucket[];
}

/** The closest reference: fewest edits, ties to the first. */
export function closestReference<T>(
  prediction: readonly T[],
  references: readonly (readonly T[])[],
): { index: number; distance: number } {
  if (references.length === 0) throw new Error('closestReference: references must not be empty, received []');
  let index = 0;
  let distance = Infinity;
  references.forEach((r, i) => {
    const d = editDistance(prediction, r);
    if (d < distance) [index, distance] = [i, d];
  });
  return { index, distance };
}

/**
 * predictions[i]: phonemes predicted for word i; references[i]: its pronunciations;
 * sourceLengths[i] (optional): its letter count, for `byLength`.
 */
export function scoreG2P(
  predictions: readonly (readonly string[])[],
  references: readonly (readonly (readonly string[])[])[],
  sourceLengths?: readonly number[],
): G2PScores {
  if (predictions.length !== references.length) {
    throw new Error(
      `scoreG2P: predictions and references must have the same length, received ${predictions.length} and ${references.length}`,
    );
  }
  if (sourceLengths && sourceLengths.length !== predictions.length) {
    throw new Error(
      `scoreG2P: sourceLengths must have one entry per prediction (${predictions.length}), received ${sourceLengths.length}`,
    );
  }
  let wordErrors = 0;
  let phonemeErrors = 0;
  let referencePhonemes = 0;
  const buckets = new Map<number, { words: number; errors: number }>();
  predictions.forEach((p, i) => {
    if (references[i].length === 0) throw new Error(`scoreG2P: references[${i}] must not be empty, received []`);
    const { index, distance } = closestReference(p, references[i]);
    const wrong = distance > 0 ? 1 : 0;
    wordErrors += wrong;
    phonemeErrors += distance;
    referencePhonemes += references[i][index].length;
    if (sourceLengths) {
      const b = buckets.get(sourceLengths[i]) ?? { words: 0, errors: 0 };
      b.words++;
      b.errors += wrong;
      buckets.set(sourceLengths[i], b);
    }
  });
  const n = predictions.length;
  return {
    words: n,
    wordErrors,
    wer: n === 0 ? 0 : wordErrors / n,
    phonemeErrors,
    referencePhonemes,
    per: referencePhonemes === 0 ? (phonemeErrors === 0 ? 0 : Infinity) : phonemeErrors / referencePhonemes,
    byLength: [...buckets]
      .sort(([a], [b]) => a - b)
      .map(([length, { words, errors }]) => ({ length, words, errors, wer: errors / words })),
  };
}
