// Native GRU and LSTM cell kernels (native/rnn.cc) against the reference (src/kernels/reference/rnn.ts):
// every instruction set, odd sizes, pre-activations well into the saturating tails, guard regions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { referenceKernels as ref } from '../../src/kernels/reference/index.js';
import { createNativeKernels, nativeUnavailableReason } from '../../src/node/native.js';
import { assertClose, guarded, randomF32, rng } from './kernel-checks.js';

const isas = (['avx512', 'avx2', 'portable'] as const).filter((isa) => createNativeKernels({ isa }) !== null);
const f64 = (x: Float32Array) => Float64Array.from(x);
const TOL = 1e-6; // σ and tanh are rational approximations within 3.5e-7

test('the native recurrent kernels are available', () => {
  assert.ok(isas.length > 0, `no native addon: ${nativeUnavailableReason()}`);
});

for (const isa of isas) {
  const k = createNativeKernels({ isa, threads: 1 })!;
  test(`native ${isa} GRU forward and backward match the reference`, () => {
    const random = rng(3);
    for (const [rows, H] of [
      [1, 1],
      [3, 7],
      [5, 16],
      [64, 33],
    ] as const) {
      const size = rows * H;
      const xp = randomF32(random, 3 * size, 6);
      const hp = randomF32(random, 3 * size, 6);
      const h = randomF32(random, size);
      const want = Array.from({ length: 4 }, () => new Float64Array(size)); // out, r, z, n
      ref.gruForward(want[0], want[1], want[2], want[3], f64(xp), f64(hp), f64(h), rows, H);
      const got = Array.from({ length: 4 }, () => guarded(size));
      k.gruForward!(got[0].out, got[1].out, got[2].out, got[3].out, xp, hp, h, rows, H);
      ['out', 'r', 'z', 'n'].forEach((name, i) => {
        assertClose(got[i].out, want[i], size, TOL, `${isa} GRU [${rows}, ${H}] ${name}`);
        assert.ok(got[i].intact(), `${name} written outside`);
      });
      // backward from the reference's saved gates, so only the backward's arithmetic differs
      const [r, z, n] = want.slice(1).map((w) => Float32Array.from(w));
      const dy = randomF32(random, size);
      const wantG = [new Float64Array(3 * size), new Float64Array(3 * size), new Float64Array(size)];
      ref.gruBackward(wantG[0], wantG[1], wantG[2], f64(dy), f64(r), f64(z), f64(n), f64(hp), f64(h), rows, H);
      const gotG = [guarded(3 * size), guarded(3 * size), guarded(size)];
      k.gruBackward!(gotG[0].out, gotG[1].out, gotG[2].out, dy, r, z, n, hp, h, rows, H);
      ['dx', 'dhp', 'dh'].forEach((name, i) => {
        assertClose(gotG[i].out, wantG[i], wantG[i].length, TOL, `${isa} GRU [${rows}, ${H}] ${name}`);
        assert.ok(gotG[i].intact(), `${name} written outside`);
      });
    }
  });

  test(`native ${isa} LSTM forward matches the reference`, () => {
    const random = rng(4);
    for (const [rows, H] of [
      [1, 1],
      [3, 7],
      [5, 16],
      [64, 33],
    ] as const) {
      const size = rows * H;
      const xp = randomF32(random, 4 * size, 6);
      const hp = randomF32(random, 4 * size, 6);
      const c = randomF32(random, size, 3);
      const want = [new Float64Array(size), new Float64Array(size), new Float64Array(4 * size), new Float64Array(size)];
      ref.lstmForward(want[0], want[1], want[2], want[3], f64(xp), f64(hp), f64(c), rows, H);
      const got = [guarded(size), guarded(size), guarded(4 * size), guarded(size)];
      k.lstmForward!(got[0].out, got[1].out, got[2].out, got[3].out, xp, hp, c, rows, H);
      ['c2', 'h2', 'act', 'tc'].forEach((name, i) => {
        assertClose(got[i].out, want[i], want[i].length, TOL, `${isa} LSTM [${rows}, ${H}] ${name}`);
        assert.ok(got[i].intact(), `${name} written outside`);
      });
    }
  });
}

for (const isa of isas) {
  const k = createNativeKernels({ isa, threads: 1 })!;
  test(`native ${isa} LSTM backward (through c' and through h') matches the reference`, () => {
    const random = rng(5);
    for (const [rows, H] of [
      [1, 1],
      [3, 7],
      [64, 33],
    ] as const) {
      const size = rows * H;
      const act = randomF32(random, 4 * size); // gates in (−1, 1): σ's and tanh's ranges
      for (let i = 0; i < act.length; i++) if (Math.floor(i / H) % 4 !== 2) act[i] = Math.abs(act[i]); // σ ≥ 0
      const state = randomF32(random, size, 3);
      const dy = randomF32(random, size, 2);
      for (const name of ['lstmCellBackward', 'lstmHiddenBackward'] as const) {
        const want = [new Float64Array(4 * size), new Float64Array(size)];
        ref[name](want[0], want[1], f64(dy), f64(act), f64(state), rows, H);
        const got = [guarded(4 * size), guarded(size)];
        k[name]!(got[0].out, got[1].out, dy, act, state, rows, H);
        ['dgates', 'dc'].forEach((arg, i) => {
          assertClose(got[i].out, want[i], want[i].length, TOL, `${isa} ${name} [${rows}, ${H}] ${arg}`);
          assert.ok(got[i].intact(), `${name} ${arg} written outside`);
        });
      }
    }
  });
}

test('native recurrent kernels name the argument that is too short', () => {
  const k = createNativeKernels({ threads: 1 });
  assert.ok(k, nativeUnavailableReason());
  const a = new Float32Array(12);
  assert.throws(() => k.gruForward!(a, a, a, a, new Float32Array(5), a, a, 2, 2), /gruForward: xp must hold at least 12 elements.*received 5/); // prettier-ignore
  assert.throws(() => k.lstmCellBackward!(new Float32Array(16), a, a, new Float32Array(16), new Float32Array(3), 2, 2), /lstmCellBackward: c must hold at least 4 elements.*received 3/); // prettier-ignore
});
