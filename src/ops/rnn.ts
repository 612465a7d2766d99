import { record } from '../tensor/autograd.js';
import { kernels } from '../kernels/registry.js';
import { type FloatArray, allocateUninit } from '../tensor/dtype.js';
import { fmt } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * The gate arithmetic of one GRU or LSTM step as single ops, each forward beside its backward.
 * Composed from elementwise ops a step is ~15 ops, each a pass over memory, an allocation and
 * a graph node; fused it is one loop forward and one backward. The projections W x + b and
 * W h + b stay GEMMs (ops/linalg.ts) done by the caller. Gates are stacked on the last axis
 * in PyTorch's order; leading axes are rows (B).
 */

function checkGates(op: string, gates: number, xProj: Tensor, hProj: Tensor, state: Tensor, name: string): number {
  const H = state.shape[state.ndim - 1];
  const rows = state.size / Math.max(H, 1);
  for (const [arg, t] of [
    ['xProj', xProj],
    ['hProj', hProj],
  ] as const) {
    if (t.size !== rows * gates * H || t.shape[t.ndim - 1] !== gates * H) {
      throw new Error(
        `${op}: ${arg} must be [rows, ${gates}·H] for ${name} ${fmt(state.shape)}, received ${fmt(t.shape)}`,
      );
    }
    if (t.dtype !== state.dtype) throw new Error(`${op}: ${arg} is ${t.dtype} but ${name} is ${state.dtype}`);
  }
  if (state.dtype !== 'float32' && state.dtype !== 'float64') {
    throw new Error(`${op}: needs float32 or float64, received ${state.dtype}`);
  }
  return H;
}

/**
 * One GRU step (torch.nn.GRU's equations) from xProj = W_i x + b_i and hProj = W_h h + b_h,
 * both [B, 3H] with gates r, z, n, and the state h [B, H]:
 *   r = σ(x_r + h_r)   z = σ(x_z + h_z)   n = tanh(x_n + r ⊙ h_n)   h' = (1 − z) ⊙ n + z ⊙ h
 */
export function gruCell(xProj: Tensor, hProj: Tensor, h: Tensor): Tensor {
  const H = checkGates('gruCell', 3, xProj, hProj, h, 'h');
  const rows = h.size / H;
  const xp = xProj.data as FloatArray;
  const hp = hProj.data as FloatArray;
  const hd = h.data as FloatArray;
  const out = allocateUninit(h.dtype, h.size) as FloatArray;
  // saved for the backward: r, z, n per element
  const r = allocateUninit(h.dtype, h.size) as FloatArray;
  const z = allocateUninit(h.dtype, h.size) as FloatArray;
  const n = allocateUninit(h.dtype, h.size) as FloatArray;
  kernels().gruForward(out, r, z, n, xp, hp, hd, rows, H);
  return record(new Tensor(out, h.shape), 'gruCell', [xProj, hProj, h], (grad) => {
    const dx = allocateUninit(h.dtype, xProj.size) as FloatArray; // d xProj: [dr, dz, dn] before the nonlinearities
    const dhp = allocateUninit(h.dtype, hProj.size) as FloatArray; // d hProj: the same but dn ⊙ r for h_n
    const dh = allocateUninit(h.dtype, h.size) as FloatArray;
    kernels().gruBackward(dx, dhp, dh, grad.data as FloatArray, r, z, n, hp, hd, rows, H);
    return [new Tensor(dx, xProj.shape), new Tensor(dhp, hProj.shape), new Tensor(dh, h.shape)];
  });
}

/**
 * One LSTM step (torch.nn.LSTM's equations) from xProj = W_i x + b_i and hProj = W_h h + b_h,
 * both [B, 4H] with gates i, f, g, o, and the cell c [B, H] → [h', c']:
 *   i = σ(·)  f = σ(·)  g = tanh(·)  o = σ(·)   c' = f ⊙ c + i ⊙ g   h' = o ⊙ tanh(c')
 * Two ops, one per output (autograd follows single-output ops), sharing the saved gates.
 */
export function lstmCell(xProj: Tensor, hProj: Tensor, c: Tensor): [Tensor, Tensor] {
  const H = checkGates('lstmCell', 4, xProj, hProj, c, 'c');
  const rows = c.size / H;
  const xp = xProj.data as FloatArray;
  const hp = hProj.data as FloatArray;
  const cd = c.data as FloatArray;
  const c2 = allocateUninit(c.dtype, c.size) as FloatArray;
  const h2 = allocateUninit(c.dtype, c.size) as FloatArray;
  // saved for the backward: the activated gates (xProj's layout) and tanh(c')
  const act = allocateUninit(c.dtype, xProj.size) as FloatArray;
  const tc = allocateUninit(c.dtype, c.size) as FloatArray;
  kernels().lstmForward(c2, h2, act, tc, xp, hp, cd, rows, H);
  // NOTE: the gates are read back from `act`: for float32 these are the rounded values the
  // forward stored, a rounding away from the ones it used (well inside float32 tolerance)
  const cNext = record(new Tensor(c2, c.shape), 'lstmCell.c', [xProj, hProj, c], (grad) => {
    // c' = f ⊙ c + i ⊙ g: gradients to the pre-activations of i, f, g (o's 0) and to c
    const dgates = allocateUninit(c.dtype, xProj.size) as FloatArray;
    const dc = allocateUninit(c.dtype, c.size) as FloatArray;
    kernels().lstmCellBackward(dgates, dc, grad.data as FloatArray, act, cd, rows, H);
    const dg = new Tensor(dgates, xProj.shape);
    return [dg, dg, new Tensor(dc, c.shape)]; // xProj and hProj enter as a sum: one gradient
  });
  const hNext = record(new Tensor(h2, c.shape), 'lstmCell.h', [xProj, hProj, cNext], (grad) => {
    // h' = o ⊙ tanh(c'): gradients to o's pre-activation (the others 0) and to c'
    const dgates = allocateUninit(c.dtype, xProj.size) as FloatArray;
    const dc2 = allocateUninit(c.dtype, c.size) as FloatArray;
    kernels().lstmHiddenBackward(dgates, dc2, grad.data as FloatArray, act, tc, rows, H);
    const dg = new Tensor(dgates, xProj.shape);
    return [dg, dg, new Tensor(dc2, c.shape)];
  });
  return [hNext, cNext];
}
