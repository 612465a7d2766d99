// Checks of a fast float32 backend against the reference kernels (the oracle), shared by the
// single-threaded WebAssembly tests and the worker-thread tests. Not a test file itself: each
// `check*` registers node:test tests for the backend that `get` returns.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { referenceKernels as ref } from '../../src/kernels/reference/index.js';
import type { Kernels } from '../../src/kernels/types.js';

export type Backend = Partial<Kernels> & { name: string };

/** float32 machine epsilon (spacing of floats at 1). */
export const EPS32 = 2 ** -23;
/** Written after every output; a kernel that writes past its end changes it. */
const SENTINEL = -12345.625;
const GUARD = 37;

/** A seeded generator (mulberry32): the same cases every run. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` floats in [−scale, scale), as a view that starts `offset` floats into a larger buffer. */
export function randomF32(random: () => number, length: number, scale = 1, offset = 3): Float32Array {
  const buffer = new Float32Array(offset + length);
  for (let i = 0; i < length; i++) buffer[offset + i] = (random() * 2 - 1) * scale;
  return buffer.subarray(offset);
}

/** An output view with a sentinel-filled guard region before and after it. */
export function guarded(length: number, fill?: Float32Array): { out: Float32Array; intact: () => boolean } {
  const buffer = new Float32Array(GUARD + length + GUARD).fill(SENTINEL);
  const out = buffer.subarray(GUARD);
  if (fill) out.set(fill);
  else out.fill(SENTINEL, 0, length);
  return {
    out,
    intact: () =>
      buffer.subarray(0, GUARD).every((v) => v === SENTINEL) && out.subarray(length).every((v) => v === SENTINEL),
  };
}

/** Asserts |got − want| ≤ tol · scale[i] element-wise (scale 1 + |want| when not given); NaN and ±∞ must match exactly. */
export function assertClose(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  length: number,
  tol: number,
  what: string,
  scale?: ArrayLike<number>,
): void {
  for (let i = 0; i < length; i++) {
    const g = got[i];
    const w = want[i];
    if (!Number.isFinite(w) || !Number.isFinite(g)) {
      assert.ok(Object.is(g, w) || (g === 0 && w === 0), `${what}[${i}]: got ${g}, expected ${w}`);
      continue;
    }
    const bound = tol * (scale ? scale[i] : 1 + Math.abs(w));
    if (!(Math.abs(g - w) <= bound)) assert.fail(`${what}[${i}]: got ${g}, expected ${w} (± ${bound})`);
  }
}

export interface GemmCase {
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  strideA: number;
  strideB: number;
  accumulate: boolean;
}

/** One product against the float64 reference, within k-term float32 rounding, and nothing written outside C. */
export function checkOneGemm(backend: Backend, c: GemmCase, random: () => number): void {
  const { batch, m, n, k, transA, transB, strideA, strideB, accumulate } = c;
  const a = randomF32(random, (batch - 1) * strideA + m * k);
  const bm = randomF32(random, (batch - 1) * strideB + k * n);
  const size = batch * m * n;
  const prefill = randomF32(random, size);
  const want = new Float64Array(prefill);
  ref.gemm(
    want,
    Float64Array.from(a),
    Float64Array.from(bm),
    batch,
    m,
    n,
    k,
    transA,
    transB,
    strideA,
    strideB,
    accumulate,
  );
  // error bound of a k-term float32 dot product: about k·eps·Σ|a||b| (Higham, §3.1), plus the prefill
  const scale = new Float64Array(prefill.map(Math.abs));
  const absA = Float64Array.from(a, Math.abs);
  const absB = Float64Array.from(bm, Math.abs);
  ref.gemm(scale, absA, absB, batch, m, n, k, transA, transB, strideA, strideB, accumulate);
  const gemmTolerance = (k + 4) * EPS32;
  const { out, intact } = guarded(size, accumulate ? prefill : undefined);
  backend.gemm!(out, a, bm, batch, m, n, k, transA, transB, strideA, strideB, accumulate);
  const label = `gemm ${JSON.stringify(c)}`;
  assertClose(
    out,
    want,
    size,
    gemmTolerance,
    label,
    scale.map((s) => s + 1e-30),
  );
  assert.ok(intact(), `${label}: wrote outside its output`);
}

/** Shapes around the micro-tile (4×8), the depth block (256), the row block (128) and the column block (2048). */
export const GEMM_SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [7, 3, 1],
  [4, 8, 16],
  [5, 9, 17],
  [17, 33, 9],
  [33, 17, 65],
  [65, 129, 3],
  [129, 65, 33],
  [127, 9, 255],
  [3, 7, 257],
  [131, 20, 513],
  [2, 2049, 5],
  [1, 300, 70],
  [300, 1, 70],
  // thin (m ≤ 2 or k ≤ 2: the native backend's unpacked loops), with dot products past 32 lanes
  [1, 9, 77],
  [2, 33, 40],
  [9, 40, 2],
  // small (m·n·k ≤ 8192, n ≤ 64, k ≤ 128: native's unpacked loops, C's width in vectors of 16) and just past it
  [10, 10, 32],
  [20, 16, 5],
  [12, 48, 14],
  [2, 64, 64],
  [3, 64, 42],
  [4, 65, 10],
  [3, 21, 129],
  [16, 16, 33],
];

export function checkGemm(label: string, get: () => Backend): void {
  test(`${label}: gemm matches the reference on odd shapes, every transpose, with and without accumulate`, () => {
    const backend = get();
    const random = rng(1);
    let i = 0;
    for (const [m, n, k] of GEMM_SHAPES) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const accumulate = i++ % 2 === 1;
          checkOneGemm(backend, { batch: 1, m, n, k, transA, transB, strideA: 0, strideB: 0, accumulate }, random);
        }
      }
    }
  });

  test(`${label}: batched gemm with consecutive, gapped and broadcast (stride 0) operands`, () => {
    const backend = get();
    const random = rng(2);
    for (const [m, n, k] of [
      [5, 9, 17],
      [33, 17, 7],
      [1, 9, 70], // an RNN decoder's attention context per sequence, and its gradients
      [7, 33, 1],
      [10, 10, 32], // a Transformer's attention scores over a short sequence, one matrix per head
    ]) {
      for (const strideA of [0, m * k, m * k + 5]) {
        for (const strideB of [0, k * n, k * n + 3]) {
          for (const [transA, transB] of [
            [false, false],
            [true, true],
            [false, true],
          ]) {
            const accumulate = strideA === 0;
            checkOneGemm(backend, { batch: 3, m, n, k, transA, transB, strideA, strideB, accumulate }, random);
          }
        }
      }
    }
    // many matrices: the threaded backend hands whole ones to each thread
    for (const [strideA, strideB] of [
      [5 * 17, 17 * 9],
      [0, 17 * 9 + 1],
    ]) {
      const c = { batch: 13, m: 5, n: 9, k: 17, transA: false, transB: true, strideA, strideB, accumulate: true };
      checkOneGemm(backend, c, random);
    }
  });

  test(`${label}: gemm with k = 0 writes zeros (or leaves out alone when accumulating)`, () => {
    const backend = get();
    const { out, intact } = guarded(6);
    backend.gemm!(out, new Float32Array(0), new Float32Array(0), 1, 2, 3, 0, false, false, 0, 0, false);
    assert.deepEqual(Array.from(out.subarray(0, 6)), [0, 0, 0, 0, 0, 0]);
    const acc = guarded(6, new Float32Array([1, 2, 3, 4, 5, 6]));
    backend.gemm!(acc.out, new Float32Array(0), new Float32Array(0), 1, 2, 3, 0, false, false, 0, 0, true);
    assert.deepEqual(Array.from(acc.out.subarray(0, 6)), [1, 2, 3, 4, 5, 6]);
    assert.ok(intact() && acc.intact());
  });
}

/** Row-wise inputs: random rows, rows scaled up to ±40, a fully masked row, a partly masked row. */
function rowInput(random: () => number, rows: number, cols: number): Float32Array {
  const x = randomF32(random, rows * cols, 1);
  for (let r = 0; r < rows; r++) {
    const s = r === 0 ? 1 : r === 1 ? 40 : 5;
    for (let j = 0; j < cols; j++) x[r * cols + j] *= s;
  }
  if (rows > 2) x.fill(-Infinity, 2 * cols, 3 * cols); // every key masked
  if (rows > 3) for (let j = 0; j < cols; j += 2) x[3 * cols + j] = -Infinity; // some masked
  return x;
}

export const ROW_SHAPES: [number, number][] = [
  [1, 1],
  [4, 3],
  [5, 7],
  [4, 17],
  [5, 33],
  [2, 65],
  [5, 129],
  [4, 1024],
  [67, 16],
  [70, 1000], // two blocks of rows (the wrappers copy about 64 Ki elements at a time)
  [3, 70000], // one row per block
];

export function checkRowwise(label: string, get: () => Backend): void {
  test(`${label}: softmax and log-softmax forward match the reference (masked rows give 0 / −∞)`, () => {
    const backend = get();
    const random = rng(3);
    for (const [rows, cols] of ROW_SHAPES) {
      const x = rowInput(random, rows, cols);
      const size = rows * cols;
      // float32 error: exp to 2 ulp, x − max rounded (relative error |x − max|·eps on exp), a cols-term sum
      const tol = (cols + 90) * EPS32;
      for (const kernel of ['softmaxForward', 'logSoftmaxForward'] as const) {
        const want = new Float64Array(size);
        ref[kernel](want, Float64Array.from(x), rows, cols);
        const { out, intact } = guarded(size);
        backend[kernel]!(out, x, rows, cols);
        // log-softmax values reach −80: relative to them
        assertClose(out, want, size, tol, `${kernel} ${rows}×${cols}`);
        assert.ok(intact(), `${kernel} ${rows}×${cols}: wrote outside its output`);
        if (rows > 2) {
          const masked = Array.from(out.subarray(2 * cols, 3 * cols));
          assert.ok(
            masked.every((v) => v === (kernel === 'softmaxForward' ? 0 : -Infinity)),
            `${kernel}: masked row`,
          );
        }
      }
    }
  });

  test(`${label}: softmax and log-softmax backward match the reference`, () => {
    const backend = get();
    const random = rng(4);
    for (const [rows, cols] of ROW_SHAPES) {
      const size = rows * cols;
      const x = randomF32(random, size, 4);
      const dy = randomF32(random, size, 1);
      for (const [fwd, bwd] of [
        ['softmaxForward', 'softmaxBackward'],
        ['logSoftmaxForward', 'logSoftmaxBackward'],
      ] as const) {
        const y = new Float32Array(size);
        ref[fwd](y, x, rows, cols);
        const want = new Float64Array(size);
        ref[bwd](want, Float64Array.from(dy), Float64Array.from(y), rows, cols);
        const { out, intact } = guarded(size);
        backend[bwd]!(out, dy, y, rows, cols);
        // dx is a difference of O(1) terms: absolute error about cols·eps
        assertClose(out, want, size, (cols + 8) * EPS32, `${bwd} ${rows}×${cols}`, new Float64Array(size).fill(4));
        assert.ok(intact(), `${bwd} ${rows}×${cols}: wrote outside its output`);
      }
    }
  });

  test(`${label}: layer norm forward and backward match the reference, with and without weight and bias`, () => {
    const backend = get();
    const random = rng(5);
    for (const [rows, cols] of ROW_SHAPES) {
      const size = rows * cols;
      const x = randomF32(random, size, 3);
      for (let i = 0; i < size; i++) x[i] += 10; // |μ| ≫ σ: a one-pass variance would lose digits
      const dy = randomF32(random, size, 1);
      for (const affine of [true, false]) {
        const weight = affine ? randomF32(random, cols, 2) : null;
        const bias = affine ? randomF32(random, cols, 1) : null;
        const eps = 1e-5;
        const want = new Float64Array(size);
        const wMean = new Float64Array(rows);
        const wRstd = new Float64Array(rows);
        const f64 = (v: Float32Array | null) => (v ? Float64Array.from(v) : null);
        ref.layerNormForward(want, wMean, wRstd, Float64Array.from(x), f64(weight), f64(bias), rows, cols, eps);
        const out = guarded(size);
        const mean = guarded(rows);
        const rstd = guarded(rows);
        backend.layerNormForward!(out.out, mean.out, rstd.out, x, weight, bias, rows, cols, eps);
        // mean and variance are cols-term float32 sums
        const lnTolerance = (cols + 16) * EPS32;
        const what = `layerNorm ${rows}×${cols} affine=${affine}`;
        assertClose(out.out, want, size, 4 * lnTolerance, `${what} out`);
        assertClose(mean.out, wMean, rows, lnTolerance, `${what} mean`);
        assertClose(rstd.out, wRstd, rows, lnTolerance, `${what} rstd`);
        assert.ok(out.intact() && mean.intact() && rstd.intact(), `${what}: wrote outside an output`);

        // backward from the float32 statistics (the backward's real inputs)
        const dwStart = affine ? randomF32(random, cols, 1) : null;
        const dbStart = affine ? randomF32(random, cols, 1) : null;
        const wantDx = new Float64Array(size);
        const wantDw = f64(dwStart);
        const wantDb = f64(dbStart);
        const m32 = mean.out.slice(0, rows);
        const s32 = rstd.out.slice(0, rows);
        ref.layerNormBackward(
          wantDx,
          wantDw,
          wantDb,
          Float64Array.from(dy),
          Float64Array.from(x),
          Float64Array.from(m32),
          Float64Array.from(s32),
          f64(weight),
          rows,
          cols,
        );
        const dx = guarded(size);
        const dw = guarded(cols, dwStart ?? undefined);
        const db = guarded(cols, dbStart ?? undefined);
        backend.layerNormBackward!(
          dx.out,
          affine ? dw.out : null,
          affine ? db.out : null,
          dy,
          x,
          m32,
          s32,
          weight,
          rows,
          cols,
        );
        assertClose(dx.out, wantDx, size, 4 * lnTolerance, `${what} dx`, new Float64Array(size).fill(8));
        if (affine) {
          // dweight, dbias: rows-term sums added to the start value
          assertClose(
            dw.out,
            wantDw!,
            cols,
            (rows + 16) * EPS32,
            `${what} dweight`,
            new Float64Array(cols).fill(4 * rows),
          );
          assertClose(db.out, wantDb!, cols, (rows + 16) * EPS32, `${what} dbias`);
        }
        assert.ok(dx.intact() && dw.intact() && db.intact(), `${what}: backward wrote outside an output`);
      }
    }
  });
}
