// The fused WebAssembly attention (assembly/attention.ts) against the reference (reference/flash.ts,
// run in float64 on the same float32 inputs): forward output and lse, and dq, dk, dv, on one
// thread and on two, with guard regions after every output.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { FlashShape } from '../../src/kernels/types.js';
import { type AttentionExports, singleThreadAttention, wasmAttention } from '../../src/kernels/wasm/attention.js';
import * as attentionWasm from '../../src/kernels/wasm/attention.generated.js';
import { createWasmKernels } from '../../src/kernels/wasm/index.js';
import { Arena, instantiate } from '../../src/kernels/wasm/loader.js';
import { closeThreads, createThreadedWasmKernels, threadPoolStats, threadsReady } from '../../src/node/threads.js';
import { FLASH_CASES, checkFlashCase, checkFullyMaskedFlash } from './flash-checks.js';
import { type Backend, randomF32, rng } from './kernel-checks.js';

function checkAttention(label: string, get: () => Backend): void {
  FLASH_CASES.forEach((c, i) => {
    test(`${label} fused attention matches the reference: ${c.name}`, () => checkFlashCase(get(), c, 100 + i));
  });
  test(`${label} fused attention: a fully masked row is exactly zero (output and every gradient), lse −∞`, () =>
    checkFullyMaskedFlash(get(), label));
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
  checkFlashCase(
    backend,
    FLASH_CASES.find((c) => c.name.startsWith('key padding, heads'))!,
    7,
  ); // G = 4: groups split two and two
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
