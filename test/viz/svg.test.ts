import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colorAt, toHex } from '../../src/viz/colormap.js';
import { escapeXml, renderSvg } from '../../src/viz/svg.js';

const map = {
  weights: [
    [0.7, 0.2, 0.1],
    [1 / 3, 1 / 3, 1 / 3],
  ],
  rowLabels: ['F', 'OW1'],
  colLabels: ['p', 'h', 'o'],
  title: 'phoneme',
};

/** Every cell <rect> with its attributes. */
function cells(svg: string) {
  return [...svg.matchAll(/<rect ([^>]*data-weight[^>]*)>/g)].map((m) =>
    Object.fromEntries([...m[1].matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])),
  );
}

test('one cell per weight, filled from the colour map, with data attributes', () => {
  const svg = renderSvg(map);
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" '));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  const cs = cells(svg);
  assert.equal(cs.length, 6);
  assert.deepEqual(
    cs.map((c) => [c['data-row'], c['data-col'], c['data-weight'], c.fill]),
    [
      ['0', '0', '0.7', toHex(colorAt(0.7))],
      ['0', '1', '0.2', toHex(colorAt(0.2))],
      ['0', '2', '0.1', toHex(colorAt(0.1))],
      ['1', '0', '0.3333', toHex(colorAt(1 / 3))],
      ['1', '1', '0.3333', toHex(colorAt(1 / 3))],
      ['1', '2', '0.3333', toHex(colorAt(1 / 3))],
    ],
  );
  // cells tile the grid: columns left to right, rows top to bottom, 24 px apart
  assert.equal(Number(cs[1].x) - Number(cs[0].x), 24);
  assert.equal(Number(cs[3].y) - Number(cs[0].y), 24);
  assert.equal(cs[0].width, '24');
});

test('labels: targets down the left in order, sources across the top in order, title', () => {
  const svg = renderSvg(map);
  const rows = [...svg.matchAll(/class="row-label" x="[^"]*" y="([^"]*)"[^>]*>([^<]*)</g)];
  assert.deepEqual(
    rows.map((r) => r[2]),
    ['F', 'OW1'],
  );
  assert.ok(Number(rows[0][1]) < Number(rows[1][1]));
  const cols = [...svg.matchAll(/class="col-label" x="([^"]*)"[^>]*>([^<]*)</g)];
  assert.deepEqual(
    cols.map((c) => c[2]),
    ['p', 'h', 'o'],
  );
  assert.ok(Number(cols[0][1]) < Number(cols[1][1]) && Number(cols[1][1]) < Number(cols[2][1]));
  assert.doesNotMatch(svg, /rotate\(/, 'one-letter labels stay upright');
  assert.match(svg, /<text [^>]*font-weight="bold">phoneme<\/text>/);
  assert.match(svg, /<title>F → h: 0.2<\/title>/, 'hover tooltip names both tokens');
});

test('long source labels are rotated; the colour bar has ticks and a gradient from the map', () => {
  const svg = renderSvg(
    { weights: [[0.5, 0.5]], colLabels: ['agreement', 'a'] },
    { colormap: 'magma', normalize: 'max' },
  );
  assert.equal((svg.match(/transform="rotate\(-90 /g) ?? []).length, 2);
  assert.match(svg, /<linearGradient id="attend-colorbar-magma"/);
  assert.match(svg, new RegExp(`<stop offset="1" stop-color="${toHex(colorAt(1, 'magma'))}"/>`));
  const ticks = [...svg.matchAll(/class="tick"[^>]*>([^<]*)</g)].map((m) => m[1]);
  assert.deepEqual(ticks, ['0', '0.25', '0.5'], "'max' labels the bar in weights up to the map's max");
  assert.equal(cells(svg)[0].fill, toHex(colorAt(1, 'magma')));
});

test('every label is XML-escaped, control characters replaced', () => {
  const nasty = `<&>"'`;
  const svg = renderSvg({ weights: [[1]], rowLabels: [nasty], colLabels: ['a\u0001b'], title: nasty });
  assert.equal(escapeXml(nasty), '&lt;&amp;&gt;&quot;&apos;');
  assert.ok(!svg.includes(nasty));
  assert.equal(svg.split('&lt;&amp;&gt;&quot;&apos;').length - 1, 5); // aria-label, <title>, title text, row label, tooltip
  assert.ok(svg.includes('a\ufffdb') && !svg.includes('\u0001'));
  // well-formed enough: outside tags no raw < or >, and every & starts an entity
  const text = svg.replace(/<[^<>]*>/g, '');
  assert.doesNotMatch(text, /[<>]/);
  assert.doesNotMatch(svg, /&(?!(amp|lt|gt|quot|apos);)/);
  // attribute values never hold a raw quote
  for (const tag of svg.match(/<[^<>]*>/g) ?? []) assert.match(tag, /^<\/?[\w:-]+(\s+[\w:-]+="[^"<]*")*\s*\/?>$/, tag);
});

test('output is deterministic and numbers have a fixed format', () => {
  const a = renderSvg(map, { highlight: [[0, 0]], windows: [[0, 1], null] });
  assert.equal(a, renderSvg(map, { highlight: [[0, 0]], windows: [[0, 1], null] }));
  assert.doesNotMatch(a, /\d\.\d{5,}/, 'no long decimals');
  assert.doesNotMatch(a, /e-\d|NaN|undefined/);
  assert.equal((a.match(/class="highlight"/g) ?? []).length, 1);
  assert.match(a, /class="window" [^>]*data-row="0" data-first="0" data-last="1"/);
});

test('renderSvg rejects bad maps and options with the value received', () => {
  assert.throws(
    () => renderSvg({ weights: [[1, 2], [3]] }),
    /renderSvg: weights is ragged: weights\[1\] has 1 columns/,
  );
  assert.throws(() => renderSvg(map, { cellSize: 0 }), /cellSize must be a positive number, received 0/);
  assert.throws(() => renderSvg(map, { highlight: [[0, 3]] }), /inside 2×3, received \[0, 3\]/);
});
