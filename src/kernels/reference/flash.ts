import type { FlashShape, FloatArray } from '../types.js';

/**
 * Memory-efficient exact attention (Dao et al. 2022, FlashAttention; backward as in
 * FlashAttention-2): softmax(q kᵀ · scale + mask) v without ever storing the n×m weights.
 * Extra memory: one log-sum-exp per query row, O(n).
 *
 * Layout: q [G, n, d], k [G, m, d], v [G, m, dv], out [G, n, dv], lse [G, n], with G = B·h
 * groups; group g belongs to batch b = floor(g / headsPerBatch).
 * Masks: `causalOffset` ≥ 0 lets query i see keys j ≤ i + causalOffset (−1: no causal mask);
 * `keyPadding` [B, m] (1 = padding) hides keys. A row with no visible key gets zero output
 * and lse = −∞ (and zero gradients).
 */
function visibleEnd(i: number, s: FlashShape): number {
  return s.causalOffset >= 0 ? Math.min(s.m, i + s.causalOffset + 1) : s.m;
}

export function attentionForward(
  out: FloatArray,
  lse: FloatArray,
  q: FloatArray,
  k: FloatArray,
  v: FloatArray,
  keyPadding: Uint8Array | null,
  s: FlashShape,
): void {
  const { G, n, m, d, dv, scale } = s;
  const acc = new Float64Array(dv);
  for (let g = 0; g < G; g++) {
    const pad = keyPadding ? Math.floor(g / s.headsPerBatch) * m : -1;
    for (let i = 0; i < n; i++) {
      const qo = (g * n + i) * d;
      let mx = -Infinity; // running max of the scores seen so far
      let l = 0; // running Σ exp(s − mx)
      acc.fill(0);
      const end = visibleEnd(i, s);
      for (let j = 0; j < end; j++) {
        if (pad >= 0 && keyPadding![pad + j]) continue;
        const ko = (g * m + j) * d;
        let sij = 0;
        for (let c = 0; c < d; c++) sij += q[qo + c] * k[ko + c];
        sij *= scale;
        // online softmax: rescale what was accumulated when the max grows
        if (sij > mx) {
          const r = Math.exp(mx - sij);
          l *= r;
          for (let c = 0; c < dv; c++) acc[c] *= r;
          mx = sij;
        }
        const p = Math.exp(sij - mx);
        l += p;
        const vo = (g * m + j) * dv;
        for (let c = 0; c < dv; c++) acc[c] += p * v[vo + c];
      }
      const oo = (g * n + i) * dv;
      if (l === 0) {
        for (let c = 0; c < dv; c++) out[oo + c] = 0;
        lse[g * n + i] = -Infinity;
      } else {
        for (let c = 0; c < dv; c++) out[oo + c] = acc[c] / l;
        lse[g * n + i] = mx + Math.log(l);
      }
    }
  }
}

/**
 * Gradients of attentionForward, recomputing p_ij = exp(s_ij − lse_i) instead of storing it:
 *   Δ_i = Σ_c dO_ic O_ic
 *   dV_j += p_ij dO_i ;  dp_ij = dO_i · v_j ;  ds_ij = p_ij (dp_ij − Δ_i)
 *   dQ_i += scale ds_ij k_j ;  dK_j += scale ds_ij q_i
 * dq, dk, dv are overwritten.
 */
export function attentionBackward(
  dq: FloatArray,
  dk: FloatArray,
  dvOut: FloatArray,
  dout: FloatArray,
  q: FloatArray,
  k: FloatArray,
  v: FloatArray,
  out: FloatArray,
  lse: FloatArray,
  keyPadding: Uint8Array | null,
  s: FlashShape,
): void {
  const { G, n, m, d, dv, scale } = s;
  // only the declared extents: an output array may be longer, and what lies past it is not ours
  dq.fill(0, 0, G * n * d);
  dk.fill(0, 0, G * m * d);
  dvOut.fill(0, 0, G * m * dv);
  for (let g = 0; g < G; g++) {
    const pad = keyPadding ? Math.floor(g / s.headsPerBatch) * m : -1;
    for (let i = 0; i < n; i++) {
      const L = lse[g * n + i];
      if (L === -Infinity) continue; // no visible key: zero output, zero gradient
      const qo = (g * n + i) * d;
      const oo = (g * n + i) * dv;
      let delta = 0;
      for (let c = 0; c < dv; c++) delta += dout[oo + c] * out[oo + c];
      const end = visibleEnd(i, s);
      for (let j = 0; j < end; j++) {
        if (pad >= 0 && keyPadding![pad + j]) continue;
        const ko = (g * m + j) * d;
        const vo = (g * m + j) * dv;
        let sij = 0;
        for (let c = 0; c < d; c++) sij += q[qo + c] * k[ko + c];
        const p = Math.exp(sij * scale - L);
        let dp = 0;
        for (let c = 0; c < dv; c++) {
          dvOut[vo + c] += p * dout[oo + c];
          dp += dout[oo + c] * v[vo + c];
        }
        const ds = p * (dp - delta) * scale;
        for (let c = 0; c < d; c++) {
          dq[qo + c] += ds * k[ko + c];
          dk[ko + c] += ds * q[qo + c];
        }
      }
    }
  }
}
