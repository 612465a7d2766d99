// The encoder-only classifier with attention pooling (article 004) and the decoder-only
// language model reuse the Transformer blocks; these tests hold each to what it promises.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AttentionClassifier, POOLINGS } from '../../src/models/classifier.js';
import { TransformerLanguageModel } from '../../src/models/language-model.js';
import * as F from '../../src/ops/index.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Generator } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Adam } from '../../src/train/optim.js';

/** Class 1 iff token 5 (the "spam word") occurs; 10 tokens of vocabulary, 0 = padding. */
function keywordBatch(g: Generator, B: number, T: number) {
  const tokens = new Int32Array(B * T);
  const labels = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const len = 3 + g.int(T - 2);
    labels[b] = g.int(2);
    for (let t = 0; t < len; t++) tokens[b * T + t] = 1 + g.int(9);
    for (let t = 0; t < len; t++) if (tokens[b * T + t] === 5) tokens[b * T + t] = 6; // no accidental keyword
    if (labels[b]) tokens[b * T + g.int(len)] = 5;
  }
  return { tokens: new Tensor(tokens, [B, T]), labels: new Tensor(labels, [B]) };
}

test('the attention-pooling classifier finds the keyword and puts its weight on it', () => {
  const g = new Generator(3);
  const model = new AttentionClassifier({
    vocab: 10,
    classes: 2,
    embed: 16,
    encoder: 'none',
    maxLength: 12,
    pooling: 'attention',
    dropout: 0,
    generator: g,
  });
  const opt = new Adam(model.parameters(), { lr: 0.03 });
  for (let step = 0; step < 150; step++) {
    const { tokens, labels } = keywordBatch(g, 32, 12);
    const loss = F.crossEntropy(model.forward(tokens).logits, labels);
    opt.zeroGrad();
    loss.backward();
    opt.step();
  }
  model.eval();
  const { tokens, labels } = keywordBatch(new Generator(9), 200, 12);
  const { logits, weights } = noGrad(() => model.forward(tokens));
  const pred = F.argmax(logits, -1);
  let correct = 0;
  let keywordWeight = 0;
  let positives = 0;
  for (let b = 0; b < 200; b++) {
    if (pred.data[b] === labels.data[b]) correct++;
    for (let t = 0; t < 12; t++) {
      if (tokens.data[b * 12 + t] === 0) assert.equal(weights!.data[b * 12 + t], 0, 'padding gets no weight');
      if (tokens.data[b * 12 + t] === 5) {
        keywordWeight += weights!.data[b * 12 + t];
        positives++;
      }
    }
  }
  assert.ok(correct / 200 >= 0.95, `accuracy ${correct / 200}`);
  assert.ok(keywordWeight / positives > 0.5, `mean weight on the keyword ${keywordWeight / positives}`);
});

test('every pooling and encoder ignores padding: a padded row classifies as it does alone', () => {
  for (const encoder of ['none', 'gru', 'transformer'] as const) {
    for (const pooling of POOLINGS) {
      const model = new AttentionClassifier({
        vocab: 10,
        classes: 3,
        embed: 8,
        hidden: 8,
        heads: 2,
        encoder,
        maxLength: 8,
        pooling,
        generator: new Generator(1),
      });
      model.eval();
      const padded = new Tensor(Int32Array.from([3, 4, 7, 0, 0, 0, 2, 2, 2, 2, 2, 2]), [2, 6]);
      const alone = new Tensor(Int32Array.from([3, 4, 7]), [1, 3]);
      const a = noGrad(() => model.forward(padded).logits);
      const b = noGrad(() => model.forward(alone).logits);
      for (let c = 0; c < 3; c++)
        assert.ok(
          Math.abs(a.data[c] - b.data[c]) < 1e-5,
          `${encoder}/${pooling} class ${c}: ${a.data[c]} vs ${b.data[c]}`,
        );
    }
  }
});

test('the language model is causal and learns a repeating sequence', () => {
  const g = new Generator(5);
  const lm = new TransformerLanguageModel({
    vocab: 6,
    dModel: 16,
    nhead: 2,
    layers: 2,
    dropout: 0,
    maxLength: 32,
    generator: g,
  });
  // changing a later token leaves earlier predictions unchanged
  const x = new Tensor(Int32Array.from([1, 2, 3, 4, 5]), [1, 5]);
  const y = new Tensor(Int32Array.from([1, 2, 3, 0, 0]), [1, 5]);
  const px = noGrad(() => lm.forward(x));
  const py = noGrad(() => lm.forward(y));
  for (let i = 0; i < 3 * 6; i++) assert.ok(Math.abs(px.data[i] - py.data[i]) < 1e-6, `position ${Math.floor(i / 6)}`);
  const opt = new Adam(lm.parameters(), { lr: 0.01 });
  const seq = Int32Array.from({ length: 4 * 16 }, (_, i) => [1, 2, 3, 4][i % 4]);
  const batch = new Tensor(seq, [4, 16]);
  for (let step = 0; step < 60; step++) {
    const loss = lm.loss(batch);
    opt.zeroGrad();
    loss.backward();
    opt.step();
  }
  lm.eval();
  assert.deepEqual(lm.generate([2, 3], 6), [2, 3, 4, 1, 2, 3, 4, 1]);
});
