// The scene generator (src/data/scenes.ts) on a small image set of our own, where image i is
// filled with the value 10 + i: every pixel of a scene tells which image (or none) it came from.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FASHION_CLASSES,
  type ImageSet,
  captionTensors,
  captionVocab,
  makeScene,
  makeScenes,
  sceneImages,
} from '../../src/data/scenes.js';

function imageSet(count: number): ImageSet {
  const images = new Uint8Array(count * 28 * 28);
  for (let i = 0; i < count; i++) images.fill(10 + i, i * 784, (i + 1) * 784);
  return { images, labels: Uint8Array.from({ length: count }, (_, i) => i % 10), count, height: 28, width: 28 };
}

const set = imageSet(40);

test('a scene is a pure function of (images, seed, index)', () => {
  const a = makeScene(set, 3, 17);
  const b = makeScene(set, 3, 17);
  assert.deepEqual(a, b);
  assert.notDeepEqual(makeScene(set, 3, 18).pixels, a.pixels);
  assert.notDeepEqual(makeScene(set, 4, 17).pixels, a.pixels);
  assert.deepEqual(makeScenes(set, 3, 16, 3)[1], a);
});

test('2–4 items in distinct slots, each pasted whole inside its slot, nothing else on the canvas', () => {
  const counts = new Map<number, number>();
  for (const s of makeScenes(set, 1, 0, 300)) {
    assert.equal(s.width, 128);
    assert.equal(s.height, 64);
    assert.ok(s.items.length >= 2 && s.items.length <= 4);
    counts.set(s.items.length, (counts.get(s.items.length) ?? 0) + 1);
    const owner = new Int32Array(s.width * s.height).fill(-1);
    s.items.forEach((it, k) => {
      const { x, y, width, height } = it.box;
      assert.equal(width, 28);
      assert.equal(height, 28);
      // inside one 32×32 slot: the offset within the slot is 0…4
      assert.ok(x % 32 <= 4 && y % 32 <= 4, `box ${x},${y} leaves its slot`);
      for (let r = y; r < y + height; r++)
        for (let c = x; c < x + width; c++) {
          assert.equal(owner[r * s.width + c], -1, 'two items overlap');
          owner[r * s.width + c] = k;
          assert.equal(s.pixels[r * s.width + c], 10 + it.image);
        }
      assert.equal(it.label, it.image % 10);
      assert.equal(it.name, FASHION_CLASSES[it.label]);
    });
    for (let p = 0; p < owner.length; p++) if (owner[p] < 0) assert.equal(s.pixels[p], 0, 'stray pixel');
    // reading order: row by row (slot row), left to right
    const order = s.items.map((it) => Math.floor(it.box.y / 32) * 4 + Math.floor(it.box.x / 32));
    assert.deepEqual(
      order,
      [...order].sort((p, q) => p - q),
    );
    assert.equal(new Set(order).size, order.length);
    assert.deepEqual(
      s.caption,
      s.items.map((it) => it.name),
    );
  }
  // every item count occurs, roughly a third of the time each (300 scenes)
  for (const n of [2, 3, 4]) assert.ok((counts.get(n) ?? 0) > 60, `${n} items: ${counts.get(n)} of 300`);
});

test('scenes take images only from their range (train / dev split)', () => {
  for (const s of makeScenes(set, 2, 0, 100, { first: 30, count: 10 }))
    for (const it of s.items) assert.ok(it.image >= 30 && it.image < 40, `image ${it.image}`);
  assert.throws(() => makeScene(set, 0, 0, { first: 35, count: 10 }), /images \[35, 45\) must lie inside the set's 40 images/); // prettier-ignore
  assert.throws(() => makeScene(set, 0, 0, { slot: 20 }), /slot \(20\) must be at least the item size 28×28/);
  assert.throws(() => makeScene(set, 0, 0, { minItems: 3, maxItems: 2 }), /minItems ≤ maxItems/);
  assert.throws(() => makeScene(set, 0, -1), /index must be an integer ≥ 0, received -1/);
});

test('other layouts: one row of three 28×28 slots is a 28×84 canvas with the slots in order', () => {
  const s = makeScene(set, 5, 0, { rows: 1, cols: 3, slot: 28, minItems: 3, maxItems: 3 });
  assert.deepEqual([s.width, s.height], [84, 28]);
  assert.deepEqual(
    s.items.map((it) => it.box.x),
    [0, 28, 56],
  );
});

test('captionTensors: BOS + words in, words + EOS out, PAD after; sceneImages scales to [0, 1]', () => {
  const vocab = captionVocab();
  assert.equal(vocab.size, 14);
  assert.equal(vocab.id('t-shirt'), 4);
  assert.equal(vocab.id('boot'), 13);
  const { tgtIn, tgtOut } = captionTensors([['bag', 'boot'], ['coat']], vocab);
  assert.deepEqual(tgtIn.shape, [2, 3]);
  // ids: PAD 0, BOS 1, EOS 2; bag 12, boot 13, coat 8
  assert.deepEqual([...tgtIn.data], [1, 12, 13, 1, 8, 0]);
  assert.deepEqual([...tgtOut.data], [12, 13, 2, 8, 2, 0]);
  const scenes = makeScenes(set, 0, 0, 2);
  const x = sceneImages(scenes);
  assert.deepEqual(x.shape, [2, 1, 64, 128]);
  const it = scenes[1].items[0];
  assert.ok(Math.abs(x.data[64 * 128 + it.box.y * 128 + it.box.x] - (10 + it.image) / 255) < 1e-7);
});
