/**
 * `attend experiment maps RUN`: claim 2 of the spec, measured. "The attention map is an
 * input-dependent weight matrix: different inputs, different maps" (source article 002).
 *
 * A trained G2P model reads each test word under teacher forcing (the reference phonemes as the
 * decoder's input) four times, with a different map α at every decoder step:
 *   own      the map the model computes from this word (what it normally uses);
 *   mean     the mean map of the other test words of the same shape (letters × phonemes): a weight
 *            matrix that depends on the shape only, not on the input;
 *   other    the map of another word of the same shape;
 *   uniform  1/S over the S letters.
 * The context is then c_t = Σ_j α_tj h_j with that α; everything else is the model's. If the map
 * were a fixed matrix, the mean map would serve as well as the word's own; how far the maps are
 * from it (total variation, ½ Σ_j |α_tj − ᾱ_tj|) and how much worse the model predicts with it
 * measure the claim. Words whose shape no other test word shares are left out (they have no mean).
 */
import type { Command } from 'commander';
import type { AttentionCallOptions } from '../nn/attention-layers.js';
import { AdditiveAttention, GeneralAttention } from '../nn/attention-layers.js';
import type { AttentionResult } from '../attention/attention.js';
import { padBatch, shuffle } from '../data/batching.js';
import type { EncoderDecoder } from '../models/seq2seq/types.js';
import * as F from '../ops/index.js';
import { noGrad } from '../tensor/autograd.js';
import { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { g2pSplit } from './g2p.js';
import { integer } from './parse.js';
import { openRun } from './run-dir.js';
import { experimentCommand } from './experiment.js';

export const MAP_CONDITIONS = ['own', 'mean', 'other', 'uniform'] as const;
export type MapCondition = (typeof MAP_CONDITIONS)[number];

const DESCRIPTIONS: Record<MapCondition, string> = {
  own: "the word's own map (computed from its letters)",
  mean: 'the mean map of the other words of its shape',
  other: 'the map of another word of its shape',
  uniform: '1/S over its S letters',
};

export interface MapConditionResult {
  condition: MapCondition;
  description: string;
  /** Mean over decoder steps of ½ Σ_j |α_tj − own_tj|: 0 for the own map, 1 for disjoint maps. */
  distanceFromOwn: number;
  /** Share of phonemes (EOS included) whose most likely prediction is not the reference's. */
  phonemeErrorRate: number;
  /** Mean negative log-likelihood of the reference phonemes, nats. */
  nll: number;
  /** Share of words whose every phoneme is predicted right. */
  wordAccuracy: number;
}

export interface MapsExperimentResult {
  run: string;
  model: string;
  /** Test words scored (those sharing their shape with another test word). */
  words: number;
  /** Test words left out: no other word of the same shape. */
  leftOut: number;
  /** Distinct shapes (letters × phonemes + EOS) among the scored words. */
  shapes: number;
  conditions: MapConditionResult[];
}

type AttentionModule = AdditiveAttention | GeneralAttention;

/** ½ Σ |p_i − q_i| over `n` entries from `offset`: the total variation distance of two distributions. */
export function totalVariation(p: ArrayLike<number>, q: ArrayLike<number>, offset = 0, n = p.length - offset): number {
  let sum = 0;
  for (let i = offset; i < offset + n; i++) sum += Math.abs(p[i] - q[i]);
  return sum / 2;
}

/** For each of n ≥ 2 equal-length maps, the mean of the other n − 1: (Σ − own) / (n − 1). */
export function leaveOneOutMeans(maps: readonly Float32Array[]): Float32Array[] {
  const n = maps.length;
  if (n < 2) throw new Error(`leaveOneOutMeans: maps must hold at least 2 maps, received ${n}`);
  const sum = new Float64Array(maps[0].length);
  for (const m of maps) for (let i = 0; i < sum.length; i++) sum[i] += m[i];
  return maps.map((m) => Float32Array.from(sum, (s, i) => (s - m[i]) / (n - 1)));
}

/** The model's one attention module, or a clear error for models that have none or several. */
function attentionModule(model: EncoderDecoder): AttentionModule {
  const module = (model as { attention?: unknown }).attention;
  if (module instanceof AdditiveAttention || module instanceof GeneralAttention) return module;
  throw new Error(
    `experiment maps: the run's model must have one global attention module (bahdanau, or luong with ` +
      `--score general or concat and a global window), received a ${model.kind} model without one`,
  );
}

/**
 * Run `fn` with the module's maps replaced, step by step, by `maps` (one [T·S] map per batch row):
 * at decoder step t its forward returns α = maps[·][t] and c = α·value. The module's own forward
 * comes back afterwards. This is a forward hook on the attention module; the model is unchanged.
 */
export function withFixedMaps<R>(module: AttentionModule, maps: readonly Float32Array[], S: number, fn: () => R): R {
  let t = 0;
  const fixed = (_query: Tensor, _key: Tensor, value: Tensor, _options?: AttentionCallOptions): AttentionResult => {
    const B = maps.length;
    const w = new Float32Array(B * S);
    for (let b = 0; b < B; b++) w.set(maps[b].subarray(t * S, (t + 1) * S), b * S);
    t++;
    const weights = F.fromData(w, [B, 1, S]); // α_t: [B, 1, S]
    return { output: F.matmul(weights, value), weights }; // c_t = α_t · h: [B, 1, dv]
  };
  module.forward = fixed;
  try {
    return fn();
  } finally {
    delete (module as { forward?: unknown }).forward; // back to the class's forward
  }
}

interface Scores {
  nll: number;
  errors: number;
  tokens: number;
  wordsRight: number;
}

/** Teacher-forced scores of log-probabilities [B, T, V] against the targets [B, T] (no padding here). */
function scoreBatch(logProbs: Tensor, tgtOut: Tensor, into: Scores): void {
  const [B, T, V] = logProbs.shape;
  const lp = logProbs.data;
  const y = tgtOut.data;
  for (let b = 0; b < B; b++) {
    let right = true;
    for (let t = 0; t < T; t++) {
      const row = (b * T + t) * V;
      const target = y[b * T + t];
      let best = 0;
      for (let v = 1; v < V; v++) if (lp[row + v] > lp[row + best]) best = v;
      into.nll -= lp[row + target];
      into.tokens++;
      if (best !== target) {
        into.errors++;
        right = false;
      }
    }
    if (right) into.wordsRight++;
  }
}

export interface MapsExperimentOptions {
  /** Score only the first n test words (default all 12,000). */
  words?: number;
  batchSize: number;
  /** Picks the "other" word of each shape. */
  seed: number;
}

export async function mapsExperiment(runOrCheckpoint: string, o: MapsExperimentOptions): Promise<MapsExperimentResult> {
  const run = openRun(runOrCheckpoint);
  if (run.config.task !== 'g2p') throw new Error(`${run.dir} is a ${run.config.task} run, not g2p`);
  const model = run.model;
  const module = attentionModule(model);
  const entries = (await g2pSplit()).test.slice(0, o.words);
  // one group per shape, so a batch needs no padding and a mean map is over words of one shape
  const groups = new Map<string, { src: number[]; tgt: number[] }[]>();
  for (const e of entries) {
    const pair = { src: run.srcVocab.encode(e.graphemes), tgt: run.tgtVocab.encode(e.pronunciations[0]) };
    const key = `${pair.src.length}x${pair.tgt.length + 1}`;
    const group = groups.get(key) ?? [];
    group.push(pair);
    groups.set(key, group);
  }
  const shared = [...groups.values()].filter((g) => g.length >= 2);
  const generator = new Generator(o.seed);
  const totals = Object.fromEntries(
    MAP_CONDITIONS.map((c) => [c, { nll: 0, errors: 0, tokens: 0, wordsRight: 0, distance: 0, rows: 0 }]),
  ) as Record<MapCondition, Scores & { distance: number; rows: number }>;
  noGrad(() => {
    for (const pairs of shared) {
      const S = pairs[0].src.length;
      const T = pairs[0].tgt.length + 1;
      // the own maps, from the model as it is
      const own: Float32Array[] = [];
      for (let i = 0; i < pairs.length; i += o.batchSize) {
        const batch = padBatch(pairs.slice(i, i + o.batchSize));
        const out = model.forward(batch.src, batch.srcPad, batch.tgtIn);
        scoreBatch(out.logits, batch.tgtOut, totals.own);
        const a = out.attention!.data as Float32Array; // [B, T, S]
        for (let b = 0; b * T * S < a.length; b++) own.push(a.slice(b * T * S, (b + 1) * T * S));
      }
      totals.own.rows += pairs.length * T;
      // the substitutes
      const order = pairs.map((_, i) => i);
      shuffle(order, generator);
      const other: Float32Array[] = new Array<Float32Array>(pairs.length);
      order.forEach((w, i) => (other[w] = own[order[(i + 1) % order.length]])); // a derangement: never the word itself
      const substitutes: Record<Exclude<MapCondition, 'own'>, Float32Array[]> = {
        mean: leaveOneOutMeans(own),
        other,
        uniform: own.map(() => new Float32Array(T * S).fill(1 / S)),
      };
      for (const [condition, maps] of Object.entries(substitutes) as [Exclude<MapCondition, 'own'>, Float32Array[]][]) {
        const total = totals[condition];
        for (let i = 0; i < pairs.length; i += o.batchSize) {
          const batch = padBatch(pairs.slice(i, i + o.batchSize));
          const chunk = maps.slice(i, i + o.batchSize);
          const out = withFixedMaps(module, chunk, S, () => model.forward(batch.src, batch.srcPad, batch.tgtIn));
          scoreBatch(out.logits, batch.tgtOut, total);
        }
        for (let w = 0; w < pairs.length; w++)
          for (let t = 0; t < T; t++) total.distance += totalVariation(maps[w], own[w], t * S, S);
        total.rows += pairs.length * T;
      }
    }
  });
  const words = shared.reduce((n, g) => n + g.length, 0);
  return {
    run: run.dir,
    model: model.kind,
    words,
    leftOut: entries.length - words,
    shapes: shared.length,
    conditions: MAP_CONDITIONS.map((condition) => {
      const t = totals[condition];
      return {
        condition,
        description: DESCRIPTIONS[condition],
        distanceFromOwn: t.rows ? t.distance / t.rows : 0,
        phonemeErrorRate: t.errors / t.tokens,
        nll: t.nll / t.tokens,
        wordAccuracy: t.wordsRight / words,
      };
    }),
  };
}

export function formatMapsExperiment(r: MapsExperimentResult): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const lines = [
    `claim 2, the attention map depends on the input: ${r.run} (${r.model}), ${r.words} test words ` +
      `in ${r.shapes} shapes (${r.leftOut} left out: no other word of their shape), teacher forcing`,
    '',
    `${'map used at every decoder step'.padEnd(52)}  ${'distance from own'.padStart(17)}  ${'phoneme errors'.padStart(14)}  ${'NLL / phoneme'.padStart(13)}  ${'words right'.padStart(11)}`,
  ];
  for (const c of r.conditions) {
    lines.push(
      `${`${c.condition}: ${c.description}`.padEnd(52)}  ${c.distanceFromOwn.toFixed(3).padStart(17)}  ${pct(c.phonemeErrorRate).padStart(14)}  ${c.nll.toFixed(3).padStart(13)}  ${pct(c.wordAccuracy).padStart(11)}`,
    );
  }
  return lines.join('\n');
}

export function registerMapsExperiment(program: Command): void {
  experimentCommand(program, 'registerMapsExperiment')
    .command('maps')
    .description("claim 2: a trained G2P model's maps against input-independent ones (mean, another word's, uniform)")
    .argument('<run>', 'a G2P run (bahdanau, or luong with a global general or concat score)')
    .option('--words <n>', 'score only the first n test words', integer('--words', 2))
    .option('--batch-size <n>', 'words per forward pass', integer('--batch-size', 1), 256)
    .option('--seed <n>', 'picks the other word of each shape', integer('--seed'), 1)
    .option('--json', 'print the result as JSON', false)
    .action(async (runDir: string, o: MapsExperimentOptions & { json: boolean }) => {
      const r = await mapsExperiment(runDir, o);
      process.stdout.write(o.json ? JSON.stringify(r, null, 2) + '\n' : formatMapsExperiment(r) + '\n');
    });
}
