import type { FloatArray } from '../types.js';

export function layerNormForward(
  out: FloatArray,
  mean: FloatArray,
  rstd: FloatArray,
  x: FloatArray,
  weight: FloatArray | null,
  bias: FloatArray | null,
  rows: number,
  cols: number,
  eps: number,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = 0;
    for (let j = 0; j < cols; j++) m += x[o + j];
    m /= cols;
    let v = 0;
    for (let j = 0; j < cols; j++) {
      const d = x[o + j] - m;
      v += d * d;
    }
    v /= cols; // biased variance, as PyTorch's layer_norm
    const s = 1 / Math.sqrt(v + eps);
    mean[r] = m;
    rstd[r] = s;
    for (let j = 0; j < cols; j++) {
      const n = (x[o + j] - m) * s; // x̂
      out[o + j] = n * (weight ? weight[j] : 1) + (bias ? bias[j] : 0);
    }
  }
}

export function layerNormBackward(
  dx: FloatArray,
  dweight: FloatArray | null,
  dbias: FloatArray | null,
  dy: FloatArray,
  x: FloatArray,
  mean: FloatArray,
  rstd: FloatArray,
  weight: FloatArray | null,
  rows: number,
  cols: number,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const m = mean[r];
    const s = rstd[r];
    // forward: x̂_j = (x_j − μ)·rstd ; y_j = x̂_j·w_j + b_j
    // with g_j = dy_j·w_j:  dx_j = rstd · (g_j − mean(g) − x̂_j · mean(g ⊙ x̂))
    let gMean = 0;
    let gxMean = 0;
    for (let j = 0; j < cols; j++) {
      const g = dy[o + j] * (weight ? weight[j] : 1);
      const xh = (x[o + j] - m) * s;
      gMean += g;
      gxMean += g * xh;
    }
    gMean /= cols;
    gxMean /= cols;
    for (let j = 0; j < cols; j++) {
      const xh = (x[o + j] - m) * s;
      const g = dy[o + j] * (weight ? weight[j] : 1);
      dx[o + j] = s * (g - gMean - xh * gxMean);
      if (dweight) dweight[j] += dy[o + j] * xh;
      if (dbias) dbias[j] += dy[o + j];
    }
  }
}
