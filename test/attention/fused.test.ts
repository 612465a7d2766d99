// The fused (memory-efficient) attention kernel against the composed path, and by finite differences.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as A from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

const gen = new A.Generator(77);
const TOL = 1e-12; // float64: only the order of summation differs

function compare(what: string, a: Tensor, b: Tensor) {
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  for (let i = 0; i < a.size; i++) {
    assert.ok(
      Math.abs(a.data[i] - b.data[i]) <= TOL * (1 + Math.abs(b.data[i])),
      `${what}[${i}]: fused ${a.data[i]} vs composed ${b.data[i]}`,
    );
  }
}

const cases: { name: string; lead: number[]; n: number; m: number; d: number; dv: number; opts: A.AttentionOptions }[] =
  [
    { name: 'self, odd sizes', lead: [2], n: 7, m: 7, d: 5, dv: 3, opts: {} },
    { name: 'heads, cross, dot score', lead: [2, 3], n: 4, m: 9, d: 8, dv: 8, opts: { score: 'dot' } },
    { name: 'causal', lead: [1, 2], n: 6, m: 6, d: 4, dv: 4, opts: { causal: true } },
    { name: 'causal with a cache offset', lead: [2], n: 3, m: 8, d: 4, dv: 2, opts: { causal: { offset: 5 } } },
    { name: 'scale override', lead: [1], n: 5, m: 5, d: 3, dv: 3, opts: { scale: 0.3 } },
  ];

for (const c of cases) {
  test(`fused attention equals the composed path (output and gradients): ${c.name}`, () => {
    const B = c.lead[0];
    const q = A.randn([...c.lead, c.n, c.d], { dtype: 'float64', generator: gen });
    const k = A.randn([...c.lead, c.m, c.d], { dtype: 'float64', generator: gen });
    const v = A.randn([...c.lead, c.m, c.dv], { dtype: 'float64', generator: gen });
    // padding hides the last key of batch 0 (and, for B > 1, the first two keys of batch 1)
    const pad = A.tensor(
      Array.from({ length: B * c.m }, (_, i) => (i < c.m ? i === c.m - 1 : i - c.m < 2)),
      [B, c.m],
      { dtype: 'bool' },
    );
    const up = A.randn([...c.lead, c.n, c.dv], { dtype: 'float64', generator: gen });
    const run = (needWeights: boolean) => {
      const [qq, kk, vv] = [q, k, v].map((t) => A.tensor(t.data.slice(), t.shape, { requiresGrad: true }));
      const r = A.attention(qq, kk, vv, { ...c.opts, keyPaddingMask: pad, needWeights, fused: !needWeights });
      A.sum(A.mul(r.output, up)).backward();
      return { out: r.output, weights: r.weights, grads: [qq.grad!, kk.grad!, vv.grad!] };
    };
    const fused = run(false);
    const composed = run(true);
    assert.equal(fused.weights, null, 'the fused path returns no weights');
    compare('output', fused.out, composed.out);
    fused.grads.forEach((g, i) => compare(`grad ${['q', 'k', 'v'][i]}`, g, composed.grads[i]));
  });
}

test('fused attention: a query with no visible key gets zero output and zero gradients, never NaN', () => {
  const q = A.randn([1, 3, 4], { dtype: 'float64', generator: gen, requiresGrad: true });
  const k = A.randn([1, 3, 4], { dtype: 'float64', generator: gen, requiresGrad: true });
  const v = A.randn([1, 3, 2], { dtype: 'float64', generator: gen, requiresGrad: true });
  const pad = A.tensor([[true, true, true]], undefined, { dtype: 'bool' });
  const out = A.scaledDotProductAttention(q, k, v, { keyPaddingMask: pad });
  assert.ok(Array.from(out.data).every((x) => x === 0));
  A.sum(out).backward();
  for (const t of [q, k, v]) assert.ok(Array.from(t.grad!.data).every((x) => x === 0));
});

test('fused attention passes the finite-difference check with causal and padding masks', () => {
  const pad = A.tensor(
    [
      [false, false, true, false],
      [true, false, false, false],
    ],
    undefined,
    { dtype: 'bool' },
  );
  const x = (shape: number[]) => A.randn(shape, { dtype: 'float64', generator: gen, requiresGrad: true });
  const r = A.gradcheck(
    (q, k, v) => A.scaledDotProductAttention(q, k, v, { causalOffset: 1, keyPaddingMask: pad }),
    [x([2, 2, 3, 4]), x([2, 2, 4, 4]), x([2, 2, 4, 3])],
  );
  assert.ok(r.ok, JSON.stringify(r.worst));
});

test('MultiheadAttention with needWeights false returns no weights and the same output', () => {
  const mha = new A.nn.MultiheadAttention(8, 2, { dtype: 'float64', generator: gen });
  const x = A.randn([2, 5, 8], { dtype: 'float64', generator: gen });
  const a = mha.forward(x, x, x, { isCausal: true, needWeights: false });
  const b = mha.forward(x, x, x, { isCausal: true });
  assert.equal(a.weights, null);
  compare('output', a.output, b.output);
});
