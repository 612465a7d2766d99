/** Element types. float32 is the default; float64 serves gradient checks; int32 holds indices; bool holds masks. */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';
import type { FloatArray, TypedArray } from '../kernels/types.js';
export type { FloatArray, TypedArray };

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

/** Storage, zeroed or not; from the pool of recycled arrays (pool.ts) when it has one. */
export { allocate, allocateUninit } from './pool.js';

export function isFloat(dtype: DType): dtype is 'float32' | 'float64' {
  return dtype === 'float32' || dtype === 'float64';
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** Type promotion for binary ops: bool < int32 < float32 < float64 (as PyTorch for these four). */
export function promote(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

export function dtypeOf(data: TypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  return 'bool';
}
