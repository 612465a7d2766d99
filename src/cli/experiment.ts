/**
 * `attend experiment length`: the articles' central claim, measured (spec §3, claim 1).
 * A fixed-length vector between encoder and decoder loses more as the source grows; a decoder
 * that attends over every source position does not (Bahdanau et al. 2015, Figure 2).
 *
 * One task with a controllable length: reverse a sequence of symbols. Reversal is the hard
 * case for the bottleneck (the first output depends on the last input, so the whole input
 * must survive in one vector) and an easy one for attention (output t looks at input S − 1 − t).
 * Every model gets the same hidden size, the same batches in the same order, the same number
 * of optimiser steps (or the same training time), and is scored by greedy decoding on held-out
 * sequences in length buckets.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { BatchIterator, type EncodedPair } from '../data/batching.js';
import { type Example, type SequenceTaskOptions, copyTask, reverseTask } from '../data/synthetic.js';
import { Vocab } from '../data/vocab.js';
import { kernels } from '../kernels/registry.js';
import { accuracy } from '../metrics/accuracy.js';
import { editDistance } from '../metrics/edit-distance.js';
import { MODEL_KINDS, type ModelKind, type ModelSpec, createModel } from '../models/seq2seq/factory.js';
import { predictSequences } from '../models/seq2seq/predict.js';
import { Generator } from '../tensor/random.js';
import { Adam } from '../train/optim.js';
import { type ScheduleConfig, scheduleFromName } from '../train/schedule.js';
import { type LogRecord, initialTrainState, train } from '../train/trainer.js';
import { parseDuration } from './progress.js';
import { integer } from './parse.js';

/** Bottleneck first, so a table reads from the claim's subject to its contrasts. */
export const LENGTH_MODELS: readonly ModelKind[] = ['seq2seq', 'bahdanau', 'luong', 'transformer'];

export type Range = readonly [number, number];

export const LENGTH_TASKS = ['reverse', 'copy'] as const;
export type LengthTask = (typeof LENGTH_TASKS)[number];

export interface LengthExperimentOptions {
  /**
   * reverse (default): the hard case for the bottleneck. copy: its easy case, since
   * PlainSeq2Seq reads the source reversed (Sutskever et al.) and copying becomes last in, first out.
   */
  task?: LengthTask;
  models: readonly ModelKind[];
  /** Training sources have lengths uniform in this inclusive range. */
  trainLengths: Range;
  /** Test buckets (inclusive ranges); lengths are uniform inside each. */
  buckets: readonly Range[];
  /** Hidden size shared by every model (the Transformer's d_model). */
  hidden: number;
  /** Optimiser steps per model; with `timeBudgetMs`, whichever ends first. */
  steps?: number;
  /** Training time per model (ms): same time instead of same steps. */
  timeBudgetMs?: number;
  batchSize: number;
  /** Distinct training examples (cycled if the run takes more batches). */
  trainExamples: number;
  testPerBucket: number;
  /** Symbols in the alphabet: the digits, then letters. */
  alphabet: number;
  seed: number;
  /** Progress lines (stderr in the CLI); nothing when absent. */
  onProgress?: (line: string) => void;
}

export interface BucketResult {
  lengths: Range;
  examples: number;
  /** Share of outputs equal to the reference, token for token. */
  sequenceAccuracy: number;
  /** Σ edit distance / Σ reference length (a PER-style rate; can exceed 1). */
  tokenErrorRate: number;
}

export interface ModelResult {
  model: ModelKind;
  spec: ModelSpec;
  parameters: number;
  steps: number;
  lr: number;
  trainSeconds: number;
  msPerStep: number;
  /** Mean training loss over the last 10 % of the steps. */
  finalLoss: number;
  evalSeconds: number;
  buckets: BucketResult[];
}

export interface LengthExperimentResult {
  experiment: 'length';
  task: string;
  date: string;
  /** The command that regenerates this result. */
  command: string;
  seeds: number[];
  machine: { cpus: number; cpu: string; loadAverage: number[]; node: string; backend: string };
  options: Omit<LengthExperimentOptions, 'onProgress'>;
  models: ModelResult[];
}

/** The learning rates `attend train` uses for each model (src/cli/train-run.ts), so nothing is tuned for this table. */
const LR: Record<ModelKind, number> = { transformer: 1e-3, bahdanau: 2e-3, luong: 2e-3, seq2seq: 2e-3 };

export function alphabetOf(n: number): string[] {
  const symbols = '0123456789abcdefghijklmnopqrstuvwxyz';
  if (!Number.isInteger(n) || n < 2 || n > symbols.length)
    throw new Error(`alphabet must be an integer in [2, ${symbols.length}], received ${n}`);
  return [...symbols.slice(0, n)];
}

/**
 * One size for all: hidden H, embeddings H/2, one RNN layer, no dropout (every training
 * example is fresh, so there is nothing to regularise). The Transformer gets d_model = H and
 * two layers a side, the smallest stack whose decoder can both read its prefix and attend.
 */
export function lengthSpec(kind: ModelKind, vocab: number, hidden: number, maxLength: number): ModelSpec {
  const rnn = { srcVocab: vocab, tgtVocab: vocab, embed: Math.max(4, hidden >> 1), hidden, layers: 1, dropout: 0 };
  switch (kind) {
    case 'seq2seq':
    case 'bahdanau':
      return { kind, ...rnn };
    case 'luong':
      return { kind, ...rnn, score: 'general', window: 'global', D: 3 };
    case 'transformer':
      return {
        kind,
        srcVocab: vocab,
        tgtVocab: vocab,
        dModel: hidden,
        nhead: hidden % 4 === 0 ? 4 : 1,
        encoderLayers: 2,
        decoderLayers: 2,
        dimFeedforward: 2 * hidden,
        dropout: 0,
        normFirst: true,
        // BOS + target + EOS, and greedy decoding may run past the reference
        maxLength: 2 * maxLength + 12,
      };
  }
  throw new Error(`model must be one of ${MODEL_KINDS.join(', ')}, received '${String(kind)}'`);
}

/**
 * Held-out sequences per bucket: none of them occurs in the training set (short lengths have
 * few distinct sequences, 10⁴ at length 4, so a random draw would otherwise repeat training
 * examples) and none twice.
 */
function testSets(o: LengthExperimentOptions, symbols: string[], seen: Set<string>): Example[][] {
  return o.buckets.map(([lo, hi], i) => {
    const out: Example[] = [];
    for (let round = 0; round < 8 && out.length < o.testPerBucket; round++) {
      const draw = taskOf(o)({
        n: 4 * o.testPerBucket,
        alphabet: symbols,
        minLength: lo,
        maxLength: hi,
        seed: o.seed * 7919 + 1000 * (i + 1) + round,
      });
      for (const e of draw) {
        const key = e.source.join(' ');
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(e);
        if (out.length === o.testPerBucket) break;
      }
    }
    return out;
  });
}

function taskOf(o: LengthExperimentOptions): (options: SequenceTaskOptions) => Example[] {
  return o.task === 'copy' ? copyTask : reverseTask;
}

function checkOptions(o: LengthExperimentOptions): void {
  const [lo, hi] = o.trainLengths;
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && hi >= lo))
    throw new Error(`train lengths must be integers 1 <= min <= max, received ${lo}-${hi}`);
  if (o.buckets.length === 0) throw new Error('buckets must not be empty');
  for (const [a, b] of o.buckets)
    if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 1 && b >= a))
      throw new Error(`a bucket must be integers 1 <= min <= max, received ${a}-${b}`);
  if (o.steps === undefined && o.timeBudgetMs === undefined)
    throw new Error('give a number of steps or a time budget (or both)');
  if (o.task !== undefined && !LENGTH_TASKS.includes(o.task))
    throw new Error(`task must be one of ${LENGTH_TASKS.join(', ')}, received '${String(o.task)}'`);
  if (o.models.length === 0) throw new Error('models must not be empty');
  for (const [name, v] of [
    ['hidden', o.hidden],
    ['batchSize', o.batchSize],
    ['trainExamples', o.trainExamples],
    ['testPerBucket', o.testPerBucket],
  ] as const)
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be an integer >= 1, received ${v}`);
}

function scoreBucket(lengths: Range, predictions: string[][], examples: Example[]): BucketResult {
  const refs = examples.map((e) => e.target);
  let edits = 0;
  let tokens = 0;
  refs.forEach((r, i) => {
    edits += editDistance(predictions[i], r);
    tokens += r.length;
  });
  return {
    lengths,
    examples: examples.length,
    sequenceAccuracy: accuracy(predictions, refs),
    tokenErrorRate: tokens ? edits / tokens : 0,
  };
}

/** Train every model on the same data and score it by bucket. Synchronous: one model at a time. */
export function runLengthExperiment(o: LengthExperimentOptions): LengthExperimentResult {
  checkOptions(o);
  const say = o.onProgress ?? (() => {});
  const symbols = alphabetOf(o.alphabet);
  const vocab = new Vocab(symbols);
  const trainSet = taskOf(o)({
    n: o.trainExamples,
    alphabet: symbols,
    minLength: o.trainLengths[0],
    maxLength: o.trainLengths[1],
    seed: o.seed,
  });
  const seen = new Set(trainSet.map((e) => e.source.join(' ')));
  const tests = testSets(o, symbols, seen);
  const pairs: EncodedPair[] = trainSet.map((e) => ({ src: vocab.encode(e.source), tgt: vocab.encode(e.target) }));
  const maxLength = Math.max(o.trainLengths[1], ...o.buckets.map(([, b]) => b));
  // with a step count, cosine decay to 0 ends every model at its best; with only a time
  // budget the total is unknown, so warmup then 1/√step
  const warmupOf = (total: number) => Math.min(200, Math.ceil(total / 10));
  const schedule: ScheduleConfig =
    o.steps !== undefined
      ? scheduleFromName('cosine', { totalSteps: o.steps, warmup: warmupOf(o.steps) })
      : scheduleFromName('inverse-sqrt', { totalSteps: 1000, warmup: 100 });

  const models: ModelResult[] = [];
  for (const kind of o.models) {
    const spec = lengthSpec(kind, vocab.size, o.hidden, maxLength);
    const generator = new Generator(o.seed);
    const model = createModel(spec, generator);
    const parameters = model.parameters().reduce((n, p) => n + p.size, 0);
    const optimizer = new Adam(model.parameters(), { lr: LR[kind] });
    // the same seed for every model: the same batches in the same order
    const batches = new BatchIterator(pairs, { batchSize: o.batchSize, seed: o.seed });
    say(`${kind}: ${parameters} parameters, training…`);
    const losses: number[] = [];
    const onLog = (r: LogRecord) => {
      if (r.type !== 'step') return;
      losses.push(r.loss);
      if (r.step % 100 === 0)
        say(`  ${kind} step ${r.step}  loss ${r.loss.toFixed(4)}  ${(r.elapsedMs / 1000).toFixed(0)} s`);
    };
    const state = train(
      {
        model,
        optimizer,
        batches,
        generator,
        lr: LR[kind],
        schedule,
        epochs: Number.POSITIVE_INFINITY,
        clipNorm: 1,
        labelSmoothing: 0,
        maxSteps: o.steps,
        timeBudgetMs: o.timeBudgetMs,
        onLog,
        logEvery: 1, // every loss, for the final-loss average; .item() is cheap beside a step
      },
      initialTrainState(generator),
    );
    model.eval();
    const t0 = performance.now();
    const buckets = tests.map((examples, i) => {
      // a reference is at most `hi` long; 10 more tokens already count as a failure, and the
      // cap keeps an untrained Transformer (which re-decodes its prefix each step) from running on
      const maxLength = o.buckets[i][1] + 10;
      const predictions = predictSequences(
        model,
        examples.map((e) => e.source),
        vocab,
        vocab,
        { beam: 1, batchSize: 256, maxLength },
      ).map((p) => p.tokens);
      return scoreBucket(o.buckets[i], predictions, examples);
    });
    const evalSeconds = (performance.now() - t0) / 1000;
    const tail = losses.slice(-Math.max(1, Math.ceil(losses.length / 10)));
    const result: ModelResult = {
      model: kind,
      spec,
      parameters,
      steps: state.step,
      lr: LR[kind],
      trainSeconds: state.elapsedMs / 1000,
      msPerStep: state.step ? state.elapsedMs / state.step : 0,
      finalLoss: tail.length ? tail.reduce((a, b) => a + b, 0) / tail.length : NaN,
      evalSeconds,
      buckets,
    };
    say(
      `${kind}: ${result.steps} steps in ${result.trainSeconds.toFixed(0)} s, loss ${result.finalLoss.toFixed(4)}; ` +
        buckets.map((b) => `${b.lengths.join('-')}: ${pct(b.sequenceAccuracy)}`).join(', '),
    );
    models.push(result);
  }
  const { onProgress: _, ...options } = o;
  return {
    experiment: 'length',
    task: `${o.task ?? 'reverse'} a sequence over ${o.alphabet} symbols`,
    date: new Date().toISOString(),
    command: commandOf(o),
    seeds: [o.seed],
    machine: {
      cpus: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
      node: process.version,
      backend: kernels().name,
    },
    options,
    models,
  };
}

const rangeText = (r: Range) => `${r[0]}-${r[1]}`;

/** The CLI line that reproduces `o` (every option spelled out, so defaults changing later do not change it). */
export function commandOf(o: LengthExperimentOptions): string {
  const parts = [
    'attend experiment length',
    `--task ${o.task ?? 'reverse'}`,
    `--models ${o.models.join(',')}`,
    `--train-lengths ${rangeText(o.trainLengths)}`,
    `--buckets ${o.buckets.map(rangeText).join(',')}`,
    `--hidden ${o.hidden}`,
  ];
  if (o.steps !== undefined) parts.push(`--steps ${o.steps}`);
  if (o.timeBudgetMs !== undefined) parts.push(`--time-budget ${o.timeBudgetMs / 1000}s`);
  parts.push(
    `--batch-size ${o.batchSize}`,
    `--train-examples ${o.trainExamples}`,
    `--test-per-bucket ${o.testPerBucket}`,
    `--alphabet ${o.alphabet}`,
    `--seed ${o.seed}`,
  );
  return parts.join(' ');
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}

/** The result as markdown: accuracy and error by bucket, then what each run cost. */
export function formatLengthTable(r: LengthExperimentResult): string {
  const buckets = r.options.buckets.map(rangeText);
  const head = (first: string) => [
    `| ${first} | ${buckets.join(' | ')} |`,
    `|---|${buckets.map(() => '---:').join('|')}|`,
  ];
  const rows = (f: (b: BucketResult) => number) =>
    r.models.map((m) => `| ${m.model} | ${m.buckets.map((b) => pct(f(b))).join(' | ')} |`);
  const n = r.models[0]?.buckets.map((b) => b.examples) ?? [];
  return [
    `Task: ${r.task}; trained on lengths ${rangeText(r.options.trainLengths)}, greedy decoding; ` +
      `test sequences per bucket: ${n.join(', ')} (none seen in training); seed ${r.seeds.join(', ')}.`,
    '',
    'Exact-sequence accuracy by source length (higher is better):',
    '',
    ...head('model'),
    ...rows((b) => b.sequenceAccuracy),
    '',
    'Token error rate, edit distance / reference length (lower is better):',
    '',
    ...head('model'),
    ...rows((b) => b.tokenErrorRate),
    '',
    '| model | parameters | steps | training time | ms / step | final training loss |',
    '|---|---:|---:|---:|---:|---:|',
    ...r.models.map(
      (m) =>
        `| ${m.model} | ${m.parameters.toLocaleString('en-US')} | ${m.steps} | ${m.trainSeconds.toFixed(0)} s | ` +
        `${m.msPerStep.toFixed(0)} | ${m.finalLoss.toFixed(4)} |`,
    ),
    '',
    `Machine: ${r.machine.cpus} cores (${r.machine.cpu}), load average ${r.machine.loadAverage.join(' ')} at the end, ` +
      `Node ${r.machine.node}, kernels ${r.machine.backend}. ${r.date}.`,
    '',
    `Command: \`${r.command}\``,
  ].join('\n');
}

function parseRange(name: string) {
  return (v: string): Range => {
    const m = /^(\d+)-(\d+)$/.exec(v.trim());
    if (!m || Number(m[1]) < 1 || Number(m[2]) < Number(m[1]))
      throw new InvalidArgumentError(`${name} must look like 4-24 (min >= 1, max >= min), received '${v}'`);
    return [Number(m[1]), Number(m[2])];
  };
}

function parseBuckets(v: string): Range[] {
  const one = parseRange('--buckets');
  return v.split(',').map((s) => one(s));
}

function parseModels(v: string): ModelKind[] {
  const kinds = v.split(',').map((s) => s.trim());
  for (const k of kinds)
    if (!(MODEL_KINDS as readonly string[]).includes(k))
      throw new InvalidArgumentError(`--models takes a comma list of ${MODEL_KINDS.join(', ')}, received '${k}'`);
  return kinds as ModelKind[];
}

interface LengthCliOptions {
  task: LengthTask;
  models: ModelKind[];
  trainLengths: Range;
  buckets: Range[];
  hidden: number;
  steps?: number;
  timeBudget?: string;
  batchSize: number;
  trainExamples: number;
  testPerBucket: number;
  alphabet: number;
  seed: number;
  json: boolean;
}

/** The `experiment` command that registerExperimentCommands made, for the files that add their own experiments to it. */
export function experimentCommand(program: Command, caller: string): Command {
  const experiment = program.commands.find((c) => c.name() === 'experiment');
  if (!experiment) throw new Error(`${caller}: register the experiment command first`);
  return experiment;
}

/** `attend experiment …`; main.ts calls this once with its program. */
export function registerExperimentCommands(program: Command): void {
  const experiment = program.command('experiment').description('measure the claims of the articles (spec §3)');
  experiment
    .command('length')
    .description('bottleneck vs attention: train each model on reversal, score it by source length')
    .addOption(new Option('--task <name>', 'what the model outputs').choices([...LENGTH_TASKS]).default('reverse'))
    .option('--models <list>', `comma list of ${MODEL_KINDS.join(', ')}`, parseModels, [...LENGTH_MODELS])
    .option('--train-lengths <min-max>', 'training source lengths', parseRange('--train-lengths'), [4, 24] as Range)
    .option('--buckets <list>', 'test length buckets, e.g. 4-8,9-12', parseBuckets, [
      [4, 8],
      [9, 12],
      [13, 16],
      [17, 20],
      [21, 24],
    ] as Range[])
    .option('--hidden <n>', 'hidden size shared by every model', integer('--hidden', 4), 64)
    .addOption(
      new Option('--steps <n>', 'optimiser steps per model (default 1000 unless --time-budget)').argParser(
        integer('--steps', 1),
      ),
    )
    .option('--time-budget <duration>', 'training time per model instead, e.g. 3m, 90s')
    .option('--batch-size <n>', 'examples per batch', integer('--batch-size', 1), 32)
    .option('--train-examples <n>', 'distinct training examples', integer('--train-examples', 1), 50000)
    .option('--test-per-bucket <n>', 'held-out sequences per bucket', integer('--test-per-bucket', 1), 200)
    .option('--alphabet <n>', 'symbols (digits, then letters)', integer('--alphabet', 2), 10)
    .option('--seed <n>', 'random seed (data, initialisation, batch order)', integer('--seed', 0), 1)
    .option('--json', 'print one JSON object instead of markdown', false)
    .action((o: LengthCliOptions) => {
      const timeBudgetMs = o.timeBudget !== undefined ? parseDuration(o.timeBudget) : undefined;
      const result = runLengthExperiment({
        task: o.task,
        models: o.models,
        trainLengths: o.trainLengths,
        buckets: o.buckets,
        hidden: o.hidden,
        steps: o.steps ?? (timeBudgetMs === undefined ? 1000 : undefined),
        timeBudgetMs,
        batchSize: o.batchSize,
        trainExamples: o.trainExamples,
        testPerBucket: o.testPerBucket,
        alphabet: o.alphabet,
        seed: o.seed,
        onProgress: o.json ? undefined : (line) => console.error(line),
      });
      console.log(o.json ? JSON.stringify(result) : formatLengthTable(result));
    });
}
