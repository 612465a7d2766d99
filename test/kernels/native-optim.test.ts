// The native optimiser and dropout-mask kernels (native/optim.cc, random.cc) against the reference (reference/optim.ts, random.ts):
// Adam bit for bit, on every instruction set, odd lengths included, nothing written past the end.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { referenceKernels as ref } from '../../src/kernels/reference/index.js';
import type { AdamScalars } from '../../src/kernels/types.js';
import { createNativeKernels, nativeUnavailableReason } from '../../src/node/native.js';
import { guarded, randomF32, rng } from './kernel-checks.js';

const isas = (['avx512', 'avx2', 'portable'] as const).filter((isa) => createNativeKernels({ isa }) !== null);

test('the native optimiser kernels are available', () => {
  assert.ok(isas.length > 0, `no native addon: ${nativeUnavailableReason()}`);
});

const SCALARS: { label: string; s: AdamScalars }[] = [
  { label: 'Adam, step 1', s: { beta1: 0.9, beta2: 0.999, stepSize: 1e-3 / 0.1, sqrtBias2: Math.sqrt(1e-3), eps: 1e-8, decay: 1, l2: 0 } },
  { label: 'Adam with L2 0.01, step 50', s: { beta1: 0.9, beta2: 0.98, stepSize: 2e-3 / (1 - 0.9 ** 50), sqrtBias2: Math.sqrt(1 - 0.98 ** 50), eps: 1e-6, decay: 1, l2: 0.01 } },
  { label: 'AdamW, step 7', s: { beta1: 0.8, beta2: 0.99, stepSize: 5e-4 / (1 - 0.8 ** 7), sqrtBias2: Math.sqrt(1 - 0.99 ** 7), eps: 1e-8, decay: 1 - 5e-4 * 0.01, l2: 0 } },
]; // prettier-ignore

for (const isa of isas) {
  const k = createNativeKernels({ isa, threads: 1 })!;
  test(`native ${isa} adamStep equals the reference bit for bit, three steps, odd lengths, guards intact`, () => {
    const random = rng(17);
    for (const n of [0, 1, 7, 16, 33, 1000, 4099]) {
      for (const { label, s } of SCALARS) {
        const p0 = randomF32(random, n);
        const m0 = randomF32(random, n, 0.1);
        const v0 = randomF32(random, n, 0.01).map(Math.abs);
        const want = { p: p0.slice(), m: m0.slice(), v: v0.slice() };
        const got = { p: guarded(n, p0), m: guarded(n, m0), v: guarded(n, v0) };
        for (let step = 0; step < 3; step++) {
          const g = randomF32(random, n, 2);
          ref.adamStep(want.p, g, want.m, want.v, s);
          k.adamStep!(got.p.out.subarray(0, n), g, got.m.out.subarray(0, n), got.v.out.subarray(0, n), s);
        }
        assert.deepEqual(got.p.out.subarray(0, n), want.p, `${label}, n ${n}: p`);
        assert.deepEqual(got.m.out.subarray(0, n), want.m, `${label}, n ${n}: m`);
        assert.deepEqual(got.v.out.subarray(0, n), want.v, `${label}, n ${n}: v`);
        assert.ok(got.p.intact() && got.m.intact() && got.v.intact(), `${label}, n ${n}: wrote outside`);
      }
    }
  });

  test(`native ${isa} sumOfSquares equals the float64 sum to rounding, odd lengths`, () => {
    const random = rng(5);
    for (const n of [0, 1, 15, 17, 1000, 100_003]) {
      const x = randomF32(random, n, 3);
      const want = ref.sumOfSquares(x);
      const got = k.sumOfSquares!(x);
      assert.ok(Math.abs(got - want) <= 1e-13 * Math.max(1, want), `n ${n}: ${got} vs ${want}`);
    }
    assert.equal(k.sumOfSquares!(new Float32Array([3, 4])), 25);
  });
}

test('native adamStep names the array that is too short', () => {
  const k = createNativeKernels({ threads: 1 });
  assert.ok(k, nativeUnavailableReason());
  const s = SCALARS[0].s;
  const a = new Float32Array(8);
  assert.throws(
    () => k.adamStep!(a, a, new Float32Array(5), a, s),
    /adamStep: m must hold at least 8 elements.*received 5/,
  );
});

test('native keepMask draws the reference mask and advances the state identically', () => {
  const k = createNativeKernels({ threads: 1 });
  assert.ok(k, nativeUnavailableReason());
  // 128 elements a chunk in the kernel: sizes around it, and a guard after the mask
  for (const n of [0, 1, 5, 127, 128, 129, 255, 257, 4096, 4097, 10_000])
    for (const p of [0, 0.1, 0.5, 1]) {
      const seed = new Uint32Array([0x9e3779b9, 12345, 0xdeadbeef, n + 1]);
      const want = { keep: new Uint8Array(n), state: seed.slice() };
      const guarded = new Uint8Array(n + 64).fill(7);
      const got = { keep: guarded.subarray(0, n), state: seed.slice() };
      ref.keepMask(want.keep, want.state, p);
      k.keepMask!(got.keep, got.state, p);
      assert.deepEqual(got.keep, want.keep, `n ${n}, p ${p}: mask`);
      assert.ok(
        guarded.subarray(n).every((v) => v === 7),
        `n ${n}, p ${p}: wrote past the mask`,
      );
      assert.deepEqual(got.state, want.state, `n ${n}, p ${p}: state`);
      if (n === 10_000 && p === 0.1) assert.ok(Math.abs(n - got.keep.reduce((a, b) => a + b, 0) - 1000) < 100);
    }
  assert.throws(
    () => k.keepMask!(new Uint8Array(3), new Uint32Array(3), 0.1),
    /keepMask: state must be a Uint32Array of 4 words, received 3/,
  );
});
