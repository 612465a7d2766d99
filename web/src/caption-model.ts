/**
 * A caption run as the page runs it: the Captioner rebuilt from config.json and the safetensors
 * bytes, captioning the server's test scenes greedily with the same predictCaptions that
 * `attend caption` calls (beam 1). The scenes arrive as JSON (pixels in base64); this file
 * decodes and checks them, since they came over the network.
 */
import { Captioner, Generator, data, decodeSafetensors, predictCaptions, type CaptionerSpec } from '../../src/index.js';

/** One test scene as /api/scenes.json sends it. */
export interface SceneJSON {
  /** Grey pixels, width × height bytes row-major, base64. */
  pixels: string;
  width: number;
  height: number;
  /** In reading order (caption[i] names items[i]); image = the Fashion-MNIST test image used. */
  items: { label: number; name: string; image: number; box: { x: number; y: number; width: number; height: number } }[];
  caption: string[];
}

export interface ScenesJSON {
  /** How they were made (split, seed, first index), for the page to say. */
  source: string;
  scenes: SceneJSON[];
}

/** A scene decoded for the model: src/data/scenes.ts Scene. */
export type PageScene = Omit<SceneJSON, 'pixels'> & { pixels: Uint8Array };

export interface PageCaptioner {
  spec: CaptionerSpec;
  model: Captioner;
  vocab: data.Vocab;
  /** The attention grid [Hg, Wg] of the run's scene size. */
  grid: [number, number];
  width: number;
  height: number;
}

export interface CaptionResult {
  words: string[];
  reference: string[];
  /** α per word over the grid, [word][Hg·Wg] row-major; null for a run without attention. */
  attention: number[][] | null;
  grid: [number, number];
}

export function loadPageCaptioner(config: unknown, weights: Uint8Array): PageCaptioner {
  const c = config as {
    task?: unknown;
    model?: CaptionerSpec & { kind?: string };
    vocab?: data.VocabJSON;
    scenes?: { width?: unknown; height?: unknown };
  } | null;
  if (!c || typeof c !== 'object' || c.task !== 'caption' || c.model?.kind !== 'captioner' || !c.vocab)
    throw new Error(`config.json: expected a caption run (task 'caption', a captioner spec), received task '${String(c?.task)}'`); // prettier-ignore
  const { width, height } = c.scenes ?? {};
  if (!isSize(width) || !isSize(height))
    throw new Error(`config.json: scenes.width and scenes.height must be positive integers, received ${String(width)}×${String(height)}`); // prettier-ignore
  const vocab = data.Vocab.fromJSON(c.vocab);
  if (vocab.size !== data.captionVocab().size)
    throw new Error(`config.json: the vocabulary has ${vocab.size} tokens, not the caption vocabulary's ${data.captionVocab().size}`); // prettier-ignore
  const model = new Captioner(c.model, new Generator(0));
  model.loadStateDict(decodeSafetensors(weights).tensors);
  model.eval();
  return { spec: c.model, model, vocab, grid: model.gridSize(height, width), width, height };
}

const isSize = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0 && n <= 4096;

/** Check a scene from the network and decode its pixels. */
export function decodeScene(s: SceneJSON, expected: { width: number; height: number }): PageScene {
  if (!s || typeof s.pixels !== 'string' || !isSize(s.width) || !isSize(s.height))
    throw new Error('scene: expected { pixels (base64), width, height, items, caption }');
  if (s.width !== expected.width || s.height !== expected.height)
    throw new Error(`scene: the run was trained on ${expected.width}×${expected.height} scenes, received ${s.width}×${s.height}`); // prettier-ignore
  const pixels = Uint8Array.from(atob(s.pixels), (ch) => ch.charCodeAt(0));
  if (pixels.length !== s.width * s.height)
    throw new Error(`scene: expected ${s.width * s.height} pixels, received ${pixels.length}`);
  return {
    pixels,
    width: s.width,
    height: s.height,
    items: Array.isArray(s.items) ? s.items : [],
    caption: Array.isArray(s.caption) ? s.caption.map(String) : [],
  };
}

/** Greedy caption (beam 1) and each word's attention, as `attend caption --beam 1`. */
export function captionScene(m: PageCaptioner, scene: PageScene): CaptionResult {
  const [p] = predictCaptions(m.model, [scene], m.vocab, { beam: 1 });
  return { words: p.words, reference: p.reference, attention: p.attention, grid: m.grid };
}
