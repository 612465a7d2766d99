import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePng, encodePng } from '../../src/node/png.js';
import { colorAt } from '../../src/viz/colormap.js';
import { renderRaster } from '../../src/viz/raster.js';

test('a rendered heatmap survives PNG encoding with the colour map colours at known weights', () => {
  const weights = [
    [0, 0.5],
    [1, 0.25],
    [0.75, 0.125],
  ];
  const img = renderRaster({ weights }, { cellSize: 3, colormap: 'magma' });
  const bytes = encodePng(img.data, img.width, img.height);
  assert.deepEqual(Array.from(bytes.subarray(0, 8)), [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
  const back = decodePng(bytes);
  assert.equal(back.width, 6);
  assert.equal(back.height, 9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 2; j++) {
      const p: number = ((i * 3 + 1) * back.width + (j * 3 + 1)) * 4; // centre pixel of cell (i, j)
      assert.deepEqual(
        Array.from(back.data.subarray(p, p + 4)),
        [...colorAt(weights[i][j], 'magma'), 255],
        `${i},${j}`,
      );
    }
  }
  assert.deepEqual(back.data, img.data);
});

test('encodePng keeps a view’s offset and checks its length; decodePng rejects non-PNG bytes', () => {
  const backing = new Uint8ClampedArray(4 + 8);
  backing.set([1, 2, 3, 4, 5, 6, 7, 8], 4);
  const view = backing.subarray(4);
  assert.deepEqual(Array.from(decodePng(encodePng(view, 2, 1)).data), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.throws(
    () => encodePng(view, 3, 1),
    /encodePng: rgba must hold width × height × 4 = 12 bytes for 3×1, received 8/,
  );
  assert.throws(() => encodePng(view, 0, 1), /width and height must be positive integers, received 0×1/);
  assert.throws(() => decodePng(new Uint8Array([1, 2, 3])), /decodePng: bytes must be a PNG file \(3 bytes received\)/);
});
