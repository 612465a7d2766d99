// The WebAssembly backend on worker threads: the same checks as the single-threaded backend,
// with every call split across the pool (minParallelWork 0), then closing the pool.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { referenceKernels as ref } from '../../src/kernels/reference/index.js';
import { closeThreads, createThreadedWasmKernels, threadPoolStats, threadsReady } from '../../src/node/threads.js';
import {
  EPS32,
  checkGemm,
  checkOneGemm,
  checkRowwise,
  randomF32,
  rng,
  type Backend,
} from '../kernels/kernel-checks.js';

let threaded: Backend;

before(async () => {
  threaded = createThreadedWasmKernels({ threads: 3, smallFallback: false, minParallelWork: 0 })!;
  await threadsReady();
});
after(() => closeThreads());

test('the pool starts with three threads on the shared-memory build', () => {
  assert.match(threaded.name, /^wasm-(relaxed-)?simd-threads-3$/);
  assert.deepEqual(threadPoolStats(), { threads: 3, workersReady: 2, workerJobs: 0 });
  const out = new Float32Array(64);
  threaded.gemm!(
    out,
    new Float32Array(64).fill(1),
    new Float32Array(64).fill(2),
    1,
    8,
    8,
    8,
    false,
    false,
    0,
    0,
    false,
  );
  assert.ok(out.every((v) => v === 16));
  assert.equal(threadPoolStats().workerJobs, 1); // 8 columns of C: one micro-tile wide, so two blocks of 4 rows
});

checkGemm('threads', () => threaded);
checkRowwise('threads', () => threaded);

test('the checks above ran on the workers', () => {
  assert.ok(threadPoolStats().workerJobs > 100, `worker jobs ${threadPoolStats().workerJobs}`);
});

test('big products: B packed once by all threads, then units of rows claimed, every transpose', () => {
  const before = threadPoolStats().workerJobs;
  const random = rng(13);
  for (const [transA, transB] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ]) {
    const c = { batch: 1, m: 300, n: 520, k: 530, transA, transB, strideA: 0, strideB: 0, accumulate: transB };
    checkOneGemm(threaded, c, random);
  }
  // B's 520·530 elements (over 2¹⁸) packed in 4 units of 136 columns, C in 8 units of 40 rows:
  // both phases woke both workers, for each of the four products
  assert.equal(threadPoolStats().workerJobs - before, 4 * 2 * 2);
});

test('big GEMMs split across threads equal the reference, and closing leaves the backend working alone', async () => {
  const random = rng(11);
  const shapes = [
    [96, 200, 70], // C twice as wide as tall: blocks of columns
    [300, 520, 530], // units of rows over one packed B
    [600, 130, 70], // 10 units of 64 rows (8 a thread would be fewer than 64), the last of 24
  ];
  const cases = shapes.map(([m, n, k]) => {
    const a = randomF32(random, m * k);
    const b = randomF32(random, n * k);
    const want = new Float64Array(m * n);
    ref.gemm(want, Float64Array.from(a), Float64Array.from(b), 1, m, n, k, false, true, 0, 0, false);
    const run = () => {
      const out = new Float32Array(m * n);
      threaded.gemm!(out, a, b, 1, m, n, k, false, true, 0, 0, false);
      for (let i = 0; i < m * n; i++)
        assert.ok(Math.abs(out[i] - want[i]) <= (k + 4) * EPS32 * k, `${m}×${n}×${k} [${i}]`);
      return out;
    };
    return { run, open: run() };
  });
  await closeThreads();
  await closeThreads(); // twice is harmless
  assert.equal(threadPoolStats().threads, 0);
  // the same sums in the same order on one thread: bit-identical
  for (const { run, open } of cases) assert.deepEqual(run(), open);
});

test('a new pool after closing works, and the default size is at most two threads', async () => {
  const backend = createThreadedWasmKernels()!;
  await threadsReady();
  assert.match(backend.name, /-threads-[12]$/);
  const x = randomF32(rng(12), 300 * 1000, 5);
  const want = new Float64Array(x.length);
  ref.softmaxForward(want, Float64Array.from(x), 300, 1000);
  const out = new Float32Array(x.length);
  backend.softmaxForward!(out, x, 300, 1000);
  for (let i = 0; i < x.length; i += 97) assert.ok(Math.abs(out[i] - want[i]) <= 1e-4 * want[i] + 1e-12, `[${i}]`);
  await closeThreads();
});
