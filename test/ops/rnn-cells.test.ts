// The fused GRU and LSTM steps (src/ops/rnn.ts): finite differences in float64, and the same
// values and gradients as the step composed from elementwise ops.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as A from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

const gen = new A.Generator(3);
const x64 = (shape: number[], scale = 1) =>
  A.mul(A.randn(shape, { dtype: 'float64', generator: gen }), scale)
    .detach()
    .requiresGrad_();
const B = 3;
const H = 4;

/** torch.nn.GRU's step written with elementwise ops (what gruCell replaced). */
function gruComposed(xp: Tensor, hp: Tensor, h: Tensor): Tensor {
  const r = A.sigmoid(A.add(A.slice(xp, -1, 0, H), A.slice(hp, -1, 0, H)));
  const z = A.sigmoid(A.add(A.slice(xp, -1, H, 2 * H), A.slice(hp, -1, H, 2 * H)));
  const n = A.tanh(A.add(A.slice(xp, -1, 2 * H), A.mul(r, A.slice(hp, -1, 2 * H))));
  return A.add(n, A.mul(z, A.sub(h, n))); // (1 − z) ⊙ n + z ⊙ h
}

/** torch.nn.LSTM's step written with elementwise ops. */
function lstmComposed(xp: Tensor, hp: Tensor, c: Tensor): [Tensor, Tensor] {
  const g4 = A.add(xp, hp);
  const i = A.sigmoid(A.slice(g4, -1, 0, H));
  const f = A.sigmoid(A.slice(g4, -1, H, 2 * H));
  const g = A.tanh(A.slice(g4, -1, 2 * H, 3 * H));
  const o = A.sigmoid(A.slice(g4, -1, 3 * H));
  const c2 = A.add(A.mul(f, c), A.mul(i, g));
  return [A.mul(o, A.tanh(c2)), c2];
}

function gradcheck(name: string, fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]) {
  const r = A.gradcheck(fn, inputs);
  assert.ok(r.ok, `${name}: worst mismatch ${JSON.stringify(r.worst)}`);
}

test('gradcheck gruCell', () => {
  gradcheck('gruCell', (xp, hp, h) => A.gruCell(xp, hp, h), [x64([B, 3 * H], 2), x64([B, 3 * H], 2), x64([B, H])]);
});

test('gradcheck lstmCell h and c (and both together)', () => {
  const inputs = [x64([B, 4 * H], 2), x64([B, 4 * H], 2), x64([B, H])];
  gradcheck('lstmCell h', (xp, hp, c) => A.lstmCell(xp, hp, c)[0], inputs);
  gradcheck('lstmCell c', (xp, hp, c) => A.lstmCell(xp, hp, c)[1], inputs);
  gradcheck('lstmCell h·c', (xp, hp, c) => A.mul(...A.lstmCell(xp, hp, c)), inputs);
});

/** Values and the gradients of Σ w ⊙ f(inputs) agree between two implementations. */
function sameAsComposed(fused: (...xs: Tensor[]) => Tensor, composed: (...xs: Tensor[]) => Tensor, inputs: Tensor[]) {
  const w = A.randn([B, H], { dtype: 'float64', generator: gen });
  const run = (f: (...xs: Tensor[]) => Tensor) => {
    inputs.forEach((t) => (t.grad = null));
    const y = f(...inputs);
    A.sum(A.mul(y, w)).backward();
    return { y: Array.from(y.data), grads: inputs.map((t) => Array.from(t.grad!.data)) };
  };
  const a = run(fused);
  const b = run(composed);
  const close = (u: number[], v: number[], what: string) =>
    u.forEach((x, i) => assert.ok(Math.abs(x - v[i]) < 1e-12, `${what}[${i}]: ${x} vs ${v[i]}`));
  close(a.y, b.y, 'value');
  a.grads.forEach((g, k) => close(g, b.grads[k], `grad ${k}`));
}

test('gruCell matches the composed GRU step', () => {
  const inputs = [x64([B, 3 * H], 2), x64([B, 3 * H], 2), x64([B, H])];
  sameAsComposed((xp, hp, h) => A.gruCell(xp, hp, h), gruComposed, inputs);
});

test('lstmCell matches the composed LSTM step', () => {
  const inputs = [x64([B, 4 * H], 2), x64([B, 4 * H], 2), x64([B, H])];
  sameAsComposed(
    (xp, hp, c) => A.mul(...A.lstmCell(xp, hp, c)),
    (xp, hp, c) => A.mul(...lstmComposed(xp, hp, c)),
    inputs,
  );
});

test('gruCell and lstmCell check their shapes', () => {
  assert.throws(() => A.gruCell(A.zeros([2, 6]), A.zeros([2, 6]), A.zeros([2, 3])), /gruCell: xProj must be/);
  assert.throws(() => A.lstmCell(A.zeros([2, 8]), A.zeros([2, 12]), A.zeros([2, 3])), /lstmCell: xProj must be/);
});
