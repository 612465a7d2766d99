// Native additive attention scores (native/additive.cc) against the reference
// (src/kernels/reference/additive.ts): every instruction set, one and two threads, odd sizes,
// gradients added into what the outputs held, nothing written outside them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { referenceKernels as ref } from '../../src/kernels/reference/index.js';
import { createNativeKernels, nativeUnavailableReason } from '../../src/node/native.js';
import { assertClose, guarded, randomF32, rng } from './kernel-checks.js';

const isas = (['avx512', 'avx2', 'portable'] as const).filter((isa) => createNativeKernels({ isa }) !== null);

test('the native additive kernels are available', () => {
  assert.ok(isas.length > 0, `no native addon: ${nativeUnavailableReason()}`);
});

// [G, n, m, da]: one query per step (a decoder), all queries (training), odd sizes, big enough to split
const SHAPES = [
  [1, 1, 1, 1],
  [3, 1, 7, 5],
  [2, 5, 3, 17],
  [64, 1, 11, 96],
  [7, 9, 13, 33],
  [33, 4, 20, 64],
] as const;

for (const isa of isas)
  for (const threads of [1, 2]) {
    const k = createNativeKernels({ isa, threads })!;
    test(`native ${isa} ${threads}t additive scores and gradients match the reference`, () => {
      const random = rng(7);
      for (const [G, n, m, da] of SHAPES) {
        const label = `${isa} ${threads}t [${G}, ${n}, ${m}, ${da}]`;
        const qp = randomF32(random, G * n * da, 3); // past tanh's linear part, into its tails
        const kp = randomF32(random, G * m * da, 3);
        const v = randomF32(random, da);
        const scores = G * n * m;
        const want = { e: new Float64Array(scores), t: new Float64Array(scores * da) };
        ref.additiveForward(want.e, want.t, Float64Array.from(qp), Float64Array.from(kp), Float64Array.from(v), G, n, m, da); // prettier-ignore
        const e = guarded(scores);
        const t = guarded(scores * da);
        k.additiveForward!(e.out, t.out, qp, kp, v, G, n, m, da);
        const vAbs = v.reduce((s, x) => s + Math.abs(x), 0);
        assertClose(t.out, want.t, scores * da, 4e-7, `${label} t`, new Float64Array(scores * da).fill(1));
        assertClose(e.out, want.e, scores, 4e-7 * vAbs + 1e-6, `${label} e`, new Float64Array(scores).fill(1));
        assert.ok(e.intact() && t.intact(), `${label}: forward wrote outside its outputs`);

        // backward adds into dq, dk (prefilled) and dv
        const ge = randomF32(random, scores);
        const dq0 = randomF32(random, G * n * da);
        const dk0 = randomF32(random, G * m * da);
        const tw = Float32Array.from(t.out.subarray(0, scores * da)); // the same tanh values for both
        const wantGrad = {
          dq: Float64Array.from(dq0),
          dk: Float64Array.from(dk0),
          dv: Float64Array.from(v, () => 0.5),
        };
        ref.additiveBackward(wantGrad.dq, wantGrad.dk, wantGrad.dv, Float64Array.from(ge), Float64Array.from(tw), Float64Array.from(v), G, n, m, da); // prettier-ignore
        const dq = guarded(G * n * da, dq0);
        const dk = guarded(G * m * da, dk0);
        const dv = new Float64Array(da).fill(0.5);
        k.additiveBackward!(dq.out, dk.out, dv, ge, tw, v, G, n, m, da);
        const tol = 1e-6 * Math.max(n, m);
        assertClose(dq.out, wantGrad.dq, G * n * da, tol, `${label} dq`);
        assertClose(dk.out, wantGrad.dk, G * m * da, tol, `${label} dk`);
        assertClose(dv, wantGrad.dv, da, 1e-9, `${label} dv`);
        assert.ok(dq.intact() && dk.intact(), `${label}: backward wrote outside its outputs`);
      }
    });
  }

test('native additive kernels name the argument that is too short', () => {
  const k = createNativeKernels({ threads: 1 });
  assert.ok(k, nativeUnavailableReason());
  const a = new Float32Array(8);
  assert.throws(() => k.additiveForward!(a, a, a, new Float32Array(3), a, 1, 2, 2, 2), /additiveForward: kp must hold at least 4 elements.*received 3/); // prettier-ignore
  assert.throws(() => k.additiveBackward!(a, a, new Float64Array(1), a, a, a, 1, 2, 2, 2), /additiveBackward: dv must be a Float64Array of at least da/); // prettier-ignore
});
