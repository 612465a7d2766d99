import { record } from '../tensor/autograd.js';
import { kernels } from '../kernels/registry.js';
import { type FloatArray, type TypedArray, allocate, allocateUninit } from '../tensor/dtype.js';
import { broadcastShapes, fmt, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { expand } from './shape.js';

/**
 * Additive (Bahdanau) scores from projected queries and keys, as one op:
 *   e[..., i, j] = Σ_a v_a · tanh(qp[..., i, a] + kp[..., j, a])
 * qp [..., n, da] (W_q q + b), kp [..., m, da] (W_k k), v [da]; leading axes broadcast.
 * Composed, this is an [..., n, m, da] sum, a tanh and a matrix-vector product, each a pass
 * over n·m·da values with its own gradient; here the tanh values are the one saved array.
 * Backward, with t = tanh(·) and d = ∂e_ij · v_a · (1 − t²):
 *   ∂qp_ia = Σ_j d,   ∂kp_ja = Σ_i d,   ∂v_a = Σ_ij ∂e_ij · t.
 */
export function additiveScores(qp: Tensor, kp: Tensor, v: Tensor): Tensor {
  const da = v.shape[0];
  if (v.ndim !== 1 || qp.ndim < 2 || kp.ndim < 2 || qp.shape[qp.ndim - 1] !== da || kp.shape[kp.ndim - 1] !== da) {
    throw new Error(
      `additiveScores: needs qp [..., n, da], kp [..., m, da] and v [da], received ${fmt(qp.shape)}, ${fmt(kp.shape)}, ${fmt(v.shape)}`,
    );
  }
  if (qp.dtype !== kp.dtype || qp.dtype !== v.dtype || (qp.dtype !== 'float32' && qp.dtype !== 'float64')) {
    throw new Error(
      `additiveScores: qp, kp and v must share a float dtype, received ${qp.dtype}, ${kp.dtype}, ${v.dtype}`,
    );
  }
  const n = qp.shape[qp.ndim - 2];
  const m = kp.shape[kp.ndim - 2];
  const lead = broadcastShapes('additiveScores', qp.shape.slice(0, -2), kp.shape.slice(0, -2), ['qp', 'kp']);
  const q = expand(qp, [...lead, n, da]); // no copy when the batch axes already match
  const k = expand(kp, [...lead, m, da]);
  const G = sizeOf(lead);
  const qd = q.data as FloatArray;
  const kd = k.data as FloatArray;
  const vd = v.data as FloatArray;
  const t = allocateUninit(qp.dtype, G * n * m * da) as FloatArray; // tanh(qp_i + kp_j), saved
  const e = allocateUninit(qp.dtype, G * n * m) as FloatArray;
  kernels().additiveForward(e, t, qd, kd, vd, G, n, m, da);
  // with sums (record's addInto) the gradients are added straight into running sums: the keys
  // of a decoder's attention are scored again at every step
  const backward = (grad: Tensor, sums: (TypedArray | null)[] = []) => {
    const dq = (sums[0] ?? allocate(qp.dtype, q.size)) as FloatArray;
    const dk = (sums[1] ?? allocate(qp.dtype, k.size)) as FloatArray;
    const dv = new Float64Array(da); // summed over G·n·m terms: kept in double until the end
    kernels().additiveBackward(dq, dk, dv, grad.data as FloatArray, t, vd, G, n, m, da);
    const sv = sums[2];
    if (sv) for (let a = 0; a < da; a++) sv[a] += dv[a];
    const dvOut = sv ? null : allocate(qp.dtype, da);
    dvOut?.set(dv);
    return [
      sums[0] ? null : new Tensor(dq, q.shape),
      sums[1] ? null : new Tensor(dk, k.shape),
      dvOut ? new Tensor(dvOut, v.shape) : null,
    ];
  };
  return record(new Tensor(e, [...lead, n, m]), 'additiveScores', [q, k, v], backward, backward);
}
