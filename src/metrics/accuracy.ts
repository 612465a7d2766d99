/** Share of predictions equal to their reference token for token (sequence accuracy, for the synthetic tasks). 0 items → 0. */
export function accuracy<T>(predictions: readonly (readonly T[])[], references: readonly (readonly T[])[]): number {
  if (predictions.length !== references.length) {
    throw new Error(
      `accuracy: predictions and references must have the same length, received ${predictions.length} and ${references.length}`,
    );
  }
  if (predictions.length === 0) return 0;
  let right = 0;
  predictions.forEach((p, i) => {
    const r = references[i];
    if (p.length === r.length && p.every((t, k) => t === r[k])) right++;
  });
  return right / predictions.length;
}
