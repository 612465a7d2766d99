// The native fused attention (native/attention.cc, attention_impl.h) against the reference
// (reference/flash.ts, run in float64 on the same float32 inputs): forward output and lse, and dq,
// dk, dv, on every instruction set this CPU has (the portable path included), on one thread and on
// two with every call split (minParallelWork 0), with guard regions around every output. When the
// addon is missing these tests fail, saying so, rather than skip (as native.test.ts).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { referenceKernels as ref } from '../../src/kernels/reference/index.js';
import { kernels, setKernels } from '../../src/kernels/registry.js';
import type { FlashShape } from '../../src/kernels/types.js';
import {
  createNativeKernels,
  installNodeKernels,
  nativeUnavailableReason,
  type NativeIsa,
} from '../../src/node/native.js';
import { closeThreads } from '../../src/node/threads.js';
import { FLASH_CASES, checkFlashCase, checkFullyMaskedFlash } from './flash-checks.js';
import { type Backend, randomF32, rng } from './kernel-checks.js';

function native(isa?: NativeIsa, threads = 2): Backend {
  const k = createNativeKernels({ isa, threads, minParallelWork: 0 });
  if (!k)
    assert.fail(`the native addon is not available: ${nativeUnavailableReason()} (build it: npm run build:native)`);
  return k;
}

test('the addon has fused attention', () => {
  const backend = native();
  assert.equal(typeof backend.attentionForward, 'function');
  assert.equal(typeof backend.attentionBackward, 'function');
});

// Every instruction set this CPU runs (the portable path only by name), on one and two threads.
// With the addon missing this list is empty and the test above fails.
const isas = (['avx512', 'avx2', 'portable'] as const).filter((isa) => createNativeKernels({ isa }) !== null);
for (const isa of isas) {
  for (const threads of [1, 2]) {
    FLASH_CASES.forEach((c, i) => {
      test(`native ${isa} ${threads}t fused attention matches the reference: ${c.name}`, () =>
        checkFlashCase(native(isa, threads), c, 100 + i));
    });
  }
}

test('native fused attention: a fully masked row is exactly zero (output and every gradient), lse −∞', () => {
  for (const isa of isas) checkFullyMaskedFlash(native(isa, 1), isa);
});

test('native fused attention: float64 goes to the reference, identical results', () => {
  const s: FlashShape = { G: 2, n: 4, m: 5, d: 3, dv: 2, headsPerBatch: 1, scale: 0.7, causalOffset: 1 };
  const random = rng(9);
  const [q, k, v, dout] = [24, 30, 20, 16].map((len) => Float64Array.from(randomF32(random, len)));
  const run = (b: Backend) => {
    const out = new Float64Array(16);
    const lse = new Float64Array(8);
    b.attentionForward!(out, lse, q, k, v, null, s);
    const grads = [24, 30, 20].map((len) => new Float64Array(len));
    b.attentionBackward!(grads[0], grads[1], grads[2], dout, q, k, v, out, lse, null, s);
    return [out, lse, ...grads];
  };
  assert.deepEqual(run(native()), run({ ...ref, name: 'reference' }));
});

test('native fused attention names the argument that is too short, or the shape that is wrong', () => {
  const backend = native();
  const f32 = (n: number) => new Float32Array(n);
  const s: FlashShape = { G: 2, n: 3, m: 4, d: 5, dv: 6, headsPerBatch: 2, scale: 1, causalOffset: -1 };
  assert.throws(
    () => backend.attentionForward!(f32(36), f32(6), f32(30), f32(39), f32(48), null, s),
    /attentionForward: k must hold at least 40 elements for these sizes, received 39/,
  );
  assert.throws(
    () => backend.attentionForward!(f32(36), f32(6), f32(30), f32(40), f32(48), new Uint8Array(3), s),
    /attentionForward: keyPadding must hold at least 4 elements for these sizes, received 3/,
  );
  assert.throws(
    () => backend.attentionForward!(f32(36), f32(6), f32(30), f32(40), f32(48), null, { ...s, headsPerBatch: 3 }),
    /attentionForward: G \(2\) must be a multiple of headsPerBatch \(3\)/,
  );
  assert.throws(
    () => backend.attentionForward!(f32(36), f32(6), f32(30), f32(40), f32(48), null, { ...s, causalOffset: -2 }),
    /attentionForward: causalOffset must be an integer ≥ −1/,
  );
  assert.throws(
    () =>
      backend.attentionBackward!(
        f32(30),
        f32(40),
        f32(47),
        f32(36),
        f32(30),
        f32(40),
        f32(48),
        f32(36),
        f32(6),
        null,
        s,
      ),
    /attentionBackward: dv must hold at least 48 elements for these sizes, received 47/,
  );
});

test('installNodeKernels runs fused attention on the addon', () => {
  const before = kernels();
  try {
    const name = installNodeKernels({ threads: 1 });
    assert.match(name ?? '', /^native-/);
    // the addon's own argument message ('G (3)'; WebAssembly's says 'shape.G (3)') shows whose kernel runs
    const s: FlashShape = { G: 3, n: 1, m: 1, d: 1, dv: 1, headsPerBatch: 2, scale: 1, causalOffset: -1 };
    const x = () => new Float32Array(3);
    assert.throws(
      () => kernels().attentionForward(x(), x(), x(), x(), x(), null, s),
      /attentionForward: G \(3\) must be a multiple of headsPerBatch \(2\)/,
    );
  } finally {
    setKernels(before);
  }
});

after(() => closeThreads());
