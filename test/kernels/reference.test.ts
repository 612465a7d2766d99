import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gemm } from '../../src/kernels/reference/gemm.js';

test('reference gemm matches a hand-worked 2x3 · 3x2 product, all transposes', () => {
  // A = [[1,2,3],[4,5,6]], B = [[7,8],[9,10],[11,12]]; A·B = [[58,64],[139,154]]
  const A = new Float64Array([1, 2, 3, 4, 5, 6]);
  const At = new Float64Array([1, 4, 2, 5, 3, 6]);
  const B = new Float64Array([7, 8, 9, 10, 11, 12]);
  const Bt = new Float64Array([7, 9, 11, 8, 10, 12]);
  const want = [58, 64, 139, 154];
  for (const [a, b, ta, tb] of [
    [A, B, false, false],
    [At, B, true, false],
    [A, Bt, false, true],
    [At, Bt, true, true],
  ] as const) {
    const out = new Float64Array(4);
    gemm(out, a, b, 1, 2, 2, 3, ta, tb, 0, 0, false);
    assert.deepEqual(Array.from(out), want);
  }
});
