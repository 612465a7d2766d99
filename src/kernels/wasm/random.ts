/**
 * The JavaScript side of the WebAssembly dropout mask (assembly/random.ts): the key comes from the
 * xoshiro stream as in the reference (src/kernels/reference/random.ts), the Threefry blocks and
 * the comparisons run in the module, and the mask is copied back. Small masks stay in JavaScript.
 */
import { keepMask as referenceKeepMask, xoshiroFill } from '../reference/random.js';
import type { Kernels } from '../types.js';
import type { Arena } from './loader.js';

/** The exports of assembly/random.ts. Addresses are bytes. */
export interface RandomExports {
  keepMask(keep: number, n: number, k0: number, k1: number, threshold: number, words: number): void;
}

/** Below this many elements the reference is as fast as a call into the module and the copy back. */
export const MIN_WASM_KEEP_MASK = 256;

const key = new Uint32Array(2);

export function wasmKeepMask(exports: RandomExports, arena: Arena, smallFallback = true): Kernels['keepMask'] {
  return function keepMask(keep, state, p) {
    if (smallFallback && keep.length < MIN_WASM_KEEP_MASK) {
      referenceKeepMask(keep, state, p);
      return;
    }
    if (!(p >= 0 && p <= 1)) throw new RangeError(`keepMask: p must be in [0, 1], received ${p}`);
    xoshiroFill(key, state);
    const threshold = Math.ceil(p * 4294967296); // drop when u < p·2³²: u ≥ ⌈p·2³²⌉ keeps
    if (threshold > 4294967295) {
      keep.fill(0); // p = 1: every u is below p·2³²
      return;
    }
    arena.reset();
    const at = arena.alloc(keep.length);
    const words = arena.alloc(16 * 4);
    exports.keepMask(at, keep.length, key[0], key[1], threshold, words);
    keep.set(new Uint8Array(arena.memory.buffer, at, keep.length));
  };
}
