// Native elementwise kernels (native/elementwise.cc) against the reference (src/kernels/reference/elementwise.ts):
// bit for bit, every instruction set, odd sizes, ±0, ±∞, NaN and subnormals among the values,
// guard regions after each output; broadcasts the addon does not take fall back to the reference.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { referenceKernels as ref } from '../../src/kernels/reference/index.js';
import type { Arith } from '../../src/kernels/types.js';
import { createNativeKernels, nativeUnavailableReason } from '../../src/node/native.js';
import { guarded, randomF32, rng } from './kernel-checks.js';

const isas = (['avx512', 'avx2', 'portable'] as const).filter((isa) => createNativeKernels({ isa }) !== null);
const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 1e-45, -1e-45, 3.4e38, -2.5, 2.5];

/** Random values with a sprinkling of the special ones. */
function values(random: () => number, n: number): Float32Array {
  const x = randomF32(random, n, 4);
  for (let i = 0; i < n; i++) if (random() < 0.1) x[i] = SPECIAL[Math.floor(random() * SPECIAL.length)];
  return x;
}

/** Equal bits, or both NaN (a NaN's payload is not specified). */
function assertSameBits(got: Float32Array, want: Float32Array, label: string): void {
  assert.equal(got.length, want.length, label);
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < got.length; i++) {
    if (Number.isNaN(got[i]) && Number.isNaN(want[i])) continue;
    if (g[i] !== w[i]) assert.fail(`${label}: element ${i} is ${got[i]}, the reference ${want[i]}`);
  }
}

test('the native elementwise kernels are available', () => {
  assert.ok(isas.length > 0, `no native addon: ${nativeUnavailableReason()}`);
});

for (const isa of isas) {
  const k = createNativeKernels({ isa, threads: 1, minElements: 0 })!;

  test(`native ${isa} binary arithmetic gives the reference bits: same shapes, row broadcasts both ways, and the rest`, () => {
    const random = rng(21);
    for (const code of ['add', 'sub', 'mul', 'div'] as Arith[]) {
      for (const [rows, cols] of [
        [1, 1],
        [3, 7],
        [17, 33],
        [5, 1000],
        [2, 4099],
      ] as const) {
        const n = rows * cols;
        const full = values(random, n);
        const row = values(random, cols);
        const column = values(random, rows);
        const shape = [rows, cols];
        const cases: [string, Float32Array, number[], Float32Array, number[]][] = [
          ['same', full, [cols, 1], values(random, n), [cols, 1]],
          ['full ∘ row', full, [cols, 1], row, [0, 1]],
          ['row ∘ full', row, [0, 1], full, [cols, 1]],
          ['full ∘ column (reference path)', full, [cols, 1], column, [1, 0]],
        ];
        for (const [label, a, aStrides, b, bStrides] of cases) {
          const want = new Float32Array(n);
          ref.binary(want, a, aStrides, b, bStrides, shape, code);
          const got = guarded(n);
          k.binary!(got.out.subarray(0, n), a, aStrides, b, bStrides, shape, code);
          assertSameBits(got.out.subarray(0, n), want, `${isa} ${code} ${label} [${rows}, ${cols}]`);
          assert.ok(got.intact(), `${isa} ${code} ${label}: wrote outside out`);
        }
      }
    }
  });

  test(`native ${isa} dropout products give the reference bits (maskScale, reluScale and its backward)`, () => {
    const random = rng(22);
    for (const n of [1, 7, 64, 1001, 5003]) {
      for (const scale of [1 / 0.9, 2, 0]) {
        const x = values(random, n);
        const dy = values(random, n);
        const keep = Uint8Array.from({ length: n }, () => (random() < 0.8 ? 1 : 0));
        const label = `${isa} n ${n} scale ${scale}`;
        for (const name of ['maskScale', 'reluScale'] as const) {
          const want = new Float32Array(n);
          ref[name](want, x, keep, scale);
          const got = guarded(n);
          k[name]!(got.out.subarray(0, n), x, keep, scale);
          assertSameBits(got.out.subarray(0, n), want, `${name} ${label}`);
          assert.ok(got.intact(), `${name} ${label}: wrote outside out`);
        }
        const want = new Float32Array(n);
        ref.reluScaleBackward(want, dy, x, keep, scale);
        const got = guarded(n);
        k.reluScaleBackward!(got.out.subarray(0, n), dy, x, keep, scale);
        assertSameBits(got.out.subarray(0, n), want, `reluScaleBackward ${label}`);
        assert.ok(got.intact(), `reluScaleBackward ${label}: wrote outside dx`);
      }
    }
  });
}

test('the native elementwise kernels refuse arrays too short for the call', () => {
  const k = createNativeKernels({ threads: 1, minElements: 0 });
  assert.ok(k, nativeUnavailableReason());
  const out = new Float32Array(12);
  assert.throws(() => k.maskScale!(out, new Float32Array(12), new Uint8Array(11), 1), /maskScale: keep must hold at least 12 elements for these sizes, received 11/); // prettier-ignore
  assert.throws(() => k.reluScaleBackward!(out, new Float32Array(5), new Float32Array(12), new Uint8Array(12), 1), /reluScaleBackward: dy must hold at least 12 elements for these sizes, received 5/); // prettier-ignore
});
