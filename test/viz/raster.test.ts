import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colorAt } from '../../src/viz/colormap.js';
import { renderRaster } from '../../src/viz/raster.js';

const pixel = (img: { data: Uint8ClampedArray; width: number }, x: number, y: number) =>
  Array.from(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4));

test('each weight becomes a cellSize square of its colour, opaque', () => {
  const weights = [
    [0, 0.5, 1],
    [0.25, 0.75, 0.1],
  ];
  const img = renderRaster({ weights }, { cellSize: 4 });
  assert.equal(img.width, 12);
  assert.equal(img.height, 8);
  assert.equal(img.data.length, 12 * 8 * 4);
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 3; j++) {
      const want = [...colorAt(weights[i][j]), 255];
      // all four corners of the cell, so an off-by-one in the square shows
      for (const [dx, dy] of [
        [0, 0],
        [3, 0],
        [0, 3],
        [3, 3],
      ]) {
        assert.deepEqual(pixel(img, j * 4 + dx, i * 4 + dy), want, `cell ${i},${j} +${dx},${dy}`);
      }
    }
  }
});

test('normalisation and colour map reach the pixels', () => {
  const img = renderRaster({ weights: [[0.1, 0.2]] }, { cellSize: 1, normalize: 'row', colormap: 'greys' });
  assert.deepEqual(pixel(img, 0, 0), [128, 128, 128, 255]);
  assert.deepEqual(pixel(img, 1, 0), [255, 255, 255, 255]);
  assert.throws(
    () => renderRaster({ weights: [[1]] }, { cellSize: 1.5 }),
    /cellSize must be an integer ≥ 1, received 1.5/,
  );
  assert.throws(() => renderRaster({ weights: [[NaN]] }), /renderRaster: weights\[0\]\[0\] must be a finite number/);
});

test('highlighted cells get a red frame and keep their colour inside', () => {
  const img = renderRaster({ weights: [[0, 1]] }, { cellSize: 16, highlight: [[0, 1]] });
  const red = [255, 45, 85, 255];
  assert.deepEqual(pixel(img, 16, 0), red);
  assert.deepEqual(pixel(img, 17, 8), red, 'the border is 16 / 8 = 2 pixels wide');
  assert.deepEqual(pixel(img, 31, 15), red);
  assert.deepEqual(pixel(img, 18, 8), [...colorAt(1), 255]);
  assert.deepEqual(pixel(img, 15, 0), [...colorAt(0), 255], 'the neighbour is untouched');
  assert.throws(
    () => renderRaster({ weights: [[1]] }, { highlight: [[0, 1]] }),
    /renderRaster: highlight\[0\] .* received \[0, 1\]/,
  );
});
