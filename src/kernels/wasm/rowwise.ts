/**
 * The JavaScript side of the row-wise WebAssembly kernels (assembly/rowwise.ts): softmax,
 * log-softmax and layer norm. Copies in, runs rows [0, rows) (or splits them through a
 * `RowRunner`), copies out. Float64 arrays and tiny inputs go to the reference.
 */
import { layerNormBackward, layerNormForward } from '../reference/layernorm.js';
import { logSoftmaxBackward, logSoftmaxForward, softmaxBackward, softmaxForward } from '../reference/softmax.js';
import type { FloatArray, Kernels } from '../types.js';
import type { Arena } from './loader.js';

/** The exports of assembly/rowwise.ts: byte addresses, then sizes, then the row range [r0, r1). */
export interface RowwiseExports {
  softmaxForward(out: number, x: number, cols: number, r0: number, r1: number): void;
  softmaxBackward(dx: number, dy: number, y: number, cols: number, r0: number, r1: number): void;
  logSoftmaxForward(out: number, x: number, cols: number, r0: number, r1: number): void;
  logSoftmaxBackward(dx: number, dy: number, y: number, cols: number, r0: number, r1: number): void;
  layerNormForward(
    out: number,
    mean: number,
    rstd: number,
    x: number,
    weight: number,
    bias: number,
    cols: number,
    eps: number,
    r0: number,
    r1: number,
  ): void;
  layerNormBackward(
    dx: number,
    dweight: number,
    dbias: number,
    dy: number,
    x: number,
    mean: number,
    rstd: number,
    weight: number,
    cols: number,
    r0: number,
    r1: number,
  ): void;
}

/** The row-parallel kernels (all but layerNormBackward, which accumulates into shared dweight/dbias). */
export type RowKernel =
  'softmaxForward' | 'softmaxBackward' | 'logSoftmaxForward' | 'logSoftmaxBackward' | 'layerNormForward';

/** Runs `kernel(...args, r0, r1)` over rows [0, rows): on this thread, or split across threads. */
export type RowRunner = (kernel: RowKernel, args: number[], rows: number, cols: number) => void;

/**
 * Below this many elements the reference loops win over the copies in and out (measured on the
 * Node 20 test machine: softmax breaks even near 32–64 elements, layer norm near 128–256).
 */
export const MIN_WASM_SOFTMAX = 64;
export const MIN_WASM_LAYERNORM = 256;

/** Elements per array per block of rows: 64 Ki floats, 256 KiB (L2 holds a few). */
export const ROW_CHUNK = 1 << 16;

export function singleThreadRows(exports: RowwiseExports): RowRunner {
  return (kernel, args, rows) => {
    (exports[kernel] as (...a: number[]) => void)(...args, 0, rows);
  };
}

function allF32(...arrays: (FloatArray | null)[]): boolean {
  return arrays.every((x) => x === null || x instanceof Float32Array);
}

function checkLength(kernel: string, name: string, array: FloatArray | null, need: number): void {
  if (array !== null && array.length < need) {
    throw new RangeError(`${kernel}: ${name} must hold at least ${need} elements, received ${array.length}`);
  }
}

/** The row-wise `Kernels` of a loaded module over its arena. */
export function wasmRowwise(
  exports: RowwiseExports,
  arena: Arena,
  run: RowRunner,
  smallFallback = true,
  chunk = ROW_CHUNK,
): Pick<
  Kernels,
  | 'softmaxForward'
  | 'softmaxBackward'
  | 'logSoftmaxForward'
  | 'logSoftmaxBackward'
  | 'layerNormForward'
  | 'layerNormBackward'
> {
  const small = (rows: number, cols: number, min = MIN_WASM_SOFTMAX) =>
    rows * cols === 0 || (smallFallback && rows * cols < min);
  /** Copies `x` (f32, first `length`) into the arena; null stays 0, the kernels' "absent". */
  const put = (x: FloatArray | null, length: number, copy = true): number =>
    x === null ? 0 : arena.allocF32(length, copy ? (x as Float32Array) : undefined);
  const get = (to: FloatArray | null, at: number, length: number): void => {
    if (to !== null) to.set(arena.f32(at, length));
  };

  /**
   * Runs `body(r0, r1)` over row blocks of about `chunk` elements: each block's copy in, kernel
   * and copy out then stay in cache, instead of three passes over arrays larger than it.
   */
  function chunked(rows: number, cols: number, body: (r0: number, r1: number) => void): void {
    const step = Math.max(1, Math.floor(chunk / cols));
    for (let r0 = 0; r0 < rows; r0 += step) {
      arena.reset();
      body(r0, Math.min(rows, r0 + step));
    }
  }

  /** softmax and log-softmax forward: out, x, rows, cols. */
  function unary(name: RowKernel, out: FloatArray, x: FloatArray, rows: number, cols: number): void {
    checkLength(name, 'out', out, rows * cols);
    checkLength(name, 'x', x, rows * cols);
    chunked(rows, cols, (r0, r1) => {
      const size = (r1 - r0) * cols;
      const xAt = put(x.subarray(r0 * cols), size);
      const outAt = put(out, size, false);
      run(name, [outAt, xAt, cols], r1 - r0, cols);
      get(out.subarray(r0 * cols), outAt, size);
    });
  }
  /** softmax and log-softmax backward: dx, dy, y, rows, cols. */
  function binary(name: RowKernel, dx: FloatArray, dy: FloatArray, y: FloatArray, rows: number, cols: number): void {
    checkLength(name, 'dx', dx, rows * cols);
    checkLength(name, 'dy', dy, rows * cols);
    checkLength(name, 'y', y, rows * cols);
    chunked(rows, cols, (r0, r1) => {
      const size = (r1 - r0) * cols;
      const dyAt = put(dy.subarray(r0 * cols), size);
      const yAt = put(y.subarray(r0 * cols), size);
      const dxAt = put(dx, size, false);
      run(name, [dxAt, dyAt, yAt, cols], r1 - r0, cols);
      get(dx.subarray(r0 * cols), dxAt, size);
    });
  }

  return {
    softmaxForward(out, x, rows, cols) {
      if (!allF32(out, x) || small(rows, cols)) softmaxForward(out, x, rows, cols);
      else unary('softmaxForward', out, x, rows, cols);
    },
    logSoftmaxForward(out, x, rows, cols) {
      if (!allF32(out, x) || small(rows, cols)) logSoftmaxForward(out, x, rows, cols);
      else unary('logSoftmaxForward', out, x, rows, cols);
    },
    softmaxBackward(dx, dy, y, rows, cols) {
      if (!allF32(dx, dy, y) || small(rows, cols)) softmaxBackward(dx, dy, y, rows, cols);
      else binary('softmaxBackward', dx, dy, y, rows, cols);
    },
    logSoftmaxBackward(dx, dy, y, rows, cols) {
      if (!allF32(dx, dy, y) || small(rows, cols)) logSoftmaxBackward(dx, dy, y, rows, cols);
      else binary('logSoftmaxBackward', dx, dy, y, rows, cols);
    },
    layerNormForward(out, mean, rstd, x, weight, bias, rows, cols, eps) {
      if (!allF32(out, mean, rstd, x, weight, bias) || small(rows, cols, MIN_WASM_LAYERNORM)) {
        layerNormForward(out, mean, rstd, x, weight, bias, rows, cols, eps);
        return;
      }
      const size = rows * cols;
      const name = 'layerNormForward';
      checkLength(name, 'out', out, size);
      checkLength(name, 'x', x, size);
      checkLength(name, 'mean', mean, rows);
      checkLength(name, 'rstd', rstd, rows);
      checkLength(name, 'weight', weight, cols);
      checkLength(name, 'bias', bias, cols);
      chunked(rows, cols, (r0, r1) => {
        const n = r1 - r0;
        const xAt = put(x.subarray(r0 * cols), n * cols);
        const wAt = put(weight, cols);
        const bAt = put(bias, cols);
        const outAt = put(out, n * cols, false);
        const meanAt = put(mean, n, false);
        const rstdAt = put(rstd, n, false);
        run(name, [outAt, meanAt, rstdAt, xAt, wAt, bAt, cols, eps], n, cols);
        get(out.subarray(r0 * cols), outAt, n * cols);
        get(mean.subarray(r0), meanAt, n);
        get(rstd.subarray(r0), rstdAt, n);
      });
    },
    layerNormBackward(dx, dweight, dbias, dy, x, mean, rstd, weight, rows, cols) {
      if (!allF32(dx, dweight, dbias, dy, x, mean, rstd, weight) || small(rows, cols, MIN_WASM_LAYERNORM)) {
        layerNormBackward(dx, dweight, dbias, dy, x, mean, rstd, weight, rows, cols);
        return;
      }
      const size = rows * cols;
      const name = 'layerNormBackward';
      for (const [label, array, need] of [
        ['dx', dx, size],
        ['dy', dy, size],
        ['x', x, size],
        ['mean', mean, rows],
        ['rstd', rstd, rows],
        ['weight', weight, cols],
        ['dweight', dweight, cols],
        ['dbias', dbias, cols],
      ] as const) {
        checkLength(name, label, array, need);
      }
      // always on this thread: every row adds into the same dweight/dbias (copied in and out
      // around each block: they are accumulated into)
      chunked(rows, cols, (r0, r1) => {
        const n = r1 - r0;
        const dyAt = put(dy.subarray(r0 * cols), n * cols);
        const xAt = put(x.subarray(r0 * cols), n * cols);
        const meanAt = put(mean.subarray(r0), n);
        const rstdAt = put(rstd.subarray(r0), n);
        const wAt = put(weight, cols);
        const dwAt = put(dweight, cols);
        const dbAt = put(dbias, cols);
        const dxAt = put(dx, n * cols, false);
        exports.layerNormBackward(dxAt, dwAt, dbAt, dyAt, xAt, meanAt, rstdAt, wAt, cols, 0, n);
        get(dx.subarray(r0 * cols), dxAt, n * cols);
        get(dweight, dwAt, cols);
        get(dbias, dbAt, cols);
      });
    },
  };
}
