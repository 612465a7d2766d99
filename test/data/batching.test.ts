import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchIterator, batchOrder, padBatch } from '../../src/data/index.js';

test('padBatch: src/srcPad/tgtIn/tgtOut by hand', () => {
  const b = padBatch([
    { src: [5, 6, 7], tgt: [8] },
    { src: [9], tgt: [10, 11] },
  ]);
  assert.deepEqual(b.src.shape, [2, 3]);
  assert.equal(b.src.dtype, 'int32');
  assert.deepEqual(b.src.toArray(), [
    [5, 6, 7],
    [9, 0, 0],
  ]);
  assert.equal(b.srcPad.dtype, 'bool');
  assert.deepEqual(b.srcPad.toArray(), [
    [false, false, false],
    [false, true, true],
  ]);
  // T = longest target + 1
  assert.deepEqual(b.tgtIn.toArray(), [
    [1, 8, 0],
    [1, 10, 11],
  ]);
  assert.deepEqual(b.tgtOut.toArray(), [
    [8, 2, 0],
    [10, 11, 2],
  ]);
  assert.equal(b.tgtTokens, 5);
  assert.deepEqual(b.indices, [0, 1]);
  assert.throws(() => padBatch([{ src: [], tgt: [4] }]), /pairs\[0\]\.src must not be empty, received \[\]/);
  assert.throws(() => padBatch([]), /pairs must not be empty/);
});

const lengths = Array.from({ length: 103 }, (_, i) => 1 + ((i * 37) % 20));

test('batchOrder: a permutation, sorted by length within chunks, seeded by (seed, epoch)', () => {
  const order = batchOrder(lengths, 0, { batchSize: 8, seed: 1, chunkBatches: 4 });
  assert.equal(order.length, Math.ceil(103 / 8));
  assert.deepEqual(
    order.flat().sort((a, b) => a - b),
    lengths.map((_, i) => i),
  );
  // every batch is a run of one chunk sorted by source length
  for (const batch of order) {
    const ls = batch.map((i) => lengths[i]);
    assert.deepEqual(
      ls,
      [...ls].sort((a, b) => a - b),
    );
  }
  assert.deepEqual(batchOrder(lengths, 0, { batchSize: 8, seed: 1, chunkBatches: 4 }), order);
  assert.notDeepEqual(batchOrder(lengths, 1, { batchSize: 8, seed: 1, chunkBatches: 4 }), order);
  assert.notDeepEqual(batchOrder(lengths, 0, { batchSize: 8, seed: 2, chunkBatches: 4 }), order);
  assert.throws(() => batchOrder(lengths, 0, { batchSize: 0 }), /batchSize must be an integer >= 1, received 0/);
});

test('bucketing pads less than random batches', () => {
  const padding = (order: number[][]): number =>
    order.reduce(
      (s, b) => s + b.length * Math.max(...b.map((i) => lengths[i])) - b.reduce((t, i) => t + lengths[i], 0),
      0,
    );
  const bucketed = batchOrder(lengths, 0, { batchSize: 8, seed: 1, chunkBatches: 100 });
  const random = batchOrder(lengths, 0, { batchSize: 8, seed: 1, chunkBatches: 1 });
  assert.ok(padding(bucketed) < padding(random) / 2, `${padding(bucketed)} vs ${padding(random)}`);
});

test('BatchIterator: resuming at (epoch, batchIndex) gives exactly the remaining batches', () => {
  const pairs = lengths.map((n, i) => ({ src: Array.from({ length: n }, () => 4 + (i % 7)), tgt: [4 + (i % 5)] }));
  const it = new BatchIterator(pairs, { batchSize: 8, seed: 3 });
  assert.equal(it.batchesPerEpoch, 13);
  const full = [...it.batches(2)];
  assert.equal(full.length, 13);
  const fresh = new BatchIterator(pairs, { batchSize: 8, seed: 3 });
  const resumed = [...fresh.batches(2, 5)];
  assert.equal(resumed.length, 8);
  resumed.forEach((b, k) => {
    assert.equal(b.batchIndex, 5 + k);
    assert.equal(b.epoch, 2);
    assert.deepEqual(b.indices, full[5 + k].indices);
    assert.deepEqual(b.src.toArray(), full[5 + k].src.toArray());
  });
  assert.throws(() => it.batch(2, 13), /batchIndex must be an integer in \[0, 13\), received 13/);
});
