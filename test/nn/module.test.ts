import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Generator, nn, tensor, type Tensor, zeros } from '../../src/index.js';

class Block extends nn.Module {
  norm1 = new nn.LayerNorm(4);
  linear1 = new nn.Linear(4, 3, { generator: new Generator(1) });
  layers = new nn.ModuleList([new nn.Linear(3, 2, { bias: false }), new nn.Dropout(0.1)]);
  forward(x: Tensor): Tensor {
    return this.layers.at(0).forward(this.linear1.forward(this.norm1.forward(x)));
  }
}

test('parameters are named as PyTorch would name them, in assignment order', () => {
  const names = new Block().namedParameters().map(([n, t]) => `${n} [${t.shape.join(',')}]`);
  assert.deepEqual(names, [
    'norm1.weight [4]',
    'norm1.bias [4]',
    'linear1.weight [3,4]',
    'linear1.bias [3]',
    'layers.0.weight [2,3]',
  ]);
});

test('loadStateDict copies by name and lists missing, unexpected and mis-shaped keys', () => {
  const a = new Block();
  const b = new Block();
  b.linear1.weight.data.fill(7);
  a.loadStateDict(b.stateDict());
  assert.deepEqual(Array.from(a.linear1.weight.data), Array(12).fill(7));
  const dict = b.stateDict();
  delete dict['norm1.bias'];
  dict['extra.weight'] = zeros([1]);
  assert.throws(() => a.loadStateDict(dict), /missing keys: norm1\.bias; unexpected keys: extra\.weight/);
  const r = a.loadStateDict(dict, { strict: false });
  assert.deepEqual(r, { missing: ['norm1.bias'], unexpected: ['extra.weight'] });
  const bad = b.stateDict();
  bad['linear1.weight'] = zeros([4, 3]);
  assert.throws(() => a.loadStateDict(bad), /linear1\.weight: expected shape \[3, 4\], received \[4, 3\]/);
});

test('train() and eval() reach every submodule; dropout is the identity in eval', () => {
  const m = new Block().eval();
  assert.equal(m.layers.at(1).training, false);
  const x = tensor([1, 2, 3]);
  assert.equal(m.layers.at(1).forward(x), x);
  m.train();
  assert.equal(m.norm1.training, true);
});

test('Linear follows y = x Wᵀ + b; Embedding zeroes its padding row and gives it no gradient', () => {
  const lin = new nn.Linear(2, 1);
  lin.weight.data.set([2, 3]);
  lin.bias!.data.set([1]);
  assert.deepEqual(lin.forward(tensor([[1, 1]])).toArray(), [[6]]);
  const emb = new nn.Embedding(3, 2, { paddingIdx: 0 });
  assert.deepEqual(Array.from(emb.weight.data.subarray(0, 2)), [0, 0]);
  emb
    .forward(tensor([0, 1, 0], undefined, { dtype: 'int32' }))
    .sum()
    .backward();
  assert.deepEqual(Array.from(emb.weight.grad!.data), [0, 0, 1, 1, 0, 0]);
  assert.throws(() => new nn.Linear(0, 2), /Linear: inFeatures must be a positive integer, received 0/);
});
