import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseParallelTsv } from '../../src/data/index.js';

const anki = [
  'Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM) & #1158250 (Wittydev)',
  '',
  'Hi.\tSalut !\tCC-BY 2.0 (France) Attribution: tatoeba.org #538123 (CM) & #509819 (Aiji)',
  'Run!\tCours !',
].join('\r\n');

test('parseParallelTsv: Anki lines, attribution ignored, blank lines skipped, line numbers kept', () => {
  const c = parseParallelTsv('\uFEFF' + anki, { name: 'fra.txt' });
  assert.equal(c.name, 'fra.txt');
  assert.deepEqual(c.pairs, [
    { source: 'Go.', target: 'Va !', line: 1 },
    { source: 'Hi.', target: 'Salut !', line: 3 },
    { source: 'Run!', target: 'Cours !', line: 4 },
  ]);
  assert.deepEqual(c.bad, []);
  assert.deepEqual(parseParallelTsv(anki, { reverse: true }).pairs[0], { source: 'Va !', target: 'Go.', line: 1 });
});

test('parseParallelTsv: bad lines are collected under the threshold and listed above it', () => {
  const good = Array.from({ length: 198 }, (_, i) => `s${i}\tt${i}`);
  const text = [...good.slice(0, 10), 'no tab here', ...good.slice(10), ' \tempty source'].join('\n');
  // 2 bad of 200 non-blank lines = 1%: allowed at the default 0.01
  const c = parseParallelTsv(text);
  assert.equal(c.pairs.length, 198);
  assert.deepEqual(
    c.bad.map((b) => [b.line, b.reason]),
    [
      [11, 'expected source<TAB>target, received a line without a tab'],
      [200, 'empty source'],
    ],
  );
  assert.throws(
    () => parseParallelTsv(text + '\nx\t', { name: 'f.tsv' }),
    /parseParallelTsv\(f\.tsv\): 3 of 201 lines are bad, more than maxBadFraction 0\.01; line 11: expected source<TAB>target.*line 200: empty source.*line 201: empty target/,
  );
  assert.throws(() => parseParallelTsv(text, { strict: true }), /line 11: expected source<TAB>target/);
});

test('parseParallelTsv: more than five bad lines are summarised', () => {
  const text = Array.from({ length: 8 }, () => 'bad').join('\n');
  assert.throws(() => parseParallelTsv(text), /line 5: .*; and 3 more$/);
  assert.throws(
    () => parseParallelTsv('a\tb', { maxBadFraction: 2 }),
    /maxBadFraction must be in \[0, 1\], received 2/,
  );
});
