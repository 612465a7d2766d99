import { kernels } from '../kernels/registry.js';
import type { FloatArray } from '../kernels/types.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Clip gradients by their global norm, as torch.nn.utils.clip_grad_norm_: the L2 norm of all
 * gradients together; if it exceeds maxNorm, every gradient is scaled by maxNorm / (norm + 1e-6).
 * Returns the norm before clipping (worth logging: spikes show instability).
 */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): number {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm must be > 0, received ${maxNorm}`);
  let sq = 0;
  for (const p of params) if (p.grad) sq += kernels().sumOfSquares(p.grad.data as FloatArray);
  const norm = Math.sqrt(sq);
  const scale = maxNorm / (norm + 1e-6);
  if (scale < 1)
    for (const p of params) if (p.grad) for (let i = 0; i < p.grad.data.length; i++) p.grad.data[i] *= scale;
  return norm;
}
