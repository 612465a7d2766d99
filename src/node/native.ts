/**
 * The native kernels (Node only): an N-API addon built from native/*.cc during `npm ci`
 * (scripts/build-native.mjs) into build/attend_native.node. It computes float32 in place on the
 * caller's typed arrays with AVX-512 or AVX2+FMA micro-kernels, chosen at run time, on a persistent
 * pool of min(2, cores) threads: GEMM, the row-wise kernels, fused attention, Adam's update, and the
 * elementwise loops of the recurrent cells, strided views, bias adds and dropout. Float64 (used only
 * by gradient checks) goes to the reference.
 *
 * Nothing here is required: when the addon was not built, fails to load, `ATTEND_NATIVE=0` is set,
 * or the CPU has neither AVX2 nor AVX-512, `createNativeKernels` returns null and the caller keeps
 * the WebAssembly kernels. (The addon's portable C++ path runs at about 30 GFLOP/s a core here,
 * below WebAssembly's relaxed SIMD, so it is used only when asked for by name.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { referenceKernels } from '../kernels/reference/index.js';
import { setKernels } from '../kernels/registry.js';
import { arithRows } from '../kernels/reference/elementwise.js';
import type { FlashShape, FloatArray, Kernels, TypedArray } from '../kernels/types.js';
import { createThreadedWasmKernels } from './threads.js';

export type NativeIsa = 'portable' | 'avx2' | 'avx512';
const ISA_CODES: Record<NativeIsa, number> = { portable: 0, avx2: 1, avx512: 2 };

/** What the addon exports (native/attend.cc). */
interface NativeAddon {
  info(): { isas: NativeIsa[]; best: NativeIsa; cores: number };
  configure(threads: number): number;
  gemm(
    out: Float32Array,
    a: Float32Array,
    bm: Float32Array,
    batch: number,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
    strideA: number,
    strideB: number,
    accumulate: boolean,
    isa: number,
    threads: number,
    minParallelWork: number,
  ): void;
  softmaxForward(out: Float32Array, x: Float32Array, rows: number, cols: number, isa: number, threads: number): void;
  logSoftmaxForward(out: Float32Array, x: Float32Array, rows: number, cols: number, isa: number, threads: number): void;
  softmaxBackward(
    dx: Float32Array,
    dy: Float32Array,
    y: Float32Array,
    rows: number,
    cols: number,
    isa: number,
    threads: number,
  ): void;
  logSoftmaxBackward(
    dx: Float32Array,
    dy: Float32Array,
    y: Float32Array,
    rows: number,
    cols: number,
    isa: number,
    threads: number,
  ): void;
  layerNormForward(
    out: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    x: Float32Array,
    weight: Float32Array | null,
    bias: Float32Array | null,
    rows: number,
    cols: number,
    eps: number,
    isa: number,
    threads: number,
  ): void;
  layerNormBackward(
    dx: Float32Array,
    dweight: Float32Array | null,
    dbias: Float32Array | null,
    dy: Float32Array,
    x: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    weight: Float32Array | null,
    rows: number,
    cols: number,
    isa: number,
    threads: number,
  ): void;
  attentionForward(
    out: Float32Array,
    lse: Float32Array,
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    keyPadding: Uint8Array | null,
    G: number,
    n: number,
    m: number,
    d: number,
    dv: number,
    headsPerBatch: number,
    scale: number,
    causalOffset: number,
    isa: number,
    threads: number,
    minParallelWork: number,
  ): void;
  attentionBackward(
    dq: Float32Array,
    dk: Float32Array,
    dv: Float32Array,
    dout: Float32Array,
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    out: Float32Array,
    lse: Float32Array,
    keyPadding: Uint8Array | null,
    G: number,
    n: number,
    m: number,
    d: number,
    dvSize: number,
    headsPerBatch: number,
    scale: number,
    causalOffset: number,
    isa: number,
    threads: number,
    minParallelWork: number,
  ): void;
  adamStep(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    beta1: number,
    beta2: number,
    stepSize: number,
    sqrtBias2: number,
    eps: number,
    decay: number,
    l2: number,
    isa: number,
  ): void;
  sumOfSquares(x: Float32Array, isa: number): number;
  keepMask(keep: Uint8Array, state: Uint32Array, p: number, isa: number): void;
  additiveForward(
    e: Float32Array,
    t: Float32Array,
    qp: Float32Array,
    kp: Float32Array,
    v: Float32Array,
    G: number,
    n: number,
    m: number,
    da: number,
    isa: number,
    threads: number,
  ): void;
  additiveBackward(
    dq: Float32Array,
    dk: Float32Array,
    dv: Float64Array,
    ge: Float32Array,
    t: Float32Array,
    v: Float32Array,
    G: number,
    n: number,
    m: number,
    da: number,
    isa: number,
    threads: number,
  ): void;
  stridedCopy(
    out: Float32Array,
    x: Float32Array,
    offset: number,
    shape: readonly number[],
    strides: readonly number[],
  ): void;
  stridedScatter(
    dst: Float32Array,
    offset: number,
    shape: readonly number[],
    strides: readonly number[],
    src: Float32Array,
    accumulate: boolean,
  ): void;
  gruForward(...args: [...Float32Array[], number, number, number]): void;
  gruBackward(...args: [...Float32Array[], number, number, number]): void;
  lstmForward(...args: [...Float32Array[], number, number, number]): void;
  lstmCellBackward(...args: [...Float32Array[], number, number, number]): void;
  lstmHiddenBackward(...args: [...Float32Array[], number, number, number]): void;
  arith(
    code: number,
    out: Float32Array,
    full: Float32Array,
    row: Float32Array,
    period: number,
    rowFirst: boolean,
    isa: number,
  ): void;
  maskScale(out: Float32Array, x: Float32Array, keep: Uint8Array, scale: number, isa: number): void;
  reluScale(out: Float32Array, x: Float32Array, keep: Uint8Array, scale: number, isa: number): void;
  reluScaleBackward(
    dx: Float32Array,
    dy: Float32Array,
    x: Float32Array,
    keep: Uint8Array,
    scale: number,
    isa: number,
  ): void;
}

export interface NativeOptions {
  /** Threads per call, the calling thread included. Default min(2, cores); never more than the cores. */
  threads?: number;
  /** Force an instruction set (tests, benchmarks). Default the best the CPU has; 'portable' only when named. */
  isa?: NativeIsa;
  /** Multiply-adds below which a GEMM or attention call stays on the calling thread (−1: the addon's 2²²). Tests set 0. */
  minParallelWork?: number;
  /**
   * Elements below which a strided copy or scatter, or an elementwise kernel (arithmetic,
   * dropout), stays in JavaScript (default 2048: a call costs a microsecond or two). Tests set 0.
   */
  minElements?: number;
  /** The addon file. Default build/attend_native.node in the package. */
  path?: string;
}

export type NativeKernels = Partial<Kernels> & { name: string; isa: NativeIsa; threads: number };

let why = '';

/** Why the last `createNativeKernels` call returned null ('' when it did not). */
export function nativeUnavailableReason(): string {
  return why;
}

/** build/attend_native.node under the package root (found from this file, under src/ or dist/src/). */
export function defaultNativePath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'attend')
      return join(dir, 'build', 'attend_native.node');
  }
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'build', 'attend_native.node');
}

const loaded = new Map<string, NativeAddon>();
/** Every function this file calls: an addon built from other sources is refused, not half used. */
const REQUIRED = [
  'info',
  'configure',
  'gemm',
  'softmaxForward',
  'logSoftmaxForward',
  'softmaxBackward',
  'logSoftmaxBackward',
  'layerNormForward',
  'layerNormBackward',
  'attentionForward',
  'attentionBackward',
  'adamStep',
  'sumOfSquares',
  'keepMask',
  'additiveForward',
  'additiveBackward',
  'gruForward',
  'gruBackward',
  'lstmForward',
  'lstmCellBackward',
  'lstmHiddenBackward',
  'stridedCopy',
  'stridedScatter',
  'arith',
  'maskScale',
  'reluScale',
  'reluScaleBackward',
] as const;

function load(path: string): NativeAddon | null {
  const cached = loaded.get(path);
  if (cached) return cached;
  if (!existsSync(path)) {
    why = `no native addon at ${path} (run \`npm run build:native\`)`;
    return null;
  }
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    const missing = REQUIRED.filter((name) => typeof addon[name] !== 'function');
    if (missing.length > 0)
      throw new Error(`it lacks ${missing.join(', ')} (built from older sources? run \`npm run build:native\`)`);
    loaded.set(path, addon);
    return addon;
  } catch (error) {
    why = `the native addon at ${path} failed to load: ${(error as Error).message}`;
    return null;
  }
}

/**
 * The native kernels, or null (see `nativeUnavailableReason()`). Install with `setKernels(k)`:
 * what they leave out comes from the reference backend, so layer them over the WebAssembly ones
 * (`setKernels({ ...wasm, ...native, name })`) to keep WebAssembly for the rest.
 */
export function createNativeKernels(options: NativeOptions = {}): NativeKernels | null {
  why = '';
  if (process.env.ATTEND_NATIVE === '0') {
    why = 'ATTEND_NATIVE=0';
    return null;
  }
  const addon = load(options.path ?? defaultNativePath());
  if (!addon) return null;
  const info = addon.info();
  if (options.isa && !info.isas.includes(options.isa)) {
    why = `this CPU has no ${options.isa} (it has ${info.isas.join(', ')})`;
    return null;
  }
  const isa = options.isa ?? info.best;
  if (isa === 'portable' && !options.isa) {
    why = 'the CPU has neither AVX2 nor AVX-512; WebAssembly is faster than the portable path';
    return null;
  }
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1))
    throw new RangeError(`createNativeKernels: threads must be a positive integer, received ${options.threads}`);
  const wanted = options.threads ?? Math.min(2, availableParallelism());
  const poolSize = addon.configure(Math.min(wanted, availableParallelism()));
  const threads = Math.min(wanted, poolSize);
  const code = ISA_CODES[isa];
  const minWork = options.minParallelWork ?? -1;
  const gemm: Kernels['gemm'] = (out, a, bm, batch, m, n, k, transA, transB, strideA, strideB, accumulate) => {
    if (isF32(out) && isF32(a) && isF32(bm)) {
      addon.gemm(out, a, bm, batch, m, n, k, transA, transB, strideA, strideB, accumulate, code, threads, minWork);
    } else {
      referenceKernels.gemm(out, a, bm, batch, m, n, k, transA, transB, strideA, strideB, accumulate);
    }
  };
  return {
    name: `native-${isa}-${threads}t`,
    isa,
    threads,
    gemm,
    ...rowwise(addon, code, threads),
    ...attention(addon, code, threads, minWork),
    ...optimiser(addon, code),
    keepMask: (keep, state, p) => addon.keepMask(keep, state, p, code),
    ...additive(addon, code, threads),
    ...recurrent(addon, code),
    ...strided(addon, options.minElements ?? 2048),
    ...elementwise(addon, code, options.minElements ?? 2048),
  };
}

/** Additive attention scores (native/additive.cc) on float32; float64 (gradient checks) goes to the reference. */
function additive(
  addon: NativeAddon,
  isa: number,
  threads: number,
): Pick<Kernels, 'additiveForward' | 'additiveBackward'> {
  const ref = referenceKernels;
  return {
    additiveForward: (e, t, qp, kp, v, G, n, m, da) =>
      allF32(e, t, qp, kp, v)
        ? addon.additiveForward(
            e as Float32Array,
            t as Float32Array,
            qp as Float32Array,
            kp as Float32Array,
            v as Float32Array,
            G,
            n,
            m,
            da,
            isa,
            threads,
          )
        : ref.additiveForward(e, t, qp, kp, v, G, n, m, da),
    additiveBackward: (dq, dk, dv, ge, t, v, G, n, m, da) =>
      allF32(dq, dk, ge, t, v)
        ? addon.additiveBackward(
            dq as Float32Array,
            dk as Float32Array,
            dv,
            ge as Float32Array,
            t as Float32Array,
            v as Float32Array,
            G,
            n,
            m,
            da,
            isa,
            threads,
          )
        : ref.additiveBackward(dq, dk, dv, ge, t, v, G, n, m, da),
  };
}

/**
 * Strided copies and scatters (native/strided.cc) of float32 arrays of at least `min` elements
 * (a call costs a microsecond or two, more than a short copy in JavaScript); the rest, and every
 * other type, goes to the reference. Both give the same bits.
 */
function strided(addon: NativeAddon, min: number): Pick<Kernels, 'stridedCopy' | 'stridedScatter'> {
  const ref = referenceKernels;
  return {
    stridedCopy: (out, x, offset, shape, strides) =>
      out.length >= min && out instanceof Float32Array && x instanceof Float32Array
        ? addon.stridedCopy(out, x, offset, shape, strides)
        : ref.stridedCopy(out, x, offset, shape, strides),
    stridedScatter: (dst, offset, shape, strides, src, accumulate = true) =>
      src.length >= min && dst instanceof Float32Array && src instanceof Float32Array
        ? addon.stridedScatter(dst, offset, shape, strides, src, accumulate)
        : ref.stridedScatter(dst, offset, shape, strides, src, accumulate),
  };
}

const ARITH_CODES = { add: 0, sub: 1, mul: 2, div: 3 } as const;

/**
 * Arithmetic of equal shapes or with a row broadcast (bias add), and dropout's products
 * (native/elementwise.cc), on float32 arrays of `min` elements or more; the rest to the reference.
 */
function elementwise(
  addon: NativeAddon,
  isa: number,
  min: number,
): Pick<Kernels, 'binary' | 'maskScale' | 'reluScale' | 'reluScaleBackward'> {
  const ref = referenceKernels;
  const F = (a: TypedArray) => a as Float32Array; // after allF32() said so
  return {
    binary: (out, a, aStrides, b, bStrides, shape, f) => {
      const n = out.length;
      if (typeof f === 'string' && n >= min && allF32(out, a, b)) {
        const r = arithRows(n, a, aStrides, b, bStrides, shape); // equal shapes: one row of n
        if (r) return addon.arith(ARITH_CODES[f], F(out), F(r.full), F(r.row), r.period, r.bFirst, isa);
      }
      ref.binary(out, a, aStrides, b, bStrides, shape, f);
    },
    maskScale: (out, x, keep, scale) =>
      out.length >= min && allF32(out, x)
        ? addon.maskScale(F(out), F(x), keep, scale, isa)
        : ref.maskScale(out, x, keep, scale),
    reluScale: (out, x, keep, scale) =>
      out.length >= min && allF32(out, x)
        ? addon.reluScale(F(out), F(x), keep, scale, isa)
        : ref.reluScale(out, x, keep, scale),
    reluScaleBackward: (dx, dy, x, keep, scale) =>
      dx.length >= min && allF32(dx, dy, x)
        ? addon.reluScaleBackward(F(dx), F(dy), F(x), keep, scale, isa)
        : ref.reluScaleBackward(dx, dy, x, keep, scale),
  };
}

/** The GRU and LSTM cells' elementwise parts (native/rnn.cc) on float32; float64 goes to the reference. */
function recurrent(
  addon: NativeAddon,
  isa: number,
): Pick<Kernels, 'gruForward' | 'gruBackward' | 'lstmForward' | 'lstmCellBackward' | 'lstmHiddenBackward'> {
  const ref = referenceKernels;
  return {
    gruForward: (out, r, z, n, xp, hp, h, rows, H) =>
      allF32(out, r, z, n, xp, hp, h)
        ? addon.gruForward(...([out, r, z, n, xp, hp, h] as Float32Array[]), rows, H, isa)
        : ref.gruForward(out, r, z, n, xp, hp, h, rows, H),
    gruBackward: (dx, dhp, dh, dy, r, z, n, hp, h, rows, H) =>
      allF32(dx, dhp, dh, dy, r, z, n, hp, h)
        ? addon.gruBackward(...([dx, dhp, dh, dy, r, z, n, hp, h] as Float32Array[]), rows, H, isa)
        : ref.gruBackward(dx, dhp, dh, dy, r, z, n, hp, h, rows, H),
    lstmForward: (c2, h2, act, tc, xp, hp, c, rows, H) =>
      allF32(c2, h2, act, tc, xp, hp, c)
        ? addon.lstmForward(...([c2, h2, act, tc, xp, hp, c] as Float32Array[]), rows, H, isa)
        : ref.lstmForward(c2, h2, act, tc, xp, hp, c, rows, H),
    lstmCellBackward: (dgates, dc, dy, act, c, rows, H) =>
      allF32(dgates, dc, dy, act, c)
        ? addon.lstmCellBackward(...([dgates, dc, dy, act, c] as Float32Array[]), rows, H, isa)
        : ref.lstmCellBackward(dgates, dc, dy, act, c, rows, H),
    lstmHiddenBackward: (dgates, dc2, dy, act, tc, rows, H) =>
      allF32(dgates, dc2, dy, act, tc)
        ? addon.lstmHiddenBackward(...([dgates, dc2, dy, act, tc] as Float32Array[]), rows, H, isa)
        : ref.lstmHiddenBackward(dgates, dc2, dy, act, tc, rows, H),
  };
}

/** Adam's update and the sum of squares (native/optim.cc) on float32; float64 goes to the reference. */
function optimiser(addon: NativeAddon, isa: number): Pick<Kernels, 'adamStep' | 'sumOfSquares'> {
  return {
    adamStep: (p, g, m, v, s) =>
      allF32(p, g, m, v)
        ? addon.adamStep(
            p as Float32Array,
            g as Float32Array,
            m as Float32Array,
            v as Float32Array,
            s.beta1,
            s.beta2,
            s.stepSize,
            s.sqrtBias2,
            s.eps,
            s.decay,
            s.l2,
            isa,
          )
        : referenceKernels.adamStep(p, g, m, v, s),
    sumOfSquares: (x) => (isF32(x) ? addon.sumOfSquares(x, isa) : referenceKernels.sumOfSquares(x)),
  };
}

function isF32(x: FloatArray): x is Float32Array {
  return x instanceof Float32Array;
}

/** Float32 arrays (or null where allowed) go to the addon; anything else to the reference. */
function allF32(...arrays: (TypedArray | null)[]): boolean {
  return arrays.every((a) => a === null || a instanceof Float32Array);
}

type RowKernels = Pick<
  Kernels,
  | 'softmaxForward'
  | 'softmaxBackward'
  | 'logSoftmaxForward'
  | 'logSoftmaxBackward'
  | 'layerNormForward'
  | 'layerNormBackward'
>;

function rowwise(addon: NativeAddon, isa: number, threads: number): RowKernels {
  const ref = referenceKernels;
  return {
    softmaxForward: (out, x, rows, cols) =>
      isF32(out) && isF32(x)
        ? addon.softmaxForward(out, x, rows, cols, isa, threads)
        : ref.softmaxForward(out, x, rows, cols),
    logSoftmaxForward: (out, x, rows, cols) =>
      isF32(out) && isF32(x)
        ? addon.logSoftmaxForward(out, x, rows, cols, isa, threads)
        : ref.logSoftmaxForward(out, x, rows, cols),
    softmaxBackward: (dx, dy, y, rows, cols) =>
      isF32(dx) && isF32(dy) && isF32(y)
        ? addon.softmaxBackward(dx, dy, y, rows, cols, isa, threads)
        : ref.softmaxBackward(dx, dy, y, rows, cols),
    logSoftmaxBackward: (dx, dy, y, rows, cols) =>
      isF32(dx) && isF32(dy) && isF32(y)
        ? addon.logSoftmaxBackward(dx, dy, y, rows, cols, isa, threads)
        : ref.logSoftmaxBackward(dx, dy, y, rows, cols),
    layerNormForward: (out, mean, rstd, x, weight, bias, rows, cols, eps) =>
      allF32(out, mean, rstd, x, weight, bias)
        ? addon.layerNormForward(
            out as Float32Array,
            mean as Float32Array,
            rstd as Float32Array,
            x as Float32Array,
            weight as Float32Array | null,
            bias as Float32Array | null,
            rows,
            cols,
            eps,
            isa,
            threads,
          )
        : ref.layerNormForward(out, mean, rstd, x, weight, bias, rows, cols, eps),
    layerNormBackward: (dx, dweight, dbias, dy, x, mean, rstd, weight, rows, cols) =>
      allF32(dx, dweight, dbias, dy, x, mean, rstd, weight)
        ? addon.layerNormBackward(
            dx as Float32Array,
            dweight as Float32Array | null,
            dbias as Float32Array | null,
            dy as Float32Array,
            x as Float32Array,
            mean as Float32Array,
            rstd as Float32Array,
            weight as Float32Array | null,
            rows,
            cols,
            isa,
            threads,
          )
        : ref.layerNormBackward(dx, dweight, dbias, dy, x, mean, rstd, weight, rows, cols),
  };
}

/** Fused attention (native/attention.cc) on float32; float64 (gradient checks) goes to the reference. */
function attention(
  addon: NativeAddon,
  isa: number,
  threads: number,
  minWork: number,
): Pick<Kernels, 'attentionForward' | 'attentionBackward'> {
  const sizes = (s: FlashShape) =>
    [s.G, s.n, s.m, s.d, s.dv, s.headsPerBatch, s.scale, s.causalOffset, isa, threads, minWork] as const;
  return {
    attentionForward: (out, lse, q, k, v, keyPadding, s) =>
      isF32(out) && isF32(lse) && isF32(q) && isF32(k) && isF32(v)
        ? addon.attentionForward(out, lse, q, k, v, keyPadding, ...sizes(s))
        : referenceKernels.attentionForward(out, lse, q, k, v, keyPadding, s),
    attentionBackward: (dq, dk, dv, dout, q, k, v, out, lse, keyPadding, s) =>
      allF32(dq, dk, dv, dout, q, k, v, out, lse)
        ? addon.attentionBackward(
            dq as Float32Array,
            dk as Float32Array,
            dv as Float32Array,
            dout as Float32Array,
            q as Float32Array,
            k as Float32Array,
            v as Float32Array,
            out as Float32Array,
            lse as Float32Array,
            keyPadding,
            ...sizes(s),
          )
        : referenceKernels.attentionBackward(dq, dk, dv, dout, q, k, v, out, lse, keyPadding, s),
  };
}

/**
 * Installs the fastest kernels Node has (what the CLI does): the native ones where they load,
 * layered over the threaded WebAssembly ones (which keep whatever the addon lacks), else the threaded WebAssembly alone. Both pools sleep while the other runs: calls
 * are synchronous, so the cores are never oversubscribed. Returns the installed backend's name, or
 * null when nothing could be installed (the registry's default stays).
 */
export function installNodeKernels(options: { threads?: number } = {}): string | null {
  const wasm = createThreadedWasmKernels({ threads: options.threads });
  const native = createNativeKernels({ threads: options.threads });
  if (native) {
    const name = wasm ? `${native.name}+${wasm.name}` : native.name;
    setKernels({ ...wasm, ...native, name });
    return name;
  }
  if (!wasm) return null;
  setKernels(wasm);
  return wasm.name;
}
