import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colorAt } from '../../src/viz/colormap.js';
import { overlayAttention, upsampleBilinear } from '../../src/viz/overlay.js';

test('bilinear upsampling puts cell centres on block centres and holds the edges', () => {
  // 2 cells → 4 pixels: sample points at x = -0.25, 0.25, 0.75, 1.25 in grid units
  assert.deepEqual(Array.from(upsampleBilinear([[0, 1]], 4, 1)), [0, 0.25, 0.75, 1]);
  assert.deepEqual(Array.from(upsampleBilinear([[0], [1]], 1, 4)), [0, 0.25, 0.75, 1]);
  assert.deepEqual(Array.from(upsampleBilinear([[5]], 3, 2)), [5, 5, 5, 5, 5, 5]);
  // the middle of a 3×3 grid's centre block is the centre weight itself
  const up = upsampleBilinear(
    [
      [0, 0, 0],
      [0, 9, 0],
      [0, 0, 0],
    ],
    9,
    9,
  );
  assert.equal(up[4 * 9 + 4], 9);
  assert.equal(up[0], 0);
});

test('alpha blends the colour-mapped, upsampled weights over a grey image', () => {
  const grey = { data: new Uint8Array([100, 100, 100, 100]), width: 4, height: 1 };
  const grid = [[0, 2]]; // normalised by its max to [0, 1]
  const opaque = overlayAttention(grey, grid, { alpha: 1 });
  const at = (img: { data: Uint8ClampedArray }, x: number) => Array.from(img.data.subarray(x * 4, x * 4 + 4));
  assert.deepEqual(at(opaque, 0), [...colorAt(0), 255]);
  assert.deepEqual(at(opaque, 1), [...colorAt(0.25), 255]);
  assert.deepEqual(at(opaque, 3), [...colorAt(1), 255]);
  assert.deepEqual(at(overlayAttention(grey, grid, { alpha: 0 }), 2), [100, 100, 100, 255]);
  const half = overlayAttention(grey, grid, { alpha: 0.5 });
  const [r, g, b] = colorAt(1);
  assert.deepEqual(at(half, 3), [Math.round(50 + r / 2), Math.round(50 + g / 2), Math.round(50 + b / 2), 255]);
  // without normalisation the weight 2 clamps to the top colour and 0.5 (x = 1: 0.25·2) stays mid-scale
  assert.deepEqual(at(overlayAttention(grey, grid, { alpha: 1, normalize: 'none' }), 1), [...colorAt(0.5), 255]);
});

test('RGB and RGBA images: channels kept apart, alpha kept', () => {
  const rgb = { data: new Uint8Array([255, 0, 0, 0, 0, 255]), width: 2, height: 1 };
  const out = overlayAttention(rgb, [[1]], { alpha: 0.25, colormap: 'greys' });
  // greys at 1 is white: 0.75·image + 0.25·255
  assert.deepEqual(Array.from(out.data), [255, 64, 64, 255, 64, 64, 255, 255]);
  const rgba = { data: new Uint8ClampedArray([10, 20, 30, 40]), width: 1, height: 1 };
  assert.deepEqual(Array.from(overlayAttention(rgba, [[1]], { alpha: 0 }).data), [10, 20, 30, 40]);
});

test('overlayAttention names the bad argument', () => {
  const img = { data: new Uint8Array(10), width: 2, height: 2 };
  assert.throws(
    () => overlayAttention(img, [[1]]),
    /image.data must hold .* = 4, 12 or 16 values for 2×2, received 10/,
  );
  const ok = { data: new Uint8Array(4), width: 2, height: 2 };
  assert.throws(() => overlayAttention(ok, [[1]], { alpha: 2 }), /alpha must be in \[0, 1\], received 2/);
  assert.throws(() => overlayAttention(ok, [[1, 1], [1]]), /overlayAttention: grid: weights is ragged/);
  assert.throws(() => overlayAttention(ok, [[1]], { normalize: 'row' as 'max' }), /normalize must be 'max' or 'none'/);
});
