import type { FloatArray } from '../types.js';

/** Reference batched GEMM: three plain loops, written to be read. The oracle for fast GEMMs. */
export function gemm(
  out: FloatArray,
  a: FloatArray,
  bm: FloatArray,
  batch: number,
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
  strideA: number,
  strideB: number,
  accumulate: boolean,
): void {
  for (let b = 0; b < batch; b++) {
    const ao = b * strideA;
    const bo = b * strideB;
    const oo = b * m * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) {
          const av = transA ? a[ao + p * m + i] : a[ao + i * k + p];
          const bv = transB ? bm[bo + j * k + p] : bm[bo + p * n + j];
          acc += av * bv;
        }
        out[oo + i * n + j] = accumulate ? out[oo + i * n + j] + acc : acc;
      }
    }
  }
}
