/**
 * The JavaScript side of the WebAssembly GEMM (assembly/gemm.ts): copies the operands into the
 * module's memory, runs the kernel over all of C (or hands blocks of C to threads through a
 * `GemmRunner`, which decides when A goes in and C comes back: `GemmTransfers`). Float64 operands
 * and tiny products go to the reference.
 */
import { gemm as referenceGemm } from '../reference/gemm.js';
import type { FloatArray, Kernels } from '../types.js';
import type { Arena } from './loader.js';

/** The exports of assembly/gemm.ts. Addresses are bytes; sizes and strides are elements. */
export interface GemmExports {
  gemm(
    c: number,
    a: number,
    bm: number,
    m: number,
    n: number,
    k: number,
    strideA: number,
    rsA: number,
    csA: number,
    strideB: number,
    rsB: number,
    csB: number,
    accumulate: number,
    scratch: number,
    b0: number,
    b1: number,
    i0: number,
    i1: number,
    j0: number,
    j1: number,
  ): void;
  gemmScratchBytes(m: number, n: number, k: number): number;
  /** Threads sharing one packed B: see assembly/gemm.ts. */
  packedBBytes(n: number, k: number): number;
  gemmRowsScratchBytes(unitRows: number, k: number): number;
  packB(dst: number, bm: number, n: number, k: number, rsB: number, csB: number, unitCols: number, u: number): void;
  gemmRows(
    c: number,
    a: number,
    packedB: number,
    m: number,
    n: number,
    k: number,
    rsA: number,
    csA: number,
    accumulate: number,
    scratch: number,
    unitRows: number,
    u: number,
  ): void;
}

/** One GEMM in the module's memory, ready to run: the arguments of `GemmExports.gemm` up to `accumulate`. */
export interface GemmCall {
  c: number;
  a: number;
  bm: number;
  batch: number;
  m: number;
  n: number;
  k: number;
  strideA: number;
  rsA: number;
  csA: number;
  strideB: number;
  rsB: number;
  csB: number;
  accumulate: boolean;
}

/**
 * The copies between the caller's arrays and the module's memory that a runner does itself, so
 * that threads can hide them: A goes in while the workers pack B, and C's finished rows come out
 * while the others still compute (measured at 1024³ on 2 threads: the copies and the page faults of
 * a fresh output took 1.5–3 ms of a 26 ms call when done before and after it).
 */
export interface GemmTransfers {
  /** Copies A into the module's memory at `call.a`: once, before anything reads A. */
  loadA(): void;
  /** Copies rows [r0, r1) of C, seen as the [batch·m, n] stack of its matrices, to the caller. */
  storeRows(r0: number, r1: number): void;
}

/**
 * Runs a prepared call: over the whole of C on this thread, or split across threads. It calls
 * `io.loadA` once before reading A and `io.storeRows` over every row of C once, when they are final.
 */
export type GemmRunner = (call: GemmCall, arena: Arena, io: GemmTransfers) => void;

/**
 * Below this many multiply-adds (batch·m·n·k) the reference loops win over copying into the
 * module's memory (measured on the Node 20 test machine: break-even near 6³; 8³ is 2× faster).
 */
export const MIN_WASM_GEMM = 256;

export function singleThreadRunner(exports: GemmExports): GemmRunner {
  return (call, arena, io) => {
    const scratch = arena.alloc(exports.gemmScratchBytes(call.m, call.n, call.k));
    io.loadA();
    runBlock(exports, call, scratch, 0, call.batch, 0, call.m, 0, call.n);
    io.storeRows(0, call.batch * call.m);
  };
}

/** The arguments of `GemmExports.gemm` for C[b0:b1][i0:i1, j0:j1] of a prepared call (`block` = b0, b1, i0, i1, j0, j1). */
export function gemmArguments(call: GemmCall, scratch: number, block: readonly number[]): number[] {
  const { c, a, bm, m, n, k, strideA, rsA, csA, strideB, rsB, csB, accumulate } = call;
  return [c, a, bm, m, n, k, strideA, rsA, csA, strideB, rsB, csB, accumulate ? 1 : 0, scratch, ...block];
}

/** Runs C[b0:b1][i0:i1, j0:j1] of a prepared call with the given scratch. */
export function runBlock(
  exports: GemmExports,
  call: GemmCall,
  scratch: number,
  b0: number,
  b1: number,
  i0: number,
  i1: number,
  j0: number,
  j1: number,
): void {
  (exports.gemm as (...args: number[]) => void)(...gemmArguments(call, scratch, [b0, b1, i0, i1, j0, j1]));
}

/**
 * Reserves room in the arena for `batch` matrices of `size` floats, the b-th at b·stride in
 * `from`; returns the address and the stride there, and `load`, which copies them in. A broadcast
 * (stride 0) or consecutive matrices are one copy.
 */
function placeMatrices(arena: Arena, from: Float32Array, batch: number, stride: number, size: number) {
  const whole = stride === 0 || batch === 1 ? size : stride === size ? batch * size : 0;
  const at = arena.allocF32(whole || batch * size);
  // the view is made when loading: growing a memory that is not shared detaches its old views
  const load = whole
    ? () => arena.f32(at, whole).set(from.subarray(0, whole))
    : () => {
        const view = arena.f32(at, batch * size);
        for (let b = 0; b < batch; b++) view.set(from.subarray(b * stride, b * stride + size), b * size);
      };
  return { at, stride: stride === 0 || batch === 1 ? 0 : size, load };
}

function checkLength(name: string, array: FloatArray, need: number): void {
  if (array.length < need) {
    throw new RangeError(`gemm: ${name} must hold at least ${need} elements for these sizes, received ${array.length}`);
  }
}

/** The `Kernels.gemm` of a loaded module: float32 in WebAssembly, everything else by the reference. */
export function wasmGemm(arena: Arena, run: GemmRunner, smallFallback = true): Kernels['gemm'] {
  return function gemm(out, a, bm, batch, m, n, k, transA, transB, strideA, strideB, accumulate) {
    if (
      !(out instanceof Float32Array && a instanceof Float32Array && bm instanceof Float32Array) ||
      batch * m * n === 0 ||
      (smallFallback && batch * m * n * k < MIN_WASM_GEMM)
    ) {
      referenceGemm(out, a, bm, batch, m, n, k, transA, transB, strideA, strideB, accumulate);
      return;
    }
    checkLength('a', a, (batch - 1) * strideA + m * k);
    checkLength('bm', bm, (batch - 1) * strideB + k * n);
    checkLength('out', out, batch * m * n);
    // A broadcast B under consecutive untransposed A matrices is one taller product:
    // [batch·m, k] · [k, n] (a linear layer over a batch), with out laid out the same way.
    if (strideB === 0 && !transA && strideA === m * k && batch > 1) {
      m *= batch;
      batch = 1;
    }
    arena.reset();
    const A = placeMatrices(arena, a, batch, strideA, m * k);
    const B = placeMatrices(arena, bm, batch, strideB, k * n);
    B.load();
    const c = arena.allocF32(batch * m * n, accumulate ? out : undefined);
    let loaded = false;
    let stored = 0;
    const io: GemmTransfers = {
      loadA() {
        A.load();
        loaded = true;
      },
      storeRows(r0, r1) {
        out.set(arena.f32(c + r0 * n * 4, (r1 - r0) * n), r0 * n);
        stored += r1 - r0;
      },
    };
    // element (i, p) of op(A) at i·rsA + p·csA; element (p, j) of op(B) at p·rsB + j·csB
    run(
      {
        c,
        a: A.at,
        bm: B.at,
        batch,
        m,
        n,
        k,
        strideA: A.stride,
        rsA: transA ? 1 : k,
        csA: transA ? m : 1,
        strideB: B.stride,
        rsB: transB ? 1 : n,
        csB: transB ? k : 1,
        accumulate,
      },
      arena,
      io,
    );
    if (!loaded || stored !== batch * m) {
      throw new Error(
        `gemm: internal: the runner loaded A ${loaded ? 'once' : 'never'} and stored ${stored} of ${batch * m} rows of C`,
      );
    }
  };
}
