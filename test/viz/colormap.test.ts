import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colorAt, luminance, toHex } from '../../src/viz/colormap.js';

test('viridis and magma match matplotlib at the ends and the middle', () => {
  // matplotlib: viridis(0) = (0.267004, 0.004874, 0.329415), viridis(0.5) = (0.127568, 0.566949, 0.550556)
  assert.equal(toHex(colorAt(0)), '#440154');
  assert.equal(toHex(colorAt(0.5)), '#21918c');
  assert.equal(toHex(colorAt(1)), '#fde725');
  assert.equal(toHex(colorAt(0, 'magma')), '#000004');
  assert.equal(toHex(colorAt(0.5, 'magma')), '#b73779'); // _magma_data[128] = (0.716387, 0.214982, 0.475290)
  assert.equal(toHex(colorAt(1, 'magma')), '#fcfdbf');
  assert.deepEqual(colorAt(0.5, 'greys'), [128, 128, 128]);
});

test('colorAt picks entry floor(t·256) like matplotlib and clamps outside [0, 1]', () => {
  assert.notDeepEqual(colorAt(127.99 / 256), colorAt(128 / 256));
  assert.deepEqual(colorAt(127.99 / 256, 'greys'), [127, 127, 127]);
  assert.deepEqual(colorAt(-3), colorAt(0));
  assert.deepEqual(colorAt(7), colorAt(1));
  assert.deepEqual(colorAt(0.999, 'greys'), [255, 255, 255]);
});

test('viridis and magma get lighter from 0 to 1 (the table is in order)', () => {
  for (const name of ['viridis', 'magma'] as const) {
    let last = -1;
    for (let k = 0; k <= 16; k++) {
      const l = luminance(colorAt(k / 16, name));
      assert.ok(l > last, `${name} at ${k}/16: luma ${l} after ${last}`);
      last = l;
    }
  }
});

test('colorAt rejects NaN and unknown maps by name', () => {
  assert.throws(() => colorAt(NaN), /colorAt: t must be a number in \[0, 1\], received NaN/);
  // @ts-expect-error an unknown colour map name
  assert.throws(() => colorAt(0.5, 'jet'), /colormap must be one of viridis, magma, greys, received "jet"/);
});
