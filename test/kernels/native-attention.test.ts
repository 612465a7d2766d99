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
import { type Backend, assertClose, guarded, randomF32, rng } from './kernel-checks.js';

/**
 * float32 against float64 on inputs in [−2, 2): measured worst errors (up to 300 keys, d 64) are
 * 7e-7 relative for the output, 9e-7 for lse and 5e-7 of the largest gradient for dq, dk, dv.
 * The tolerances leave a margin of about 5×, far below any real error (a wrong mask or a missed
 * rescale moves values by 1e-2 or more).
 */
const TOL_FORWARD = 4e-6;
const TOL_GRAD = 4e-6;

function native(isa?: NativeIsa, threads = 2): Backend {
  const k = createNativeKernels({ isa, threads, minParallelWork: 0 });
  if (!k)
    assert.fail(`the native addon is not available: ${nativeUnavailableReason()} (build it: npm run build:native)`);
  return k;
}

interface Case {
  name: string;
  B: number;
  h: number;
  n: number;
  m: number;
  d: number;
  dv: number;
  causalOffset: number;
  /** Which keys of batch b are padding. */
  padding?: (b: number, j: number) => boolean;
}

const cases: Case[] = [
  { name: 'no mask, d 4, odd n and m', B: 3, h: 1, n: 5, m: 7, d: 4, dv: 4, causalOffset: -1 },
  { name: 'no mask, odd sizes n 17, m 33, d 17, dv 33', B: 1, h: 2, n: 17, m: 33, d: 17, dv: 33, causalOffset: -1 },
  { name: 'causal, n = m = d = 65, dv 1', B: 1, h: 1, n: 65, m: 65, d: 65, dv: 1, causalOffset: 0 },
  { name: 'three queries, one key, d 1, dv 3', B: 2, h: 1, n: 3, m: 1, d: 1, dv: 3, causalOffset: -1 },
  {
    name: 'key padding, heads, m past one key block (130), d 8',
    B: 2,
    h: 2,
    n: 13,
    m: 130,
    d: 8,
    dv: 8,
    causalOffset: -1,
    padding: (b, j) => (b === 0 ? j % 3 === 1 : j >= 100),
  },
  {
    name: 'causal with a cache offset and padding, odd d 5 and dv 3',
    B: 2,
    h: 1,
    n: 3,
    m: 11,
    d: 5,
    dv: 3,
    causalOffset: 6,
    padding: (b, j) => j === b + 2,
  },
  {
    name: 'three key blocks, dv ≠ d, causal offset 250, random padding',
    B: 1,
    h: 2,
    n: 9,
    m: 300,
    d: 64,
    dv: 32,
    causalOffset: 250,
    padding: (b, j) => (j * 7919) % 5 === 0,
  },
  {
    name: 'three query blocks of one group (n 200), causal and padding, d 64',
    B: 1,
    h: 1,
    n: 200,
    m: 150,
    d: 64,
    dv: 64,
    causalOffset: 0,
    padding: (b, j) => j % 11 === 3,
  },
  {
    name: 'fully masked rows: batch 1 all padding; causal row 0 sees only padded key 0',
    B: 2,
    h: 2,
    n: 6,
    m: 6,
    d: 8,
    dv: 4,
    causalOffset: 0,
    padding: (b, j) => b === 1 || j === 0,
  },
  { name: 'one query, one key', B: 1, h: 1, n: 1, m: 1, d: 4, dv: 4, causalOffset: -1 },
  { name: 'no keys at all (m 0): zero output, lse −∞', B: 2, h: 1, n: 3, m: 0, d: 4, dv: 5, causalOffset: -1 },
];

function shapeOf(c: Case): FlashShape {
  return {
    G: c.B * c.h,
    n: c.n,
    m: c.m,
    d: c.d,
    dv: c.dv,
    headsPerBatch: c.h,
    scale: 1 / Math.sqrt(c.d),
    causalOffset: c.causalOffset,
  };
}

function checkCase(backend: Backend, c: Case, seed: number): void {
  const s = shapeOf(c);
  const { G, n, m, d, dv } = s;
  const random = rng(seed);
  const q = randomF32(random, G * n * d, 2);
  const k = randomF32(random, G * m * d, 2);
  const v = randomF32(random, G * m * dv, 2);
  const dout = randomF32(random, G * n * dv, 2);
  const pad = c.padding
    ? Uint8Array.from({ length: c.B * m }, (_, i) => (c.padding!(Math.floor(i / m), i % m) ? 1 : 0))
    : null;
  const f64 = (x: Float32Array) => Float64Array.from(x);

  const wantOut = new Float64Array(G * n * dv);
  const wantLse = new Float64Array(G * n);
  ref.attentionForward(wantOut, wantLse, f64(q), f64(k), f64(v), pad, s);
  // prefilled with garbage: the kernel must write every element
  const out = guarded(G * n * dv, new Float32Array(G * n * dv).fill(NaN));
  const lse = guarded(G * n, new Float32Array(G * n).fill(NaN));
  backend.attentionForward!(out.out, lse.out, q, k, v, pad, s);
  assert.ok(out.intact() && lse.intact(), `${c.name}: forward wrote outside out or lse`);
  assertClose(out.out, wantOut, G * n * dv, TOL_FORWARD, `${c.name}: out`);
  assertClose(lse.out, wantLse, G * n, TOL_FORWARD, `${c.name}: lse`);

  // the backward from the reference's float64 forward rounded to float32, so both see the same O and lse
  const o32 = Float32Array.from(wantOut);
  const lse32 = Float32Array.from(wantLse);
  const want = [new Float64Array(G * n * d), new Float64Array(G * m * d), new Float64Array(G * m * dv)];
  ref.attentionBackward(want[0], want[1], want[2], f64(dout), f64(q), f64(k), f64(v), f64(o32), f64(lse32), pad, s);
  // prefilled with garbage: the kernel must overwrite, not accumulate
  const got = [G * n * d, G * m * d, G * m * dv].map((len) => guarded(len, new Float32Array(len).fill(7)));
  backend.attentionBackward!(got[0].out, got[1].out, got[2].out, dout, q, k, v, o32, lse32, pad, s);
  ['dq', 'dk', 'dv'].forEach((name, i) => {
    assert.ok(got[i].intact(), `${c.name}: backward wrote outside ${name}`);
    // gradients are sums of many terms of either sign: measured against the array's largest value
    const top = want[i].reduce((a, x) => Math.max(a, Math.abs(x)), 0);
    const scale = new Float64Array(want[i].length).fill(1 + top);
    assertClose(got[i].out, want[i], want[i].length, TOL_GRAD, `${c.name}: ${name}`, scale);
  });
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
    cases.forEach((c, i) => {
      test(`native ${isa} ${threads}t fused attention matches the reference: ${c.name}`, () =>
        checkCase(native(isa, threads), c, 100 + i));
    });
  }
}

test('native fused attention: a fully masked row is exactly zero (output and every gradient), lse −∞', () => {
  const s: FlashShape = { G: 1, n: 3, m: 5, d: 4, dv: 4, headsPerBatch: 1, scale: 0.5, causalOffset: -1 };
  const random = rng(5);
  const [q, k, v, dout] = [12, 20, 20, 12].map((len) => randomF32(random, len));
  const pad = new Uint8Array(5).fill(1);
  for (const isa of isas) {
    const b = native(isa, 1);
    const out = new Float32Array(12).fill(NaN);
    const lse = new Float32Array(3);
    b.attentionForward!(out, lse, q, k, v, pad, s);
    assert.deepEqual(Array.from(out), new Array(12).fill(0), isa);
    assert.deepEqual(Array.from(lse), [-Infinity, -Infinity, -Infinity], isa);
    const grads = [12, 20, 20].map((len) => new Float32Array(len).fill(NaN));
    b.attentionBackward!(grads[0], grads[1], grads[2], dout, q, k, v, out, lse, pad, s);
    for (const g of grads)
      assert.ok(
        g.every((x) => x === 0),
        `${isa}: gradients ${Array.from(g).join(', ')}`,
      );
  }
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
