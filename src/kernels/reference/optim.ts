import type { AdamScalars, FloatArray } from '../types.js';

/**
 * Adam (Kingma & Ba 2015) as torch.optim.Adam, in place over j < p.length:
 *   g' = g + l2·p
 *   m = β1·m + (1 − β1)·g'            v = β2·v + (1 − β2)·g'²
 *   p = decay·p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + eps)
 * Arithmetic in float64, each stored value rounded to the arrays' type; m and v are read back
 * after the store, so float32 state rounds where PyTorch's does. The native kernel repeats these
 * operations in this order, without fused multiply-adds, and so matches bit for bit.
 */
export function adamStep(p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, s: AdamScalars): void {
  const { beta1: b1, beta2: b2, stepSize, sqrtBias2, eps, decay, l2 } = s;
  const a1 = 1 - b1;
  const a2 = 1 - b2;
  for (let j = 0; j < p.length; j++) {
    const gj = g[j] + l2 * p[j];
    m[j] = b1 * m[j] + a1 * gj;
    v[j] = b2 * v[j] + a2 * gj * gj;
    p[j] = p[j] * decay - (stepSize * m[j]) / (Math.sqrt(v[j]) / sqrtBias2 + eps);
  }
}

/** Σ x², in float64. */
export function sumOfSquares(x: FloatArray): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i] * x[i];
  return sum;
}
