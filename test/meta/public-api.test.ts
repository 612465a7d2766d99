// The names the issues promise to keep ("names that checks outside the repo will call"), used
// as an outside caller would: through the Node entry that `import 'attend'` resolves to.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as attend from '../../src/index.node.js';

test('#2: tensor creation, autograd, ops as functions and methods, safetensors files', () => {
  const { tensor, randn, zeros, noGrad, matmul, softmax, saveSafetensors, loadSafetensors } = attend;
  const a = tensor(
    [
      [1, 2],
      [3, 4],
    ],
    undefined,
    { requiresGrad: true, dtype: 'float64' },
  );
  assert.deepEqual(tensor([1, 0], [2], { dtype: 'bool' }).toArray(), [true, false]);
  assert.equal(tensor([1, 2], [2], { dtype: 'int32' }).dtype, 'int32');
  assert.deepEqual(randn([2, 3]).shape, [2, 3]);
  assert.deepEqual(zeros([2]).toArray(), [0, 0]);
  const y = a.matmul(a).add(a).mul(a).softmax(-1).sigmoid().tanh().log().sum();
  y.backward();
  assert.ok(a.grad && Array.from(a.grad.data).every(Number.isFinite) && a.grad.data.some((g) => g !== 0));
  assert.deepEqual(matmul(tensor([[1, 2]]), tensor([[3], [4]])).toArray(), [[11]]);
  assert.deepEqual(noGrad(() => softmax(tensor([0, 0]), -1)).toArray(), [0.5, 0.5]);
  assert.equal(tensor([1, 2, 3]).mean().toArray(), 2);
  const dir = mkdtempSync(join(tmpdir(), 'attend-api-'));
  try {
    const path = join(dir, 'x.safetensors');
    saveSafetensors(path, { w: tensor([1, 2]) }, { note: 'hi' });
    const { tensors, metadata } = loadSafetensors(path);
    assert.deepEqual(tensors.w.toArray(), [1, 2]);
    assert.deepEqual(metadata, { note: 'hi' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('#3: attention, nn.MultiheadAttention, Transformer layers, GRU and LSTM with their return shapes', () => {
  const { attention, nn, randn } = attend;
  const x = randn([2, 4, 8]);
  assert.deepEqual(attention(x, x, x).weights!.shape, [2, 4, 4]);
  const mha = new nn.MultiheadAttention(8, 2);
  const other = new nn.MultiheadAttention(8, 2);
  assert.notDeepEqual(mha.forward(x, x, x).output.data, other.forward(x, x, x).output.data);
  mha.loadStateDict(other.stateDict()); // weights move by name: the same module, the same output
  assert.deepEqual(mha.forward(x, x, x).output.data, other.forward(x, x, x).output.data);
  const enc = new nn.TransformerEncoderLayer(8, 2).eval();
  assert.deepEqual(enc.forward(x).shape, [2, 4, 8]);
  assert.notDeepEqual(enc.forward(x).data, x.data);
  assert.deepEqual(new nn.TransformerDecoderLayer(8, 2).forward(x, x).shape, [2, 4, 8]);
  // the last step of the output is the final state (one layer, one direction)
  const lastStep = (o: attend.Tensor) => Array.from(o.data.subarray(3 * 5, 4 * 5)); // row 0, step 3
  const gru = new nn.GRU(8, 5).forward(x);
  assert.deepEqual(
    [gru.output.shape, gru.hN.shape],
    [
      [2, 4, 5],
      [1, 2, 5],
    ],
  );
  assert.deepEqual(lastStep(gru.output), Array.from(gru.hN.data.subarray(0, 5)));
  const lstm = new nn.LSTM(8, 5).forward(x, null);
  assert.deepEqual(
    [lstm.output.shape, lstm.hN.shape, lstm.cN.shape],
    [
      [2, 4, 5],
      [1, 2, 5],
      [1, 2, 5],
    ],
  );
  assert.deepEqual(lastStep(lstm.output), Array.from(lstm.hN.data.subarray(0, 5)));
});
