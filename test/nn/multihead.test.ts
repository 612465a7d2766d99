import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as A from '../../src/index.js';
import { nn } from '../../src/index.js';

const gen = new A.Generator(3);

test('incremental decoding with a key/value cache equals full causal self-attention', () => {
  const mha = new nn.MultiheadAttention(8, 2, { generator: gen, dtype: 'float64' });
  const x = A.randn([2, 5, 8], { dtype: 'float64', generator: gen });
  const full = mha.forward(x, x, x, { isCausal: true }).output; // [2, 5, 8]
  const cache = mha.createCache();
  for (let t = 0; t < 5; t++) {
    const xt = A.slice(x, 1, t, t + 1); // [2, 1, 8]
    const step = mha.forward(xt, xt, xt, { isCausal: true, cache }).output;
    const want = A.slice(full, 1, t, t + 1);
    assert.ok(
      Array.from(step.data).every((v, i) => Math.abs(v - want.data[i]) < 1e-12),
      `step ${t}`,
    );
  }
  assert.deepEqual(cache.key!.shape, [2, 2, 5, 4]);
});

test('grouped-query attention: shared key/value heads equal standard heads with those weights repeated', () => {
  const [E, h, hkv] = [8, 4, 2];
  const d = E / h;
  const gqa = new nn.MultiheadAttention(E, h, { numKeyValueHeads: hkv, generator: gen, dtype: 'float64' });
  assert.deepEqual(gqa.k_proj_weight!.shape, [hkv * d, E]);
  assert.deepEqual(gqa.in_proj_bias!.shape, [E + 2 * hkv * d]);
  // the equivalent full model: each kv head's rows copied to the h/hkv query heads it serves
  const full = new nn.MultiheadAttention(E, h, { kdim: E, vdim: E, generator: gen, dtype: 'float64' });
  const repeatRows = (w: A.Tensor) =>
    A.reshape(A.expand(A.unsqueeze(A.reshape(w, [hkv, d, -1]), 1), [hkv, h / hkv, d, w.shape[1]]), [E, -1]);
  const bias = gqa.in_proj_bias!;
  const bk = A.slice(bias, 0, E, E + hkv * d);
  const bv = A.slice(bias, 0, E + hkv * d);
  const rep1 = (b: A.Tensor) => A.reshape(A.expand(A.unsqueeze(A.reshape(b, [hkv, d]), 1), [hkv, h / hkv, d]), [E]);
  full.loadStateDict({
    in_proj_weight: A.concat([gqa.q_proj_weight!, repeatRows(gqa.k_proj_weight!), repeatRows(gqa.v_proj_weight!)], 0),
    in_proj_bias: A.concat([A.slice(bias, 0, 0, E), rep1(bk), rep1(bv)], 0),
    'out_proj.weight': gqa.out_proj.weight,
    'out_proj.bias': gqa.out_proj.bias!,
  });
  const q = A.randn([2, 3, E], { dtype: 'float64', generator: gen });
  const kv = A.randn([2, 5, E], { dtype: 'float64', generator: gen });
  const a = gqa.forward(q, kv, kv).output;
  const b = full.forward(q, kv, kv).output;
  assert.ok(Array.from(a.data).every((v, i) => Math.abs(v - b.data[i]) < 1e-12));
  const mqa = new nn.MultiheadAttention(E, h, { numKeyValueHeads: 1 });
  assert.deepEqual(mqa.v_proj_weight!.shape, [d, E]);
});

test('needWeights false returns no weights; bad shapes name the argument', () => {
  const mha = new nn.MultiheadAttention(4, 2);
  const x = A.randn([1, 3, 4]);
  assert.equal(mha.forward(x, x, x, { needWeights: false }).weights, null);
  assert.throws(
    () => mha.forward(A.randn([1, 3, 5]), x, x),
    /MultiheadAttention: query must be \[B, len, 4\] \(batch first\), received \[1, 3, 5\]/,
  );
  assert.throws(() => new nn.MultiheadAttention(6, 4), /embedDim \(6\) must be divisible by numHeads \(4\)/);
  assert.throws(
    () => new nn.MultiheadAttention(8, 4, { numKeyValueHeads: 3 }),
    /numKeyValueHeads \(3\) must divide numHeads \(4\)/,
  );
});
