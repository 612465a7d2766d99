import { kernels } from '../kernels/registry.js';
import { record } from '../tensor/autograd.js';
import { allocateUninit } from '../tensor/dtype.js';
import { type Generator, defaultGenerator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { relu } from './elementwise.js';
import { dropout } from './nn.js';

/**
 * Fusions of ops that layers always use together, kept out of the public op list: each is
 * exactly its composition (same values, gradients and random stream), in one pass over
 * memory, one allocation and one graph node instead of two.
 */

/**
 * dropout(relu(x), p): the feed-forward block's activation and dropout.
 * y = max(x, 0) · keep · 1/(1 − p);  dy/dx = keep · 1/(1 − p) where x > 0, else 0.
 */
export function reluDropout(x: Tensor, p: number, training: boolean, generator?: Generator): Tensor {
  if (!training || p === 0 || (x.dtype !== 'float32' && x.dtype !== 'float64')) {
    return dropout(relu(x), p, training, generator);
  }
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: p must be in [0, 1], received ${p}`);
  const n = x.size;
  const keep = (generator ?? defaultGenerator).keepMask(n, p);
  const scale = p === 1 ? 0 : 1 / (1 - p);
  const out = allocateUninit(x.dtype, n); // reluScale writes every element
  kernels().reluScale(out, x.data, keep, scale);
  return record(new Tensor(out, x.shape), 'reluDropout', [x], (g) => {
    const dx = allocateUninit(g.dtype, n);
    kernels().reluScaleBackward(dx, g.data, x.data, keep, scale);
    return [new Tensor(dx, x.shape)];
  });
}
