/**
 * Scenes for image captioning (Show, Attend and Tell on Fashion-MNIST): 2–4 clothing items on
 * a dark canvas, and the caption that names them in reading order, e.g. "sneaker bag trouser".
 *
 * The canvas is a grid of slots (default 2 rows × 4 columns of 32×32 pixels, a 64×128 image);
 * each item takes a distinct slot and sits at a random offset inside it (a 28×28 image in a
 * 32×32 slot moves up to 4 pixels each way), so items never overlap and reading order
 * (row by row, left to right) is never ambiguous. Each item's box is kept: it is what "the
 * captioner looks at what it names" is measured against.
 *
 * Deterministic: scene `index` of a stream is a pure function of (images, seed, index), so a
 * training run can start, stop and resume anywhere, and train and test scenes never share an
 * image when they come from different image sets (train scenes from the training images,
 * test scenes from the test images).
 */
import { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { BOS, EOS, PAD, Vocab } from './vocab.js';

/** Fashion-MNIST's labels 0…9, named as the dataset's README does (short forms). */
export const FASHION_CLASSES = [
  't-shirt',
  'trouser',
  'pullover',
  'dress',
  'coat',
  'sandal',
  'shirt',
  'sneaker',
  'bag',
  'boot',
] as const;

/** Grey images with labels: images [count, height, width] uint8, row-major. */
export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
}

export interface SceneOptions {
  rows?: number;
  cols?: number;
  /** Slot size in pixels (≥ the item size). Default 32. */
  slot?: number;
  minItems?: number;
  maxItems?: number;
  /** Take images from [first, first + count) of the set only (e.g. to hold out a dev range). */
  first?: number;
  count?: number;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface SceneItem {
  label: number;
  name: string;
  /** Index of the source image in its ImageSet. */
  image: number;
  box: Box;
}

export interface Scene {
  /** Grey pixels [height, width], row-major. */
  pixels: Uint8Array;
  width: number;
  height: number;
  /** In reading order; caption[i] names items[i]. */
  items: SceneItem[];
  caption: string[];
}

export type ResolvedSceneOptions = Required<SceneOptions>;

export function resolveSceneOptions(set: ImageSet, o: SceneOptions = {}): ResolvedSceneOptions {
  const r = {
    rows: o.rows ?? 2,
    cols: o.cols ?? 4,
    slot: o.slot ?? 32,
    minItems: o.minItems ?? 2,
    maxItems: o.maxItems ?? 4,
    first: o.first ?? 0,
    count: o.count ?? set.count - (o.first ?? 0),
  };
  for (const [k, v] of Object.entries(r))
    if (!Number.isInteger(v) || v < 0) throw new Error(`scenes: ${k} must be a non-negative integer, received ${v}`);
  if (r.slot < Math.max(set.height, set.width))
    throw new Error(`scenes: slot (${r.slot}) must be at least the item size ${set.height}×${set.width}`);
  if (r.minItems < 1 || r.maxItems < r.minItems || r.maxItems > r.rows * r.cols)
    throw new Error(`scenes: need 1 ≤ minItems ≤ maxItems ≤ rows·cols = ${r.rows * r.cols}, received ${r.minItems}…${r.maxItems}`); // prettier-ignore
  if (r.count < 1 || r.first + r.count > set.count)
    throw new Error(`scenes: images [${r.first}, ${r.first + r.count}) must lie inside the set's ${set.count} images`);
  return r;
}

/** Scene `index` of the stream `seed` (pure: the same arguments give the same scene). */
export function makeScene(set: ImageSet, seed: number, index: number, options: SceneOptions = {}): Scene {
  const o = resolveSceneOptions(set, options);
  if (!Number.isSafeInteger(index) || index < 0) throw new Error(`makeScene: index must be an integer ≥ 0, received ${index}`); // prettier-ignore
  // one generator per scene: splitmix32 inside Generator mixes the combined seed
  const gen = new Generator((Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(index, 0x85ebca6b) ^ index) >>> 0);
  const n = o.minItems + gen.int(o.maxItems - o.minItems + 1);
  // n distinct slots: a partial Fisher–Yates shuffle, then reading order (row-major slot index)
  const slots = Array.from({ length: o.rows * o.cols }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = i + gen.int(slots.length - i);
    [slots[i], slots[j]] = [slots[j], slots[i]];
  }
  const chosen = slots.slice(0, n).sort((a, b) => a - b);
  const width = o.cols * o.slot;
  const height = o.rows * o.slot;
  const pixels = new Uint8Array(width * height);
  const { height: ih, width: iw } = set;
  const items = chosen.map((s): SceneItem => {
    const image = o.first + gen.int(o.count);
    const x = (s % o.cols) * o.slot + gen.int(o.slot - iw + 1);
    const y = Math.floor(s / o.cols) * o.slot + gen.int(o.slot - ih + 1);
    for (let r = 0; r < ih; r++) pixels.set(set.images.subarray((image * ih + r) * iw, (image * ih + r + 1) * iw), (y + r) * width + x); // prettier-ignore
    const label = set.labels[image];
    return { label, name: FASHION_CLASSES[label], image, box: { x, y, width: iw, height: ih } };
  });
  return { pixels, width, height, items, caption: items.map((i) => i.name) };
}

/** Scenes [start, start + n) of a stream. */
export function makeScenes(set: ImageSet, seed: number, start: number, n: number, options: SceneOptions = {}): Scene[] {
  return Array.from({ length: n }, (_, i) => makeScene(set, seed, start + i, options));
}

/** The caption vocabulary: the four specials, then the ten class names in label order (ids 4…13). */
export function captionVocab(): Vocab {
  return new Vocab(FASHION_CLASSES);
}

/** Pixels scaled to [0, 1] as a float batch [B, 1, H, W] (all scenes one size). */
export function sceneImages(scenes: readonly Scene[]): Tensor {
  if (scenes.length === 0) throw new Error('sceneImages: scenes must not be empty');
  const { width, height } = scenes[0];
  const out = new Float32Array(scenes.length * width * height);
  scenes.forEach((s, b) => {
    if (s.width !== width || s.height !== height)
      throw new Error(`sceneImages: scene ${b} is ${s.height}×${s.width}, scene 0 is ${height}×${width}`);
    for (let p = 0; p < s.pixels.length; p++) out[b * width * height + p] = s.pixels[p] / 255;
  });
  return new Tensor(out, [scenes.length, 1, height, width]);
}

/**
 * Teacher-forcing tensors for captions: tgtIn = BOS + words, tgtOut = words + EOS, both
 * [B, T] int32 padded with PAD (T = the longest caption + 1).
 */
export function captionTensors(
  captions: readonly (readonly string[])[],
  vocab: Vocab,
): { tgtIn: Tensor; tgtOut: Tensor } {
  const B = captions.length;
  const T = Math.max(...captions.map((c) => c.length)) + 1;
  const tgtIn = new Int32Array(B * T).fill(PAD);
  const tgtOut = new Int32Array(B * T).fill(PAD);
  captions.forEach((c, b) => {
    const ids = [...vocab.encode(c), EOS]; // words + EOS
    tgtIn[b * T] = BOS;
    ids.forEach((id, t) => {
      tgtOut[b * T + t] = id;
      if (t < c.length) tgtIn[b * T + t + 1] = id; // BOS + words: the word before each target
    });
  });
  return { tgtIn: new Tensor(tgtIn, [B, T]), tgtOut: new Tensor(tgtOut, [B, T]) };
}
