import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closestReference, scoreG2P } from '../../src/metrics/index.js';

const read = [
  ['R', 'EH1', 'D'],
  ['R', 'IY1', 'D'],
];

test('scoreG2P: a prediction matching any reference is correct', () => {
  const s = scoreG2P([['R', 'IY1', 'D']], [read]);
  assert.equal(s.wordErrors, 0);
  assert.equal(s.wer, 0);
  assert.equal(s.per, 0);
  assert.equal(s.referencePhonemes, 3);
});

test('scoreG2P: PER is corpus-level against the closest reference', () => {
  // word 1: R IY0 D is 1 edit from either reference → ties go to the first (3 phonemes)
  // word 2: K AE1 T vs K AE1 T S: 1 edit, 4 phonemes
  // word 3: D AO1 G exact, 3 phonemes
  // PER = (1 + 1 + 0) / (3 + 4 + 3) = 0.2 (the mean of per-word rates would be (1/3 + 1/4 + 0)/3 ≈ 0.194)
  // WER = 2 / 3
  const s = scoreG2P(
    [
      ['R', 'IY0', 'D'],
      ['K', 'AE1', 'T'],
      ['D', 'AO1', 'G'],
    ],
    [read, [['K', 'AE1', 'T', 'S']], [['D', 'AO1', 'G']]],
    [4, 4, 3],
  );
  assert.equal(s.phonemeErrors, 2);
  assert.equal(s.referencePhonemes, 10);
  assert.equal(s.per, 0.2);
  assert.equal(s.wordErrors, 2);
  assert.equal(s.wer, 2 / 3);
  assert.deepEqual(s.byLength, [
    { length: 3, words: 1, errors: 0, wer: 0 },
    { length: 4, words: 2, errors: 2, wer: 1 },
  ]);
});

test('scoreG2P: closest reference picks the fewest edits, so its length counts', () => {
  // AH0 B EY1 T vs [AH0 B AE1 T AH0 M EH0 N T (9), AH0 B EY1 T S (5)] → the second, 1 edit
  const refs = [
    ['AH0', 'B', 'AE1', 'T', 'AH0', 'M', 'EH0', 'N', 'T'],
    ['AH0', 'B', 'EY1', 'T', 'S'],
  ];
  assert.deepEqual(closestReference(['AH0', 'B', 'EY1', 'T'], refs), { index: 1, distance: 1 });
  const s = scoreG2P([['AH0', 'B', 'EY1', 'T']], [refs]);
  assert.equal(s.per, 1 / 5);
});

test('scoreG2P: empty prediction and empty corpus', () => {
  const s = scoreG2P([[]], [[['K', 'AE1', 'T']]]);
  assert.equal(s.per, 1);
  assert.equal(s.wer, 1);
  const e = scoreG2P([], []);
  assert.equal(e.per, 0);
  assert.equal(e.wer, 0);
  assert.deepEqual(e.byLength, []);
});

test('scoreG2P: errors name the argument', () => {
  assert.throws(() => scoreG2P([['A']], []), /predictions and references must have the same length, received 1 and 0/);
  assert.throws(() => scoreG2P([['A']], [[]]), /references\[0\] must not be empty/);
  assert.throws(
    () => scoreG2P([['A']], [[['A']]], [1, 2]),
    /sourceLengths must have one entry per prediction \(1\), received 2/,
  );
});
