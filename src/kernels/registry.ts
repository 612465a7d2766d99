import { referenceKernels } from './reference/index.js';
import type { Kernels } from './types.js';

let active: Kernels = referenceKernels;

/** The backend the ops call. Starts as the reference backend; `setKernels` installs a faster one. */
export function kernels(): Kernels {
  return active;
}

/**
 * Install a backend. Whatever it leaves out is taken from the reference backend, so a
 * backend may implement only its hot kernels.
 */
export function setKernels(backend: Partial<Kernels> & { name: string }): void {
  active = { ...referenceKernels, ...backend };
}
