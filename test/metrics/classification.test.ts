// Binary scores against counts worked by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binaryScores, f1Score } from '../../src/metrics/classification.js';

test('binaryScores: confusion counts, accuracy, precision, recall and F1 worked by hand', () => {
  //            tp   tp   fp   fn   fn   tn   tn   tn
  const pred = ['s', 's', 's', 'h', 'h', 'h', 'h', 'h'];
  const real = ['s', 's', 'h', 's', 's', 'h', 'h', 'h'];
  const r = binaryScores(pred, real, 's');
  assert.deepEqual({ tp: r.tp, fp: r.fp, fn: r.fn, tn: r.tn }, { tp: 2, fp: 1, fn: 2, tn: 3 });
  assert.equal(r.accuracy, 5 / 8);
  assert.equal(r.precision, 2 / 3);
  assert.equal(r.recall, 2 / 4);
  // 2PR/(P+R) = 2·(2/3)(1/2)/(2/3 + 1/2) = (2/3)/(7/6) = 4/7
  assert.ok(Math.abs(r.f1 - 4 / 7) < 1e-15);
  assert.equal(f1Score(pred, real, 's'), r.f1);
  // the other label as positive: tp 3, fp 2, fn 1 → F1 = 6/9
  assert.ok(Math.abs(f1Score(pred, real, 'h') - 6 / 9) < 1e-15);
});

test('binaryScores: no positives predicted or present gives 0, not NaN; lengths must match', () => {
  const r = binaryScores([0, 0], [0, 0], 1);
  assert.deepEqual(r, { tp: 0, fp: 0, fn: 0, tn: 2, accuracy: 1, precision: 0, recall: 0, f1: 0 });
  assert.equal(binaryScores([], [], 1).accuracy, 0);
  assert.throws(() => binaryScores([1], [1, 0], 1), /predicted and actual must have the same length, received 1 and 2/);
});
