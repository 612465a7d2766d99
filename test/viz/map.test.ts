import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatNumber, prepareMap, truncateLabel, validateMap } from '../../src/viz/map.js';

test('validateMap names the ragged row, the bad value and the label count', () => {
  assert.throws(
    () =>
      validateMap(
        {
          weights: [
            [1, 0, 0],
            [0, 1],
          ],
        },
        'f',
      ),
    /^Error: f: weights is ragged: weights\[1\] has 2 columns, expected 3 like weights\[0\]$/,
  );
  assert.throws(
    () => validateMap({ weights: [[1, NaN]] }, 'f'),
    /weights\[0\]\[1\] must be a finite number, received NaN/,
  );
  assert.throws(() => validateMap({ weights: [[Infinity]] }, 'f'), /received Infinity/);
  assert.throws(() => validateMap({ weights: [] }, 'f'), /at least one row, received 0 rows/);
  assert.throws(
    () => validateMap({ weights: [[1], [1]], rowLabels: ['a', 'b', 'c'] }, 'f'),
    /rowLabels must have 2 labels \(one per row of weights\), received 3/,
  );
  assert.throws(
    () => validateMap({ weights: [[1, 0]], colLabels: ['a'] }, 'f'),
    /colLabels must have 2 labels \(one per column of weights\), received 1/,
  );
});

test('prepareMap scales by nothing, the map max or each row max', () => {
  const weights = [
    [0.2, 0.1],
    [0.4, -0.1],
  ];
  assert.deepEqual(prepareMap({ weights }, 'none', 'f').scaled, [
    [0.2, 0.1],
    [0.4, 0],
  ]);
  const max = prepareMap({ weights }, 'max', 'f');
  assert.deepEqual(max.scaled, [
    [0.5, 0.25],
    [1, 0],
  ]);
  assert.equal(max.vmax, 0.4);
  assert.deepEqual(prepareMap({ weights }, 'row', 'f').scaled, [
    [1, 0.5],
    [1, 0],
  ]);
  assert.deepEqual(prepareMap({ weights: [[0, 0]] }, 'row', 'f').scaled, [[0, 0]]);
  assert.deepEqual(prepareMap({ weights }, 'none', 'f').rowLabels, ['0', '1']);
});

test('formatNumber is fixed: at most the digits asked, no -0', () => {
  assert.equal(formatNumber(1 / 3), '0.3333');
  assert.equal(formatNumber(-0.00001), '0');
  assert.equal(formatNumber(2.5, 2), '2.5');
  assert.equal(truncateLabel('encyclopedia', 5), 'ency…');
  assert.equal(truncateLabel('a😀b😀c', 3), 'a😀…'); // code points, not UTF-16 halves
});
