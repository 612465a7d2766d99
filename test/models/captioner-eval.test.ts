// Caption scores (src/models/captioner-eval.ts) on hand-made predictions: exact match, word
// accuracy, BLEU, and the share of attention inside the named item's box, worked by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Scene } from '../../src/data/scenes.js';
import { cellOverlap, scoreCaptions } from '../../src/models/captioner-eval.js';

test('cellOverlap: the fraction of each grid cell inside a box', () => {
  // an 8×16 image on a 2×4 grid: cells are 4×4; the box x 2…10, y 1…5 (8 wide, 4 high)
  const f = cellOverlap({ x: 2, y: 1, width: 8, height: 4 }, [2, 4], 16, 8);
  // row 0 (y 0…4): the box covers y 1…4 = 3 of 4 rows; columns: x 0…4 → 2 of 4, 4…8 → 4, 8…12 → 2, 12…16 → 0
  // row 1 (y 4…8): y 4…5 = 1 of 4 rows
  const want = [0.375, 0.75, 0.375, 0, 0.125, 0.25, 0.125, 0];
  assert.deepEqual(Array.from(f), want);
  // uniform attention over the cells puts exactly the box's share of the image inside it
  assert.equal(f.reduce((s, v) => s + v, 0) / 8, (8 * 4) / (16 * 8));
});

const scene = (caption: string[], boxes: [number, number][]): Scene => ({
  pixels: new Uint8Array(16 * 8),
  width: 16,
  height: 8,
  caption,
  items: caption.map((name, i) => ({ name, label: 0, image: i, box: { x: boxes[i][0], y: boxes[i][1], width: 4, height: 4 } })), // prettier-ignore
});

test('scoreCaptions: exact match, word accuracy, BLEU and attention in the named box', () => {
  // 2×4 grid of 4×4 cells; each item's box is exactly one cell
  const scenes = [scene(['bag', 'boot'], [[0, 0], [12, 4]]), scene(['coat', 'shirt', 'dress'], [[4, 0], [8, 0], [0, 4]])]; // prettier-ignore
  const one = (cell: number) => Array.from({ length: 8 }, (_, i) => (i === cell ? 1 : 0));
  const half = (a: number, b: number) => Array.from({ length: 8 }, (_, i) => (i === a || i === b ? 0.5 : 0));
  const predictions = [
    // right caption; "bag" looks at its own cell (0), "boot" half at its cell (7)
    { words: ['bag', 'boot'], reference: scenes[0].caption, attention: [one(0), half(7, 0)] },
    // first word right and looking elsewhere (cell 5), second wrong, third right looking at its cell (4)
    { words: ['coat', 'sandal', 'dress'], reference: scenes[1].caption, attention: [one(5), one(2), one(4)] },
  ];
  const s = scoreCaptions(predictions, scenes, [2, 4]);
  assert.equal(s.exactMatch, 0.5);
  assert.equal(s.wordAccuracy, 4 / 5);
  // in-box share over the 4 right words: 1, 0.5, 0, 1
  assert.equal(s.wordsMeasured, 4);
  assert.equal(s.attentionInBox, (1 + 0.5 + 0 + 1) / 4);
  assert.equal(s.chanceInBox, 16 / 128);
  // BLEU-4 (corpus statistics): no 4-gram in any hypothesis, so p4 = 0 and BLEU is 0, as sacreBLEU says
  assert.equal(s.bleu, 0);
  // one four-word caption, right: every precision is 100 %
  const four = scene(
    ['bag', 'coat', 'bag', 'coat'],
    [
      [0, 0],
      [4, 0],
      [8, 0],
      [12, 0],
    ],
  );
  const perfect = scoreCaptions([{ words: four.caption, reference: four.caption, attention: null }], [four], [2, 4]);
  assert.ok(Math.abs(perfect.bleu - 100) < 1e-9, String(perfect.bleu));
  const noAttention = scoreCaptions(
    predictions.map((p) => ({ ...p, attention: null })),
    scenes,
    [2, 4],
  );
  assert.equal(noAttention.attentionInBox, null);
  assert.equal(noAttention.exactMatch, 0.5);
  assert.throws(() => scoreCaptions(predictions.slice(1), scenes, [2, 4]), /1 predictions for 2 scenes/);
});
