// attention() through the WebAssembly fused kernel (float32, installed as the backend) against the
// composed path on the same backend: output and the gradients of query, key and value.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as A from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { kernels, setKernels } from '../../src/kernels/registry.js';
import { referenceKernels } from '../../src/kernels/reference/index.js';
import { createWasmKernels } from '../../src/kernels/wasm/index.js';

const before = kernels();
after(() => setKernels(before));

/**
 * float32 on both paths, summed in different orders (tiles and an online softmax against GEMMs
 * and a row softmax): measured differences ≤ 4.1e-7 of the largest value; 1e-5 leaves a wide margin
 * and still catches any masking or scaling error (those move values by 1e-2 and more).
 */
const TOL = 1e-5;

function compare(what: string, got: Tensor, want: Tensor) {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  const top = Array.from(want.data).reduce((a, x) => Math.max(a, Math.abs(x)), 0);
  for (let i = 0; i < want.size; i++) {
    assert.ok(
      Math.abs(got.data[i] - want.data[i]) <= TOL * (1 + top),
      `${what}[${i}]: fused ${got.data[i]} vs composed ${want.data[i]}`,
    );
  }
}

const cases: { name: string; B: number; h: number; n: number; m: number; d: number; opts: A.AttentionOptions }[] = [
  { name: 'heads, padding, odd sizes', B: 2, h: 3, n: 13, m: 19, d: 8, opts: {} },
  { name: 'causal with padding', B: 2, h: 2, n: 33, m: 33, d: 16, opts: { causal: true } },
  {
    name: 'causal with a cache offset, dot score',
    B: 1,
    h: 2,
    n: 5,
    m: 140,
    d: 12,
    opts: { causal: { offset: 135 }, score: 'dot' },
  },
];

for (const c of cases) {
  test(`attention with the wasm backend: fused equals composed (float32): ${c.name}`, () => {
    setKernels(createWasmKernels({ smallFallback: false })!);
    assert.notEqual(
      kernels().attentionForward,
      referenceKernels.attentionForward,
      'the wasm fused kernel is installed',
    );
    const gen = new A.Generator(31);
    const shape = (len: number) => [c.B, c.h, len, c.d];
    const [q, k, v] = [shape(c.n), shape(c.m), shape(c.m)].map((s) => A.randn(s, { generator: gen }));
    const up = A.randn(shape(c.n), { generator: gen });
    // batch 0 hides its last key, batch 1 its first two
    const pad = A.tensor(
      Array.from({ length: c.B * c.m }, (_, i) => (i < c.m ? i === c.m - 1 : i - c.m < 2)),
      [c.B, c.m],
      { dtype: 'bool' },
    );
    const run = (fused: boolean) => {
      const [qq, kk, vv] = [q, k, v].map((t) => A.tensor(t.data.slice(), t.shape, { requiresGrad: true }));
      const r = A.attention(qq, kk, vv, { ...c.opts, keyPaddingMask: pad, needWeights: !fused, fused });
      A.sum(A.mul(r.output, up)).backward();
      return { out: r.output, weights: r.weights, grads: [qq.grad!, kk.grad!, vv.grad!] };
    };
    const fused = run(true);
    const composed = run(false);
    assert.equal(fused.weights, null);
    compare('output', fused.out, composed.out);
    fused.grads.forEach((g, i) => compare(`grad ${['q', 'k', 'v'][i]}`, g, composed.grads[i]));
  });
}
