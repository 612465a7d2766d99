// The fused attention kernels' check, shared by every backend that has them (wasm-attention and
// native-attention tests): a backend's forward output and lse, and dq, dk, dv, against the
// reference (reference/flash.ts) run in float64 on the same float32 inputs, with guard regions
// around every output and outputs prefilled with garbage the kernel must overwrite.
import assert from 'node:assert/strict';
import { referenceKernels as ref } from '../../src/kernels/reference/index.js';
import type { FlashShape } from '../../src/kernels/types.js';
import { type Backend, assertClose, guarded, randomF32, rng } from './kernel-checks.js';

/**
 * float32 against float64 on inputs in [−2, 2): measured worst errors (up to 1024 keys, d 64) are
 * under 1e-6 relative for the output and lse and of the largest gradient for dq, dk, dv (WebAssembly
 * and native alike). The tolerances leave a margin of 4× or more, far below any real error (a wrong
 * mask or a missed rescale moves values by 1e-2 or more).
 */
const TOL_FORWARD = 4e-6;
const TOL_GRAD = 4e-6;

export interface FlashCase {
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

/** Shapes and masks every fused attention backend is checked on: odd sizes, one and several key and
 * query blocks (tiles), every mask kind, fully masked rows, no keys at all. */
export const FLASH_CASES: FlashCase[] = [
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
  { name: 'causal, d 64', B: 2, h: 1, n: 37, m: 37, d: 64, dv: 64, causalOffset: 0 },
  { name: 'one query, one key', B: 1, h: 1, n: 1, m: 1, d: 4, dv: 4, causalOffset: -1 },
  { name: 'no keys at all (m 0): zero output, lse −∞', B: 2, h: 1, n: 3, m: 0, d: 4, dv: 5, causalOffset: -1 },
];

export function flashShapeOf(c: FlashCase): FlashShape {
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

export function checkFlashCase(backend: Backend, c: FlashCase, seed: number): void {
  const s = flashShapeOf(c);
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

/** A query whose keys are all padding: exactly zero output and gradients, lse −∞ (never NaN). */
export function checkFullyMaskedFlash(b: Backend, label: string): void {
  const s: FlashShape = { G: 1, n: 3, m: 5, d: 4, dv: 4, headsPerBatch: 1, scale: 0.5, causalOffset: -1 };
  const random = rng(5);
  const [q, k, v, dout] = [12, 20, 20, 12].map((len) => randomF32(random, len));
  const pad = new Uint8Array(5).fill(1);
  const out = new Float32Array(12).fill(NaN);
  const lse = new Float32Array(3);
  b.attentionForward!(out, lse, q, k, v, pad, s);
  assert.deepEqual(Array.from(out), new Array(12).fill(0), label);
  assert.deepEqual(Array.from(lse), [-Infinity, -Infinity, -Infinity], label);
  const grads = [12, 20, 20].map((len) => new Float32Array(len).fill(NaN));
  b.attentionBackward!(grads[0], grads[1], grads[2], dout, q, k, v, out, lse, pad, s);
  for (const g of grads)
    assert.ok(
      g.every((x) => x === 0),
      label,
    );
}
