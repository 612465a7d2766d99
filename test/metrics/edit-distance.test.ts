import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accuracy, editDistance } from '../../src/metrics/index.js';

test('editDistance: hand-worked cases', () => {
  // kitten → sitting: k→s, e→i, insert g
  assert.equal(editDistance([...'kitten'], [...'sitting']), 3);
  // flaw → lawn: delete f, insert n
  assert.equal(editDistance([...'flaw'], [...'lawn']), 2);
  assert.equal(editDistance(['AH0', 'B', 'EY1', 'T'], ['AH0', 'B', 'EY2', 'T']), 1);
  assert.equal(editDistance(['a', 'b'], ['b', 'a']), 2);
});

test('editDistance: identical and empty', () => {
  assert.equal(editDistance(['x', 'y', 'z'], ['x', 'y', 'z']), 0);
  assert.equal(editDistance([], []), 0);
  assert.equal(editDistance([], ['a', 'b']), 2);
  assert.equal(editDistance(['a', 'b', 'c'], []), 3);
});

test('editDistance is symmetric', () => {
  const a = [...'intention'];
  const b = [...'execution'];
  assert.equal(editDistance(a, b), 5);
  assert.equal(editDistance(b, a), 5);
});

test('accuracy: share of exact matches', () => {
  assert.equal(
    accuracy(
      [['1', '2'], ['3'], ['4', '5']],
      [
        ['1', '2'],
        ['3', '3'],
        ['5', '4'],
      ],
    ),
    1 / 3,
  );
  assert.equal(accuracy([], []), 0);
  assert.throws(() => accuracy([['a']], []), /same length, received 1 and 0/);
});
