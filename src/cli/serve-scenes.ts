/**
 * The test scenes a caption run's page offers: the first SERVED_SCENES scenes `attend caption
 * --test-scene N` and `attend eval-caption` use (Fashion-MNIST test images, seed TEST_SEED),
 * made once when the server starts and served as one JSON file (pixels in base64).
 */
import { TEST_SEED } from './caption-train.js';
import { testScenes } from './caption-run.js';

export const SERVED_SCENES = 8;

/** /api/scenes.json; the shape web/src/caption-model.ts (ScenesJSON) reads. */
export function scenesJson(dataDir?: string, n = SERVED_SCENES): Buffer {
  const scenes = testScenes(n, dataDir);
  return Buffer.from(
    JSON.stringify({
      source: `test scenes 0–${n - 1} (Fashion-MNIST test images, seed ${TEST_SEED}): the scenes of attend caption --test-scene N`,
      scenes: scenes.map((s) => ({
        pixels: Buffer.from(s.pixels.buffer, s.pixels.byteOffset, s.pixels.byteLength).toString('base64'),
        width: s.width,
        height: s.height,
        items: s.items,
        caption: s.caption,
      })),
    }),
  );
}
