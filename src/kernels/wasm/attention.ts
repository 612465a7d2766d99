/**
 * The JavaScript side of the fused WebAssembly attention (assembly/attention.ts): copies q, k, v
 * (and for the backward dO, O, lse) into the module's memory, runs the kernel over all query rows
 * (forward) or all groups (backward), or splits them through an `AttentionRunner`, copies the
 * results back. Float64 arrays and tiny problems go to the reference (reference/flash.ts).
 */
import { attentionBackward, attentionForward } from '../reference/flash.js';
import type { FlashShape, FloatArray, Kernels } from '../types.js';
import type { Arena } from './loader.js';

/** The exports of assembly/attention.ts. Addresses are bytes (0: no key padding). */
export interface AttentionExports {
  attentionForward(
    out: number,
    lse: number,
    q: number,
    k: number,
    v: number,
    keyPadding: number,
    n: number,
    m: number,
    d: number,
    dv: number,
    headsPerBatch: number,
    scale: number,
    causalOffset: number,
    scratch: number,
    row0: number,
    row1: number,
  ): void;
  attentionBackward(
    dq: number,
    dk: number,
    dv: number,
    dout: number,
    q: number,
    k: number,
    v: number,
    out: number,
    lse: number,
    keyPadding: number,
    n: number,
    m: number,
    d: number,
    dvSize: number,
    headsPerBatch: number,
    scale: number,
    causalOffset: number,
    scratch: number,
    g0: number,
    g1: number,
  ): void;
  attentionScratchBytes(m: number, d: number, dv: number, backward: number): number;
}

export type AttentionKernel = 'attentionForward' | 'attentionBackward';

/**
 * Runs `kernel(...args, scratch, from, to)` over [0, count) (query rows for the forward, groups
 * for the backward), each part with its own `scratchBytes` of scratch: on this thread, or split
 * across threads.
 */
export type AttentionRunner = (
  kernel: AttentionKernel,
  args: number[],
  count: number,
  scratchBytes: number,
  work: number,
  arena: Arena,
) => void;

/**
 * Below this many multiply-adds (G·n·m·(d + dv)) the copies in and out cost more than the
 * reference's loops save. Measured (CPU time, Node 20 test machine): break-even near 4 queries ×
 * 4 keys × d 8 (256); at 8 × 8 × d 8 (1024) the module is 1.6× (forward) to 3× (backward) faster.
 */
export const MIN_WASM_ATTENTION = 512;

export function singleThreadAttention(exports: AttentionExports): AttentionRunner {
  return (kernel, args, count, scratchBytes, _work, arena) => {
    (exports[kernel] as (...a: number[]) => void)(...args, arena.alloc(scratchBytes), 0, count);
  };
}

function checkLength(kernel: string, name: string, array: ArrayLike<number>, need: number): void {
  if (array.length < need) {
    throw new RangeError(
      `${kernel}: ${name} must hold at least ${need} elements for these sizes, received ${array.length}`,
    );
  }
}

function checkShape(kernel: string, s: FlashShape): void {
  for (const key of ['G', 'n', 'm', 'd', 'dv', 'headsPerBatch'] as const) {
    if (!Number.isInteger(s[key]) || s[key] < 0 || (key === 'headsPerBatch' && s[key] < 1)) {
      throw new RangeError(`${kernel}: shape.${key} must be a non-negative integer, received ${s[key]}`);
    }
  }
  if (s.G % s.headsPerBatch !== 0) {
    throw new RangeError(`${kernel}: shape.G (${s.G}) must be a multiple of headsPerBatch (${s.headsPerBatch})`);
  }
  if (!Number.isInteger(s.causalOffset) || s.causalOffset < -1) {
    throw new RangeError(`${kernel}: shape.causalOffset must be an integer ≥ −1, received ${s.causalOffset}`);
  }
}

/** The `Kernels` attention pair of a loaded module over its arena. */
export function wasmAttention(
  exports: AttentionExports,
  arena: Arena,
  run: AttentionRunner,
  smallFallback = true,
): Pick<Kernels, 'attentionForward' | 'attentionBackward'> {
  const skip = (s: FlashShape, ...arrays: FloatArray[]) =>
    !arrays.every((x) => x instanceof Float32Array) ||
    s.G * s.n * s.m === 0 ||
    (smallFallback && s.G * s.n * s.m * (s.d + s.dv) < MIN_WASM_ATTENTION);
  const put = (x: FloatArray, length: number, copy = true) =>
    arena.allocF32(length, copy ? (x as Float32Array).subarray(0, length) : undefined);
  const putPadding = (pad: Uint8Array | null, length: number): number => {
    if (!pad) return 0;
    const at = arena.alloc(length);
    new Uint8Array(arena.memory.buffer, at, length).set(pad.subarray(0, length));
    return at;
  };
  const sizes = (s: FlashShape) => [s.n, s.m, s.d, s.dv, s.headsPerBatch, s.scale, s.causalOffset];

  return {
    attentionForward(out, lse, q, k, v, keyPadding, s) {
      if (skip(s, out, lse, q, k, v)) {
        attentionForward(out, lse, q, k, v, keyPadding, s);
        return;
      }
      const name = 'attentionForward';
      checkShape(name, s);
      const { G, n, m, d, dv } = s;
      checkLength(name, 'out', out, G * n * dv);
      checkLength(name, 'lse', lse, G * n);
      checkLength(name, 'q', q, G * n * d);
      checkLength(name, 'k', k, G * m * d);
      checkLength(name, 'v', v, G * m * dv);
      if (keyPadding) checkLength(name, 'keyPadding', keyPadding, (G / s.headsPerBatch) * m);
      arena.reset();
      const qAt = put(q, G * n * d);
      const kAt = put(k, G * m * d);
      const vAt = put(v, G * m * dv);
      const padAt = putPadding(keyPadding, (G / s.headsPerBatch) * m);
      const outAt = put(out, G * n * dv, false);
      const lseAt = put(lse, G * n, false);
      const scratch = exports.attentionScratchBytes(m, d, dv, 0);
      run(name, [outAt, lseAt, qAt, kAt, vAt, padAt, ...sizes(s)], G * n, scratch, G * n * m * (d + dv), arena);
      out.set(arena.f32(outAt, G * n * dv));
      lse.set(arena.f32(lseAt, G * n));
    },
    attentionBackward(dq, dk, dv, dout, q, k, v, out, lse, keyPadding, s) {
      if (skip(s, dq, dk, dv, dout, q, k, v, out, lse)) {
        attentionBackward(dq, dk, dv, dout, q, k, v, out, lse, keyPadding, s);
        return;
      }
      const name = 'attentionBackward';
      checkShape(name, s);
      const { G, n, m, d } = s;
      const e = s.dv;
      for (const [label, array, need] of [
        ['dq', dq, G * n * d],
        ['dk', dk, G * m * d],
        ['dv', dv, G * m * e],
        ['dout', dout, G * n * e],
        ['q', q, G * n * d],
        ['k', k, G * m * d],
        ['v', v, G * m * e],
        ['out', out, G * n * e],
        ['lse', lse, G * n],
      ] as const) {
        checkLength(name, label, array, need);
      }
      if (keyPadding) checkLength(name, 'keyPadding', keyPadding, (G / s.headsPerBatch) * m);
      arena.reset();
      const doutAt = put(dout, G * n * e);
      const qAt = put(q, G * n * d);
      const kAt = put(k, G * m * d);
      const vAt = put(v, G * m * e);
      const outAt = put(out, G * n * e);
      const lseAt = put(lse, G * n);
      const padAt = putPadding(keyPadding, (G / s.headsPerBatch) * m);
      const dqAt = put(dq, G * n * d, false);
      const dkAt = put(dk, G * m * d, false);
      const dvAt = put(dv, G * m * e, false);
      const scratch = exports.attentionScratchBytes(m, d, e, 1);
      const args = [dqAt, dkAt, dvAt, doutAt, qAt, kAt, vAt, outAt, lseAt, padAt, ...sizes(s)];
      run(name, args, G, scratch, G * n * m * (2 * d + 2 * e), arena);
      dq.set(arena.f32(dqAt, G * n * d));
      dk.set(arena.f32(dkAt, G * m * d));
      dv.set(arena.f32(dvAt, G * m * e));
    },
  };
}
