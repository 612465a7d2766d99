import assert from 'node:assert/strict';
import { test } from 'node:test';
import { copyTask, dateTask, formatDate, reverseTask } from '../../src/data/index.js';

test('copyTask and reverseTask: lengths in range, alphabet respected, seeded', () => {
  const opts = { n: 200, alphabet: ['a', 'b', 'c'], minLength: 2, maxLength: 5, seed: 42 };
  const copy = copyTask(opts);
  assert.equal(copy.length, 200);
  const lengths = new Set(copy.map((e) => e.source.length));
  assert.deepEqual([...lengths].sort(), [2, 3, 4, 5]);
  for (const e of copy) {
    assert.deepEqual(e.target, e.source);
    assert.ok(e.source.every((t) => 'abc'.includes(t)));
  }
  assert.deepEqual(copyTask(opts), copy);
  assert.notDeepEqual(copyTask({ ...opts, seed: 43 }), copy);
  const rev = reverseTask(opts);
  // same seed → same sources, reversed targets
  assert.deepEqual(
    rev.map((e) => e.source),
    copy.map((e) => e.source),
  );
  assert.deepEqual(rev[0].target, [...rev[0].source].reverse());
  assert.throws(() => copyTask({ ...opts, maxLength: 1 }), /copyTask: maxLength must be an integer >= 2, received 1/);
});

test('formatDate: 3 March 2021 (a Wednesday) in every format', () => {
  const { iso, forms } = formatDate(2021, 3, 3);
  assert.equal(iso, '2021-03-03');
  assert.deepEqual(Object.values(forms), [
    '3 March 2021',
    'march 3, 2021',
    'March 3, 2021',
    '03/03/2021',
    '03.03.2021',
    'Wed 3 Mar 21',
    'Wednesday, March 3, 2021',
    '3rd of March 2021',
    '3 mar 2021',
    'MARCH 3 2021',
    '2021-03-03',
  ]);
  // month-first with slashes, day-first with dots; ordinals 11th–13th
  assert.equal(formatDate(1999, 12, 11).forms['mm/dd/yyyy'], '12/11/1999');
  assert.equal(formatDate(1999, 12, 11).forms['dd.mm.yyyy'], '11.12.1999');
  assert.equal(formatDate(1999, 12, 11).forms['dth of Month yyyy'], '11th of December 1999');
  assert.equal(formatDate(2000, 2, 22).forms['dth of Month yyyy'], '22nd of February 2000');
  assert.throws(() => formatDate(2021, 2, 29), /expected a real date, received 2021-2-29/);
});

test('dateTask: character tokens, answers consistent with the source, seeded', () => {
  const ex = dateTask({ n: 300, seed: 5 });
  assert.deepEqual(dateTask({ n: 300, seed: 5 }), ex);
  for (const e of ex) {
    const iso = e.target.join('');
    assert.match(iso, /^(19[5-9]\d|20[0-4]\d)-\d\d-\d\d$/);
    const [y, m, d] = iso.split('-').map(Number);
    assert.equal(e.source.join(''), formatDate(y, m, d).forms[e.format]);
  }
  assert.ok(new Set(ex.map((e) => e.format)).size === 11);
  // outside 1950–2049 two-digit years would be ambiguous: that format is not drawn
  const old = dateTask({ n: 300, seed: 5, minYear: 1800, maxYear: 1900 });
  assert.ok(old.every((e) => e.format !== 'Wkd d Mon yy'));
});
