/**
 * `attend experiment caption RUN...`: the captioning results of docs/results.md in one table
 * (spec §3, claims 4 and 5; Xu et al. 2015 §4 and §5).
 *
 * For each trained caption run it reads what training and `attend eval-caption` wrote (test exact
 * match, BLEU, the share of each word's attention inside the box of the item it names; steps,
 * training time, ms per step), and measures what the paper says separates hard from soft
 * attention: the cost of a gradient and its variance. The variance is measured directly: K
 * gradients of the same batch at the run's weights, differing only in the random draws (dropout,
 * and for hard attention the sampled locations and the expected-location coin), give
 *   relative variance = (1/K) Σ_k ‖g_k − ḡ‖² / ‖ḡ‖²,   ḡ = (1/K) Σ_k g_k.
 * Soft attention's figure is dropout's share alone; what hard attention adds on top is the
 * score-function estimator's (REINFORCE, eq. 12) variance, which the baseline and the
 * expected-location trick are there to cut.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { ReinforceBaseline } from '../attention/reinforce.js';
import { captionTensors, makeScenes, sceneImages } from '../data/scenes.js';
import { PAD, Vocab } from '../data/vocab.js';
import { Captioner } from '../models/captioner.js';
import { captionLoss } from '../models/captioner-loss.js';
import { loadFashionMnist } from '../node/fashion-mnist.js';
import { readFileChecked } from '../node/files.js';
import { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import type { CaptionEvalOutput } from './caption-run.js';
import { type CaptionRunConfig, TRAIN_IMAGES } from './caption-train.js';
import { integer } from './parse.js';
import { loadWeights, readJson, resolveRun } from './run-dir.js';
import { experimentCommand } from './experiment.js';

const MAX_LOG_BYTES = 256 * 1024 * 1024;

export interface CaptionGradientStats {
  /** K gradients measured. */
  samples: number;
  /** (1/K) Σ ‖g_k − ḡ‖² / ‖ḡ‖². */
  relativeVariance: number;
  /** Mean cosine between one gradient and the mean of the K. */
  meanCosine: number;
  /** Mean wall time of one forward + backward, ms. */
  msPerGradient: number;
  /** Mean gate β over the batch's real steps in the first sample (null without a gate). */
  meanGate: number | null;
}

export interface CaptionExperimentRow {
  run: string;
  attention: string;
  expectedProb: number;
  /** The attention and the training options that set this run apart, e.g. 'hard (expected-location p 0.5, warmup 1000)'. */
  variant: string;
  seed: number;
  steps: number;
  trainingSeconds: number;
  /** Training time / steps, in ms. */
  msPerStep: number;
  test: CaptionEvalOutput['scores'] & { beam: number };
  gradients: CaptionGradientStats;
}

/**
 * K gradients of the batch at step 0 of the run's training stream, at the run's weights, in
 * training mode; sample k reseeds the model's generator with seed k + 1 (dropout, hard samples).
 */
export function captionGradientStats(
  runDir: string,
  o: { samples: number; batchSize: number; dataDir?: string },
): CaptionGradientStats {
  if (!(o.samples >= 2)) throw new Error(`--samples must be ≥ 2, received ${o.samples}`);
  const { dir, weights } = resolveRun(runDir);
  const config = readJson<CaptionRunConfig>(join(dir, 'config.json'));
  if (config?.task !== 'caption') throw new Error(`${dir}/config.json: expected a caption run`);
  const generator = new Generator(0);
  const model = new Captioner(config.model, generator);
  loadWeights(model, weights);
  model.train();
  model.freezeEncoder = config.train.freezeEncoder ?? false; // as it trained: its CNN then gets no gradient
  const vocab = Vocab.fromJSON(config.vocab);
  const set = loadFashionMnist('train', o.dataDir);
  const trainImages = Math.min(TRAIN_IMAGES, Math.floor(set.count * 0.9));
  const scenes = makeScenes(set, config.train.seed, 0, o.batchSize, { first: 0, count: trainImages });
  const { tgtIn, tgtOut } = captionTensors(
    scenes.map((s) => s.caption),
    vocab,
  ); // [B, T] each
  const images = sceneImages(scenes); // [B, 1, H, W]
  const statePath = join(dir, 'state.json');
  const baseline = existsSync(statePath) ? (readJson<{ baseline?: number | null }>(statePath).baseline ?? null) : null;
  const params = model.parameters();
  const gradients: Float64Array[] = [];
  let ms = 0;
  let meanGate: number | null = null;
  for (let k = 0; k < o.samples; k++) {
    generator.setState(new Generator(k + 1).getState());
    const reinforce =
      config.model.attention === 'hard'
        ? new ReinforceBaseline(0.9, config.train.rewardWeight ?? 1, config.train.entropyWeight)
        : null;
    if (reinforce) reinforce.baseline = baseline;
    const t0 = performance.now();
    const out = model.forward(images, null, tgtIn); // logits [B, T, V]
    if (k === 0 && out.betas) meanGate = maskedMean(out.betas, tgtOut); // β [B, T]
    const l = captionLoss(out, tgtOut, { doublyStochastic: config.train.lambda, reinforce });
    for (const p of params) p.grad = null;
    l.loss.backward();
    ms += performance.now() - t0;
    const flat = new Float64Array(params.reduce((n, p) => n + p.size, 0));
    let offset = 0;
    for (const p of params) {
      if (p.grad) flat.set(p.grad.data as ArrayLike<number>, offset);
      offset += p.size;
    }
    gradients.push(flat);
  }
  return { samples: o.samples, ...varianceOf(gradients), msPerGradient: ms / o.samples, meanGate };
}

/** The mean of x [B, T] over the steps whose target is not padding. */
function maskedMean(x: Tensor, tgtOut: Tensor): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < x.size; i++)
    if (tgtOut.data[i] !== PAD) {
      sum += x.data[i];
      n++;
    }
  return sum / Math.max(1, n);
}

/** Relative variance and mean cosine of K flattened gradients (see the file comment). */
export function varianceOf(gradients: Float64Array[]): { relativeVariance: number; meanCosine: number } {
  const K = gradients.length;
  const n = gradients[0].length;
  const mean = new Float64Array(n);
  for (const g of gradients) for (let i = 0; i < n; i++) mean[i] += g[i] / K;
  let meanNorm2 = 0;
  for (let i = 0; i < n; i++) meanNorm2 += mean[i] * mean[i];
  let spread = 0;
  let cosines = 0;
  for (const g of gradients) {
    let d2 = 0;
    let dot = 0;
    let g2 = 0;
    for (let i = 0; i < n; i++) {
      d2 += (g[i] - mean[i]) ** 2;
      dot += g[i] * mean[i];
      g2 += g[i] * g[i];
    }
    spread += d2 / K;
    cosines += g2 > 0 && meanNorm2 > 0 ? dot / Math.sqrt(g2 * meanNorm2) / K : 0;
  }
  return { relativeVariance: meanNorm2 > 0 ? spread / meanNorm2 : 0, meanCosine: cosines };
}

/** What a run's log says about its training: steps and training time (evaluations excluded). */
function trainingOf(dir: string): { steps: number; trainingSeconds: number; msPerStep: number } {
  const path = join(dir, 'log.jsonl');
  if (!existsSync(path)) throw new Error(`${dir} has no log.jsonl: was it trained with attend train caption?`);
  const lines = new TextDecoder().decode(readFileChecked(path, MAX_LOG_BYTES)).split('\n');
  let steps = 0;
  let trainingSeconds = 0;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let r: { type?: unknown; step?: unknown; elapsedMs?: unknown };
    try {
      r = JSON.parse(line) as typeof r;
    } catch {
      throw new Error(`${path}:${i + 1}: not a JSON record`);
    }
    if (r.type === 'stop' && typeof r.step === 'number' && typeof r.elapsedMs === 'number') {
      steps = r.step; // the last stop wins: a resumed run logs one per session
      trainingSeconds = r.elapsedMs / 1000;
    }
  });
  if (steps === 0) throw new Error(`${path}: no stop record: has the run finished?`);
  return { steps, trainingSeconds, msPerStep: (1000 * trainingSeconds) / steps };
}

export function captionExperiment(
  runs: string[],
  o: { samples: number; batchSize: number; dataDir?: string },
): CaptionExperimentRow[] {
  return runs.map((run) => {
    const { dir } = resolveRun(run);
    const config = readJson<CaptionRunConfig>(join(dir, 'config.json'));
    if (config?.task !== 'caption') throw new Error(`${dir}/config.json: expected a caption run`);
    const evalPath = join(dir, 'eval-caption.json');
    if (!existsSync(evalPath)) throw new Error(`${dir} has no eval-caption.json: run attend eval-caption ${dir} first`);
    const evaluation = readJson<CaptionEvalOutput>(evalPath);
    return {
      run: dir,
      attention: config.model.attention,
      expectedProb: config.model.expectedProb ?? 0,
      variant: variantOf(config),
      seed: config.train.seed,
      ...trainingOf(dir),
      test: { ...evaluation.scores, beam: evaluation.beam },
      gradients: captionGradientStats(dir, o),
    };
  });
}

function variantOf(config: CaptionRunConfig): string {
  const parts = [];
  if (config.model.attention === 'hard') {
    parts.push(`expected-location p ${config.model.expectedProb ?? 0}`);
    if (config.train.expectedWarmup) parts.push(`warmup ${config.train.expectedWarmup}`);
    if ((config.train.rewardWeight ?? 1) !== 1) parts.push(`λ_r ${config.train.rewardWeight}`);
  }
  if (config.train.encoderFrom !== undefined)
    parts.push(`CNN of ${basename(config.train.encoderFrom)}${config.train.freezeEncoder ? ', frozen' : ''}`);
  else if (config.train.freezeEncoder) parts.push('CNN frozen at its initialisation');
  return parts.length ? `${config.model.attention} (${parts.join(', ')})` : config.model.attention;
}

/** One markdown table: a row per run, then mean ± sd per attention kind when seeds repeat. */
export function formatCaptionExperiment(rows: CaptionExperimentRow[], command: string): string {
  const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)} %`);
  const out = [
    '| run | attention | seed | steps | ms / step | test exact | BLEU | words right | α in named box (uniform) | mean β | ms / gradient | gradient rel. variance | cos(g, ḡ) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    out.push(
      `| ${r.run} | ${r.variant} | ${r.seed} | ${r.steps} | ${r.msPerStep.toFixed(0)} | ${pct(r.test.exactMatch)} | ` +
        `${r.test.bleu.toFixed(1)} | ${pct(r.test.wordAccuracy)} | ${pct(r.test.attentionInBox)} (${pct(r.test.chanceInBox)}) | ` +
        `${r.gradients.meanGate === null ? '–' : r.gradients.meanGate.toFixed(2)} | ` +
        `${r.gradients.msPerGradient.toFixed(0)} | ${r.gradients.relativeVariance.toFixed(3)} | ${r.gradients.meanCosine.toFixed(3)} |`,
    );
  }
  const groups = new Map<string, CaptionExperimentRow[]>();
  for (const r of rows) {
    groups.set(r.variant, [...(groups.get(r.variant) ?? []), r]);
  }
  const spread = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
    return `${(100 * m).toFixed(1)} ± ${(100 * sd).toFixed(1)} %`;
  };
  const repeated = [...groups.values()].filter((g) => g.length >= 2);
  if (repeated.length) {
    out.push(
      '',
      '| attention | runs | test exact (mean ± sd over seeds) | α in named box |',
      '| --- | ---: | ---: | ---: |',
    );
    for (const g of repeated) {
      const inBox = g.map((r) => r.test.attentionInBox).filter((x): x is number => x !== null);
      out.push(
        `| ${g[0].variant} | ${g.length} | ` +
          `${spread(g.map((r) => r.test.exactMatch))} | ${inBox.length >= 2 ? spread(inBox) : '–'} |`,
      );
    }
  }
  out.push('', `Command: \`${command}\``);
  return out.join('\n');
}

/** Adds `caption` to the `experiment` command (registered first, by experiment.ts). */
export function registerCaptionExperiment(program: Command): void {
  experimentCommand(program, 'registerCaptionExperiment')
    .command('caption')
    .description('claims 4–5: test scores of caption runs, attention inside the named box, gradient cost and variance')
    .argument('<runs...>', 'caption run directories, each scored by attend eval-caption')
    .option('--samples <n>', 'gradients measured per run for the variance', integer('--samples', 2), 16)
    .option('--batch-size <n>', 'scenes in the measured batch', integer('--batch-size', 1), 32)
    .option('--data-dir <dir>', 'the Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist)')
    .option('--json', 'print the rows as JSON', false)
    .action((runs: string[], o: { samples: number; batchSize: number; dataDir?: string; json: boolean }) => {
      const rows = captionExperiment(runs, o);
      const command = `attend experiment caption ${runs.join(' ')} --samples ${o.samples} --batch-size ${o.batchSize}`;
      process.stdout.write(
        o.json ? JSON.stringify(rows, null, 2) + '\n' : formatCaptionExperiment(rows, command) + '\n',
      );
    });
}
