// The WebAssembly backend on worker threads: the same checks as the single-threaded backend,
// with every call split across the pool (minParallelWork 0), then closing the pool.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { referenceKernels as ref } from '../../src/kernels/reference/index.js';
import { closeThreads, createThreadedWasmKernels, threadPoolStats, threadsReady } from '../../src/node/threads.js';
import { EPS32, checkGemm, checkRowwise, randomF32, rng, type Backend } from '../kernels/kernel-checks.js';

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

test('a big GEMM split across threads equals the reference, and closing leaves the backend working alone', async () => {
  const random = rng(11);
  const [m, n, k] = [96, 200, 70];
  const a = randomF32(random, m * k);
  const b = randomF32(random, n * k);
  const want = new Float64Array(m * n);
  ref.gemm(want, Float64Array.from(a), Float64Array.from(b), 1, m, n, k, false, true, 0, 0, false);
  const check = (out: Float32Array, what: string) => {
    for (let i = 0; i < m * n; i++) assert.ok(Math.abs(out[i] - want[i]) <= (k + 4) * EPS32 * k, `${what} [${i}]`);
  };
  const before = new Float32Array(m * n);
  threaded.gemm!(before, a, b, 1, m, n, k, false, true, 0, 0, false);
  check(before, 'pool open');
  await closeThreads();
  await closeThreads(); // twice is harmless
  assert.equal(threadPoolStats().threads, 0);
  const closed = new Float32Array(m * n);
  threaded.gemm!(closed, a, b, 1, m, n, k, false, true, 0, 0, false);
  check(closed, 'pool closed');
  assert.deepEqual(closed, before); // same blocks, same order of sums: bit-identical
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
