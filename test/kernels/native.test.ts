// The native (N-API) kernels against the reference kernels: every instruction set this CPU has,
// on one thread and on two with every call split (minParallelWork 0). The addon is built by
// `npm ci` (scripts/build-native.mjs); when it is missing these tests fail, saying so, rather than skip.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { referenceKernels as ref } from '../../src/kernels/reference/index.js';
import { setKernels } from '../../src/kernels/registry.js';
import { createWasmKernels } from '../../src/kernels/wasm/index.js';
import { AttentionReverser, reversalBatch } from '../../src/models/reverser.js';
import * as F from '../../src/ops/index.js';
import { Generator } from '../../src/tensor/random.js';
import { Adam } from '../../src/train/optim.js';
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
  // a file that is not a shared library: refused with the loader's message, no crash
  const dir = mkdtempSync(join(tmpdir(), 'attend-native-'));
  const bad = join(dir, 'attend_native.node');
  writeFileSync(bad, Buffer.from('not an ELF file, not a DLL, not a Mach-O'));
  try {
    assert.equal(createNativeKernels({ path: bad }), null);
    assert.match(nativeUnavailableReason(), /failed to load/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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

/** One product on each backend against the float64 reference, with the k-term dot-product error bound. */
function compare(backends: Backend[], m: number, n: number, k: number, transA: boolean, transB: boolean, seed: number) {
  const random = rng(seed);
  const a = randomF32(random, m * k);
  const b = randomF32(random, k * n);
  const want = new Float64Array(m * n);
  ref.gemm(want, Float64Array.from(a), Float64Array.from(b), 1, m, n, k, transA, transB, 0, 0, false);
  for (const backend of backends) {
    const { out, intact } = guarded(m * n);
    backend.gemm!(out, a, b, 1, m, n, k, transA, transB, 0, 0, false);
    // |a|, |b| < 1: the bound (k + 4)·eps·Σ|a||b| ≤ (k + 4)·eps·k
    const what = `${backend.name} ${m}×${n}×${k} tA=${transA} tB=${transB}`;
    assertClose(out, want, m * n, (k + 4) * EPS32 * k, what, new Float64Array(m * n).fill(1));
    assert.ok(intact(), `${what}: wrote outside its output`);
  }
}

test('native gemm across every cache block: row block (3840), depth block (256), column block (512)', () => {
  const backends = isas.flatMap((isa) => [native(isa, 1), native(isa, 2)]);
  compare(backends, 3850, 20, 270, false, false, 11);
  compare(backends, 100, 530, 260, true, true, 12);
  compare(backends, 13, 1100, 300, false, true, 13);
  compare(backends, 130, 129, 520, true, false, 14);
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

test('createNativeKernels refuses a thread count that is not a positive integer', () => {
  for (const threads of [0, 1.5, NaN, -1])
    assert.throws(
      () => createNativeKernels({ threads }),
      new RegExp(`createNativeKernels: threads must be a positive integer, received ${threads}`),
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

test('with ATTEND_NATIVE=0 the Node kernels come from WebAssembly and training still works', () => {
  const wasm = trainInChild({ ATTEND_NATIVE: '0' });
  assert.match(wasm.name, /^wasm-(relaxed-)?simd-threads-\d$/);
  assert.equal(wasm.reason, 'ATTEND_NATIVE=0');
  // 20 Adam steps down from ln 10 = 2.30 (uniform over 10 digits)
  assert.ok(wasm.loss < 2.25, `loss after 20 steps ${wasm.loss}`);
});

/** Losses of 10 training steps of the demo's one-layer attention model on the given kernels. */
function trainLosses(backend: Backend): number[] {
  setKernels(backend);
  const config = { vocab: 10, length: 8, dim: 32 };
  const gen = new Generator(0);
  const model = new AttentionReverser(config, gen);
  const opt = new Adam(Object.values(model.params), { lr: 0.01 });
  const losses: number[] = [];
  for (let step = 0; step < 10; step++) {
    const { src, tgt } = reversalBatch(64, config, gen);
    const { logits } = model.forward(src);
    const loss = F.crossEntropy(F.reshape(logits, [-1, config.vocab]), F.reshape(tgt, [-1]));
    opt.zeroGrad();
    loss.backward();
    opt.step();
    losses.push(loss.item());
  }
  return losses;
}

test('training on the native kernels follows training on WebAssembly step by step', () => {
  const wasm = createWasmKernels()!;
  try {
    const want = trainLosses(wasm);
    const got = trainLosses({ ...wasm, ...native(undefined, 2), name: 'native+wasm' });
    // same seed, same model: float32 results differ only in the order of the sums
    for (let i = 0; i < want.length; i++)
      assert.ok(Math.abs(got[i] - want[i]) <= 1e-4 * (1 + want[i]), `step ${i}: native ${got[i]}, wasm ${want[i]}`);
    assert.ok(want[9] < want[0], `the loss went down: ${want.join(', ')}`);
  } finally {
    setKernels(wasm);
  }
});
