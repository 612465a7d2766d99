// The fused WebAssembly attention (assembly/attention.ts) against the reference (reference/flash.ts,
// run in float64 on the same float32 inputs): forward output and lse, and dq, dk, dv, on one
// thread and on two, with guard regions after every output.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { referenceKernels as ref } from '../../src/kernels/reference/index.js';
import type { FlashShape } from '../../src/kernels/types.js';
import { type AttentionExports, singleThreadAttention, wasmAttention } from '../../src/kernels/wasm/attention.js';
import * as attentionWasm from '../../src/kernels/wasm/attention.generated.js';
import { createWasmKernels } from '../../src/kernels/wasm/index.js';
import { Arena, instantiate } from '../../src/kernels/wasm/loader.js';
import { closeThreads, createThreadedWasmKernels, threadPoolStats, threadsReady } from '../../src/node/threads.js';
import { type Backend, assertClose, guarded, randomF32, rng } from './kernel-checks.js';

/**
 * float32 against float64 on inputs in [−2, 2): measured worst errors (up to 1024 keys, d 64) are
 * 5e-7 relative for the output, 1.4e-7 for lse, and 5.3e-7 of the largest gradient for dq, dk, dv.
 * The tolerances leave a margin of about 8×, far below any real error (a wrong mask or a missed
 * rescale moves values by 1e-2 or more).
 */
const TOL_FORWARD = 4e-6;
const TOL_GRAD = 4e-6;

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
  {
    name: 'key padding, heads, m past one key tile (130), d 8',
    B: 2,
    h: 2,
    n: 13,
    m: 130,
    d: 8,
    dv: 8,
    causalOffset: -1,
    padding: (b, j) => (b === 0 ? j % 3 === 1 : j >= 100),
  },
  { name: 'causal, d 64', B: 2, h: 1, n: 37, m: 37, d: 64, dv: 64, causalOffset: 0 },
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
    name: 'three key tiles, dv ≠ d, causal offset 250, random padding',
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
  const out = guarded(G * n * dv);
  const lse = guarded(G * n);
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

function checkAttention(label: string, get: () => Backend): void {
  cases.forEach((c, i) => {
    test(`${label} fused attention matches the reference: ${c.name}`, () => checkCase(get(), c, 100 + i));
  });
  test(`${label} fused attention: a fully masked row is exactly zero (output and every gradient), lse −∞`, () => {
    const s: FlashShape = { G: 1, n: 3, m: 5, d: 4, dv: 4, headsPerBatch: 1, scale: 0.5, causalOffset: -1 };
    const random = rng(5);
    const [q, k, v, dout] = [12, 20, 20, 12].map((len) => randomF32(random, len));
    const pad = new Uint8Array(5).fill(1);
    const out = new Float32Array(12).fill(NaN);
    const lse = new Float32Array(3);
    const b = get();
    b.attentionForward!(out, lse, q, k, v, pad, s);
    assert.deepEqual(Array.from(out), new Array(12).fill(0));
    assert.deepEqual(Array.from(lse), [-Infinity, -Infinity, -Infinity]);
    const grads = [12, 20, 20].map((len) => new Float32Array(len).fill(NaN));
    b.attentionBackward!(grads[0], grads[1], grads[2], dout, q, k, v, out, lse, pad, s);
    for (const g of grads) assert.ok(g.every((x) => x === 0));
  });
}

// smallFallback off: every case, even one query and one key, goes through WebAssembly
checkAttention('wasm', () => createWasmKernels({ relaxed: false, smallFallback: false })!);
checkAttention('wasm relaxed', () => createWasmKernels({ smallFallback: false })!);

let threaded: Backend | undefined;
checkAttention('wasm 2 threads', () => {
  threaded ??= createThreadedWasmKernels({ threads: 2, smallFallback: false, minParallelWork: 0 })!;
  return threaded;
});

test('the two-thread backend hands attention rows and groups to the worker', async () => {
  const backend = (threaded ??= createThreadedWasmKernels({ threads: 2, smallFallback: false, minParallelWork: 0 })!);
  await threadsReady();
  const before = threadPoolStats().workerJobs;
  checkCase(backend, cases[1], 7); // G = 4: groups split two and two
  assert.ok(threadPoolStats().workerJobs >= before + 2, 'forward and backward each gave the worker a part');
});

test('fused attention memory grows as T, not T²: the module holds inputs, outputs and O(T·d) scratch', () => {
  // self-attention, one head, d 64: the weights alone would be T² floats (4 MiB at T 1024, 16 MiB at 2048)
  const module = instantiate<AttentionExports>(attentionWasm, { relaxed: false })!;
  const d = 64;
  const peakAt = (T: number): number => {
    const arena = new Arena(module.memory, module.heapBase);
    const kernels = wasmAttention(module.exports, arena, singleThreadAttention(module.exports), false);
    const s: FlashShape = { G: 1, n: T, m: T, d, dv: d, headsPerBatch: 1, scale: 0.125, causalOffset: 0 };
    const random = rng(T);
    const [q, k, v, dout] = [0, 1, 2, 3].map(() => randomF32(random, T * d));
    const out = new Float32Array(T * d);
    const lse = new Float32Array(T);
    kernels.attentionForward(out, lse, q, k, v, null, s);
    const grads = [0, 1, 2].map(() => new Float32Array(T * d));
    kernels.attentionBackward(grads[0], grads[1], grads[2], dout, q, k, v, out, lse, null, s);
    assert.ok(
      grads[1].some((x) => x !== 0),
      'the backward ran',
    );
    return arena.peak;
  };
  const [small, large] = [512, 2048].map(peakAt);
  // the backward holds 9 arrays of T·d or T floats (dq, dk, dv, dO, q, k, v, O, lse) and ~6 T·d of scratch
  const linear = (T: number) => 4 * (16 * T * d + T) + 65536;
  assert.ok(large <= linear(2048), `peak ${large} bytes at T 2048, expected ≤ ${linear(2048)} (O(T·d))`);
  assert.ok(large < 2048 * 2048 * 4, `peak ${large} bytes: more than one T×T float buffer`);
  assert.ok(large / small < 4.5, `4× the length took ${(large / small).toFixed(2)}× the memory (T² would be 16×)`);
});

after(() => closeThreads());
