// Every op against PyTorch (tools/golden/gen_ops.py): the same call on the same float64
// inputs gives the same output, and backpropagating the same upstream gradient from every
// float output gives the same gradient for every differentiable input.
// The fixture stores each op's options under our names; RUNNERS turns them into our call.
//
// Known differences kept out of the fixture (see gen_ops.py):
// - max/min over ALL axes with ties: torch.max(x) splits the gradient evenly among the tied
//   maxima; ours gives all of it to the first (as torch.max(x, dim) does). Cases use no ties.
// - softmax over an all −∞ slice (and an SDPA row with every key masked): ours is 0
//   (documented), torch's is NaN. crossEntropy 'mean' with every target ignored: 0 vs NaN.
// PyTorch's conventions at the edges are cases like any other (the last section of
// gen_ops.py): matmul(1-D, 1-D) is 0-d; reducing a 0-d tensor over axis 0 or −1 gives the
// value; clamp with min > max is max; logSumExp with a +∞ entry is +∞; a negative
// paddingIdx counts from the end; relu(NaN) is NaN with gradient 1; pow's exponent gradient
// at base 0 is −∞ for a negative exponent.
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
type Ops = typeof A;
type Runner = (F: Ops, i: In, a: Attrs) => Tensor | Tensor[];

// JSON has no undefined: null stands for "option left out"
const opt = <V>(v: unknown): V | undefined => (v === null ? undefined : (v as V));
const numOrTensor = (i: In, a: Attrs, k: string): Tensor | number => i[k] ?? num(a[k] as Num);
const ordered = (i: In) =>
  Object.keys(i)
    .filter((k) => /^t\d+$/.test(k))
    .sort((x, y) => Number(x.slice(1)) - Number(y.slice(1)))
    .map((k) => i[k]);

type BinaryName = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
const binary =
  (name: BinaryName | 'logicalAnd' | 'logicalOr'): Runner =>
  (F, i, a) =>
    (F[name] as (a: Tensor, b: Tensor | number) => Tensor)(i.a, numOrTensor(i, a, 'b'));
type UnaryName = 'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'tanh' | 'sigmoid' | 'relu' | 'clone' | 'logicalNot';
const unary =
  (name: UnaryName): Runner =>
  (F, i) =>
    F[name](i.x);
const reduce =
  (name: 'sum' | 'mean' | 'max' | 'min' | 'argmax' | 'argmin'): Runner =>
  (F, i, a) =>
    (F[name] as (x: Tensor, axis: number | number[] | undefined, keepdim: boolean) => Tensor)(
      i.x,
      opt(a.axis),
      a.keepdim as boolean,
    );

const RUNNERS: Record<string, Runner> = {
  add: binary('add'),
  sub: binary('sub'),
  mul: binary('mul'),
  div: binary('div'),
  pow: binary('pow'),
  eq: binary('eq'),
  ne: binary('ne'),
  lt: binary('lt'),
  le: binary('le'),
  gt: binary('gt'),
  ge: binary('ge'),
  logicalAnd: binary('logicalAnd'),
  logicalOr: binary('logicalOr'),
  logicalNot: unary('logicalNot'),
  neg: unary('neg'),
  exp: unary('exp'),
  log: unary('log'),
  sqrt: unary('sqrt'),
  abs: unary('abs'),
  tanh: unary('tanh'),
  sigmoid: unary('sigmoid'),
  relu: unary('relu'),
  clone: unary('clone'),
  erf: (F, i) => F.tensor(Array.from(i.x.data, A.erf), i.x.shape, { dtype: 'float64' }),
  sumTo: (F, i, a) => F.sumTo(i.x, a.shape as number[]),
  gelu: (F, i, a) => F.gelu(i.x, a.approximate as 'none' | 'tanh'),
  clamp: (F, i, a) => F.clamp(i.x, a.min as number | null, a.max as number | null),
  where: (F, i, a) => F.where(i.cond, numOrTensor(i, a, 'a'), numOrTensor(i, a, 'b')),
  maskedFill: (F, i, a) => F.maskedFill(i.x, i.mask, num(a.value as Num)),
  matmul: (F, i) => F.matmul(i.a, i.b),
  linear: (F, i) => F.linear(i.x, i.weight, i.bias),
  sum: reduce('sum'),
  mean: reduce('mean'),
  max: reduce('max'),
  min: reduce('min'),
  argmax: reduce('argmax'),
  argmin: reduce('argmin'),
  logSumExp: (F, i, a) => F.logSumExp(i.x, a.axis as number | number[], a.keepdim as boolean),
  softmax: (F, i, a) => F.softmax(i.x, a.axis as number),
  logSoftmax: (F, i, a) => F.logSoftmax(i.x, a.axis as number),
  reshape: (F, i, a) => F.reshape(i.x, a.shape as number[]),
  flatten: (F, i, a) => F.flatten(i.x, a.start as number, a.end as number),
  permute: (F, i, a) => F.permute(i.x, a.axes as number[]),
  transpose: (F, i, a) => F.transpose(i.x, a.axis0 as number, a.axis1 as number),
  expand: (F, i, a) => F.expand(i.x, a.shape as number[]),
  slice: (F, i, a) => F.slice(i.x, a.axis as number, a.start as number, opt(a.end), a.step as number),
  select: (F, i, a) => F.select(i.x, a.axis as number, a.index as number),
  squeeze: (F, i, a) => F.squeeze(i.x, opt(a.axis)),
  unsqueeze: (F, i, a) => F.unsqueeze(i.x, a.axis as number),
  concat: (F, i, a) => F.concat(ordered(i), a.axis as number),
  stack: (F, i, a) => F.stack(ordered(i), a.axis as number),
  split: (F, i, a) => F.split(i.x, a.sizes as number | number[], a.axis as number),
  pad: (F, i, a) => F.pad(i.x, a.pads as number[], a.value as number),
  cast: (F, i, a) => F.cast(i.x, a.dtype as DType),
  arange: (F, _i, a) => F.arange(a.start as number, a.end as number, a.step as number, { dtype: a.dtype as DType }),
  gather: (F, i, a) => F.gather(i.x, a.axis as number, i.index),
  scatterAdd: (F, i, a) => F.scatterAdd(i.x, a.axis as number, i.index, i.src),
  indexSelect: (F, i, a) => F.indexSelect(i.x, a.axis as number, i.index),
  embedding: (F, i, a) => F.embedding(i.weight, i.indices, a.paddingIdx as number | null),
  windows: (F, i, a) => F.windows(i.x, i.start, a.width as number),
  layerNorm: (F, i, a) => F.layerNorm(i.x, a.normalizedShape as number[], i.weight, i.bias, a.eps as number),
  dropout: (F, i, a) => F.dropout(i.x, a.p as number, a.training as boolean),
  crossEntropy: (F, i, a) => F.crossEntropy(i.logits, i.target, a.options as A.CrossEntropyOptions),
  nllLoss: (F, i, a) => F.nllLoss(i.logProbs, i.target, a.options as { ignoreIndex?: number; reduction?: A.Reduction }),
  mse: (F, i, a) => F.mse(i.a, i.b, a.reduction as A.Reduction),
  conv2d: (F, i, a) => F.conv2d(i.x, i.weight, i.bias, a.options as A.Conv2dOptions),
  maxPool2d: (F, i, a) => F.maxPool2d(i.x, a.kernelSize as number | [number, number], a.options as A.Conv2dOptions),
  scaledDotProductAttention: (F, i, a) => {
    const o = { ...(a.options as Attrs) };
    if (typeof o.keyPaddingMask === 'string') o.keyPaddingMask = i[o.keyPaddingMask];
    return F.scaledDotProductAttention(i.q, i.k, i.v, o as A.SdpaOptions);
  },
};

/**
 * The same namespace with every op that is also a Tensor method called through that method
 * (x.op(...rest) for op(x, ...rest)), so a method that passes its arguments on wrongly fails too.
 */
const METHOD_NAMES: Record<string, string> = { cast: 'to' };
const methods = (() => {
  const F: Record<string, unknown> = { ...A };
  const names: string[] = [];
  const proto = A.Tensor.prototype as unknown as Record<string, unknown>;
  for (const op of Object.keys(RUNNERS)) {
    const fn = proto[METHOD_NAMES[op] ?? op];
    if (typeof fn !== 'function') continue;
    names.push(op);
    F[op] = (x: Tensor, ...rest: unknown[]) => (fn as (...args: unknown[]) => Tensor).apply(x, rest);
  }
  return { F: F as Ops, names: new Set(names) };
})();

test(`the fixture covers every op with a runner (torch ${fixture.torch})`, () => {
  const used = new Set(fixture.cases.map((c) => c.op));
  assert.deepEqual([...used].sort(), Object.keys(RUNNERS).sort());
  assert.ok(fixture.cases.length >= 250, `only ${fixture.cases.length} cases`);
  assert.ok(methods.names.size >= 40, `only ${methods.names.size} ops found as Tensor methods`);
});

function check(c: Case, F: Ops): void {
  const inputs: In = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, load(v, !c.noGrad.includes(k))]));
  const result = RUNNERS[c.op](F, inputs, c.attrs);
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
    close(`grad of ${k}`, inputs[k].grad ?? A.zerosLike(inputs[k]), want);
  }
}

for (const c of fixture.cases) {
  test(`${c.op}: ${c.name} matches PyTorch`, () => check(c, A));
  if (methods.names.has(c.op)) test(`${c.op} as a Tensor method: ${c.name} matches PyTorch`, () => check(c, methods.F));
}
