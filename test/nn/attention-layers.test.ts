import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as A from '../../src/index.js';
import { nn, type Tensor } from '../../src/index.js';

const gen = new A.Generator(21);
const f64 = { generator: gen, dtype: 'float64' as const };
const x64 = (shape: number[]) => A.randn(shape, { dtype: 'float64', generator: gen }).requiresGrad_();

/** Gradcheck through a module's own parameters as well as its inputs. */
function checkModule(name: string, m: nn.Module, run: (...inputs: Tensor[]) => Tensor, inputs: Tensor[]) {
  const params = m.parameters();
  const r = A.gradcheck(
    (...all) => {
      // the finite differences perturb params' data in place; forward reads it from the module
      void all;
      return run(...inputs);
    },
    [...inputs, ...params],
  );
  assert.ok(r.ok, `${name}: ${JSON.stringify(r.worst)}`);
}

test('parameter names of our own modules are documented and stable', () => {
  const names = (m: nn.Module) => m.namedParameters().map(([n, t]) => `${n}[${t.shape.join(',')}]`);
  assert.deepEqual(names(new nn.AdditiveAttention(4, 3, 5)), ['W_q[5,4]', 'W_k[5,3]', 'b[5]', 'v[5]']);
  assert.deepEqual(names(new nn.GeneralAttention(4, 3)), ['W[4,3]']);
  assert.deepEqual(names(new nn.LocationAttention(4, 7)), ['W[7,4]']);
  assert.deepEqual(names(new nn.CosineAttention({ learnBeta: true })), ['beta[1]']);
  assert.deepEqual(names(new nn.LocalAttention(4, { mode: 'local-p', predictorDim: 6 })), [
    'W_p[6,4]',
    'v_p[6]',
    'W[4,4]',
  ]);
  assert.deepEqual(names(new nn.AttentionPooling(4, 9)), ['w[4]', 'b[9]']);
});

test('every attention module is differentiable through its inputs and parameters (float64)', () => {
  const [q, k, v] = [x64([2, 3, 4]), x64([2, 5, 4]), x64([2, 5, 2])];
  const add = new nn.AdditiveAttention(4, 4, 6, f64);
  checkModule('AdditiveAttention', add, () => add.forward(q, k, v).output, [q, k, v]);
  const gen2 = new nn.GeneralAttention(4, 4, f64);
  checkModule('GeneralAttention', gen2, () => gen2.forward(q, k, v).output, [q, k, v]);
  const loc = new nn.LocationAttention(4, 6, f64);
  checkModule('LocationAttention', loc, () => loc.forward(q, k, v).output, [q, k, v]);
  const cos = new nn.CosineAttention({ learnBeta: true, beta: 2, ...f64 });
  checkModule('CosineAttention', cos, () => cos.forward(q, k, v).output, [q, k, v]);
  const lm = new nn.LocalAttention(4, { mode: 'local-m', D: 1, ...f64 });
  checkModule('LocalAttention local-m', lm, () => lm.forward(q, k, v).output, [q, k, v]);
  const pool = new nn.AttentionPooling(4, 6, f64);
  const pad = A.tensor([false, false, false, false, true, false, false, false, false, false], [2, 5], {
    dtype: 'bool',
  });
  checkModule('AttentionPooling', pool, () => pool.forward(k, pad).output, [k]);
});

test('local-p learns through its predicted position: gradients reach W_p and v_p', () => {
  const lp = new nn.LocalAttention(4, { mode: 'local-p', D: 2, ...f64 });
  const [q, k, v] = [x64([2, 3, 4]), x64([2, 9, 4]), x64([2, 9, 2])];
  const r = lp.forward(q, k, v);
  assert.deepEqual(r.position!.shape, [2, 3]);
  A.sum(r.output).backward();
  assert.ok(Array.from(lp.W_p!.grad!.data).some((g) => g !== 0) && Array.from(lp.v_p!.grad!.data).some((g) => g !== 0));
  // and the gradient is right (finite differences; p_t stays away from a rounding boundary at this seed)
  checkModule('LocalAttention local-p', lp, () => lp.forward(q, k, v).output, [q, v]);
});

test('attention pooling computes e_t = x_t·w + b_t, α = softmax_t(e), out = Σ α_t x_t, and ignores padding', () => {
  const pool = new nn.AttentionPooling(2, 3);
  pool.w.data.set([1, -1]);
  pool.b.data.set([0, 0.5, 0]);
  const x = A.tensor([
    [
      [1, 0],
      [0, 0],
      [2, 1],
    ],
  ]);
  const e = [1, 0.5, 1];
  const z = e.reduce((s, v) => s + Math.exp(v), 0);
  const alpha = e.map((v) => Math.exp(v) / z);
  const { output, weights } = pool.forward(x);
  alpha.forEach((a, t) => assert.ok(Math.abs(weights.data[t] - a) < 1e-6));
  assert.ok(
    Math.abs(output.data[0] - (alpha[0] * 1 + alpha[2] * 2)) < 1e-6 && Math.abs(output.data[1] - alpha[2]) < 1e-6,
  );
  const masked = pool.forward(x, A.tensor([[false, false, true]], undefined, { dtype: 'bool' }));
  assert.equal(masked.weights.data[2], 0);
});
