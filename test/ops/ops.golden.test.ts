// Every op against PyTorch (tools/golden/gen_ops.py): the same call on the same float64
// inputs gives the same output, and backpropagating the same upstream gradient from every
// float output gives the same gradient for every differentiable input.
// The fixture stores each op's options under our names; RUNNERS turns them into our call.
//
// Known differences kept out of the fixture (see gen_ops.py):
// - max/min over ALL axes with ties: torch.max(x) splits the gradient evenly among the tied
//   maxima; ours gives all of it to the first (as torch.max(x, dim) does). Cases use no ties.
// - softmax over an all −∞ slice: ours is 0 (documented), torch's is NaN.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as A from '../../src/index.js';
import type { DType, Tensor } from '../../src/index.js';

/** float64 on both sides; only summation order and libm differ. */
const TOL = { rtol: 1e-10, atol: 1e-12 };

type Num = number | boolean | 'inf' | '-inf' | 'nan';
interface T {
  shape: number[];
  data: Num[];
  dtype: string;
}
type Attrs = Record<string, unknown>;
interface Case {
  name: string;
  op: string;
  inputs: Record<string, T>;
  noGrad: string[];
  attrs: Attrs;
  outputs: T[];
  upstreams: (T | null)[];
  grads: Record<string, T>;
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/golden/ops.json', import.meta.url), 'utf8')) as {
  torch: string;
  cases: Case[];
};

const DTYPES: Record<string, DType> = {
  float64: 'float64',
  float32: 'float32',
  bool: 'bool',
  int64: 'int32',
  int32: 'int32',
};
const num = (v: Num): number =>
  v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v === 'nan' ? NaN : typeof v === 'boolean' ? Number(v) : v;
const load = (x: T, requiresGrad = false): Tensor =>
  A.tensor(x.data.map(num), x.shape, {
    dtype: DTYPES[x.dtype],
    requiresGrad: requiresGrad && x.dtype.startsWith('float'),
  });

function close(what: string, got: Tensor, want: T): void {
  assert.deepEqual([...got.shape], want.shape, `${what}: shape`);
  const exact = !want.dtype.startsWith('float');
  if (exact) assert.equal(got.dtype, DTYPES[want.dtype], `${what}: dtype`);
  want.data.forEach((wRaw, i) => {
    const w = num(wRaw);
    const g = got.data[i];
    if (exact || !Number.isFinite(w)) {
      assert.ok(Object.is(g, w) || g === w, `${what}[${i}]: ours ${g}, torch ${w}`);
    } else {
      assert.ok(Math.abs(g - w) <= TOL.atol + TOL.rtol * Math.abs(w), `${what}[${i}]: ours ${g}, torch ${w}`);
    }
  });
}

type In = Record<string, Tensor>;
type Runner = (i: In, a: Attrs) => Tensor | Tensor[];

// JSON has no undefined: null stands for "option left out"
const opt = <V>(v: unknown): V | undefined => (v === null ? undefined : (v as V));
const numOrTensor = (i: In, a: Attrs, k: string): Tensor | number => i[k] ?? num(a[k] as Num);
const ordered = (i: In) =>
  Object.keys(i)
    .filter((k) => /^t\d+$/.test(k))
    .sort((x, y) => Number(x.slice(1)) - Number(y.slice(1)))
    .map((k) => i[k]);

const binary =
  (f: (a: Tensor, b: Tensor | number) => Tensor): Runner =>
  (i, a) =>
    f(i.a, numOrTensor(i, a, 'b'));
const unary =
  (f: (x: Tensor) => Tensor): Runner =>
  (i) =>
    f(i.x);
const reduce =
  (f: (x: Tensor, axis: number | number[] | undefined, keepdim: boolean) => Tensor): Runner =>
  (i, a) =>
    f(i.x, opt(a.axis), a.keepdim as boolean);

const RUNNERS: Record<string, Runner> = {
  add: binary(A.add),
  sub: binary(A.sub),
  mul: binary(A.mul),
  div: binary(A.div),
  pow: binary(A.pow),
  eq: binary(A.eq),
  ne: binary(A.ne),
  lt: binary(A.lt),
  le: binary(A.le),
  gt: binary(A.gt),
  ge: binary(A.ge),
  logicalAnd: binary(A.logicalAnd),
  logicalOr: binary(A.logicalOr),
  logicalNot: unary(A.logicalNot),
  neg: unary(A.neg),
  exp: unary(A.exp),
  log: unary(A.log),
  sqrt: unary(A.sqrt),
  abs: unary(A.abs),
  tanh: unary(A.tanh),
  sigmoid: unary(A.sigmoid),
  relu: unary(A.relu),
  clone: unary(A.clone),
  gelu: (i, a) => A.gelu(i.x, a.approximate as 'none' | 'tanh'),
  clamp: (i, a) => A.clamp(i.x, a.min as number | null, a.max as number | null),
  where: (i, a) => A.where(i.cond, numOrTensor(i, a, 'a'), numOrTensor(i, a, 'b')),
  maskedFill: (i, a) => A.maskedFill(i.x, i.mask, num(a.value as Num)),
  matmul: (i) => A.matmul(i.a, i.b),
  linear: (i) => A.linear(i.x, i.weight, i.bias),
  sum: reduce((x, axis, keepdim) => A.sum(x, axis, keepdim)),
  mean: reduce((x, axis, keepdim) => A.mean(x, axis, keepdim)),
  max: reduce((x, axis, keepdim) => A.max(x, axis as number | undefined, keepdim)),
  min: reduce((x, axis, keepdim) => A.min(x, axis as number | undefined, keepdim)),
  argmax: reduce((x, axis, keepdim) => A.argmax(x, axis as number | undefined, keepdim)),
  argmin: reduce((x, axis, keepdim) => A.argmin(x, axis as number | undefined, keepdim)),
  logSumExp: (i, a) => A.logSumExp(i.x, a.axis as number | number[], a.keepdim as boolean),
  softmax: (i, a) => A.softmax(i.x, a.axis as number),
  logSoftmax: (i, a) => A.logSoftmax(i.x, a.axis as number),
  reshape: (i, a) => A.reshape(i.x, a.shape as number[]),
  flatten: (i, a) => A.flatten(i.x, a.start as number, a.end as number),
  permute: (i, a) => A.permute(i.x, a.axes as number[]),
  transpose: (i, a) => A.transpose(i.x, a.axis0 as number, a.axis1 as number),
  expand: (i, a) => A.expand(i.x, a.shape as number[]),
  slice: (i, a) => A.slice(i.x, a.axis as number, a.start as number, opt(a.end), a.step as number),
  select: (i, a) => A.select(i.x, a.axis as number, a.index as number),
  squeeze: (i, a) => A.squeeze(i.x, opt(a.axis)),
  unsqueeze: (i, a) => A.unsqueeze(i.x, a.axis as number),
  concat: (i, a) => A.concat(ordered(i), a.axis as number),
  stack: (i, a) => A.stack(ordered(i), a.axis as number),
  split: (i, a) => A.split(i.x, a.sizes as number | number[], a.axis as number),
  pad: (i, a) => A.pad(i.x, a.pads as number[], a.value as number),
  cast: (i, a) => A.cast(i.x, a.dtype as DType),
  arange: (_i, a) => A.arange(a.start as number, a.end as number, a.step as number, { dtype: a.dtype as DType }),
  gather: (i, a) => A.gather(i.x, a.axis as number, i.index),
  scatterAdd: (i, a) => A.scatterAdd(i.x, a.axis as number, i.index, i.src),
  indexSelect: (i, a) => A.indexSelect(i.x, a.axis as number, i.index),
  embedding: (i, a) => A.embedding(i.weight, i.indices, a.paddingIdx as number | null),
  windows: (i, a) => A.windows(i.x, i.start, a.width as number),
  layerNorm: (i, a) => A.layerNorm(i.x, a.normalizedShape as number[], i.weight, i.bias, a.eps as number),
  dropout: (i, a) => A.dropout(i.x, a.p as number, a.training as boolean),
  crossEntropy: (i, a) => A.crossEntropy(i.logits, i.target, a.options as A.CrossEntropyOptions),
  nllLoss: (i, a) => A.nllLoss(i.logProbs, i.target, a.options as { ignoreIndex?: number; reduction?: A.Reduction }),
  mse: (i, a) => A.mse(i.a, i.b, a.reduction as A.Reduction),
  conv2d: (i, a) => A.conv2d(i.x, i.weight, i.bias, a.options as A.Conv2dOptions),
  maxPool2d: (i, a) => A.maxPool2d(i.x, a.kernelSize as number | [number, number], a.options as A.Conv2dOptions),
  scaledDotProductAttention: (i, a) => {
    const o = { ...(a.options as Attrs) };
    if (typeof o.keyPaddingMask === 'string') o.keyPaddingMask = i[o.keyPaddingMask];
    return A.scaledDotProductAttention(i.q, i.k, i.v, o as A.SdpaOptions);
  },
};

test(`the fixture covers every op with a runner (torch ${fixture.torch})`, () => {
  const used = new Set(fixture.cases.map((c) => c.op));
  assert.deepEqual([...used].sort(), Object.keys(RUNNERS).sort());
  assert.ok(fixture.cases.length >= 200, `only ${fixture.cases.length} cases`);
});

for (const c of fixture.cases) {
  test(`${c.op}: ${c.name} matches PyTorch`, () => {
    const run = RUNNERS[c.op];
    assert.ok(run, `no runner for op ${c.op}`);
    const inputs: In = Object.fromEntries(
      Object.entries(c.inputs).map(([k, v]) => [k, load(v, !c.noGrad.includes(k))]),
    );
    const result = run(inputs, c.attrs);
    const outs = Array.isArray(result) ? result : [result];
    assert.equal(outs.length, c.outputs.length, 'number of outputs');
    outs.forEach((o, k) => close(`output ${k}`, o, c.outputs[k]));
    const wanted = Object.entries(c.grads);
    if (wanted.length === 0) return; // forward-only op (comparisons, argmax, …)
    // backpropagate Σ_k sum(output_k · upstream_k), as the script did
    let loss: Tensor | null = null;
    outs.forEach((o, k) => {
      const up = c.upstreams[k];
      if (!up) return;
      const term = A.sum(A.mul(o, load(up)));
      loss = loss ? A.add(loss, term) : term;
    });
    assert.ok(loss, 'no float output to backpropagate from');
    (loss as Tensor).backward();
    for (const [k, want] of wanted) {
      // an input the output does not reach has no grad here and a zero grad in the fixture
      const g = inputs[k].grad ?? A.zerosLike(inputs[k]);
      close(`grad of ${k}`, g, want);
    }
  });
}
