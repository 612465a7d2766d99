// The specialised loops behind the hot ops, each against the plain composition it replaces.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keepMask, threefry2x32, xoshiroFill } from '../../src/kernels/reference/random.js';
import * as A from '../../src/index.js';

test('Generator.fillUint32 continues the nextUint32 stream exactly', () => {
  const a = new A.Generator(11);
  const b = new A.Generator(11);
  a.uniform(); // start mid-stream
  b.uniform();
  const bulk = a.fillUint32(new Uint32Array(1000));
  for (let i = 0; i < bulk.length; i++) assert.equal(bulk[i], b.nextUint32(), `value ${i}`);
  assert.equal(a.nextUint32(), b.nextUint32(), 'the state after the fill');
});

test('threefry2x32 gives the known-answer vectors of Random123 (threefry2x32_20) and JAX', () => {
  const out = new Uint32Array(2);
  // [counter 0, counter 1, key 0, key 1] → [word 0, word 1], from Random123's kat_vectors
  const vectors = [
    [
      [0, 0, 0, 0],
      [0x6b200159, 0x99ba4efe],
    ],
    [
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
      [0x1cb996fc, 0xbb002be7],
    ],
    [
      [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
      [0xc4923a9c, 0x483df7a0],
    ],
  ];
  for (const [[c0, c1, k0, k1], want] of vectors) {
    threefry2x32(out, 0, k0, k1, c0, c1);
    assert.deepEqual([...out], want, `counter ${c0.toString(16)} ${c1.toString(16)}`);
  }
});

test('keepMask: word i mod 2 of Threefry block ⌊i/2⌋ under a key of two stream words; the stream moves by 2', () => {
  const state = new Uint32Array([1, 2, 3, 4]);
  const stream = state.slice();
  const key = new Uint32Array(2);
  xoshiroFill(key, stream);
  const keep = new Uint8Array(1001);
  keepMask(keep, state, 0.25);
  assert.deepEqual(state, stream, 'the state advances by two draws, whatever n is');
  const block = new Uint32Array(2);
  for (let i = 0; i < keep.length; i++) {
    threefry2x32(block, 0, key[0], key[1], i >> 1, 0);
    assert.equal(keep[i], block[i & 1] >= 0.25 * 2 ** 32 ? 1 : 0, `element ${i}`);
  }
  // the rate and the independence of neighbours (word 0 and word 1 of a block, and the blocks)
  const big = new Uint8Array(400_000);
  keepMask(big, state, 0.3);
  let kept = 0;
  let pairs = 0;
  for (let i = 0; i < big.length; i++) kept += big[i];
  for (let i = 0; i + 1 < big.length; i++) pairs += big[i] & big[i + 1];
  assert.ok(Math.abs(kept / big.length - 0.7) < 0.005, `keep rate ${kept / big.length}`);
  assert.ok(Math.abs(pairs / (big.length - 1) - 0.49) < 0.005, `both of two neighbours kept: ${pairs / big.length}`);
});

test('dropout: same seed, same mask; rate near p; survivors scaled by 1/(1 − p); gradient through the mask', () => {
  const x = A.ones([200, 50]).requiresGrad_();
  const y1 = A.dropout(x, 0.3, true, new A.Generator(5));
  const y2 = A.dropout(x, 0.3, true, new A.Generator(5));
  assert.deepEqual(y1.data, y2.data);
  let zeros = 0;
  for (const v of y1.data) {
    if (v === 0) zeros++;
    else assert.ok(Math.abs(v - 1 / 0.7) < 1e-6);
  }
  assert.ok(Math.abs(zeros / y1.size - 0.3) < 0.02, `drop rate ${zeros / y1.size}`);
  A.sum(A.mul(y1, 2)).backward();
  for (let i = 0; i < x.size; i++) assert.ok(Math.abs(x.grad!.data[i] - 2 * y1.data[i]) < 1e-6);
  assert.ok(A.dropout(x, 1, true).data.every((v) => v === 0));
});

test('unary ops match their Math functions, forward and backward', () => {
  const x = A.tensor([-3, -0.5, 0, 0.25, 2, 40, -40], [7], { dtype: 'float64' });
  const cases: [string, (t: A.Tensor) => A.Tensor, (v: number) => number, (v: number) => number][] = [
    ['exp', A.exp, Math.exp, Math.exp],
    ['tanh', A.tanh, Math.tanh, (v) => 1 - Math.tanh(v) ** 2],
    ['sigmoid', A.sigmoid, (v) => 1 / (1 + Math.exp(-v)), (v) => Math.exp(-v) / (1 + Math.exp(-v)) ** 2],
    ['relu', A.relu, (v) => Math.max(v, 0), (v) => (v > 0 ? 1 : 0)],
    ['neg', A.neg, (v) => -v, () => -1],
  ];
  for (const [name, f, ref, dref] of cases) {
    const t = A.tensor(Array.from(x.data), [7], { dtype: 'float64' }).requiresGrad_();
    const y = f(t);
    A.sum(y).backward();
    for (let i = 0; i < 7; i++) {
      const v = x.data[i];
      assert.ok(Math.abs(y.data[i] - ref(v)) <= 1e-12 * (1 + Math.abs(ref(v))), `${name}(${v})`);
      assert.ok(Math.abs(t.grad!.data[i] - dref(v)) <= 1e-12 * (1 + Math.abs(dref(v))), `${name}'(${v})`);
    }
  }
});

test('broadcast arithmetic off the fast patterns matches an explicit loop', () => {
  const a = A.randn([3, 1, 4], { generator: new A.Generator(1) });
  const b = A.randn([1, 5, 1], { generator: new A.Generator(2) });
  for (const [op, f] of [
    [A.add, (u: number, v: number) => u + v],
    [A.sub, (u: number, v: number) => u - v],
    [A.mul, (u: number, v: number) => u * v],
    [A.div, (u: number, v: number) => u / v],
  ] as const) {
    const y = op(a, b);
    assert.deepEqual(y.shape, [3, 5, 4]);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 5; j++)
        for (let k = 0; k < 4; k++)
          assert.equal(y.data[(i * 5 + j) * 4 + k], Math.fround(f(a.data[i * 4 + k], b.data[j])));
  }
});

test('a gradient reaching a tensor by three paths is summed without touching the gradients ops passed through', () => {
  // y = x + x + x·x: add passes its incoming gradient on to both inputs; the sums must be new
  const x = A.tensor([1, 2, 3], [3], { dtype: 'float64' }).requiresGrad_();
  const s = A.add(x, x); // both inputs get the same gradient tensor
  const y = A.add(A.add(s, A.mul(x, x)), s);
  A.sum(y).backward();
  assert.deepEqual(Array.from(x.grad!.data), [1 * 4 + 2, 2 * 2 + 4, 3 * 2 + 4]);
});

test('matmulT is matmul against the transpose, values and gradients, with broadcast batches', () => {
  const g = new A.Generator(9);
  const a = A.randn([2, 3, 4, 5], { dtype: 'float64', generator: g }).requiresGrad_();
  const b = A.randn([3, 6, 5], { dtype: 'float64', generator: g }).requiresGrad_();
  const r = A.gradcheck((x, y) => A.matmulT(x, y), [a, b]);
  assert.ok(r.ok, JSON.stringify(r.worst));
  const w = A.randn([2, 3, 4, 6], { dtype: 'float64', generator: g });
  const run = (f: () => A.Tensor) => {
    a.grad = b.grad = null;
    const y = f();
    A.sum(A.mul(y, w)).backward();
    return [y, a.grad!, b.grad!].map((t) => Array.from(t.data));
  };
  const fused = run(() => A.matmulT(a, b));
  const composed = run(() => A.matmul(a, A.transpose(b, -2, -1)));
  fused.forEach((u, k) => u.forEach((v, i) => assert.ok(Math.abs(v - composed[k][i]) < 1e-12, `${k}[${i}]`)));
});

test('where reads broadcast operands in place: scalar, row mask and full tensor', () => {
  const cond = A.tensor([true, false, true], [1, 1, 3], { dtype: 'bool' });
  const a = A.arange(0, 6, 1, { dtype: 'float32' }).reshape(2, 1, 3);
  const y = A.where(cond, a, -1); // [2, 1, 3]
  assert.deepEqual(Array.from(y.data), [0, -1, 2, 3, -1, 5]);
  const z = A.where(A.tensor([true, false], [2, 1], { dtype: 'bool' }), A.ones([2, 2]), A.zeros([2]));
  assert.deepEqual(Array.from(z.data), [1, 1, 0, 0]);
});

test('reluDropout is dropout(relu(x)) with the same stream: values and gradients; gradcheck', async () => {
  const { reluDropout } = await import('../../src/ops/fused.js');
  const x = A.randn([7, 9], { dtype: 'float64', generator: new A.Generator(4) }).requiresGrad_();
  const w = A.randn([7, 9], { dtype: 'float64', generator: new A.Generator(8) });
  const run = (f: () => A.Tensor) => {
    x.grad = null;
    const y = f();
    A.sum(A.mul(y, w)).backward();
    return [Array.from(y.data), Array.from(x.grad!.data)];
  };
  const fused = run(() => reluDropout(x, 0.3, true, new A.Generator(2)));
  const composed = run(() => A.dropout(A.relu(x), 0.3, true, new A.Generator(2)));
  assert.deepEqual(fused, composed);
  assert.deepEqual(Array.from(reluDropout(x, 0.3, false).data), Array.from(A.relu(x).data), 'eval mode: relu only');
  const r = A.gradcheck((t) => reluDropout(t, 0.3, true, new A.Generator(2)), [x]);
  assert.ok(r.ok, JSON.stringify(r.worst));
  // float32 (the branch-free path), special values included
  const values = [NaN, 0, -0, -1, 2, Infinity, -Infinity, ...Array.from(x.data)];
  const x32 = A.tensor(values, [values.length], { dtype: 'float32' }).requiresGrad_();
  const up = A.randn([values.length], { generator: new A.Generator(6) });
  const run32 = (f: () => A.Tensor) => {
    x32.grad = null;
    const y = f();
    y.backward(up);
    return [Array.from(y.data), Array.from(x32.grad!.data)];
  };
  const f32 = run32(() => reluDropout(x32, 0.3, true, new A.Generator(2)));
  const c32 = run32(() => A.dropout(A.relu(x32), 0.3, true, new A.Generator(2)));
  f32.forEach((u, k) => u.forEach((v, i) => assert.ok(Object.is(v, c32[k][i]), `${k}[${i}]: ${v} vs ${c32[k][i]}`)));
});

test('float32 relu (branch-free on the bits) is v < 0 ? 0 : v exactly, and its gradient passes where not x <= 0', () => {
  const special = [NaN, -NaN, 0, -0, 1, -1, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38, -3.4e38, 0.5, -0.5];
  const values = [...special, ...Array.from(A.randn([200], { generator: new A.Generator(3) }).data)];
  const x = A.tensor(values, [values.length], { dtype: 'float32' }).requiresGrad_();
  const y = A.relu(x);
  const up = A.full([values.length], 3, { dtype: 'float32' });
  y.backward(up);
  for (let i = 0; i < values.length; i++) {
    const v = x.data[i];
    assert.ok(Object.is(y.data[i], v < 0 ? 0 : v), `relu(${v}) = ${y.data[i]}`);
    assert.ok(Object.is(x.grad!.data[i], 3 * (v <= 0 ? 0 : 1)), `relu'(${v}) = ${x.grad!.data[i]}`);
  }
});

test('gradients summed in place over many uses (linear, matmul, slice) equal the sum of each use alone', () => {
  const g = new A.Generator(12);
  const r = (shape: number[]) => A.randn(shape, { dtype: 'float64', generator: g });
  const w = r([4, 3]).requiresGrad_();
  const b = r([4]).requiresGrad_();
  const m = r([2, 3, 5]).requiresGrad_(); // a batched matrix used as the right operand each step
  const xs = [r([2, 3]), r([2, 3]), r([2, 3]), r([2, 3])];
  const qs = [r([2, 1, 3]), r([2, 1, 3]), r([2, 1, 3]), r([2, 1, 3])];
  const step = (k: number) =>
    A.add(A.sum(A.mul(A.linear(xs[k], w, b), k + 1)), A.sum(A.matmul(qs[k], A.slice(m, 2, k, k + 2))));
  const grads = () => [w, b, m].map((t) => Array.from(t.grad!.data));
  [w, b, m].forEach((t) => (t.grad = null));
  A.add(A.add(step(0), step(1)), A.add(step(2), step(3))).backward(); // one graph: sums built in place
  const together = grads();
  const alone = [w, b, m].map((t) => new Array<number>(t.size).fill(0));
  for (let k = 0; k < 4; k++) {
    [w, b, m].forEach((t) => (t.grad = null));
    step(k).backward();
    grads().forEach((gr, i) => gr.forEach((v, j) => (alone[i][j] += v)));
  }
  together.forEach((gr, i) => gr.forEach((v, j) => assert.ok(Math.abs(v - alone[i][j]) < 1e-12, `${i}[${j}]`)));
});
