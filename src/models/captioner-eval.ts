/**
 * Scoring a captioner on scenes: exact match (the whole caption right), corpus BLEU-4 over the
 * words, and where the attention goes: for every word the captioner gets right (the right class
 * at the right position), the share of α_t's mass that lies inside the box of the item the word
 * names (claim 5 of the spec: "the captioner looks at what it names"). A grid cell counts by
 * the fraction of its pixels inside the box, so uniform attention scores exactly the box's
 * share of the image, the chance level reported beside it.
 */
import type { Box, Scene } from '../data/scenes.js';
import type { Vocab } from '../data/vocab.js';
import { corpusBleu } from '../metrics/bleu.js';
import { sceneImages } from '../data/scenes.js';
import { generate } from './seq2seq/decode.js';
import type { Captioner } from './captioner.js';
import { noGrad } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';

/** The "source padding" generate() passes on: none, every image is whole (bool [B, 1], all false). */
const wholeImages = (B: number) => new Tensor(new Uint8Array(B), [B, 1]);

export interface CaptionPrediction {
  words: string[];
  reference: string[];
  /** α per generated word over the grid, [word][Hg·Wg] row-major (null without attention). */
  attention: number[][] | null;
}

export interface CaptionScores {
  scenes: number;
  /** Share of scenes whose whole caption is right. */
  exactMatch: number;
  /** Corpus BLEU-4 (sacreBLEU's defaults, whitespace tokens), 0–100. */
  bleu: number;
  /** Share of words right at their position. */
  wordAccuracy: number;
  /** Mean share of α inside the named item's box, over correct words (null without attention). */
  attentionInBox: number | null;
  /** The same for uniform attention: the mean box share of the image over those words. */
  chanceInBox: number | null;
  /** Words the in-box share was measured over. */
  wordsMeasured: number;
}

/** Fraction of each grid cell [Hg·Wg] that lies inside `box` on a width × height image. */
export function cellOverlap(box: Box, grid: readonly [number, number], width: number, height: number): Float64Array {
  const [Hg, Wg] = grid;
  const out = new Float64Array(Hg * Wg);
  const ch = height / Hg;
  const cw = width / Wg;
  for (let gy = 0; gy < Hg; gy++) {
    const oy = Math.max(0, Math.min((gy + 1) * ch, box.y + box.height) - Math.max(gy * ch, box.y));
    for (let gx = 0; gx < Wg; gx++) {
      const ox = Math.max(0, Math.min((gx + 1) * cw, box.x + box.width) - Math.max(gx * cw, box.x));
      out[gy * Wg + gx] = (ox * oy) / (cw * ch);
    }
  }
  return out;
}

/** Greedy (beam 1) or beam-search captions for scenes, in batches, no gradients. */
export function predictCaptions(
  model: Captioner,
  scenes: readonly Scene[],
  vocab: Vocab,
  options: { beam?: number; batchSize?: number; maxLength?: number } = {},
): CaptionPrediction[] {
  const batchSize = options.batchSize ?? 100;
  const out: CaptionPrediction[] = [];
  const wasTraining = model.training;
  model.eval();
  try {
    for (let i = 0; i < scenes.length; i += batchSize) {
      const batch = scenes.slice(i, i + batchSize);
      const hyps = noGrad(() =>
        generate(model, sceneImages(batch), wholeImages(batch.length), {
          beam: options.beam ?? 1,
          maxLength: options.maxLength ?? 8,
        }),
      );
      hyps.forEach((h, b) =>
        out.push({ words: vocab.decode(h.tokens), reference: batch[b].caption, attention: h.attention }),
      );
    }
  } finally {
    model.train(wasTraining);
  }
  return out;
}

export function scoreCaptions(
  predictions: readonly CaptionPrediction[],
  scenes: readonly Scene[],
  grid: readonly [number, number],
): CaptionScores {
  if (predictions.length !== scenes.length)
    throw new Error(`scoreCaptions: ${predictions.length} predictions for ${scenes.length} scenes`);
  let exact = 0;
  let right = 0;
  let words = 0;
  let inBox = 0;
  let chance = 0;
  let measured = 0;
  predictions.forEach((p, i) => {
    const s = scenes[i];
    if (p.words.join(' ') === s.caption.join(' ')) exact++;
    words += s.caption.length;
    s.caption.forEach((w, t) => {
      if (p.words[t] !== w) return;
      right++;
      if (!p.attention) return;
      const box = s.items[t].box;
      const frac = cellOverlap(box, grid, s.width, s.height);
      inBox += p.attention[t].reduce((acc, a, j) => acc + a * frac[j], 0);
      chance += (box.width * box.height) / (s.width * s.height);
      measured++;
    });
  });
  const bleu = corpusBleu(
    predictions.map((p) => p.words.join(' ')),
    scenes.map((s) => [s.caption.join(' ')]),
    { tokenize: 'none' },
  );
  const attends = predictions.some((p) => p.attention !== null);
  return {
    scenes: scenes.length,
    exactMatch: exact / Math.max(1, scenes.length),
    bleu: bleu.score,
    wordAccuracy: right / Math.max(1, words),
    attentionInBox: attends && measured ? inBox / measured : null,
    chanceInBox: attends && measured ? chance / measured : null,
    wordsMeasured: attends ? measured : 0,
  };
}
