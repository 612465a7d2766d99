import { referenceKernels } from './reference/index.js';
import type { Kernels } from './types.js';
import { createWasmKernels } from './wasm/index.js';

let active: Kernels | null = null;

/**
 * The default backend, chosen at the first kernel call (never at import): the WebAssembly
 * SIMD kernels where the engine has them, else the reference. `ATTEND_BACKEND=reference`
 * in the environment (Node) forces the reference, e.g. to compare results.
 */
function defaultKernels(): Kernels {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  if (env?.ATTEND_BACKEND === 'reference') return referenceKernels;
  const wasm = createWasmKernels();
  return wasm ? { ...referenceKernels, ...wasm } : referenceKernels;
}

/** The backend the ops call. `setKernels` installs another (e.g. the threaded one in Node). */
export function kernels(): Kernels {
  return (active ??= defaultKernels());
}

/**
 * Install a backend. Whatever it leaves out is taken from the reference backend, so a
 * backend may implement only its hot kernels.
 */
export function setKernels(backend: Partial<Kernels> & { name: string }): void {
  active = { ...referenceKernels, ...backend };
}
