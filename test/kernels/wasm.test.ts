// The single-threaded WebAssembly SIMD backend against the reference kernels.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { referenceKernels as ref } from '../../src/kernels/reference/index.js';
import { createWasmKernels, type WasmKernels } from '../../src/kernels/wasm/index.js';
import * as gemmWasm from '../../src/kernels/wasm/gemm.generated.js';
import { Arena, decodeBase64, instantiate } from '../../src/kernels/wasm/loader.js';
import { EPS32, checkGemm, checkRowwise, randomF32, rng } from './kernel-checks.js';

// smallFallback off: even 1×1 products go through WebAssembly
let plain: WasmKernels | undefined;
const getPlain = () => (plain ??= createWasmKernels({ relaxed: false, smallFallback: false })!);

test('the backend loads on Node 20 (WebAssembly SIMD is always there)', () => {
  assert.equal(getPlain().name, 'wasm-simd');
  const best = createWasmKernels();
  assert.ok(best && /^wasm-(relaxed-)?simd$/.test(best.name), `name ${best?.name}`);
});

checkGemm('wasm', getPlain);
checkRowwise('wasm', getPlain);

test('the relaxed-SIMD build (when this engine validates it) matches the reference too', () => {
  const backend = createWasmKernels({ smallFallback: false })!;
  const random = rng(9);
  const [m, n, k] = [37, 45, 300];
  const a = randomF32(random, m * k);
  const b = randomF32(random, k * n);
  const want = new Float64Array(m * n);
  ref.gemm(want, Float64Array.from(a), Float64Array.from(b), 1, m, n, k, false, true, 0, 0, false);
  const out = new Float32Array(m * n);
  backend.gemm!(out, a, b, 1, m, n, k, false, true, 0, 0, false);
  for (let i = 0; i < m * n; i++)
    assert.ok(Math.abs(out[i] - want[i]) <= (k + 4) * EPS32 * k, `${backend.name} [${i}]`);
});

test('vectorised exp is within 2.5 ulp of Math.exp over [−87, 88.7] and exact at the ends', () => {
  // log-softmax backward with dy = [1, 0, 0, …]: Σ dy = 1, so dx_j = −exp(y_j) for j ≥ 1
  const backend = getPlain();
  const cols = 4097;
  const y = new Float32Array(cols);
  const dy = new Float32Array(cols);
  dy[0] = 1;
  for (let j = 1; j < cols; j++) y[j] = -87 + ((88.7 + 87) * (j - 1)) / (cols - 2);
  y[1] = -Infinity;
  y[2] = -100; // below float32's normal range: 0
  const dx = new Float32Array(cols);
  backend.logSoftmaxBackward!(dx, dy, y, 1, cols);
  assert.ok(dx[1] === 0 && dx[2] === 0, `exp(−∞) = ${-dx[1]}, exp(−100) = ${-dx[2]}`);
  let worst = 0;
  for (let j = 3; j < cols; j++) {
    const want = Math.exp(y[j]);
    worst = Math.max(worst, Math.abs(-dx[j] - want) / want);
  }
  // the Cephes polynomial's bound, measured 1.2e-7
  assert.ok(worst <= 2.5 * EPS32, `max relative error ${worst}`);
  const big = new Float32Array([0, 89]);
  backend.logSoftmaxBackward!(dx, new Float32Array([1, 0]), big, 1, 2);
  assert.equal(dx[1], -Infinity);
});

test('Float64 arrays go to the reference kernels, with identical results', () => {
  const backend = getPlain();
  const random = rng(7);
  const a = Float64Array.from(randomF32(random, 6 * 5));
  const b = Float64Array.from(randomF32(random, 5 * 4));
  const got = new Float64Array(24);
  const want = new Float64Array(24);
  backend.gemm!(got, a, b, 1, 6, 4, 5, false, false, 0, 0, false);
  ref.gemm(want, a, b, 1, 6, 4, 5, false, false, 0, 0, false);
  assert.deepEqual(got, want);
  const sGot = new Float64Array(30);
  const sWant = new Float64Array(30);
  backend.softmaxForward!(sGot, a, 5, 6);
  ref.softmaxForward(sWant, a, 5, 6);
  assert.deepEqual(sGot, sWant);
});

test('gemm names the argument that is too short', () => {
  assert.throws(
    () =>
      getPlain().gemm!(
        new Float32Array(4),
        new Float32Array(3),
        new Float32Array(4),
        1,
        2,
        2,
        2,
        false,
        false,
        0,
        0,
        false,
      ),
    /gemm: a must hold at least 4 elements for these sizes, received 3/,
  );
});

test('the loader decodes base64 like Buffer, and the arena grows the memory on demand', () => {
  for (const text of [gemmWasm.simd, 'AA==', 'AAE=', 'AAEC', '']) {
    assert.deepEqual(Buffer.from(decodeBase64(text)), Buffer.from(text, 'base64'));
  }
  const module = instantiate<{ gemmScratchBytes(m: number, n: number, k: number): number }>(gemmWasm, {
    relaxed: false,
  })!;
  assert.equal(module.variant, 'simd');
  assert.ok(module.heapBase > 0 && module.heapBase < 65536, `heapBase ${module.heapBase}`);
  const arena = new Arena(module.memory, module.heapBase);
  const at = arena.alloc(3 * 65536);
  assert.equal(at % 64, 0);
  assert.ok(module.memory.buffer.byteLength >= at + 3 * 65536);
  const data = new Float32Array([1, 2, 3]);
  const p = arena.allocF32(3, data);
  assert.deepEqual(Array.from(arena.f32(p, 3)), [1, 2, 3]);
  arena.reset();
  assert.equal(arena.alloc(4), at);
  const shared = instantiate(gemmWasm, { shared: true })!;
  assert.ok(shared.memory.buffer instanceof SharedArrayBuffer);
  assert.match(shared.variant, /Shared$/);
});

test('keepMask draws the reference mask (Threefry blocks in SIMD) and advances the state identically', () => {
  const k = getPlain();
  // 16 elements a step in the module, the tail by a scalar loop: sizes around both
  for (const n of [1, 2, 15, 16, 17, 31, 33, 1000, 4097])
    for (const p of [0, 0.1, 0.5, 0.999, 1]) {
      const seed = new Uint32Array([7, 8, 9, n]);
      const want = { keep: new Uint8Array(n), state: seed.slice() };
      const got = { keep: new Uint8Array(n), state: seed.slice() };
      ref.keepMask(want.keep, want.state, p);
      k.keepMask!(got.keep, got.state, p);
      assert.deepEqual(got.keep, want.keep, `n ${n}, p ${p}: mask`);
      assert.deepEqual(got.state, want.state, `n ${n}, p ${p}: state`);
    }
  assert.throws(
    () => k.keepMask!(new Uint8Array(300), new Uint32Array(4), 1.5),
    /keepMask: p must be in \[0, 1\], received 1.5/,
  );
});
