import type { FloatArray } from '../types.js';

/**
 * Additive (Bahdanau) attention scores, for g < G, i < n, j < m (src/ops/additive.ts is the op):
 *   t[g, i, j, a] = tanh(qp[g, i, a] + kp[g, j, a])        (saved for the backward)
 *   e[g, i, j]    = Σ_a v[a] · t[g, i, j, a]
 */
export function additiveForward(
  e: FloatArray,
  t: FloatArray,
  qp: FloatArray,
  kp: FloatArray,
  v: FloatArray,
  G: number,
  n: number,
  m: number,
  da: number,
): void {
  for (let g = 0; g < G; g++) {
    for (let i = 0; i < n; i++) {
      const qi = (g * n + i) * da;
      for (let j = 0; j < m; j++) {
        const kj = (g * m + j) * da;
        const tij = ((g * n + i) * m + j) * da;
        let acc = 0;
        for (let a = 0; a < da; a++) {
          const th = Math.tanh(qp[qi + a] + kp[kj + a]);
          t[tij + a] = th;
          acc += v[a] * th;
        }
        e[(g * n + i) * m + j] = acc;
      }
    }
  }
}

/**
 * Its gradient from ge = ∂L/∂e, added into dq [G, n, da], dk [G, m, da] and dv [da]:
 *   d = ge[g, i, j] · v[a] · (1 − t²)        (the derivative of tanh is 1 − tanh²)
 *   dq[g, i, a] += Σ_j d      dk[g, j, a] += Σ_i d      dv[a] += Σ_gij ge[g, i, j] · t[g, i, j, a]
 * dv is float64: it sums G·n·m terms.
 */
export function additiveBackward(
  dq: FloatArray,
  dk: FloatArray,
  dv: Float64Array,
  ge: FloatArray,
  t: FloatArray,
  v: FloatArray,
  G: number,
  n: number,
  m: number,
  da: number,
): void {
  for (let g = 0; g < G; g++) {
    for (let i = 0; i < n; i++) {
      const qi = (g * n + i) * da;
      for (let j = 0; j < m; j++) {
        const kj = (g * m + j) * da;
        const tij = ((g * n + i) * m + j) * da;
        const gij = ge[(g * n + i) * m + j];
        for (let a = 0; a < da; a++) {
          const th = t[tij + a];
          const d = gij * v[a] * (1 - th * th);
          dq[qi + a] += d;
          dk[kj + a] += d;
          dv[a] += gij * th;
        }
      }
    }
  }
}
