// Bag-of-words logistic regression: logits and gradients against sums worked by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BagOfWordsClassifier } from '../../src/models/bow.js';
import * as F from '../../src/ops/index.js';

test('BagOfWordsClassifier: logits = b + Σ W over the distinct words (repeats and padding count 0)', () => {
  const m = new BagOfWordsClassifier(5, 2);
  // W rows 0..4; row 0 is the padding row, zero as Embedding's paddingIdx keeps it
  m.weight.data.set([0, 0, 1, -1, 0.5, 2, -3, 0.25, 4, 4]);
  m.bias.data.set([0.1, -0.2]);
  const tokens = F.fromData(new Int32Array([1, 1, 2, 0, 4, 3, 3, 0]), [2, 4], 'int32');
  const { logits, weights } = m.forward(tokens);
  assert.equal(weights, null);
  // row 0: words {1, 2} → [1 + 0.5, −1 + 2] + b;  row 1: words {4, 3} → [4 − 3, 4 + 0.25] + b
  const want = [1.5 + 0.1, 1 - 0.2, 1 + 0.1, 4.25 - 0.2];
  Array.from(logits.data).forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `${i}: ${v} vs ${want[i]}`));
});

test('BagOfWordsClassifier: the gradient of a logit reaches each present word once, and never the padding row', () => {
  const m = new BagOfWordsClassifier(4, 2);
  const tokens = F.fromData(new Int32Array([2, 2, 0, 2, 3, 0]), [1, 6], 'int32');
  F.sum(F.select(m.forward(tokens).logits, 1, 1)).backward(); // d logit_1 / d W
  // presence features x = [0, 0, 1, 1]: dW[:, 1] = x, dW[:, 0] = 0, db = [0, 1]
  assert.deepEqual(Array.from(m.weight.grad!.data), [0, 0, 0, 0, 0, 1, 0, 1]);
  assert.deepEqual(Array.from(m.bias.grad!.data), [0, 1]);
  assert.throws(() => m.forward(F.zeros([4])), /tokens must be int32 \[B, T\], received float32 \[4\]/);
  assert.throws(() => new BagOfWordsClassifier(0, 2), /vocab must be an integer >= 1, received 0/);
});
