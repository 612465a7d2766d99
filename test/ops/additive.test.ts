// additiveScores (src/ops/additive.ts): finite differences in float64, and the same values and
// gradients as the composed vᵀ tanh(qp_i + kp_j) it replaces in attention's 'additive' score.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as A from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

const gen = new A.Generator(5);
const x64 = (shape: number[]) => A.randn(shape, { dtype: 'float64', generator: gen }).requiresGrad_();

const composed = (qp: Tensor, kp: Tensor, v: Tensor) =>
  A.matmul(A.tanh(A.add(A.unsqueeze(qp, -2), A.unsqueeze(kp, -3))), v); // [..., n, m]

test('gradcheck additiveScores, batch axes broadcast', () => {
  const r = A.gradcheck((q, k, v) => A.additiveScores(q, k, v), [x64([2, 1, 3, 4]), x64([3, 5, 4]), x64([4])]);
  assert.ok(r.ok, JSON.stringify(r.worst));
});

test('additiveScores matches the composed score, values and gradients', () => {
  const inputs = [x64([2, 3, 4]), x64([2, 5, 4]), x64([4])];
  const w = A.randn([2, 3, 5], { dtype: 'float64', generator: gen });
  const run = (f: (q: Tensor, k: Tensor, v: Tensor) => Tensor) => {
    inputs.forEach((t) => (t.grad = null));
    const y = f(inputs[0], inputs[1], inputs[2]);
    A.sum(A.mul(y, w)).backward();
    return [y, ...inputs.map((t) => t.grad!)].map((t) => Array.from(t.data));
  };
  const a = run(A.additiveScores);
  const b = run(composed);
  a.forEach((u, k) => u.forEach((x, i) => assert.ok(Math.abs(x - b[k][i]) < 1e-12, `${k}[${i}]: ${x} vs ${b[k][i]}`)));
});

test('additiveScores checks its shapes', () => {
  assert.throws(() => A.additiveScores(A.zeros([2, 3]), A.zeros([4, 2]), A.zeros([3])), /additiveScores: needs/);
});

test('keys scored at several steps: gradients summed in place equal the sum of each step alone', () => {
  const k = x64([2, 5, 4]);
  const v = x64([4]);
  const qs = [x64([2, 1, 4]), x64([2, 1, 4]), x64([2, 1, 4])];
  const step = (i: number) => A.sum(A.mul(A.additiveScores(qs[i], k, v), i + 1));
  k.grad = v.grad = null;
  A.add(A.add(step(0), step(1)), step(2)).backward();
  const together = [k, v].map((t) => Array.from(t.grad!.data));
  const alone = [k, v].map((t) => new Array<number>(t.size).fill(0));
  for (let i = 0; i < 3; i++) {
    k.grad = v.grad = null;
    step(i).backward();
    [k, v].forEach((t, j) => t.grad!.data.forEach((x, e) => (alone[j][e] += x)));
  }
  together.forEach((g, j) => g.forEach((x, e) => assert.ok(Math.abs(x - alone[j][e]) < 1e-12, `${j}[${e}]`)));
});
