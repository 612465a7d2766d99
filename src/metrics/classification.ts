/**
 * Scores of a binary classifier: the confusion counts and what is computed from them.
 * F1 = 2·P·R / (P + R) with precision P = tp / (tp + fp) and recall R = tp / (tp + fn)
 * (van Rijsbergen 1979), equal to 2·tp / (2·tp + fp + fn). A ratio with a zero denominator
 * is 0, as scikit-learn's `zero_division=0`.
 */
export interface BinaryScores {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
}

/** `predicted[i]` and `actual[i]` are labels; `positive` is the label that counts as positive. */
export function binaryScores<T>(predicted: readonly T[], actual: readonly T[], positive: T): BinaryScores {
  if (predicted.length !== actual.length)
    throw new Error(
      `binaryScores: predicted and actual must have the same length, received ${predicted.length} and ${actual.length}`,
    );
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  predicted.forEach((p, i) => {
    const a = actual[i] === positive;
    if (p === positive) {
      if (a) tp++;
      else fp++;
    } else if (a) fn++;
    else tn++;
  });
  const ratio = (n: number, d: number) => (d === 0 ? 0 : n / d);
  return {
    tp,
    fp,
    fn,
    tn,
    accuracy: ratio(tp + tn, predicted.length),
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + fn),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
  };
}

/** F1 of the positive label (see {@link binaryScores}). */
export function f1Score<T>(predicted: readonly T[], actual: readonly T[], positive: T): number {
  return binaryScores(predicted, actual, positive).f1;
}
