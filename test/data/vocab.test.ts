import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BOS, EOS, PAD, UNK, Vocab } from '../../src/data/index.js';

test('Vocab: specials are 0..3 and tokens are ordered by count, then alphabetically', () => {
  assert.deepEqual([PAD, BOS, EOS, UNK], [0, 1, 2, 3]);
  const v = Vocab.fromTokens(['b', 'a', 'c', 'a', 'b', 'a', 'd']);
  // a×3, b×2, then c and d once each, alphabetical
  assert.deepEqual(v.toJSON().tokens, ['<pad>', '<bos>', '<eos>', '<unk>', 'a', 'b', 'c', 'd']);
  assert.equal(v.size, 8);
});

test('Vocab: minCount turns rare tokens into UNK', () => {
  const v = Vocab.fromTokens(['x', 'x', 'y'], { minCount: 2 });
  assert.equal(v.size, 5);
  assert.deepEqual(v.encode(['x', 'y', 'z']), [4, UNK, UNK]);
  assert.throws(() => Vocab.fromTokens([], { minCount: 0 }), /minCount must be an integer >= 1, received 0/);
});

test('Vocab: decode stops at EOS and drops PAD and BOS', () => {
  const v = new Vocab(['K', 'AE1', 'T']);
  assert.deepEqual(v.encode(['K', 'AE1', 'T']), [4, 5, 6]);
  assert.deepEqual(v.decode([BOS, 4, 5, UNK, 6, EOS, 4, PAD]), ['K', 'AE1', '<unk>', 'T']);
  assert.throws(() => v.decode([99]), /id must be an integer in \[0, 7\), received 99/);
});

test('Vocab: JSON round trip and checks', () => {
  const v = Vocab.fromTokens('hello world'.split(''));
  const w = Vocab.fromJSON(JSON.parse(JSON.stringify(v)));
  assert.deepEqual(w.toJSON(), v.toJSON());
  assert.equal(w.id('l'), v.id('l'));
  assert.throws(() => Vocab.fromJSON({ tokens: ['<pad>', '<eos>'] }), /tokens\[1\] must be <bos>, received <eos>/);
  assert.throws(
    () => Vocab.fromJSON({ tokens: ['<pad>', '<bos>', '<eos>', '<unk>', 'a', 'a'] }),
    /tokens must be distinct, 6 given, 5 distinct/,
  );
});
