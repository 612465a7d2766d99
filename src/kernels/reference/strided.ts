import type { TypedArray } from '../types.js';

/**
 * The two kernels behind every view-like op (permute, slice, expand, pad and their gradients).
 *
 * stridedCopy:  out[i] = x[offset + Σ_d idx_d · strides[d]]   for every index idx of `shape`, out contiguous.
 * stridedScatter: dst[offset + Σ_d idx_d · strides[d]] (+)= src[i], the adjoint of stridedCopy when accumulating
 *                 (it sums where strides are 0); a plain store otherwise (to write into a region, as pad does).
 */
export function stridedCopy(
  out: TypedArray,
  x: TypedArray,
  offset: number,
  shape: readonly number[],
  strides: readonly number[],
): void {
  const rank = shape.length;
  const total = out.length;
  if (total === 0) return;
  if (rank === 0) {
    out[0] = x[offset];
    return;
  }
  const last = rank - 1;
  const n = shape[last];
  const s = strides[last];
  const idx = new Array<number>(rank).fill(0);
  let base = offset;
  for (let o = 0; o < total; o += n) {
    if (s === 1) for (let j = 0; j < n; j++) out[o + j] = x[base + j];
    else for (let j = 0; j < n; j++) out[o + j] = x[base + j * s];
    // advance the outer index like an odometer
    for (let d = last - 1; d >= 0; d--) {
      idx[d]++;
      base += strides[d];
      if (idx[d] < shape[d]) break;
      base -= idx[d] * strides[d];
      idx[d] = 0;
    }
  }
}

export function stridedScatter(
  dst: TypedArray,
  offset: number,
  shape: readonly number[],
  strides: readonly number[],
  src: TypedArray,
  accumulate = true,
): void {
  const rank = shape.length;
  const total = src.length;
  if (total === 0) return;
  if (rank === 0) {
    dst[offset] = accumulate ? dst[offset] + src[0] : src[0];
    return;
  }
  const last = rank - 1;
  const n = shape[last];
  const s = strides[last];
  const idx = new Array<number>(rank).fill(0);
  let base = offset;
  for (let o = 0; o < total; o += n) {
    if (!accumulate) for (let j = 0; j < n; j++) dst[base + j * s] = src[o + j];
    else if (s === 0) {
      let acc = 0; // summed in double precision before the one store
      for (let j = 0; j < n; j++) acc += src[o + j];
      dst[base] += acc;
    } else for (let j = 0; j < n; j++) dst[base + j * s] += src[o + j];
    for (let d = last - 1; d >= 0; d--) {
      idx[d]++;
      base += strides[d];
      if (idx[d] < shape[d]) break;
      base -= idx[d] * strides[d];
      idx[d] = 0;
    }
  }
}
