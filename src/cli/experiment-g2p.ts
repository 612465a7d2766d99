/**
 * `attend experiment g2p-length`: claim 1 of the spec on real data. The four encoder-decoders,
 * at about the same parameter count, each trained on CMUdict for the same time, then scored on
 * the test words by word length (Bahdanau et al. 2015, Figure 2, is the shape to expect: the
 * bottleneck model's WER climbs with the length, the attention models' much less).
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { type ModelKind, type ModelSpec, createModel, defaultSpec } from '../models/seq2seq/factory.js';
import { Generator } from '../tensor/random.js';
import { evalG2P, g2pSplit, trainG2P } from './g2p.js';
import { Vocab } from '../data/vocab.js';
import type { TrainCliOptions } from './train-run.js';
import { integer, modelList } from './parse.js';
import { experimentCommand } from './experiment.js';

export type Range = readonly [number, number];

export interface G2PLengthOptions {
  models: readonly ModelKind[];
  /** Training time per model, e.g. '20m'. */
  timeBudget: string;
  /** Word-length buckets (letters, inclusive). */
  buckets: readonly Range[];
  out: string;
  batchSize: number;
  seed: number;
  /** Score only the first N test words (default all 12,000). */
  testWords?: number;
  progress: boolean;
}

export interface G2PLengthRow {
  model: ModelKind;
  spec: ModelSpec;
  parameters: number;
  steps: number;
  trainSeconds: number;
  wer: number;
  per: number;
  /** WER and word count per bucket. */
  buckets: { lengths: Range; words: number; wer: number }[];
}

const parameterCount = (spec: ModelSpec) =>
  createModel(spec, new Generator(0))
    .parameters()
    .reduce((n, p) => n + p.size, 0);

/**
 * The model of `kind` whose parameter count is closest to the base Transformer's: the RNNs keep
 * their default shape (embedding 64, their layer count) and take the hidden size that matches.
 */
export function matchedG2PSpec(kind: ModelKind, srcVocab: number, tgtVocab: number): ModelSpec {
  const base = defaultSpec(kind, srcVocab, tgtVocab, 'base');
  if (base.kind === 'transformer') return base;
  const target = parameterCount(defaultSpec('transformer', srcVocab, tgtVocab, 'base'));
  let best = { spec: base, error: Infinity };
  for (let hidden = 16; hidden <= 1024; hidden += 4) {
    const spec = { ...base, hidden };
    const error = Math.abs(parameterCount(spec) - target);
    if (error > best.error) break; // the count grows with the hidden size: past the minimum
    best = { spec, error };
  }
  return best.spec;
}

export async function g2pLengthExperiment(o: G2PLengthOptions): Promise<G2PLengthRow[]> {
  const split = await g2pSplit();
  const srcVocab = Vocab.fromTokens(split.train.flatMap((e) => e.source));
  const tgtVocab = Vocab.fromTokens(split.train.flatMap((e) => e.target));
  const rows: G2PLengthRow[] = [];
  for (const model of o.models) {
    const spec = matchedG2PSpec(model, srcVocab.size, tgtVocab.size);
    const train: TrainCliOptions = {
      model,
      size: 'base',
      spec,
      out: join(o.out, model),
      epochs: 1000,
      batchSize: o.batchSize,
      optimizer: 'adam',
      schedule: 'inverse-sqrt',
      clip: 1,
      weightDecay: 0,
      seed: o.seed,
      timeBudget: o.timeBudget,
      patience: 1000,
      resume: false,
      force: true,
      json: true,
      progress: o.progress,
    };
    const summary = await trainG2P(train, 'experiment');
    const evaluation = await evalG2P(train.out, { split: 'test', beam: 1, limit: o.testWords });
    const s = evaluation.scores;
    rows.push({
      model,
      spec,
      parameters: summary.parameters,
      steps: summary.steps,
      trainSeconds: summary.seconds,
      wer: s.wer,
      per: s.per,
      buckets: o.buckets.map(([lo, hi]) => {
        const inside = s.byLength.filter((b) => b.length >= lo && b.length <= hi);
        const words = inside.reduce((n, b) => n + b.words, 0);
        const errors = inside.reduce((n, b) => n + b.errors, 0);
        return { lengths: [lo, hi], words, wer: words ? errors / words : NaN };
      }),
    });
  }
  return rows;
}

const pct = (x: number) => (Number.isNaN(x) ? '–' : `${(100 * x).toFixed(1)} %`);

export function formatG2PLength(rows: readonly G2PLengthRow[], o: G2PLengthOptions): string {
  const heads = o.buckets.map(([a, b]) => `${a}–${b} letters`);
  const words = rows[0]?.buckets.map((b) => b.words) ?? [];
  return [
    `WER on CMUdict test words by word length (greedy decoding), each model trained for ${o.timeBudget}; ` +
      `words per bucket: ${words.join(', ')}:`,
    '',
    `| model | parameters | steps | ${heads.join(' | ')} | all WER | all PER |`,
    `|---|---:|---:|${heads.map(() => '---:').join('|')}|---:|---:|`,
    ...rows.map(
      (r) =>
        `| ${r.model} | ${r.parameters.toLocaleString('en-US')} | ${r.steps} | ` +
        `${r.buckets.map((b) => pct(b.wer)).join(' | ')} | ${pct(r.wer)} | ${pct(r.per)} |`,
    ),
  ].join('\n');
}

function ranges(v: string): Range[] {
  return v.split(',').map((part) => {
    const m = /^(\d+)-(\d+)$/.exec(part);
    if (!m || Number(m[1]) > Number(m[2]))
      throw new InvalidArgumentError(`--buckets: each must be MIN-MAX with MIN <= MAX, received '${part}'`);
    return [Number(m[1]), Number(m[2])] as const;
  });
}

/** Adds `g2p-length` to the `experiment` command (registered first, by experiment.ts). */
export function registerG2PLengthExperiment(program: Command): void {
  experimentCommand(program, 'registerG2PLengthExperiment')
    .command('g2p-length')
    .description('claim 1 on CMUdict: the four models at matched size, same training time, WER by word length')
    .option('--models <list>', 'models, comma-separated', modelList('--models'), [
      'seq2seq',
      'bahdanau',
      'luong',
      'transformer',
    ] as ModelKind[])
    .option('--time-budget <duration>', 'training time per model', '20m')
    .option('--buckets <list>', 'word-length buckets', ranges, ranges('1-4,5-6,7-8,9-10,11-12,13-30'))
    .option('--out <dir>', 'one run directory per model under this', 'runs/g2p-length')
    .option('--batch-size <n>', 'examples per batch', integer('--batch-size', 1), 64)
    .option('--seed <n>', 'random seed', integer('--seed'), 1)
    .option('--test-words <n>', 'score only the first n test words', integer('--test-words', 1))
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print the rows as JSON', false)
    .action(async (o: G2PLengthOptions & { json: boolean }) => {
      const rows = await g2pLengthExperiment(o);
      process.stdout.write(o.json ? JSON.stringify(rows, null, 2) + '\n' : formatG2PLength(rows, o) + '\n');
    });
}
