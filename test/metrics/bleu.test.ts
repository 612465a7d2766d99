import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeBleu, corpusBleu, tokenize13a } from '../../src/metrics/index.js';

const close = (a: number, b: number, tol = 1e-9): void => assert.ok(Math.abs(a - b) <= tol, `${a} ≉ ${b}`);

test('tokenize13a splits punctuation like mteval-v13a', () => {
  assert.deepEqual(tokenize13a('Hello, world!'), ['Hello', ',', 'world', '!']);
  // apostrophes and in-word hyphens stay; dots and commas between digits stay; a dash after a digit splits
  assert.deepEqual(tokenize13a("Don't well-known 3.5 1,000 2-3"), [
    "Don't",
    'well-known',
    '3.5',
    '1,000',
    '2',
    '-',
    '3',
  ]);
  assert.deepEqual(tokenize13a('He said &quot;no&quot; (really).'), [
    'He',
    'said',
    '"',
    'no',
    '"',
    '(',
    'really',
    ')',
    '.',
  ]);
  assert.deepEqual(tokenize13a('end 3.'), ['end', '3', '.']);
  assert.deepEqual(tokenize13a('   '), []);
});

test('corpusBleu: a hand-worked sentence with exp smoothing', () => {
  // hyp "the cat sat on the mat", ref "the cat is on the mat", both 6 tokens → BP = 1
  // 1-grams: the×2 cat on mat match, sat not → 5/6
  // 2-grams: "the cat" "on the" "the mat" match of 5 → 3/5
  // 3-grams: "on the mat" of 4 → 1/4
  // 4-grams: none of 3 → exp smoothing: 1 / (2 · 3) = 1/6
  // BLEU = 100 · (5/6 · 3/5 · 1/4 · 1/6)^(1/4) = 100 · (1/48)^(1/4) = 37.9918...
  const s = corpusBleu(['the cat sat on the mat'], [['the cat is on the mat']]);
  assert.deepEqual(s.counts, [5, 3, 1, 0]);
  assert.deepEqual(s.totals, [6, 5, 4, 3]);
  close(s.precisions[3], 100 / 6);
  close(s.bp, 1);
  close(s.score, 100 * Math.pow(1 / 48, 1 / 4));
  close(s.score, 37.99178428257963, 1e-9);
});

test('corpusBleu: brevity penalty and 13a tokenisation', () => {
  // hyp "It is a cat." → It is a cat . (5); ref "It is a cat on the mat." → 8 tokens
  // precisions 5/5, 3/4 ("cat ." misses), 2/3, 1/2 → geometric mean (1/4)^(1/4)
  // BP = exp(1 − 8/5) = exp(−0.6)
  const s = corpusBleu(['It is a cat.'], [['It is a cat on the mat.']]);
  assert.equal(s.sysLen, 5);
  assert.equal(s.refLen, 8);
  close(s.bp, Math.exp(-0.6));
  close(s.score, 100 * Math.exp(-0.6) * Math.pow(1 / 4, 1 / 4));
});

test('corpusBleu: exp smoothing doubles for each order without a match', () => {
  // hyp "a b c d", ref "a b x y": 2/4, 1/3, 0/2 → 1/(2·2), 0/1 → 1/(4·1)
  const s = corpusBleu(['a b c d'], [['a b x y']]);
  close(s.score, 100 * Math.pow(1 / 2 / 3 / 4 / 4, 1 / 4));
  // without smoothing a zero precision gives 0
  close(corpusBleu(['a b c d'], [['a b x y']], { smoothMethod: 'none' }).score, 0);
});

test('corpusBleu: statistics are summed over the corpus before dividing', () => {
  // sentence 1 identical (4 tokens), sentence 2 "x y z w" vs "p q r s" (no match)
  // counts 4/8, 3/6, 2/4, 1/2 → (1/2)^(1) = 0.5 → 50, BP 1
  const s = corpusBleu(['a b c d', 'x y z w'], [['a b c d'], ['p q r s']]);
  assert.deepEqual(s.counts, [4, 3, 2, 1]);
  assert.deepEqual(s.totals, [8, 6, 4, 2]);
  close(s.score, 50);
});

test('corpusBleu: several references clip by the maximum count, length by the closest (ties → shorter)', () => {
  // hyp "the the the" (3): ref A has "the" twice, ref B once → clip 2; lengths 2 and 4 are both 1 away → 2
  const s = corpusBleu(['the the the'], [['the the', 'the a b c']]);
  assert.equal(s.counts[0], 2);
  assert.equal(s.refLen, 2);
});

test('corpusBleu: identical is 100, empty is 0, and sacreBLEU gives 0 to a corpus shorter than 4 tokens', () => {
  close(corpusBleu(['The quick brown fox jumps.'], [['The quick brown fox jumps.']]).score, 100);
  const empty = corpusBleu([''], [['a b c d']]);
  assert.equal(empty.score, 0);
  assert.equal(empty.bp, 0);
  // no 4-gram in the hypotheses: precision 4 stays 0 and log 0 is floored → 0 (as sacreBLEU)
  assert.equal(corpusBleu(['a b c'], [['a b c']]).score, 0);
  assert.equal(corpusBleu([], []).score, 0);
});

test('corpusBleu: lowercase and tokenize none', () => {
  close(corpusBleu(['THE CAT SAT ON THE MAT'], [['the cat sat on the mat']], { lowercase: true }).score, 100);
  // with 'none' "mat." and "mat" differ
  assert.deepEqual(corpusBleu(['on the mat.'], [['on the mat']], { tokenize: 'none' }).counts.slice(0, 1), [2]);
});

test('computeBleu: add-k and floor smoothing follow sacreBLEU', () => {
  // floor: a zero count becomes 0.1 / total
  const f = computeBleu([2, 1, 0, 0], [4, 3, 2, 1], 4, 4, { smoothMethod: 'floor' });
  close(f.score, 100 * Math.pow((2 / 4) * (1 / 3) * (0.1 / 2) * (0.1 / 1), 1 / 4));
  // add-k: k added to counts and totals for n > 1
  const a = computeBleu([2, 1, 0, 0], [4, 3, 2, 1], 4, 4, { smoothMethod: 'add-k' });
  close(a.score, 100 * Math.pow((2 / 4) * (2 / 4) * (1 / 3) * (1 / 2), 1 / 4));
});

test('corpusBleu: errors name the argument', () => {
  assert.throws(() => corpusBleu(['a'], []), /hypotheses and references must have the same length, received 1 and 0/);
  assert.throws(() => corpusBleu(['a'], [[]]), /references\[0\] must not be empty/);
});
