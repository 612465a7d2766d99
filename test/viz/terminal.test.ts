import assert from 'node:assert/strict';
import { test } from 'node:test';
import { heatmap, renderTerminal, xterm256 } from '../../src/viz/terminal.js';

const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

test('heatmap (the npm start call) keeps its signature and draws shades with labels', () => {
  const out = heatmap(
    [
      [1, 0],
      [0.25, 0.75],
    ],
    { rowLabels: ['x', 'y'], colLabels: ['a', 'b'] },
  );
  assert.equal(out, ['   a b', 'x ██  ', 'y ░░▓▓'].join('\n'));
  assert.match(heatmap([[1]], { color: true }), /\x1b\[48;5;\d+;38;5;\d+m██/);
});

test('five shade levels, in column order, rows in label order', () => {
  const out = renderTerminal({
    weights: [
      [0, 0.25, 0.5, 0.75, 1],
      [1, 0, 0, 0, 0],
    ],
    rowLabels: ['long', 'b'],
  });
  assert.deepEqual(out.split('\n'), ['      0 1 2 3 4', 'long   ░░▒▒▓▓██', '   b ██        ']);
});

test('per-row max normalisation fills the scale in each row', () => {
  const w = [[0.2, 0.1, 0.05]];
  assert.equal(renderTerminal({ weights: w }).split('\n')[1], '0 ░░    ');
  assert.equal(renderTerminal({ weights: w }, { normalize: 'row' }).split('\n')[1], '0 ██▒▒░░');
});

test('long column labels are written vertically, bottom-aligned, or truncated', () => {
  const map = { weights: [[1, 0, 0]], colLabels: ['the', 'a', 'cat'], title: 'T' };
  assert.deepEqual(renderTerminal(map).split('\n'), ['T', '   t   c', '   h   a', '   e a t', '0 ██    ']);
  assert.deepEqual(renderTerminal(map, { columnLabels: 'truncate' }).split('\n'), ['T', '  t… ac…', '0 ██    ']);
  assert.equal(renderTerminal(map, { maxLabelLength: 2 }).split('\n')[1], '  t… ac…'); // cut labels fit: one line
  assert.equal(
    renderTerminal({ weights: [[1]], rowLabels: ['encyclopedia'] }, { maxLabelLength: 4 }).split('\n')[1],
    'enc… ██',
  );
});

test('highlight marks hard-attention cells; windows show their bounds and dim the rest', () => {
  const weights = [
    [0.5, 0.5, 0, 0],
    [0, 0.5, 0.5, 0],
    [0, 0, 0, 1],
  ];
  const out = renderTerminal(
    { weights },
    {
      highlight: [
        [0, 1],
        [2, 3],
      ],
      windows: [[-1, 1], [1, 2], null],
      cellWidth: 3,
    },
  ).split('\n');
  assert.equal(out[1], '0 ▒▒▒◆▒]······');
  assert.equal(out[2], '1 ···[▒▒▒▒]···');
  assert.equal(out[3], '2          ◆██');
  assert.throws(
    () => renderTerminal({ weights }, { highlight: [[3, 0]] }),
    /highlight\[0\] must be a \[row, col\] inside 3×4, received \[3, 0\]/,
  );
  assert.throws(() => renderTerminal({ weights }, { windows: [[0, 1]] }), /windows must have 3 entries/);
  assert.throws(
    () => renderTerminal({ weights }, { windows: [[2, 1], null, null] }),
    /windows\[0\].*received \[2, 1\]/,
  );
});

test('colour modes paint viridis backgrounds and keep the shading under the escapes', () => {
  const map = { weights: [[0, 0.5, 1]], rowLabels: ['r'], colLabels: ['a', 'b', 'c'] };
  const plain = renderTerminal(map, { legend: true });
  const truecolor = renderTerminal(map, { color: 'truecolor', legend: true });
  assert.match(truecolor, /\x1b\[48;2;68;1;84;38;2;68;1;84m {2}/); // #440154 at 0
  assert.match(truecolor, /\x1b\[48;2;33;145;140;38;2;33;145;140m▒▒/); // #21918c at 0.5
  assert.match(truecolor, /\x1b\[48;2;253;231;37;38;2;253;231;37m██/); // #fde725 at 1
  assert.equal(stripAnsi(truecolor), plain);
  const c256 = renderTerminal(map, { color: '256', highlight: [[0, 2]] });
  assert.match(c256, new RegExp(`\\x1b\\[48;5;${xterm256([253, 231, 37])};`));
  assert.match(c256, /\x1b\[30m◆/, 'a mark on a light cell is black');
  assert.ok(
    c256
      .split('\n')
      .slice(1)
      .every((l) => l.endsWith('\x1b[0m')),
    'each coloured row resets',
  );
  assert.throws(
    () => renderTerminal(map, { color: 'rgb' as 'none' }),
    /color must be 'none', '256' or 'truecolor', received "rgb"/,
  );
});

test('xterm256 picks the nearest cube colour or grey', () => {
  assert.equal(xterm256([255, 0, 0]), 196);
  assert.equal(xterm256([0, 0, 0]), 16);
  assert.equal(xterm256([128, 128, 128]), 244);
  assert.equal(xterm256([95, 135, 175]), 16 + 36 * 1 + 6 * 2 + 3);
});
