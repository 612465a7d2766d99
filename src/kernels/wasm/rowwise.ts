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

  /** softmax and log-softmax, forward and backward, share one shape: out, in1[, in2], rows, cols. */
  function unary(name: RowKernel, out: FloatArray, x: FloatArray, rows: number, cols: number): void {
    const size = rows * cols;
    checkLength(name, 'out', out, size);
    checkLength(name, 'x', x, size);
    arena.reset();
    const xAt = put(x, size);
    const outAt = put(out, size, false);
    run(name, [outAt, xAt, cols], rows, cols);
    get(out, outAt, size);
  }
  function binary(name: RowKernel, dx: FloatArray, dy: FloatArray, y: FloatArray, rows: number, cols: number): void {
    const size = rows * cols;
    checkLength(name, 'dx', dx, size);
    checkLength(name, 'dy', dy, size);
    checkLength(name, 'y', y, size);
    arena.reset();
    const dyAt = put(dy, size);
    const yAt = put(y, size);
    const dxAt = put(dx, size, false);
    run(name, [dxAt, dyAt, yAt, cols], rows, cols);
    get(dx, dxAt, size);
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
      arena.reset();
      const xAt = put(x, size);
      const wAt = put(weight, cols);
      const bAt = put(bias, cols);
      const outAt = put(out, size, false);
      const meanAt = put(mean, rows, false);
      const rstdAt = put(rstd, rows, false);
      run(name, [outAt, meanAt, rstdAt, xAt, wAt, bAt, cols, eps], rows, cols);
      get(out, outAt, size);
      get(mean, meanAt, rows);
      get(rstd, rstdAt, rows);
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
      arena.reset();
      const dyAt = put(dy, size);
      const xAt = put(x, size);
      const meanAt = put(mean, rows);
      const rstdAt = put(rstd, rows);
      const wAt = put(weight, cols);
      const dwAt = put(dweight, cols); // accumulated into: copied in
      const dbAt = put(dbias, cols);
      const dxAt = put(dx, size, false);
      // always on this thread: every row adds into the same dweight/dbias
      exports.layerNormBackward(dxAt, dwAt, dbAt, dyAt, xAt, meanAt, rstdAt, wAt, cols, 0, rows);
      get(dx, dxAt, size);
      get(dweight, dwAt, cols);
      get(dbias, dbAt, cols);
    },
  };
}
