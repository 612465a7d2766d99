/**
 * The WebAssembly SIMD backend, single-threaded and browser-safe: float32 GEMM, softmax,
 * log-softmax, layer norm, fused attention and dropout masks. Install it with `setKernels(createWasmKernels() ?? {name: 'reference'})`;
 * importing this file installs nothing. The threaded variant lives in src/node/threads.ts.
 */
import type { Kernels } from '../types.js';
import { singleThreadAttention, wasmAttention, type AttentionExports } from './attention.js';
import * as attentionWasm from './attention.generated.js';
import { singleThreadRunner, wasmGemm, type GemmExports } from './gemm.js';
import * as gemmWasm from './gemm.generated.js';
import { Arena, instantiate } from './loader.js';
import { wasmKeepMask, type RandomExports } from './random.js';
import * as randomWasm from './random.generated.js';
import { singleThreadRows, wasmRowwise, type RowwiseExports } from './rowwise.js';
import * as rowwiseWasm from './rowwise.generated.js';

export type WasmKernels = Partial<Kernels> & { name: string };

export interface WasmKernelOptions {
  /** Use relaxed SIMD (fused multiply-add) when the engine validates it. Default true. */
  relaxed?: boolean;
  /** Send tiny inputs to the reference, where it is faster. Default true; tests turn it off. */
  smallFallback?: boolean;
}

/**
 * Loads the modules and returns their kernels (what they leave out, `setKernels` takes from the
 * reference), or null when this engine has no WebAssembly SIMD.
 */
export function createWasmKernels(options: WasmKernelOptions = {}): WasmKernels | null {
  const gemm = instantiate<GemmExports>(gemmWasm, { relaxed: options.relaxed });
  const rows = instantiate<RowwiseExports>(rowwiseWasm, { relaxed: options.relaxed });
  const attention = instantiate<AttentionExports>(attentionWasm, { relaxed: options.relaxed });
  const random = instantiate<RandomExports>(randomWasm, { relaxed: options.relaxed });
  if (!gemm || !rows || !attention || !random) return null;
  const small = options.smallFallback ?? true;
  const gemmArena = new Arena(gemm.memory, gemm.heapBase);
  const rowsArena = new Arena(rows.memory, rows.heapBase);
  return {
    name: gemm.variant === 'simd' ? 'wasm-simd' : 'wasm-relaxed-simd',
    gemm: wasmGemm(gemmArena, singleThreadRunner(gemm.exports), small),
    ...wasmRowwise(rows.exports, rowsArena, singleThreadRows(rows.exports), small),
    ...wasmAttention(
      attention.exports,
      new Arena(attention.memory, attention.heapBase),
      singleThreadAttention(attention.exports),
      small,
    ),
    keepMask: wasmKeepMask(random.exports, new Arena(random.memory, random.heapBase), small),
  };
}
