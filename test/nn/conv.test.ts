// nn.Conv2d (src/nn/conv.ts): PyTorch's names and initialisation, a hand-worked forward, and
// clear errors. The comparison with torch.nn.Conv2d (outputs and every gradient) is in
// modules.golden.test.ts (cases "conv2d …", from tools/golden/gen_modules.py).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Generator, nn, tensor } from '../../src/index.js';

test('Conv2d has PyTorch state_dict names and shapes, and U(±1/√fan_in) initialisation', () => {
  const conv = new nn.Conv2d(3, 5, [2, 4], { generator: new Generator(0) });
  assert.deepEqual(Object.keys(conv.stateDict()), ['weight', 'bias']);
  assert.deepEqual(conv.weight.shape, [5, 3, 2, 4]);
  assert.deepEqual(conv.bias!.shape, [5]);
  const bound = 1 / Math.sqrt(3 * 2 * 4);
  for (const p of [conv.weight, conv.bias!]) {
    const values = Array.from(p.data);
    assert.ok(values.every((v) => Math.abs(v) <= bound));
    assert.ok(Math.max(...values.map(Math.abs)) > 0.8 * bound, 'the whole range is used');
  }
  assert.deepEqual(Object.keys(new nn.Conv2d(1, 1, 3, { bias: false }).stateDict()), ['weight']);
});

test('Conv2d forward, worked by hand: 3×3 input, 2×2 kernel, padding 1, stride 2', () => {
  const conv = new nn.Conv2d(1, 1, 2, { stride: 2, padding: 1 });
  conv.weight.data.set([1, 2, 3, 4]); // [[1, 2], [3, 4]]
  conv.bias!.data.set([0.5]);
  const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
  // padded input rows: 0 0 0 0 0 / 0 1 2 3 0 / 0 4 5 6 0 / 0 7 8 9 0 / 0 0 0 0 0; windows at (0,0), (0,2), (2,0), (2,2)
  // (0,0): 0·1 + 0·2 + 0·3 + 1·4 = 4;   (0,2): 0 + 0 + 2·3 + 3·4 = 18
  // (2,0): 0·1 + 4·2 + 0·3 + 7·4 = 36;  (2,2): 5·1 + 6·2 + 8·3 + 9·4 = 77
  const y = conv.forward(x);
  assert.deepEqual(y.shape, [1, 1, 2, 2]);
  assert.deepEqual(Array.from(y.data), [4.5, 18.5, 36.5, 77.5]);
});

test('Conv2d names the argument and the shapes in its errors', () => {
  assert.throws(() => new nn.Conv2d(0, 2, 3), /Conv2d: inChannels must be a positive integer, received 0/);
  assert.throws(() => new nn.Conv2d(1, 2, [3, 0]), /Conv2d: kernelSize must be a positive integer, received 0/);
  const conv = new nn.Conv2d(2, 3, 3);
  assert.throws(
    () => conv.forward(tensor([1, 2, 3], [1, 3])),
    /Conv2d: input must be \[N, 2, H, W\], received \[1, 3\]/,
  );
  assert.throws(
    () => conv.forward(tensor(new Array(9).fill(0), [1, 1, 3, 3])),
    /Conv2d: input must be \[N, 2, H, W\], received \[1, 1, 3, 3\]/,
  );
});
