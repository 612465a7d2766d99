// The native (N-API) kernels against the reference kernels: every instruction set this CPU has,
// on one thread and on two with every call split (minParallelWork 0). The addon is built by
// `npm ci` (scripts/build-native.mjs); when it is missing these tests fail, saying so, rather than skip.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { referenceKernels as ref } from '../../src/kernels/reference/index.js';
import { createNativeKernels, nativeUnavailableReason, type NativeIsa } from '../../src/node/native.js';
import { EPS32, assertClose, checkGemm, checkRowwise, guarded, randomF32, rng, type Backend } from './kernel-checks.js';

function native(isa?: NativeIsa, threads = 2): Backend {
  const k = createNativeKernels({ isa, threads, minParallelWork: 0 });
  if (!k)
    assert.fail(`the native addon is not available: ${nativeUnavailableReason()} (build it: npm run build:native)`);
  return k;
}

test('the addon loads and picks the best instruction set of this CPU', () => {
  const best = native();
  assert.match(best.name, /^native-(avx512|avx2)-[12]t$/);
  assert.equal(createNativeKernels({ path: '/nonexistent/attend_native.node' }), null);
  assert.match(nativeUnavailableReason(), /no native addon at \/nonexistent/);
});

// Every instruction set this CPU runs (the portable path only by name), on one and two threads.
// With the addon missing this list is empty and the test above fails.
const isas = (['avx512', 'avx2', 'portable'] as const).filter((isa) => createNativeKernels({ isa }) !== null);
for (const isa of isas) {
  for (const threads of [1, 2]) {
    checkGemm(`native ${isa} ${threads}t`, () => native(isa, threads));
    checkRowwise(`native ${isa} ${threads}t`, () => native(isa, threads));
  }
}

/** One product against the float64 reference, with the k-term dot-product error bound. */
function compare(backend: Backend, m: number, n: number, k: number, transA: boolean, transB: boolean, seed: number) {
  const random = rng(seed);
  const a = randomF32(random, m * k);
  const b = randomF32(random, k * n);
  const want = new Float64Array(m * n);
  ref.gemm(want, Float64Array.from(a), Float64Array.from(b), 1, m, n, k, transA, transB, 0, 0, false);
  const { out, intact } = guarded(m * n);
  backend.gemm!(out, a, b, 1, m, n, k, transA, transB, 0, 0, false);
  // |a|, |b| < 1: the bound (k + 4)·eps·Σ|a||b| ≤ (k + 4)·eps·k
  const what = `${backend.name} ${m}×${n}×${k} tA=${transA} tB=${transB}`;
  assertClose(out, want, m * n, (k + 4) * EPS32 * k, what, new Float64Array(m * n).fill(1));
  assert.ok(intact(), `${backend.name} ${m}×${n}×${k}: wrote outside its output`);
}

test('native exp (through log-softmax backward) is within 2.5 ulp over [−87, 88.7], 0 below, +∞ above', () => {
  // log-softmax backward with dy = [1, 0, 0, …]: Σ dy = 1, so dx_j = −exp(y_j) for j ≥ 1
  const cols = 4099; // not a multiple of 16: the masked tail of the vector loop too
  const y = new Float32Array(cols);
  const dy = new Float32Array(cols);
  dy[0] = 1;
  for (let j = 1; j < cols; j++) y[j] = -87 + ((88.7 + 87) * (j - 1)) / (cols - 2);
  y[1] = -Infinity;
  y[2] = -100;
  y[cols - 1] = 89; // exp overflows float32
  for (const isa of isas) {
    const dx = new Float32Array(cols);
    native(isa, 1).logSoftmaxBackward!(dx, dy, y, 1, cols);
    assert.ok(dx[1] === 0 && dx[2] === 0, `${isa}: exp(−∞) = ${-dx[1]}, exp(−100) = ${-dx[2]}`);
    assert.equal(dx[cols - 1], -Infinity, `${isa}: exp(89)`);
    let worst = 0;
    for (let j = 3; j < cols - 1; j++) {
      const want = Math.exp(y[j]);
      worst = Math.max(worst, Math.abs(-dx[j] - want) / want);
    }
    assert.ok(worst <= 2.5 * EPS32, `${isa}: max relative error ${worst}`);
  }
});

test('native gemm across every cache block: row block (384), depth block (256), column block (2048)', () => {
  for (const isa of isas) {
    const backend = native(isa, 2);
    compare(backend, 401, 70, 300, false, false, 11);
    compare(backend, 397, 45, 520, true, true, 12);
    compare(backend, 13, 2100, 260, false, true, 13);
    compare(backend, 130, 129, 257, true, false, 14);
  }
});

test('native gemm: float64 goes to the reference, identical results', () => {
  const backend = native();
  const random = rng(7);
  const a = Float64Array.from(randomF32(random, 6 * 5));
  const b = Float64Array.from(randomF32(random, 5 * 4));
  const got = new Float64Array(24);
  const want = new Float64Array(24);
  backend.gemm!(got, a, b, 1, 6, 4, 5, false, false, 0, 0, false);
  ref.gemm(want, a, b, 1, 6, 4, 5, false, false, 0, 0, false);
  assert.deepEqual(got, want);
});

test('native gemm names the argument that is too short, or of the wrong size', () => {
  const backend = native();
  const f32 = (n: number) => new Float32Array(n);
  const call = (out: Float32Array, a: Float32Array, b: Float32Array, batch = 1, strideA = 0) =>
    backend.gemm!(out, a, b, batch, 2, 2, 2, false, false, strideA, 0, false);
  assert.throws(
    () => call(f32(4), f32(3), f32(4)),
    /gemm: a must hold at least 4 elements for these sizes, received 3/,
  );
  assert.throws(
    () => call(f32(4), f32(4), f32(3)),
    /gemm: bm must hold at least 4 elements for these sizes, received 3/,
  );
  assert.throws(() => call(f32(7), f32(8), f32(4), 2, 4), /gemm: out must hold at least 8 elements .* received 7/);
  assert.throws(() => call(f32(8), f32(7), f32(4), 2, 4), /gemm: a must hold at least 8 elements .* received 7/);
  assert.throws(
    () => backend.gemm!(f32(4), f32(4), f32(4), 1, 2, 2, -1, false, false, 0, 0, false),
    /gemm: k must be a non-negative integer/,
  );
  assert.throws(
    () => backend.gemm!(f32(4), f32(4), f32(4), 1, 2.5, 2, 2, false, false, 0, 0, false),
    /gemm: m must be a non-negative integer/,
  );
});

test('native row-wise kernels name the argument that is too short', () => {
  const backend = native();
  const f32 = (n: number) => new Float32Array(n);
  assert.throws(
    () => backend.softmaxForward!(f32(6), f32(5), 2, 3),
    /softmaxForward: x must hold at least 6 elements for these sizes, received 5/,
  );
  assert.throws(
    () => backend.layerNormForward!(f32(6), f32(2), f32(1), f32(6), null, null, 2, 3, 1e-5),
    /layerNormForward: rstd must hold at least 2 elements for these sizes, received 1/,
  );
  assert.throws(
    () => backend.layerNormBackward!(f32(6), f32(2), null, f32(6), f32(6), f32(2), f32(2), null, 2, 3),
    /layerNormBackward: dweight must hold at least 3 elements for these sizes, received 2/,
  );
});

// A child process runs installNodeKernels (what the CLI does) and 20 steps of the demo's training.
function trainInChild(env: Record<string, string>): { name: string; reason: string; loss: number } {
  const src = (p: string) => pathToFileURL(new URL(`../../src/${p}`, import.meta.url).pathname).href;
  const script = `
    import { installNodeKernels, nativeUnavailableReason } from '${src('node/native.ts')}';
    import { kernels } from '${src('kernels/registry.ts')}';
    import { runDemo } from '${src('cli/demo.ts')}';
    const name = installNodeKernels();
    if (kernels().name !== name) throw new Error('installed ' + name + ', running ' + kernels().name);
    console.log(JSON.stringify({ name, reason: nativeUnavailableReason() }));
    runDemo({ steps: 20, seed: 0, json: true });
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `child failed: ${r.stderr}`);
  const [head, demo] = r.stdout.trim().split('\n');
  const { name, reason } = JSON.parse(head) as { name: string; reason: string };
  return { name, reason, loss: (JSON.parse(demo) as { loss: number }).loss };
}

test('with ATTEND_NATIVE=0 the kernels come from WebAssembly and training still works; native trains the same', () => {
  const wasm = trainInChild({ ATTEND_NATIVE: '0' });
  assert.match(wasm.name, /^wasm-(relaxed-)?simd-threads-\d$/);
  assert.equal(wasm.reason, 'ATTEND_NATIVE=0');
  const nat = trainInChild({});
  assert.match(nat.name, /^native-(avx512|avx2)-\dt\+wasm-/, `native not installed: ${nat.reason}`);
  // 20 Adam steps from ln 10 = 2.30 (uniform over 10 digits)
  assert.ok(wasm.loss < 2.25, `loss after 20 steps ${wasm.loss}`);
  // same seed, same model: float32 rounding differs only in the order of the sums
  assert.ok(Math.abs(nat.loss - wasm.loss) < 1e-3, `native loss ${nat.loss}, WebAssembly loss ${wasm.loss}`);
});
