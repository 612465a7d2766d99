// Every differentiable op against central finite differences in float64.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as A from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

const gen = new A.Generator(42);
/** A float64 leaf requiring grad; `avoid` keeps values away from kinks (|x| ≥ avoid). */
function x64(shape: number[], { scale = 1, offset = 0, avoid = 0 } = {}): Tensor {
  const t = A.randn(shape, { dtype: 'float64', generator: gen });
  for (let i = 0; i < t.size; i++) {
    let v = t.data[i] * scale + offset;
    if (Math.abs(v) < avoid) v = v < 0 ? v - avoid : v + avoid;
    t.data[i] = v;
  }
  return t.requiresGrad_();
}
const idx = (values: number[], shape: number[]) => A.tensor(values, shape, { dtype: 'int32' });
const mask = (values: number[], shape: number[]) => A.tensor(values.map(Boolean), shape, { dtype: 'bool' });

function check(name: string, fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], tol: A.GradcheckOptions = {}) {
  test(`gradcheck ${name}`, () => {
    const r = A.gradcheck(fn, inputs, tol);
    assert.ok(r.ok, `${name}: worst mismatch ${JSON.stringify(r.worst)}`);
  });
}

// elementwise, with broadcasting
check('add (broadcast)', (a, b) => A.add(a, b), [x64([2, 3, 4]), x64([4])]);
check('sub (broadcast)', (a, b) => A.sub(a, b), [x64([2, 1, 4]), x64([3, 1])]);
check('mul (broadcast)', (a, b) => A.mul(a, b), [x64([2, 3]), x64([2, 1])]);
check('div', (a, b) => A.div(a, b), [x64([3, 4]), x64([3, 4], { avoid: 0.5 })]);
check('neg', (a) => A.neg(a), [x64([5])]);
check('pow scalar', (a) => A.pow(a, 3), [x64([6])]);
check('pow fractional', (a) => A.pow(a, 1.5), [x64([6], { scale: 0.3, offset: 2 })]);
check('pow tensor exponent', (a, b) => A.pow(a, b), [x64([2, 3], { scale: 0.2, offset: 1.5 }), x64([3])]);
check('exp', (a) => A.exp(a), [x64([4])]);
check('log', (a) => A.log(a), [x64([4], { scale: 0.2, offset: 2 })]);
check('sqrt', (a) => A.sqrt(a), [x64([4], { scale: 0.2, offset: 2 })]);
check('abs', (a) => A.abs(a), [x64([8], { avoid: 0.1 })]);
check('tanh', (a) => A.tanh(a), [x64([8])]);
check('sigmoid', (a) => A.sigmoid(a), [x64([8], { scale: 3 })]);
check('relu', (a) => A.relu(a), [x64([8], { avoid: 0.1 })]);
check('gelu exact', (a) => A.gelu(a), [x64([8], { scale: 2 })]);
check('gelu tanh', (a) => A.gelu(a, 'tanh'), [x64([8], { scale: 2 })]);
check('clamp', (a) => A.clamp(a, -0.5, 0.5), [x64([10])]);
check('where', (a, b) => A.where(mask([1, 0, 1], [3]), a, b), [x64([2, 3]), x64([2, 1])]);
check('maskedFill', (a) => A.maskedFill(a, mask([0, 1, 0, 0], [4]), -3), [x64([2, 4])]);
check('cast', (a) => A.cast(A.cast(a, 'float32'), 'float64'), [x64([3])], { atol: 1e-6, rtol: 1e-4, eps: 1e-3 });

// reductions
check('sum all', (a) => A.sum(a), [x64([3, 4])]);
check('sum axes keepdim', (a) => A.sum(a, [0, 2], true), [x64([2, 3, 4])]);
check('mean axis -1', (a) => A.mean(a, -1), [x64([2, 3, 4])]);
check('max axis', (a) => A.max(a, 1), [x64([3, 5])]);
check('min all', (a) => A.min(a), [x64([3, 5])]);
check('logSumExp', (a) => A.logSumExp(a, 1), [x64([3, 5], { scale: 3 })]);
check('logSumExp two axes keepdim', (a) => A.logSumExp(a, [0, 2], true), [x64([2, 3, 4])]);
// a 0-d tensor over its one (1-long) axis: the identity, gradient 1
check('sum of 0-d over axis -1', (a) => A.sum(a, -1), [x64([])]);
check('mean of 0-d over axis 0 keepdim', (a) => A.mean(a, 0, true), [x64([])]);
check('max of 0-d over axis -1', (a) => A.max(a, -1), [x64([])]);
check('logSumExp of 0-d over axis 0', (a) => A.logSumExp(a, 0), [x64([])]);

// shape
check('reshape', (a) => A.reshape(a, [6, -1]), [x64([2, 3, 4])]);
check('permute', (a) => A.permute(a, [2, 0, 1]), [x64([2, 3, 4])]);
check('transpose', (a) => A.transpose(a, 0, 2), [x64([2, 3, 4])]);
check('expand', (a) => A.expand(a, [2, 3, 4]), [x64([3, 1])]);
check('slice step', (a) => A.slice(a, 1, 1, 5, 2), [x64([2, 6])]);
check('slice negative', (a) => A.slice(a, -1, -3), [x64([2, 6])]);
check('select', (a) => A.select(a, 1, -1), [x64([2, 3, 2])]);
check('concat', (a, b) => A.concat([a, b], 1), [x64([2, 3]), x64([2, 2])]);
check('stack', (a, b) => A.stack([a, b], 1), [x64([2, 3]), x64([2, 3])]);
check('split', (a) => A.mul(A.split(a, [1, 3], 1)[1], 2), [x64([2, 4])]);
check('pad', (a) => A.pad(a, [1, 2, 0, 1], 0.5), [x64([2, 3])]);
check('squeeze/unsqueeze', (a) => A.unsqueeze(A.squeeze(a, 1), 0), [x64([3, 1, 2])]);

// linear algebra
check('matmul 2-D', (a, b) => A.matmul(a, b), [x64([3, 4]), x64([4, 2])]);
check('matmul batch broadcast', (a, b) => A.matmul(a, b), [x64([2, 1, 3, 4]), x64([3, 4, 2])]);
check('matmul shared right', (a, b) => A.matmul(a, b), [x64([2, 3, 4]), x64([4, 5])]);
check('matmul 1-D · 2-D', (a, b) => A.matmul(a, b), [x64([4]), x64([4, 3])]);
check('matmul 2-D · 1-D', (a, b) => A.matmul(a, b), [x64([3, 4]), x64([4])]);
check('matmul 1-D · 1-D (dot, 0-d)', (a, b) => A.matmul(a, b), [x64([4]), x64([4])]);
check('linear with bias', (x, w, b) => A.linear(x, w, b), [x64([2, 3, 4]), x64([5, 4]), x64([5])]);
check('linear without bias', (x, w) => A.linear(x, w), [x64([3, 4]), x64([2, 4])]);

// indexing
check('gather axis 1', (a) => A.gather(a, 1, idx([0, 2, 2, 1, 0, 0], [2, 3])), [x64([2, 4])]);
check('gather axis 0', (a) => A.gather(a, 0, idx([1, 0, 1], [1, 3])), [x64([2, 3])]);
check('scatterAdd', (a, s) => A.scatterAdd(a, 1, idx([0, 0, 2, 1], [2, 2]), s), [x64([2, 3]), x64([2, 2])]);
check('indexSelect', (a) => A.indexSelect(a, 1, idx([2, 0, 2], [3])), [x64([2, 3, 2])]);
check('embedding', (w) => A.embedding(w, idx([1, 3, 1, 0], [2, 2])), [x64([4, 3])]);

// normalisation, softmax, losses
check('softmax last', (a) => A.softmax(a, -1), [x64([3, 5])]);
check('softmax middle axis', (a) => A.softmax(a, 1), [x64([2, 3, 4])]);
check('logSoftmax', (a) => A.logSoftmax(a, 0), [x64([4, 3], { scale: 2 })]);
check('layerNorm affine', (x, w, b) => A.layerNorm(x, [4], w, b), [x64([3, 4]), x64([4]), x64([4])]);
check('layerNorm two axes, no affine', (x) => A.layerNorm(x, [2, 3]), [x64([2, 2, 3])]);
check('dropout (fixed mask)', (x) => A.dropout(x, 0.3, true, new A.Generator(7)), [x64([20])]);
check('crossEntropy ignore + smoothing', (z) => A.crossEntropy(z, idx([1, -100, 3, 0], [4]), { labelSmoothing: 0.1 }), [
  x64([4, 5]),
]);
check('crossEntropy [N, C, d] sum', (z) => A.crossEntropy(z, idx([0, 2, 1, 1], [2, 2]), { reduction: 'sum' }), [
  x64([2, 3, 2]),
]);
check('nllLoss', (z) => A.nllLoss(A.logSoftmax(z, -1), idx([1, 0, -100], [3])), [x64([3, 4])]);
check('mse', (a, b) => A.mse(a, b), [x64([3, 4]), x64([3, 4])]);

// convolution and pooling
check(
  'conv2d stride/padding/dilation + bias',
  (x, w, b) => A.conv2d(x, w, b, { stride: 2, padding: 1, dilation: [1, 2] }),
  [x64([2, 2, 5, 6]), x64([3, 2, 3, 2]), x64([3])],
);
check('conv2d plain', (x, w) => A.conv2d(x, w), [x64([1, 3, 4, 4]), x64([2, 3, 2, 2])]);
check('maxPool2d', (x) => A.maxPool2d(x, 2, { stride: 1, padding: 1 }), [x64([1, 2, 4, 5])]);
check('windows (edges zero-filled)', (x) => A.windows(x, idx([-1, 0, 2, 1, 3, -2], [2, 3]), 3), [x64([2, 4, 2])]);
