/**
 * What attention costs, measured (spec §3):
 * - `attend experiment speed` (claim 6; Vaswani et al. 2017, §4): the Transformer processes
 *   the whole sequence at once, so it trains faster per token than an RNN encoder-decoder of
 *   the same size, whose every time step waits for the previous one.
 * - `attend experiment local-cost` (claim 3; Luong et al. 2015, §3.2): local attention looks at
 *   2D + 1 source positions per target position, global attention at all S of them, so local
 *   attention's cost stops growing with the source while global attention's grows as S.
 * Both time forward + backward (+ the optimiser step for `speed`) after warm-up steps and keep
 * the median, so one slow step from the machine's other work does not decide a row.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { type Command, Option } from 'commander';
import { type EncodedPair, padBatch } from '../data/batching.js';
import { reverseTask } from '../data/synthetic.js';
import { Vocab } from '../data/vocab.js';
import { kernels } from '../kernels/registry.js';
import { type ModelKind, type ModelSpec, createModel } from '../models/seq2seq/factory.js';
import { GeneralAttention, LocalAttention } from '../nn/attention-layers.js';
import * as F from '../ops/index.js';
import { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { Adam } from '../train/optim.js';
import { seq2seqLoss } from '../train/trainer.js';
import { alphabetOf, lengthSpec, experimentCommand } from './experiment.js';
import { integer, integerList, modelList } from './parse.js';

export interface Machine {
  cpus: number;
  cpu: string;
  loadAverage: number[];
  node: string;
  backend: string;
}

function machine(): Machine {
  return {
    cpus: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.version,
    backend: kernels().name,
  };
}

const parameterCount = (m: { parameters(): Tensor[] }) => m.parameters().reduce((n, p) => n + p.size, 0);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Median milliseconds of `run` over `reps` calls after `warmup` untimed ones. */
function timeMedian(run: () => void, warmup: number, reps: number): number {
  for (let i = 0; i < warmup; i++) run();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    run();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

// ---------------------------------------------------------------------------------------------
// claim 6: training tokens per second at equal size

export interface SpeedOptions {
  models: readonly ModelKind[];
  /** The Transformer's d_model; every other model's hidden size is chosen to match its parameter count. */
  dModel: number;
  /** Source lengths to measure at (every sequence of a batch has this length; the target is as long). */
  lengths: readonly number[];
  /** Target tokens per batch (so every length sees the same work per step): B = tokens / length. */
  tokensPerBatch: number;
  warmup: number;
  steps: number;
  seed: number;
  onProgress?: (line: string) => void;
}

export interface SpeedRow {
  model: ModelKind;
  hidden: number;
  parameters: number;
  /** Target tokens per second of training (forward, loss, backward, Adam), one per length. */
  tokensPerSecond: number[];
  msPerStep: number[];
}

export interface SpeedResult {
  experiment: 'speed';
  date: string;
  command: string;
  machine: Machine;
  options: Omit<SpeedOptions, 'onProgress'>;
  rows: SpeedRow[];
}

const ALPHABET = 10;

/** The hidden size whose model has about `target` parameters. */
function matchedSpec(kind: ModelKind, vocab: number, target: number, maxLength: number): ModelSpec {
  let best: { spec: ModelSpec; error: number } | null = null;
  for (let hidden = 4; hidden <= 1024; hidden++) {
    const spec = lengthSpec(kind, vocab, hidden, maxLength);
    const error = Math.abs(parameterCount(createModel(spec, new Generator(0))) - target);
    if (best && error > best.error) break; // the count grows with hidden: past the minimum
    best = { spec, error };
  }
  return best!.spec;
}

export function speedExperiment(o: SpeedOptions): SpeedResult {
  for (const [name, v] of [
    ['dModel', o.dModel],
    ['tokensPerBatch', o.tokensPerBatch],
    ['steps', o.steps],
  ] as const)
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be an integer >= 1, received ${v}`);
  if (o.lengths.length === 0 || o.lengths.some((L) => !Number.isInteger(L) || L < 1))
    throw new Error(`lengths must be integers >= 1, received ${o.lengths.join(',')}`);
  const say = o.onProgress ?? (() => {});
  const symbols = alphabetOf(ALPHABET);
  const vocab = Vocab.fromTokens(symbols);
  const maxLength = Math.max(...o.lengths);
  const target = parameterCount(
    createModel(lengthSpec('transformer', vocab.size, o.dModel, maxLength), new Generator(0)),
  );
  const rows: SpeedRow[] = [];
  for (const kind of o.models) {
    const spec = matchedSpec(kind, vocab.size, target, maxLength);
    const hidden = spec.kind === 'transformer' ? spec.dModel : spec.hidden;
    const generator = new Generator(o.seed);
    const model = createModel(spec, generator);
    const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
    const row: SpeedRow = {
      model: kind,
      hidden,
      parameters: parameterCount(model),
      tokensPerSecond: [],
      msPerStep: [],
    };
    for (const L of o.lengths) {
      const B = Math.max(1, Math.round(o.tokensPerBatch / (L + 1)));
      const pairs: EncodedPair[] = reverseTask({
        n: B,
        alphabet: symbols,
        minLength: L,
        maxLength: L,
        seed: o.seed,
      }).map((e) => ({ src: vocab.encode(e.source), tgt: vocab.encode(e.target) }));
      const batch = padBatch(pairs);
      const ms = timeMedian(
        () => {
          const { logits } = model.forward(batch.src, batch.srcPad, batch.tgtIn); // [B, L + 1, V]
          seq2seqLoss(logits, batch.tgtOut).backward(undefined, { releaseActivations: true });
          optimizer.step();
          optimizer.zeroGrad();
        },
        o.warmup,
        o.steps,
      );
      row.msPerStep.push(ms);
      row.tokensPerSecond.push(batch.tgtTokens / (ms / 1000));
      say(`${kind} (hidden ${hidden}, ${row.parameters} parameters) length ${L}: ${ms.toFixed(1)} ms / step`);
    }
    rows.push(row);
  }
  const { onProgress: _, ...options } = o;
  return {
    experiment: 'speed',
    date: new Date().toISOString(),
    command:
      `attend experiment speed --models ${o.models.join(',')} --d-model ${o.dModel} --lengths ${o.lengths.join(',')} ` +
      `--tokens-per-batch ${o.tokensPerBatch} --warmup ${o.warmup} --steps ${o.steps} --seed ${o.seed}`,
    machine: machine(),
    options,
    rows,
  };
}

export function formatSpeedTable(r: SpeedResult): string {
  const L = r.options.lengths;
  const transformer = r.rows.find((row) => row.model === 'transformer');
  return [
    `Training target tokens per second (forward, loss, backward, Adam; median of ${r.options.steps} steps ` +
      `after ${r.options.warmup}), ${r.options.tokensPerBatch} target tokens a batch, source = target length:`,
    '',
    `| model | hidden | parameters | ${L.map((n) => `length ${n}`).join(' | ')} |`,
    `|---|---:|---:|${L.map(() => '---:').join('|')}|`,
    ...r.rows.map(
      (row) =>
        `| ${row.model} | ${row.hidden} | ${row.parameters.toLocaleString('en-US')} | ` +
        row.tokensPerSecond
          .map((t, i) => {
            const ratio =
              transformer && row !== transformer ? ` (${(transformer.tokensPerSecond[i] / t).toFixed(1)}×)` : '';
            return `${Math.round(t).toLocaleString('en-US')}${ratio}`;
          })
          .join(' | ') +
        ' |',
    ),
    '',
    '(n×) = how many times more tokens per second the Transformer trains than that model.',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// claim 3: local-p vs global attention as the source grows

export interface LocalCostOptions {
  /** Source lengths S; the target is as long (n = S queries), as in translation. */
  lengths: readonly number[];
  batch: number;
  dim: number;
  /** Luong's half-width: local attention looks at 2D + 1 positions. */
  D: number;
  warmup: number;
  reps: number;
  seed: number;
  onProgress?: (line: string) => void;
}

export interface LocalCostRow {
  length: number;
  /** Median ms of forward + backward through the attention layer. */
  globalMs: number;
  localMs: number;
  /** Attention weights held for the backward: B·n·S for global, B·n·(2D + 1) for local. */
  globalWeights: number;
  localWeights: number;
}

export interface LocalCostResult {
  experiment: 'local-cost';
  date: string;
  command: string;
  machine: Machine;
  options: Omit<LocalCostOptions, 'onProgress'>;
  rows: LocalCostRow[];
}

export function localCostExperiment(o: LocalCostOptions): LocalCostResult {
  for (const [name, v] of [
    ['batch', o.batch],
    ['dim', o.dim],
    ['reps', o.reps],
  ] as const)
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be an integer >= 1, received ${v}`);
  if (!Number.isInteger(o.D) || o.D < 0) throw new Error(`D must be an integer >= 0, received ${o.D}`);
  if (o.lengths.length === 0 || o.lengths.some((L) => !Number.isInteger(L) || L < 1))
    throw new Error(`lengths must be integers >= 1, received ${o.lengths.join(',')}`);
  const say = o.onProgress ?? (() => {});
  const generator = new Generator(o.seed);
  // both score with Luong's general form h_tᵀ W h̄_s, so the window is the only difference
  const global = new GeneralAttention(o.dim, o.dim, { generator });
  const local = new LocalAttention(o.dim, { mode: 'local-p', D: o.D, score: 'general', generator });
  const rows: LocalCostRow[] = [];
  for (const S of o.lengths) {
    const h = F.randn([o.batch, S, o.dim], { generator, requiresGrad: true }); // [B, n, d] decoder states
    const hs = F.randn([o.batch, S, o.dim], { generator, requiresGrad: true }); // [B, S, d] encoder states
    const step = (layer: GeneralAttention | LocalAttention) => () => {
      const { output } = layer.forward(h, hs, hs); // [B, n, d]
      output.sum().backward();
    };
    const globalMs = timeMedian(step(global), o.warmup, o.reps);
    const localMs = timeMedian(step(local), o.warmup, o.reps);
    const width = Math.min(2 * o.D + 1, S);
    rows.push({
      length: S,
      globalMs,
      localMs,
      globalWeights: o.batch * S * S,
      localWeights: o.batch * S * (2 * o.D + 1),
    });
    say(`S ${S}: global ${globalMs.toFixed(2)} ms, local-p ${localMs.toFixed(2)} ms (window ${width})`);
  }
  const { onProgress: _, ...options } = o;
  return {
    experiment: 'local-cost',
    date: new Date().toISOString(),
    command:
      `attend experiment local-cost --lengths ${o.lengths.join(',')} --batch ${o.batch} --dim ${o.dim} --D ${o.D} ` +
      `--warmup ${o.warmup} --reps ${o.reps} --seed ${o.seed}`,
    machine: machine(),
    options,
    rows,
  };
}

export function formatLocalCostTable(r: LocalCostResult): string {
  const o = r.options;
  return [
    `Forward + backward through one attention layer (general score), batch ${o.batch}, d ${o.dim}, ` +
      `n = S queries; local-p with D = ${o.D} (window ${2 * o.D + 1}); median of ${o.reps} after ${o.warmup}:`,
    '',
    '| source length S | global ms | local-p ms | global / local-p | weights held, global | weights held, local-p |',
    '|---:|---:|---:|---:|---:|---:|',
    ...r.rows.map(
      (row) =>
        `| ${row.length} | ${row.globalMs.toFixed(2)} | ${row.localMs.toFixed(2)} | ` +
        `${(row.globalMs / row.localMs).toFixed(2)}× | ${row.globalWeights.toLocaleString('en-US')} | ` +
        `${row.localWeights.toLocaleString('en-US')} |`,
    ),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// the CLI

/** Adds `speed` and `local-cost` to the `experiment` command (registered first, by experiment.ts). */
export function registerCostExperiments(program: Command): void {
  const experiment = experimentCommand(program, 'registerCostExperiments');
  experiment
    .command('speed')
    .description('claim 6: training tokens per second, Transformer vs RNN encoder-decoders of the same size')
    .option('--models <list>', 'models, comma-separated', modelList('--models'), [
      'transformer',
      'bahdanau',
      'luong',
      'seq2seq',
    ] as ModelKind[])
    .option(
      '--d-model <n>',
      "the Transformer's width; the RNNs' hidden size matches its parameter count",
      integer('--d-model'),
      64,
    )
    .option('--lengths <list>', 'source (= target) lengths', integerList('--lengths'), [8, 32, 128])
    .option('--tokens-per-batch <n>', 'target tokens per batch', integer('--tokens-per-batch'), 1024)
    .option('--warmup <n>', 'untimed steps first', integer('--warmup'), 2)
    .option('--steps <n>', 'timed steps (the median is kept)', integer('--steps'), 10)
    .option('--seed <n>', 'random seed', integer('--seed'), 1)
    .option('--json', 'print the result as JSON', false)
    .action(
      (o: {
        models: ModelKind[];
        dModel: number;
        lengths: number[];
        tokensPerBatch: number;
        warmup: number;
        steps: number;
        seed: number;
        json: boolean;
      }) => {
        const r = speedExperiment({ ...o, onProgress: (line) => process.stderr.write(line + '\n') });
        process.stdout.write(o.json ? JSON.stringify(r, null, 2) + '\n' : formatSpeedTable(r) + '\n');
      },
    );
  experiment
    .command('local-cost')
    .description('claim 3: what local-p attention costs against global attention as the source grows')
    .option('--lengths <list>', 'source lengths S (n = S queries)', integerList('--lengths'), [64, 256, 1024, 2048])
    .option('--batch <n>', 'batch size', integer('--batch'), 4)
    .option('--dim <n>', 'state size', integer('--dim'), 64)
    .addOption(new Option('--D <n>', "Luong's half-window").argParser(integer('--D')).default(10))
    .option('--warmup <n>', 'untimed runs first', integer('--warmup'), 2)
    .option('--reps <n>', 'timed runs (the median is kept)', integer('--reps'), 7)
    .option('--seed <n>', 'random seed', integer('--seed'), 1)
    .option('--json', 'print the result as JSON', false)
    .action(
      (o: {
        lengths: number[];
        batch: number;
        dim: number;
        D: number;
        warmup: number;
        reps: number;
        seed: number;
        json: boolean;
      }) => {
        const r = localCostExperiment({ ...o, onProgress: (line) => process.stderr.write(line + '\n') });
        process.stdout.write(o.json ? JSON.stringify(r, null, 2) + '\n' : formatLocalCostTable(r) + '\n');
      },
    );
}
