import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as A from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

const gen = new A.Generator(11);
const x64 = (shape: number[], scale = 1) =>
  A.mul(A.randn(shape, { dtype: 'float64', generator: gen }), scale)
    .detach()
    .requiresGrad_();
const bool = (values: number[], shape: number[]) => A.tensor(values.map(Boolean), shape, { dtype: 'bool' });

function gradOk(name: string, fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]) {
  const r = A.gradcheck(fn, inputs);
  assert.ok(r.ok, `${name}: ${JSON.stringify(r.worst)}`);
}

test('every score function is differentiable in all its inputs and parameters (float64)', () => {
  const [B, n, m, d] = [2, 3, 4, 5];
  const q = () => x64([B, n, d]);
  const k = () => x64([B, m, d]);
  const v = () => x64([B, m, 3]);
  for (const score of ['dot', 'scaled-dot'] as const) {
    gradOk(score, (a, b, c) => A.attention(a, b, c, { score }).output, [q(), k(), v()]);
  }
  gradOk('general', (a, b, c, W) => A.attention(a, b, c, { score: 'general', W }).output, [
    q(),
    x64([B, m, 4]),
    v(),
    x64([d, 4]),
  ]);
  gradOk(
    'additive',
    (a, b, c, Wq, Wk, vv, bb) => A.attention(a, b, c, { score: 'additive', Wq, Wk, v: vv, b: bb }).output,
    [q(), x64([B, m, 4]), v(), x64([6, d]), x64([6, 4]), x64([6]), x64([6])],
  );
  gradOk('location', (a, b, c, W) => A.attention(a, b, c, { score: 'location', W }).output, [
    q(),
    k(),
    v(),
    x64([6, d]),
  ]);
  gradOk('cosine', (a, b, c, beta) => A.attention(a, b, c, { score: 'cosine', beta }).output, [
    q(),
    k(),
    v(),
    x64([1]),
  ]);
});

test('masks: key padding, causal, boolean and additive masks, all differentiable', () => {
  const pad = bool([0, 0, 1, 1, 0, 0, 0, 1], [2, 4]);
  const allow = bool([1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0], [3, 4]);
  const add = A.tensor([0, -1, 0.5, -Infinity], [4], { dtype: 'float64' });
  gradOk(
    'padding + causal + bool + float',
    (q, k, v) => A.attention(q, k, v, { keyPaddingMask: pad, causal: { offset: 1 }, attnMask: allow }).output,
    [x64([2, 3, 5]), x64([2, 4, 5]), x64([2, 4, 2])],
  );
  gradOk('additive float mask', (q, k, v) => A.attention(q, k, v, { attnMask: add }).output, [
    x64([2, 3, 5]),
    x64([2, 4, 5]),
    x64([2, 4, 2]),
  ]);
  // heads: [B, h, n, d] with a [B, m] padding mask
  gradOk('heads + padding', (q, k, v) => A.attention(q, k, v, { keyPaddingMask: pad }).output, [
    x64([2, 2, 3, 4]),
    x64([2, 2, 4, 4]),
    x64([2, 2, 4, 3]),
  ]);
});

test('a query whose keys are all masked gets zero weights, zero output and finite gradients', () => {
  const q = x64([1, 2, 3]);
  const k = x64([1, 3, 3]);
  const v = x64([1, 3, 2]);
  const allow = bool([0, 0, 0, 1, 1, 0], [2, 3]); // query 0 may attend nothing
  const { output, weights } = A.attention(q, k, v, { attnMask: allow });
  assert.deepEqual(Array.from(weights.data.subarray(0, 3)), [0, 0, 0]);
  assert.deepEqual(Array.from(output.data.subarray(0, 2)), [0, 0]);
  A.sum(A.mul(output, output)).backward();
  for (const t of [q, k, v]) assert.ok(Array.from(t.grad!.data).every(Number.isFinite));
  gradOk('fully masked row', (a, b, c) => A.attention(a, b, c, { attnMask: allow }).output, [
    x64([1, 2, 3]),
    x64([1, 3, 3]),
    x64([1, 3, 2]),
  ]);
});

test('causal attention does not leak: changing future keys and values leaves earlier outputs bit for bit', () => {
  const [B, T, d] = [2, 6, 4];
  const q = A.randn([B, T, d], { generator: gen });
  const k = A.randn([B, T, d], { generator: gen });
  const v = A.randn([B, T, d], { generator: gen });
  const before = A.attention(q, k, v, { causal: true }).output;
  const t0 = 3; // change keys/values at positions ≥ 3
  const k2 = A.tensor(k.data.slice(), k.shape);
  const v2 = A.tensor(v.data.slice(), v.shape);
  for (let b = 0; b < B; b++)
    for (let t = t0; t < T; t++)
      for (let j = 0; j < d; j++) {
        k2.data[(b * T + t) * d + j] += 5;
        v2.data[(b * T + t) * d + j] -= 7;
      }
  const after = A.attention(q, k2, v2, { causal: true }).output;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const same = Array.from(before.data.subarray((b * T + t) * d, (b * T + t + 1) * d)).every((x, j) =>
        Object.is(x, after.data[(b * T + t) * d + j]),
      );
      assert.equal(same, t < t0, `position ${t}: ${t < t0 ? 'changed (leak)' : 'unchanged (mask too wide)'}`);
    }
  }
});

test('sliding-window and local-m attention equal global attention under the same band mask', () => {
  const [B, h, T, d] = [2, 2, 7, 3];
  const q = A.randn([B, h, T, d], { dtype: 'float64', generator: gen });
  const k = A.randn([B, h, T, d], { dtype: 'float64', generator: gen });
  const v = A.randn([B, h, T, d], { dtype: 'float64', generator: gen });
  const pad = bool([0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0], [B, T]);
  for (const causal of [false, true]) {
    const w = 2;
    const local = A.attention(q, k, v, { window: { type: 'sliding', size: w }, causal, keyPaddingMask: pad });
    const dense = A.attention(q, k, v, { attnMask: A.bandMask(T, T, w), causal, keyPaddingMask: pad });
    const close = (a: Tensor, b: Tensor) => Array.from(a.data).every((x, i) => Math.abs(x - b.data[i]) < 1e-12);
    assert.ok(close(local.output, dense.output), `outputs differ (causal ${causal})`);
    assert.ok(close(A.denseWeights(local, T), dense.weights), `weights differ (causal ${causal})`);
    assert.deepEqual(local.weights.shape, [B, h, T, 2 * w + 1]); // n·(2w+1) scores, not n·m
  }
  const lm = A.attention(q, k, v, { window: { type: 'local-m', D: 1 } });
  const dm = A.attention(q, k, v, { attnMask: A.bandMask(T, T, 1) });
  assert.ok(Array.from(lm.output.data).every((x, i) => Math.abs(x - dm.output.data[i]) < 1e-12));
});

test('local-p is differentiable through the predicted position p_t (and q, k, v)', () => {
  const [B, n, m, d] = [2, 3, 9, 4];
  gradOk(
    'local-p',
    (q, k, v, p) => A.attention(q, k, v, { window: { type: 'local-p', D: 2, position: p } }).output,
    // positions away from .5 so the rounded window stays put under the finite-difference step
    [
      x64([B, n, d]),
      x64([B, m, d]),
      x64([B, m, 2]),
      A.tensor([1.2, 4.1, 7.3, 0.2, 3.9, 8.6], [B, n], { dtype: 'float64', requiresGrad: true }),
    ],
  );
  // the Gaussian: at the window's edge (|j − p| = D) weights are scaled by exp(−2) relative to the softmax
  const q = A.zeros([1, 1, 2], { dtype: 'float64' });
  const r = A.attention(q, A.zeros([1, 5, 2], { dtype: 'float64' }), A.zeros([1, 5, 1], { dtype: 'float64' }), {
    window: { type: 'local-p', D: 2, position: A.tensor([[2]], undefined, { dtype: 'float64' }) },
  });
  const w = Array.from(r.weights.data);
  assert.ok(Math.abs(w[0] / w[2] - Math.exp(-2)) < 1e-12 && Math.abs(w[4] / w[2] - Math.exp(-2)) < 1e-12, `${w}`);
});

test('dropout on the weights is seeded and off in eval', () => {
  const q = A.randn([1, 4, 3], { generator: gen });
  const k = A.randn([1, 5, 3], { generator: gen });
  const v = A.randn([1, 5, 3], { generator: gen });
  const a = A.attention(q, k, v, { dropout: 0.5, generator: new A.Generator(3) }).output;
  const b = A.attention(q, k, v, { dropout: 0.5, generator: new A.Generator(3) }).output;
  const full = A.attention(q, k, v).output;
  const evalMode = A.attention(q, k, v, { dropout: 0.5, training: false }).output;
  assert.deepEqual(Array.from(a.data), Array.from(b.data));
  assert.notDeepEqual(Array.from(a.data), Array.from(full.data));
  assert.deepEqual(Array.from(evalMode.data), Array.from(full.data));
});

test('hard attention: argmax in eval, samples follow α in training, one value vector per query', () => {
  const q = A.tensor([[[1, 0]]]);
  const k = A.tensor([
    [
      [2, 0],
      [0, 0],
      [-2, 0],
    ],
  ]);
  const v = A.tensor([[[1], [2], [3]]]);
  const ev = A.attention(q, k, v, { score: 'dot', mode: 'hard', training: false });
  assert.deepEqual(ev.selected!.toArray(), [[0]]);
  assert.deepEqual(ev.output.toArray(), [[[1]]]);
  const counts = [0, 0, 0];
  const g = new A.Generator(5);
  for (let i = 0; i < 4000; i++)
    counts[A.attention(q, k, v, { score: 'dot', mode: 'hard', generator: g }).selected!.data[0]]++;
  const alpha = Array.from(ev.weights.data);
  counts.forEach((c, j) => assert.ok(Math.abs(c / 4000 - alpha[j]) < 0.03, `key ${j}: ${c / 4000} vs α ${alpha[j]}`));
});

test('hard attention: the REINFORCE estimate agrees in direction with the exact gradient of the expected loss', () => {
  // Expected loss over s ~ α(q): E[L] = Σ_j α_j(q) · L_j with L_j = (v_j − target)². Exact gradient
  // w.r.t. q by autograd on that sum; the estimator's mean over many samples should point the same way.
  const k = A.tensor(
    [
      [
        [1, 0],
        [0, 1],
        [-1, 0],
        [0, -1],
      ],
    ],
    undefined,
    { dtype: 'float64' },
  );
  const v = A.tensor([[[0.0], [1.0], [2.0], [3.0]]], undefined, { dtype: 'float64' });
  const target = 2.4;
  const q0 = [0.3, -0.2];
  const qe = A.tensor([[q0]], undefined, { dtype: 'float64', requiresGrad: true });
  const alpha = A.attention(qe, k, v, { score: 'dot' }).weights; // [1, 1, 4]
  const L = A.tensor(
    [0, 1, 2, 3].map((x) => (x - target) ** 2),
    [1, 1, 4],
    { dtype: 'float64' },
  );
  A.sum(A.mul(alpha, L)).backward();
  const exact = Array.from(qe.grad!.data);

  const q = A.tensor([[q0]], undefined, { dtype: 'float64', requiresGrad: true });
  const baseline = new A.ReinforceBaseline(0.9, 1, 0);
  const g = new A.Generator(8);
  for (let i = 0; i < 3000; i++) {
    const r = A.attention(q, k, v, { score: 'dot', mode: 'hard', generator: g });
    const loss = A.mul(A.sub(r.output, target), A.sub(r.output, target)); // [1, 1, 1]
    const reward = A.neg(loss.detach()).reshape([1]); // higher is better
    baseline.surrogate(reward, r.logProb!).backward();
  }
  const estimate = Array.from(q.grad!.data).map((x) => x / 3000);
  const cos = (exact[0] * estimate[0] + exact[1] * estimate[1]) / (Math.hypot(...exact) * Math.hypot(...estimate));
  assert.ok(cos > 0.95, `cosine(exact, estimate) = ${cos}; exact ${exact}, estimate ${estimate}`);
});

test('gumbel straight-through: one-hot forward, gradient reaches the scores', () => {
  const q = A.randn([2, 3, 4], { requiresGrad: true, generator: gen });
  const k = A.randn([2, 5, 4], { generator: gen });
  const v = A.randn([2, 5, 2], { generator: gen });
  const r = A.attention(q, k, v, { mode: 'hard', estimator: 'gumbel', generator: new A.Generator(1) });
  for (let i = 0; i < 6; i++) {
    const s = r.selected!.data[i];
    const b = Math.floor(i / 3);
    assert.ok(Math.abs(r.output.data[i * 2] - v.data[(b * 5 + s) * 2]) < 1e-6);
  }
  A.sum(r.output).backward();
  assert.ok(Array.from(q.grad!.data).some((x) => x !== 0));
});

test('bad input names the argument and the shapes', () => {
  const q = A.zeros([2, 3, 4]);
  assert.throws(
    () => A.attention(q, A.zeros([2, 5, 4]), A.zeros([2, 6, 4])),
    /key \[2, 5, 4\] and value \[2, 6, 4\] must have the same number of positions/,
  );
  assert.throws(
    () => A.attention(q, A.zeros([2, 5, 3]), A.zeros([2, 5, 4]), { score: 'dot' }),
    /score 'dot' needs query and key sizes to match/,
  );
  assert.throws(() => A.attention(q, q, q, { score: 'general' }), /score 'general' needs the parameter W/);
  assert.throws(
    () => A.attention(q, q, q, { keyPaddingMask: A.zeros([2, 3]) }),
    /keyPaddingMask must be bool \[B=2, m=3\] \(true = padding\), received float32 \[2, 3\]/,
  );
  assert.throws(
    () => A.attention(q, q, q, { attnMask: bool([1, 1], [2]) }),
    /cannot broadcast attnMask of shape \[2\] with scores of shape \[2, 3, 3\]/,
  );
});
