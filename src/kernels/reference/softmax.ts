import type { FloatArray } from '../types.js';

export function softmaxForward(out: FloatArray, x: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) if (x[o + j] > max) max = x[o + j];
    // NOTE: a row of -Infinity (every key masked) has max = -Infinity; exp(x - max) would be NaN.
    // Such a row gets all-zero probabilities instead: the library's "fully masked row" rule.
    if (max === -Infinity) {
      for (let j = 0; j < cols; j++) out[o + j] = 0;
      continue;
    }
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(x[o + j] - max);
      out[o + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < cols; j++) out[o + j] *= inv;
  }
}

export function softmaxBackward(dx: FloatArray, dy: FloatArray, y: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    // forward: y_j = exp(x_j) / Σ exp  ⇒  dx_j = y_j (dy_j − Σ_k dy_k y_k)
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += dy[o + j] * y[o + j];
    for (let j = 0; j < cols; j++) dx[o + j] = y[o + j] * (dy[o + j] - dot);
  }
}

export function logSoftmaxForward(out: FloatArray, x: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) if (x[o + j] > max) max = x[o + j];
    if (max === -Infinity) {
      // NOTE: every entry -Infinity: log-probabilities are -Infinity, as in PyTorch; no NaN.
      for (let j = 0; j < cols; j++) out[o + j] = -Infinity;
      continue;
    }
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(x[o + j] - max);
    const lse = max + Math.log(sum);
    for (let j = 0; j < cols; j++) out[o + j] = x[o + j] - lse;
  }
}

export function logSoftmaxBackward(dx: FloatArray, dy: FloatArray, y: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    // forward: y_j = x_j − log Σ_k exp(x_k)  ⇒  dx_j = dy_j − exp(y_j) Σ_k dy_k
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += dy[o + j];
    for (let j = 0; j < cols; j++) dx[o + j] = dy[o + j] - Math.exp(y[o + j]) * sum;
  }
}
