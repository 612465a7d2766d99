/**
 * `attend train caption`: trains the Show-Attend-Tell captioner (src/models/captioner.ts) on
 * Fashion-MNIST scenes into a run directory (src/cli/run-dir.ts: config.json, the resumable
 * checkpoint, best.safetensors, log.jsonl).
 *
 * The data is an endless stream of scenes: batch k is scenes [k·B, (k+1)·B) of the training
 * stream (training images 0…54,999, seeded by --seed), a pure function of the step, so a
 * resumed run sees exactly the batches an uninterrupted one would. Dev scenes come from the
 * held-out training images 55,000…59,999 (fixed seed, the same for every run); test scenes,
 * scored by `attend eval-caption`, from the test images.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ReinforceBaseline } from '../attention/reinforce.js';
import {
  type ImageSet,
  type SceneOptions,
  captionTensors,
  captionVocab,
  makeScenes,
  sceneImages,
} from '../data/scenes.js';
import { type CaptionAttention, Captioner, type CaptionerSpec, defaultCaptionerSpec } from '../models/captioner.js';
import { captionLoss } from '../models/captioner-loss.js';
import { predictCaptions, scoreCaptions } from '../models/captioner-eval.js';
import { decodeSafetensors } from '../io/safetensors.js';
import { loadFashionMnist } from '../node/fashion-mnist.js';
import { readFileChecked } from '../node/files.js';
import { Generator } from '../tensor/random.js';
import { packCheckpoint, unpackCheckpoint } from '../train/checkpoint.js';
import { clipGradNorm } from '../train/clip.js';
import { Adam } from '../train/optim.js';
import { type TrainState, initialTrainState } from '../train/trainer.js';
import { parseDuration } from './progress.js';
import {
  appendLog,
  clearRun,
  readCheckpoint,
  readJson,
  resolveRun,
  saveWeights,
  writeCheckpoint,
  writeJson,
} from './run-dir.js';

/** Training images used for training scenes; the rest of the 60,000 make the dev scenes. */
export const TRAIN_IMAGES = 55000;
export const DEV_SEED = 7;
export const TEST_SEED = 0;

export interface CaptionTrainOptions {
  attention: CaptionAttention;
  out: string;
  batchSize: number;
  lr: number;
  seed: number;
  timeBudget?: string;
  steps?: number;
  /** λ of the doubly stochastic penalty. */
  lambda: number;
  /** Hard attention: entropy weight λ_e of the REINFORCE term. */
  entropyWeight: number;
  /** Hard attention: weight λ_r of the REINFORCE term (default 1). */
  rewardWeight?: number;
  /**
   * Hard attention: steps over which the share of images on the expected location falls linearly
   * from 1 to expectedProb (default 0: expectedProb from the first step, as the paper).
   */
  expectedWarmup?: number;
  /** Hard attention: probability that an image trains with the expected location (default 0.5, as the paper). */
  expectedProb?: number;
  /**
   * A caption run (or its .safetensors) whose CNN weights (conv1 … conv4) start this run; the
   * rest is initialised as usual. Read once, when the run starts.
   */
  encoderFrom?: string;
  /** Keep the CNN fixed: it runs outside autograd and the optimiser leaves it alone. */
  freezeEncoder?: boolean;
  evalEvery: number;
  devScenes: number;
  clip: number;
  resume: boolean;
  force: boolean;
  json: boolean;
  /** The Fashion-MNIST directory (tests point it at small files of their own). */
  dataDir?: string;
}

export interface CaptionRunConfig {
  task: 'caption';
  model: CaptionerSpec;
  vocab: { tokens: string[] };
  scenes: SceneOptions & { width: number; height: number };
  train: Omit<CaptionTrainOptions, 'resume' | 'force' | 'json' | 'out'>;
  attendVersion: string;
  createdAt: string;
}

export interface CaptionTrainSummary {
  out: string;
  attention: CaptionAttention;
  parameters: number;
  steps: number;
  seconds: number;
  stopReason: 'steps' | 'time-budget';
  /** Best dev exact match so far, and the dev scores at that point. */
  bestDev: { exactMatch: number; bleu: number; attentionInBox: number | null; step: number } | null;
  /** Last logged mean cross-entropy per token. */
  loss: number;
}

/** What checkpoints carry beyond TrainState: the REINFORCE baseline's moving average. */
type CaptionState = TrainState & {
  baseline: number | null;
  bestStep: number | null;
  bestDev?: CaptionTrainSummary['bestDev'];
};

function trainSet(dataDir?: string): ImageSet {
  return loadFashionMnist('train', dataDir);
}

/** What a resumed run keeps from its config whatever the command line says: the rest would change the run. */
const FIXED_ON_RESUME = [
  'batchSize',
  'lr',
  'seed',
  'lambda',
  'entropyWeight',
  'rewardWeight',
  'expectedWarmup',
  'encoderFrom',
  'freezeEncoder',
  'clip',
  'evalEvery',
  'devScenes',
] as const;

/** Copy the CNN's weights (conv1 … conv4) of another caption run into `model`. */
function loadEncoder(model: Captioner, runOrCheckpoint: string): void {
  const { weights } = resolveRun(runOrCheckpoint);
  const { tensors } = decodeSafetensors(readFileChecked(weights));
  const own = Object.keys(model.stateDict()).filter((k) => /^conv[1-4]\./.test(k));
  const missing = own.filter((k) => !(k in tensors));
  if (missing.length)
    throw new Error(`--encoder-from ${runOrCheckpoint}: ${weights} has no ${missing.join(', ')}: expected a caption run`); // prettier-ignore
  try {
    model.loadStateDict(Object.fromEntries(own.map((k) => [k, tensors[k]])), { strict: false });
  } catch (e) {
    throw new Error(`--encoder-from ${runOrCheckpoint}: ${(e as Error).message}`);
  }
}

/** The share of images on the expected location at `step`: from 1 down to `target` over `warmup` steps. */
export function expectedShare(step: number, warmup: number, target: number): number {
  return warmup > 0 ? target + (1 - target) * Math.max(0, 1 - step / warmup) : target;
}

export function trainCaption(options: CaptionTrainOptions, version: string): CaptionTrainSummary {
  let o = options;
  if (o.resume) {
    const saved = readJson<CaptionRunConfig>(join(o.out, 'config.json')).train;
    o = { ...o, ...Object.fromEntries(FIXED_ON_RESUME.map((k) => [k, saved[k]])) };
  }
  if (o.steps === undefined && o.timeBudget === undefined)
    throw new Error('attend train caption: give --steps or --time-budget (or both)');
  if (!(o.batchSize >= 1)) throw new Error(`--batch-size must be ≥ 1, received ${o.batchSize}`);
  if (!(o.devScenes >= 1)) throw new Error(`--dev-scenes must be ≥ 1, received ${o.devScenes}`);
  if (o.expectedWarmup !== undefined && !(Number.isInteger(o.expectedWarmup) && o.expectedWarmup >= 0))
    throw new Error(`--expected-warmup must be a whole number of steps ≥ 0, received ${o.expectedWarmup}`);
  if (o.expectedProb !== undefined && !(o.expectedProb >= 0 && o.expectedProb <= 1))
    throw new Error(`--expected-prob must be in [0, 1], received ${o.expectedProb}`);
  if (!(o.evalEvery >= 1)) throw new Error(`--eval-every must be ≥ 1, received ${o.evalEvery}`);
  const configPath = join(o.out, 'config.json');
  const set = trainSet(o.dataDir);
  const trainImages = Math.min(TRAIN_IMAGES, Math.floor(set.count * 0.9));
  const trainScenes: SceneOptions = { first: 0, count: trainImages };
  const devScenesOptions: SceneOptions = { first: trainImages, count: set.count - trainImages };
  let config: CaptionRunConfig;
  if (o.resume) {
    config = readJson<CaptionRunConfig>(configPath);
    if (config.task !== 'caption') throw new Error(`--resume: ${o.out} is not a caption run`);
    if (o.expectedProb !== undefined && o.expectedProb !== (config.model.expectedProb ?? 0))
      throw new Error(`--resume: ${o.out} trains with --expected-prob ${config.model.expectedProb ?? 0}, received ${o.expectedProb}`); // prettier-ignore
    if (config.model.attention !== o.attention)
      throw new Error(`--resume: ${o.out} trains --attention ${config.model.attention}, received --attention ${o.attention}`); // prettier-ignore
  } else {
    if (existsSync(join(o.out, 'state.json')) && !o.force)
      throw new Error(`${o.out} already holds a run: pass --resume to continue it or --force to start over`);
    clearRun(o.out); // --force: the old run's log, weights and scores go
    const vocab = captionVocab();
    const probe = makeScenes(set, o.seed, 0, 1, trainScenes)[0];
    const { resume: _r, force: _f, json: _j, out: _o, ...train } = o;
    config = {
      task: 'caption',
      model: {
        ...defaultCaptionerSpec(o.attention, vocab.size),
        ...(o.attention === 'hard' && o.expectedProb !== undefined ? { expectedProb: o.expectedProb } : {}),
      },
      vocab: vocab.toJSON(),
      scenes: { width: probe.width, height: probe.height },
      train,
      attendVersion: version,
      createdAt: new Date().toISOString(),
    };
    mkdirSync(o.out, { recursive: true });
    writeJson(configPath, config);
  }
  const vocab = captionVocab();
  const generator = new Generator(o.seed);
  const model = new Captioner(config.model, generator);
  if (o.encoderFrom !== undefined && !o.resume) loadEncoder(model, o.encoderFrom);
  model.freezeEncoder = o.freezeEncoder ?? false;
  const parameters = model.parameters().reduce((n, p) => n + p.size, 0);
  const fixed = new Set(o.freezeEncoder ? model.encoderParameters() : []);
  const optimizer = new Adam(
    model.parameters().filter((p) => !fixed.has(p)),
    { lr: o.lr },
  );
  const reinforce = o.attention === 'hard' ? new ReinforceBaseline(0.9, o.rewardWeight ?? 1, o.entropyWeight) : null;
  const state: CaptionState = o.resume
    ? (unpackCheckpoint(readCheckpoint(o.out), model, optimizer) as CaptionState)
    : { ...initialTrainState(generator), baseline: null, bestStep: null };
  if (reinforce) reinforce.baseline = state.baseline ?? null;
  generator.setState(state.rng);

  const devScenes = makeScenes(set, DEV_SEED, 0, o.devScenes, devScenesOptions);
  const grid = model.gridSize(config.scenes.height, config.scenes.width);
  const budgetMs = o.timeBudget ? parseDuration(o.timeBudget) : Infinity;
  const maxSteps = o.steps ?? Infinity;
  const say = (line: string) => {
    if (!o.json) console.error(line);
  };
  say(
    `attend: training the ${o.attention}-attention captioner (${(parameters / 1e6).toFixed(2)} M parameters, grid ${grid.join('×')}) ` +
      `on ${config.scenes.height}×${config.scenes.width} scenes, batch ${o.batchSize}` +
      (o.encoderFrom !== undefined ? `, encoder from ${o.encoderFrom}` : '') +
      (o.freezeEncoder ? ', encoder frozen' : '') +
      `${o.resume ? `, resuming at step ${state.step}` : ''} → ${o.out}`,
  );

  const evaluate = () => {
    const rng = generator.getState(); // evaluation must not move the training stream
    const scores = scoreCaptions(predictCaptions(model, devScenes, vocab), devScenes, grid);
    const best = state.bestDev == null || scores.exactMatch > state.bestDev.exactMatch;
    if (best) {
      state.bestDev = { exactMatch: scores.exactMatch, bleu: scores.bleu, attentionInBox: scores.attentionInBox, step: state.step }; // prettier-ignore
      saveWeights(join(o.out, 'best.safetensors'), model, { step: String(state.step) });
    }
    generator.setState(rng);
    appendLog(o.out, { type: 'eval', step: state.step, ...scores, best, time: new Date().toISOString() });
    say(
      `step ${state.step}: dev exact match ${(100 * scores.exactMatch).toFixed(1)} %, BLEU ${scores.bleu.toFixed(1)}` +
        (scores.attentionInBox !== null
          ? `, attention in the named box ${(100 * scores.attentionInBox).toFixed(1)} % (chance ${(100 * scores.chanceInBox!).toFixed(1)} %)`
          : '') + // prettier-ignore
        (best ? ' (best)' : ''),
    );
  };
  const checkpoint = () => {
    state.rng = generator.getState();
    state.baseline = reinforce?.baseline ?? null;
    writeCheckpoint(o.out, packCheckpoint(model, optimizer, state));
  };

  let start = performance.now() - state.elapsedMs;
  let window = { loss: 0, penalty: 0, gradNorm: 0, n: 0, t0: performance.now() };
  let stopReason: CaptionTrainSummary['stopReason'] = 'steps';
  let lastLoss = NaN;
  model.train();
  for (;;) {
    if (state.step >= maxSteps) break;
    if (performance.now() - start >= budgetMs) {
      stopReason = 'time-budget';
      break;
    }
    const scenes = makeScenes(set, o.seed, state.step * o.batchSize, o.batchSize, trainScenes);
    model.expectedProb = expectedShare(state.step, o.expectedWarmup ?? 0, config.model.expectedProb ?? 0);
    const { tgtIn, tgtOut } = captionTensors(
      scenes.map((s) => s.caption),
      vocab,
    ); // [B, T] each
    const out = model.forward(sceneImages(scenes), null, tgtIn); // logits [B, T, V]
    const l = captionLoss(out, tgtOut, { doublyStochastic: o.lambda, reinforce });
    optimizer.zeroGrad();
    l.loss.backward(undefined, { releaseActivations: true }); // only the loss is read after this
    const gradNorm = o.clip > 0 ? clipGradNorm(optimizer.params, o.clip) : NaN;
    optimizer.step();
    state.step++;
    window = { ...window, loss: window.loss + l.crossEntropy, penalty: window.penalty + l.penalty, gradNorm: window.gradNorm + gradNorm, n: window.n + 1 }; // prettier-ignore
    if (state.step % 10 === 0) {
      const now = performance.now();
      lastLoss = window.loss / window.n;
      appendLog(o.out, {
        type: 'step',
        step: state.step,
        loss: lastLoss,
        penalty: window.penalty / window.n,
        gradNorm: window.gradNorm / window.n,
        baseline: reinforce?.baseline ?? null,
        msPerStep: (now - window.t0) / window.n,
        elapsedMs: now - start,
        time: new Date().toISOString(),
      });
      say(`step ${state.step}: loss ${lastLoss.toFixed(4)}, ${((now - window.t0) / window.n).toFixed(0)} ms/step`);
      window = { loss: 0, penalty: 0, gradNorm: 0, n: 0, t0: now };
    }
    if (state.step % o.evalEvery === 0) {
      const t = performance.now();
      state.elapsedMs = t - start;
      evaluate();
      checkpoint();
      start += performance.now() - t; // evaluation is not training time
      window.t0 += performance.now() - t;
    }
  }
  state.elapsedMs = performance.now() - start;
  if (state.step % o.evalEvery !== 0 && state.step > 0) evaluate();
  checkpoint();
  if (!existsSync(join(o.out, 'best.safetensors'))) saveWeights(join(o.out, 'best.safetensors'), model, { step: String(state.step) }); // prettier-ignore
  appendLog(o.out, { type: 'stop', step: state.step, reason: stopReason, elapsedMs: state.elapsedMs, time: new Date().toISOString() }); // prettier-ignore
  return {
    out: o.out,
    attention: o.attention,
    parameters,
    steps: state.step,
    seconds: state.elapsedMs / 1000,
    stopReason,
    bestDev: state.bestDev ?? null,
    loss: lastLoss,
  };
}
