/**
 * Using a trained caption run: `attend eval-caption` (exact match, BLEU and attention-in-box
 * on test scenes) and `attend caption` (one image: its caption and one overlay PNG per word).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Scene, captionVocab, makeScenes } from '../data/scenes.js';
import { Vocab } from '../data/vocab.js';
import { Captioner } from '../models/captioner.js';
import { type CaptionScores, predictCaptions, scoreCaptions } from '../models/captioner-eval.js';
import { loadFashionMnist } from '../node/fashion-mnist.js';
import { readFileChecked, writeFileAtomicSync } from '../node/files.js';
import { decodePng, encodePng } from '../node/png.js';
import { Generator } from '../tensor/random.js';
import { overlayAttention } from '../viz/overlay.js';
import type { CaptionRunConfig } from './caption-train.js';
import { TEST_SEED } from './caption-train.js';
import { loadWeights, readJson, resolveRun, writeJson } from './run-dir.js';

const MAX_PNG_BYTES = 16 * 1024 * 1024;

export function openCaptionRun(runOrCheckpoint: string) {
  const { dir, weights } = resolveRun(runOrCheckpoint);
  const config = readJson<CaptionRunConfig>(join(dir, 'config.json'));
  if (!config || config.task !== 'caption' || config.model?.kind !== 'captioner')
    throw new Error(`${dir}/config.json: expected a caption run (made by attend train caption)`);
  const vocab = Vocab.fromJSON(config.vocab);
  if (vocab.size !== captionVocab().size) throw new Error(`${dir}/config.json: the vocabulary is not the caption vocabulary`); // prettier-ignore
  const model = new Captioner(config.model, new Generator(0));
  loadWeights(model, weights);
  model.eval();
  const grid = model.gridSize(config.scenes.height, config.scenes.width);
  return { dir, weights, config, vocab, model, grid };
}

export interface CaptionEvalOutput {
  run: string;
  weights: string;
  attention: string;
  beam: number;
  scores: CaptionScores;
  seconds: number;
  examples: { reference: string; predicted: string }[];
}

/** The first n test scenes (test images, seed TEST_SEED): every run is scored on the same ones. */
export function testScenes(n: number, dataDir?: string): Scene[] {
  return makeScenes(loadFashionMnist('t10k', dataDir), TEST_SEED, 0, n);
}

export function evalCaption(
  runOrCheckpoint: string,
  o: { scenes: number; beam: number; dataDir?: string },
): CaptionEvalOutput {
  const run = openCaptionRun(runOrCheckpoint);
  const scenes = testScenes(o.scenes, o.dataDir);
  const t0 = performance.now();
  const predictions = predictCaptions(run.model, scenes, run.vocab, { beam: o.beam });
  const out: CaptionEvalOutput = {
    run: run.dir,
    weights: run.weights,
    attention: run.config.model.attention,
    beam: o.beam,
    scores: scoreCaptions(predictions, scenes, run.grid),
    seconds: (performance.now() - t0) / 1000,
    examples: predictions.slice(0, 10).map((p) => ({ reference: p.reference.join(' '), predicted: p.words.join(' ') })),
  };
  writeJson(join(run.dir, 'eval-caption.json'), out);
  return out;
}

export function formatCaptionEval(e: CaptionEvalOutput): string {
  const s = e.scores;
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  return [
    `${e.run} (${e.attention} attention) on ${s.scenes} test scenes, beam ${e.beam}, ${e.seconds.toFixed(1)} s:`,
    `  exact match ${pct(s.exactMatch)}   BLEU ${s.bleu.toFixed(2)}   words right ${pct(s.wordAccuracy)}`,
    s.attentionInBox !== null
      ? `  attention inside the named item's box ${pct(s.attentionInBox)} (uniform attention: ${pct(s.chanceInBox!)}; ${s.wordsMeasured} words)`
      : '  (no attention to measure)',
    ...e.examples
      .slice(0, 5)
      .map((x) => `  ${x.predicted === x.reference ? '✓' : '✗'} ${x.predicted}   (${x.reference})`),
  ].join('\n');
}

/** Grey pixels of a PNG (the mean of R, G and B, as the scenes are grey). */
function readGreyPng(path: string): { pixels: Uint8Array; width: number; height: number } {
  const { data, width, height } = decodePng(readFileChecked(path, MAX_PNG_BYTES));
  const pixels = new Uint8Array(width * height);
  for (let p = 0; p < pixels.length; p++) pixels[p] = Math.round((data[4 * p] + data[4 * p + 1] + data[4 * p + 2]) / 3);
  return { pixels, width, height };
}

export interface CaptionImageOutput {
  image: string;
  caption: string;
  /** The overlay files, one per word, in order. */
  overlays: string[];
}

/**
 * Caption IMAGE.png (or test scene --test-scene N, written as scene.png into outDir) and write
 * one overlay per word: the word's α upsampled over the image (Xu et al.'s figures).
 */
export function captionImage(
  runOrCheckpoint: string,
  image: string | undefined,
  o: { outDir: string; beam: number; testScene?: number; dataDir?: string },
): CaptionImageOutput {
  const run = openCaptionRun(runOrCheckpoint);
  const { width, height } = run.config.scenes;
  let scene: Scene;
  mkdirSync(o.outDir, { recursive: true });
  if (image === undefined) {
    if (o.testScene === undefined) throw new Error('attend caption: give IMAGE.png or --test-scene N');
    scene = testScenes(o.testScene + 1, o.dataDir)[o.testScene];
    image = join(o.outDir, 'scene.png');
    writeFileAtomicSync(image, encodePng(greyToRgba(scene.pixels), scene.width, scene.height));
  } else {
    const png = readGreyPng(image);
    if (png.width !== width || png.height !== height)
      throw new Error(
        `IMAGE ${image} is ${png.width}×${png.height}; this run was trained on ${width}×${height} scenes`,
      );
    scene = { ...png, items: [], caption: [] };
  }
  const [p] = predictCaptions(run.model, [scene], run.vocab, { beam: o.beam });
  const overlays: string[] = [];
  const [Hg, Wg] = run.grid;
  p.words.forEach((w, t) => {
    if (!p.attention) return;
    const grid = Array.from({ length: Hg }, (_, y) => p.attention![t].slice(y * Wg, (y + 1) * Wg));
    const rgba = overlayAttention({ data: scene.pixels, width: scene.width, height: scene.height }, grid);
    const file = join(o.outDir, `${String(t + 1).padStart(2, '0')}-${w}.png`);
    writeFileAtomicSync(file, encodePng(rgba.data, rgba.width, rgba.height));
    overlays.push(file);
  });
  return { image, caption: p.words.join(' '), overlays };
}

function greyToRgba(grey: Uint8Array): Uint8Array {
  const out = new Uint8Array(grey.length * 4);
  for (let p = 0; p < grey.length; p++) out.set([grey[p], grey[p], grey[p], 255], 4 * p);
  return out;
}
