import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as A from '../../src/index.js';
import { allocate, poolStats, recycle, setPoolCapacity, sizeClass } from '../../src/tensor/pool.js';

const F = A;
const DEFAULT_CAPACITY = poolStats().capacity;

test('size classes: four per power of two, never smaller than asked and at most a quarter larger', () => {
  assert.deepEqual(
    [1, 4096, 4097, 5120, 5121, 8191, 8192, 8193].map(sizeClass),
    [4096, 4096, 5120, 5120, 6144, 8192, 8192, 10240],
  );
  const g = new A.Generator(3);
  for (let i = 0; i < 2000; i++) {
    const bytes = 4097 + Math.floor(g.uniform() * 1e8);
    const cls = sizeClass(bytes);
    assert.ok(cls >= bytes && cls <= 1.25 * bytes, `${bytes} → ${cls}`);
    assert.equal(sizeClass(cls), cls, `a class is its own class (${cls})`);
  }
});

test('a recycled array comes back zeroed, for a smaller request of the same or a nearby class', () => {
  const a = allocate('float32', 3000) as Float32Array;
  a.fill(7);
  recycle([a.buffer as ArrayBuffer]);
  const b = allocate('int32', 2000); // 8000 bytes: class 8192, two classes under a's 12,288
  assert.equal(b.buffer, a.buffer);
  assert.equal(b.length, 2000);
  assert.ok(b.every((x) => x === 0));
});

test('released storage is poisoned in the tests, so a use after release shows', () => {
  assert.equal(process.env.ATTEND_POOL_POISON, '1', 'scripts/run-tests.mjs sets ATTEND_POOL_POISON');
  const a = allocate('float32', 2048) as Float32Array;
  a.fill(1);
  recycle([a.buffer as ArrayBuffer]);
  assert.ok(Number.isNaN(a[0]) && Number.isNaN(a[2047]));
  allocate('float32', 2048); // take it back out, so later tests start from an emptier pool
});

test('a buffer recycled twice is held once, and capacity 0 holds nothing', () => {
  const a = allocate('float32', 5000);
  recycle([a.buffer as ArrayBuffer]);
  recycle([a.buffer as ArrayBuffer]);
  const b = allocate('float32', 5000);
  const c = allocate('float32', 5000);
  assert.equal(b.buffer, a.buffer);
  assert.notEqual(c.buffer, a.buffer);
  try {
    setPoolCapacity(0);
    assert.equal(poolStats().held, 0);
    recycle([c.buffer as ArrayBuffer]);
    assert.equal(poolStats().held, 0);
    assert.notEqual(allocate('float32', 5000).buffer, c.buffer);
  } finally {
    setPoolCapacity(DEFAULT_CAPACITY);
  }
});

/** A few Adam steps of a small Transformer layer; returns its final parameters. */
function train(releaseActivations: boolean, releaseGrads = false): Float32Array[] {
  const gen = new A.Generator(11);
  const layer = new A.nn.TransformerEncoderLayer(32, 4, {
    dimFeedforward: 64,
    dropout: 0.1,
    normFirst: true,
    generator: gen,
  });
  const head = new A.nn.Linear(32, 5, { generator: gen });
  const params = [...layer.parameters(), ...head.parameters()];
  const opt = new A.Adam(params, { lr: 1e-2 });
  for (let step = 0; step < 6; step++) {
    const T = 20 + 7 * step; // lengths vary, as bucketed batches do
    const x = F.randn([3, T, 32], { generator: gen });
    const target = F.randint(0, 5, [3, T], { generator: gen });
    const loss = F.crossEntropy(head.forward(layer.forward(x)).reshape([3 * T, 5]), target.reshape([3 * T]));
    opt.zeroGrad({ release: releaseGrads });
    loss.backward(undefined, { releaseActivations });
    opt.step();
    assert.ok(Number.isFinite(loss.item()), 'the loss is readable after the backward');
  }
  return params.map((p) => Float32Array.from(p.data as Float32Array));
}

test('training with recycled gradients and activations gives bit-identical weights to training without the pool', () => {
  const pooled = train(true, true);
  const plain = (() => {
    setPoolCapacity(0);
    try {
      return train(false);
    } finally {
      setPoolCapacity(DEFAULT_CAPACITY);
    }
  })();
  assert.ok(poolStats().reused > 0);
  pooled.forEach((p, i) => assert.deepEqual(p, plain[i], `parameter ${i}`));
});

test('zeroGrad({ release: true }) hands the gradients to the pool, and the next backward takes no new storage', () => {
  const w = A.randn([40, 50], { generator: new A.Generator(3) }).requiresGrad_(); // 8,000 bytes: pooled
  const opt = new A.SGD([w], { lr: 0.1 });
  F.sum(F.mul(w, w)).backward();
  const held = poolStats().held;
  opt.zeroGrad(); // without release the storage is left to the collector
  assert.equal(poolStats().held, held);
  F.sum(F.mul(w, w)).backward();
  const size = w.grad!.data.buffer.byteLength;
  opt.zeroGrad({ release: true });
  assert.equal(w.grad, null);
  assert.equal(poolStats().held, held + size, 'the gradient storage is in the pool');
  const before = poolStats();
  F.sum(F.mul(w, 3)).backward();
  assert.equal(poolStats().fresh, before.fresh, 'no new storage for the next backward');
  assert.ok(
    Array.from(w.grad!.data).every((v) => v === 3),
    'and the new gradient is whole (the pool poisons what it holds)',
  );
});

test('after releaseActivations the leaves keep their values and gradients, a parameter view included', () => {
  const gen = new A.Generator(5);
  const w = F.randn([40, 30], { generator: gen }).requiresGrad_(); // a leaf
  const x = F.randn([50, 40], { generator: gen });
  const y = F.tanh(F.matmul(x, w.reshape([40, 30]))); // reshape: a view of w's storage in the graph
  F.sum(F.mul(y, y)).backward(undefined, { releaseActivations: true });
  const value = Float32Array.from(w.data as Float32Array);
  const grad = Float32Array.from(w.grad!.data as Float32Array);
  assert.ok(grad.some((g) => g !== 0));
  const taken = Array.from({ length: 200 }, () => (allocate('float32', 1200) as Float32Array).fill(9)); // drain the pool
  assert.deepEqual(w.data, value);
  assert.deepEqual(w.grad!.data, grad);
  assert.ok(taken.every((t) => t.buffer !== w.data.buffer && t.buffer !== w.grad!.data.buffer));
});

test('releaseActivations with retainGraph is refused, naming both', () => {
  const w = F.randn([3]).requiresGrad_();
  assert.throws(
    () => F.sum(F.mul(w, w)).backward(undefined, { retainGraph: true, releaseActivations: true }),
    /releaseActivations.*retainGraph/,
  );
});

test('two leaves that receive one gradient get one each: clipping scales each exactly once', () => {
  const a = F.ones([4]).requiresGrad_();
  const b = F.ones([4]).requiresGrad_();
  F.sum(F.mul(F.add(a, b), 3)).backward(); // add hands the same gradient to both inputs
  assert.notEqual(a.grad!.data.buffer, b.grad!.data.buffer);
  A.clipGradNorm([a, b], 1); // ‖g‖ = √(8 · 9) = √72
  const want = 3 / (Math.sqrt(72) + 1e-6);
  for (const p of [a, b]) for (const g of p.grad!.data) assert.ok(Math.abs(g - want) < 1e-6, `${g} vs ${want}`);
});
