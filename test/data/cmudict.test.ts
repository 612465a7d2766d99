import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CMUDICT_DEV_WORDS,
  CMUDICT_TEST_WORDS,
  cmudictEntries,
  fnv1a,
  loadCmudict,
  splitByKey,
  splitCmudict,
  stripStress,
  toExamples,
  withoutStress,
} from '../../src/data/index.js';

test('cmudictEntries: alternates grouped in order, comments cut, bad words dropped and counted', () => {
  const { entries, dropped } = cmudictEntries({
    'read(2)': 'R EH1 D',
    read: 'R IY1 D',
    'a.m.': 'EY2 EH1 M',
    'able-bodied': 'EY1 B AH0 L B AA1 D IY0 D',
    "'bout": 'B AW1 T',
    aalborg: 'AO1 L B AO0 R G # place, danish',
    'aalborg(2)': 'AO1 L B AO0 R G',
  });
  assert.deepEqual(entries, [
    { word: "'bout", graphemes: ["'", 'b', 'o', 'u', 't'], pronunciations: [['B', 'AW1', 'T']] },
    { word: 'aalborg', graphemes: [...'aalborg'], pronunciations: [['AO1', 'L', 'B', 'AO0', 'R', 'G']] },
    {
      word: 'read',
      graphemes: ['r', 'e', 'a', 'd'],
      pronunciations: [
        ['R', 'IY1', 'D'],
        ['R', 'EH1', 'D'],
      ],
    },
  ]);
  assert.deepEqual(dropped, { words: 2, keys: 2, examples: ['a.m.', 'able-bodied'] });
  assert.equal(toExamples(entries).length, 4);
});

test('splitByKey: exact sizes, by key, deterministic, seed-dependent', () => {
  const items = Array.from({ length: 100 }, (_, i) => ({ k: `w${i % 40}`, i }));
  const s = splitByKey(items, (x) => x.k, { test: 10, dev: 5, seed: 7 });
  const keys = (xs: { k: string }[]): Set<string> => new Set(xs.map((x) => x.k));
  assert.equal(keys(s.test).size, 10);
  assert.equal(keys(s.dev).size, 5);
  assert.equal(keys(s.train).size, 25);
  assert.equal(s.train.length + s.dev.length + s.test.length, 100);
  assert.deepEqual(
    splitByKey(items, (x) => x.k, { test: 10, dev: 5, seed: 7 }),
    s,
  );
  assert.notDeepEqual(keys(splitByKey(items, (x) => x.k, { test: 10, dev: 5, seed: 8 }).test), keys(s.test));
  assert.throws(
    () => splitByKey(items, (x) => x.k, { test: 40, dev: 1 }),
    /at most the 40 distinct keys, received 40 \+ 1/,
  );
});

test('fnv1a: pinned values, checked with a Python transcription (a change would reshuffle every split)', () => {
  // python: h = 0x811c9dc5; for each seed byte, then each UTF-16 unit's low and high byte: h ^= b; h = h * 0x01000193 mod 2^32
  assert.equal(fnv1a('', 0), 1268118805);
  assert.equal(fnv1a('abate', 0), 340903222);
  assert.equal(fnv1a('abate', 20160101), 816087701);
});

test('the real CMUdict: counts, stress kept, split sizes, disjoint and deterministic', async () => {
  const dict = await loadCmudict();
  const { entries, dropped } = cmudictEntries(dict);
  assert.equal(entries.length, 124920);
  assert.equal(dropped.words, 1126);
  assert.equal(dropped.keys, 1193);
  // 39 phonemes with stress on the 15 vowels: 24 + 15 × 3
  assert.equal(new Set(entries.flatMap((e) => e.pronunciations.flat())).size, 69);
  // without stress: the 39 phonemes of ARPAbet, the same words, never more pronunciations
  const plain = withoutStress(entries);
  assert.equal(new Set(plain.flatMap((e) => e.pronunciations.flat())).size, 39);
  assert.deepEqual(
    plain.map((e) => e.word),
    entries.map((e) => e.word),
  );
  assert.ok(plain.every((e, i) => e.pronunciations.length <= entries[i].pronunciations.length));
  const split = splitCmudict(entries);
  assert.equal(split.test.length, CMUDICT_TEST_WORDS);
  assert.equal(split.dev.length, CMUDICT_DEV_WORDS);
  assert.equal(split.trainEntries.length, entries.length - 15000);
  assert.equal(
    split.train.length,
    split.trainEntries.reduce((n, e) => n + e.pronunciations.length, 0),
  );
  const test = new Set(split.test.map((e) => e.word));
  const dev = new Set(split.dev.map((e) => e.word));
  const train = new Set(split.train.map((e) => e.word));
  assert.equal([...test].filter((w) => dev.has(w) || train.has(w)).length, 0);
  assert.equal([...dev].filter((w) => train.has(w)).length, 0);
  // determinism: the same first test words every time (pinned)
  const again = splitCmudict(entries);
  assert.deepEqual(
    again.test.slice(0, 5).map((e) => e.word),
    split.test.slice(0, 5).map((e) => e.word),
  );
  assert.deepEqual(
    split.test.slice(0, 3).map((e) => e.word),
    PINNED_FIRST_TEST_WORDS,
  );
});

test('withoutStress drops the stress digits and merges the pronunciations that then coincide', () => {
  const entries = [
    {
      word: 'project',
      graphemes: [...'project'],
      pronunciations: [
        ['P', 'R', 'AA1', 'JH', 'EH0', 'K', 'T'],
        ['P', 'R', 'AA0', 'JH', 'EH1', 'K', 'T'],
        ['P', 'R', 'AH0', 'JH', 'EH1', 'K', 'T'],
      ],
    },
    {
      word: 'read',
      graphemes: [...'read'],
      pronunciations: [
        ['R', 'EH1', 'D'],
        ['R', 'IY1', 'D'],
      ],
    },
  ];
  assert.deepEqual(withoutStress(entries), [
    {
      word: 'project',
      graphemes: [...'project'],
      pronunciations: [
        ['P', 'R', 'AA', 'JH', 'EH', 'K', 'T'],
        ['P', 'R', 'AH', 'JH', 'EH', 'K', 'T'],
      ],
    },
    {
      word: 'read',
      graphemes: [...'read'],
      pronunciations: [
        ['R', 'EH', 'D'],
        ['R', 'IY', 'D'],
      ],
    },
  ]);
  assert.deepEqual(entries[0].pronunciations[0], ['P', 'R', 'AA1', 'JH', 'EH0', 'K', 'T'], 'the input is left alone');
  assert.deepEqual(stripStress(['HH', 'AH0', 'L', 'OW1']), ['HH', 'AH', 'L', 'OW']);
});

const PINNED_FIRST_TEST_WORDS = ['aaberg', 'aaliyah', 'aalseth'];
