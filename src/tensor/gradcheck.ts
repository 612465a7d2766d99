import { noGrad } from './autograd.js';
import { Generator } from './random.js';
import { Tensor } from './tensor.js';

export interface GradcheckOptions {
  /** Finite-difference step. */
  eps?: number;
  atol?: number;
  rtol?: number;
  seed?: number;
}

export interface GradcheckResult {
  ok: boolean;
  /** The worst mismatch: which input, which element, analytic vs numeric. */
  worst: { input: number; index: number; analytic: number; numeric: number; error: number } | null;
}

/**
 * Compare autograd's gradient with central finite differences, as torch.autograd.gradcheck.
 * Inputs must be float64 and require grad. The output is reduced against a fixed random
 * upstream gradient r, so one check covers the whole Jacobian: d(r·f)/dx.
 */
export function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: GradcheckOptions = {},
): GradcheckResult {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-7;
  const rtol = options.rtol ?? 1e-5;
  for (const [i, x] of inputs.entries()) {
    if (x.dtype !== 'float64') throw new Error(`gradcheck: inputs[${i}] must be float64, received ${x.dtype}`);
  }
  const out = fn(...inputs);
  const g = new Generator(options.seed ?? 1234);
  const r = new Float64Array(out.size);
  for (let i = 0; i < r.length; i++) r[i] = g.normal();
  const dot = (t: Tensor): number => {
    let s = 0;
    for (let i = 0; i < r.length; i++) s += t.data[i] * r[i];
    return s;
  };
  for (const x of inputs) x.grad = null;
  out.backward(new Tensor(r, out.shape));
  let worst: GradcheckResult['worst'] = null;
  let ok = true;
  inputs.forEach((x, k) => {
    if (!x.requiresGrad) return;
    const analytic = x.grad?.data;
    for (let i = 0; i < x.size; i++) {
      const orig = x.data[i];
      x.data[i] = orig + eps;
      const plus = noGrad(() => dot(fn(...inputs)));
      x.data[i] = orig - eps;
      const minus = noGrad(() => dot(fn(...inputs)));
      x.data[i] = orig;
      const numeric = (plus - minus) / (2 * eps);
      const a = analytic ? analytic[i] : 0;
      const error = Math.abs(a - numeric);
      if (!(error <= atol + rtol * Math.abs(numeric))) ok = false;
      if (!worst || error > worst.error || Number.isNaN(error))
        worst = { input: k, index: i, analytic: a, numeric, error };
    }
  });
  return { ok, worst };
}
