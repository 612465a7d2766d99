/**
 * Training a spam classifier: `fitClassifier` runs the shared trainer (src/train/trainer.ts)
 * through the bridge of ./classify-model.ts, with dev F1 for early stopping; `trainClassifyRun`
 * does it in a run directory (config.json, checkpoints, best.safetensors, log.jsonl) with the
 * run-directory helpers the other trainers use, so `--resume` continues exactly.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { VocabJSON } from '../data/vocab.js';
import { Generator } from '../tensor/random.js';
import { packCheckpoint, unpackCheckpoint } from '../train/checkpoint.js';
import { Adam, AdamW, type Optimizer, SGD } from '../train/optim.js';
import { scheduleFromName } from '../train/schedule.js';
import { type LogRecord, type TrainState, initialTrainState, train } from '../train/trainer.js';
import {
  ClassifierAsSeq2Seq,
  type ClassifierSpec,
  MessageBatches,
  type SpamModel,
  type SpamScores,
  createClassifier,
  scoreMessages,
  specName,
} from './classify-model.js';
import type { SpamData } from './classify-data.js';
import { parseDuration } from './progress.js';
import {
  clearRun,
  appendLog,
  loadWeights,
  readCheckpoint,
  readJson,
  saveWeights,
  writeCheckpoint,
  writeJson,
} from './run-dir.js';

export interface FitOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: 'adam' | 'adamw' | 'sgd';
  schedule: string;
  warmup?: number;
  clip: number;
  weightDecay: number;
  seed: number;
  timeBudgetMs?: number;
  maxSteps?: number;
  patience: number;
}

export interface FitResult {
  model: SpamModel;
  state: TrainState;
  parameters: number;
  /** Dev scores of the best epoch (what early stopping kept). */
  bestDev: SpamScores | null;
}

function makeOptimizer(o: FitOptions, model: SpamModel): Optimizer {
  const params = model.parameters();
  if (o.optimizer === 'adamw') return new AdamW(params, { lr: o.lr, weightDecay: o.weightDecay });
  if (o.optimizer === 'sgd') return new SGD(params, { lr: o.lr, momentum: 0.9, weightDecay: o.weightDecay });
  if (o.optimizer === 'adam') return new Adam(params, { lr: o.lr, weightDecay: o.weightDecay });
  throw new Error(`optimizer must be adam, adamw or sgd, received '${String(o.optimizer)}'`);
}

export interface FitHooks {
  onLog?: (r: LogRecord) => void;
  /** 'best': the model has its best dev score so far; otherwise a resumable point. */
  onCheckpoint?: (state: TrainState, why: 'epoch' | 'best' | 'stop', model: SpamModel, optimizer: Optimizer) => void;
  /** Restore a checkpoint into the fresh model and optimiser and return its state. */
  resume?: (model: SpamModel, optimizer: Optimizer) => TrainState;
}

/**
 * Train `spec` on data.train, scoring data.dev after every epoch (score = 1 − F1, lower is
 * better). The weights returned are the last ones; the caller keeps the best through onCheckpoint.
 */
export function fitClassifier(spec: ClassifierSpec, data: SpamData, o: FitOptions, hooks: FitHooks = {}): FitResult {
  const generator = new Generator(o.seed);
  const model = createClassifier(spec, generator);
  const optimizer = makeOptimizer(o, model);
  const batches = new MessageBatches(data.train, { batchSize: o.batchSize, seed: o.seed });
  const totalSteps = o.epochs * batches.batchesPerEpoch;
  let bestDev: SpamScores | null = null;
  let lastDev: SpamScores | null = null;
  const state = train(
    {
      model: new ClassifierAsSeq2Seq(model),
      optimizer,
      batches,
      generator,
      lr: o.lr,
      schedule: scheduleFromName(o.schedule, { warmup: o.warmup, totalSteps }),
      epochs: o.epochs,
      clipNorm: o.clip > 0 ? o.clip : undefined,
      timeBudgetMs: o.timeBudgetMs,
      maxSteps: o.maxSteps,
      patience: o.patience,
      evaluate: () => {
        lastDev = scoreMessages(model, data.dev);
        return { score: 1 - lastDev.f1, metrics: { accuracy: lastDev.accuracy, f1: lastDev.f1 } };
      },
      onLog: hooks.onLog,
      onCheckpoint: (s, why) => {
        if (why === 'best') bestDev = lastDev;
        hooks.onCheckpoint?.(s, why, model, optimizer);
      },
    },
    hooks.resume ? hooks.resume(model, optimizer) : initialTrainState(generator),
  );
  return { model, state, parameters: model.parameters().reduce((n, p) => n + p.size, 0), bestDev };
}

/** config.json of a classify run. `model.kind` is there so the shared loadRunConfig accepts it. */
export interface ClassifyRunConfig {
  task: 'classify';
  model: ClassifierSpec;
  vocab: VocabJSON;
  labels: readonly string[];
  /** How a message becomes tokens: src/data/spam.ts messageText + tokenizeMessage with maxTokens. */
  tokenizer: { kind: 'spam'; maxTokens: number };
  train: FitOptions;
  data: Record<string, unknown>;
  attendVersion: string;
  createdAt: string;
}

export interface ClassifyRunSummary {
  out: string;
  model: string;
  parameters: number;
  steps: number;
  epochs: number;
  stopReason: string;
  seconds: number;
  bestDev: SpamScores | null;
  test: SpamScores;
}

/**
 * Train into `out`: the same files as `attend train g2p` (src/cli/run-dir.ts), then score the
 * best weights on the test split. `resume` continues the checkpoint in `out`.
 */
export function trainClassifyRun(
  spec: ClassifierSpec,
  data: SpamData,
  o: FitOptions & { out: string; resume: boolean; force: boolean; timeBudget?: string },
  version: string,
  say: (line: string) => void,
): ClassifyRunSummary {
  const configPath = join(o.out, 'config.json');
  if (o.resume) {
    const old = readJson<ClassifyRunConfig>(configPath);
    if (old.task !== 'classify' || specName(old.model) !== specName(spec))
      throw new Error(
        `--resume: ${o.out} trains ${String(old.task)} ${specName(old.model)}, received ${specName(spec)}`,
      );
  } else {
    if (existsSync(join(o.out, 'state.json')) && !o.force)
      throw new Error(`${o.out} already holds a run: pass --resume to continue it or --force to start over`);
    clearRun(o.out); // --force: the old run's log, weights and scores go
    mkdirSync(o.out, { recursive: true });
    const config: ClassifyRunConfig = {
      task: 'classify',
      model: spec,
      vocab: data.vocab.toJSON(),
      labels: ['ham', 'spam'],
      tokenizer: { kind: 'spam', maxTokens: data.info.maxTokens as number },
      train: { ...o, timeBudgetMs: o.timeBudget ? parseDuration(o.timeBudget) : undefined },
      data: data.info,
      attendVersion: version,
      createdAt: new Date().toISOString(),
    };
    writeJson(configPath, config);
  }
  say(`attend: training ${specName(spec)} on ${data.train.length} messages → ${o.out}`);
  const fit = fitClassifier(spec, data, o, {
    onLog: (r) => {
      appendLog(o.out, { ...r, time: new Date().toISOString() });
      if (r.type === 'eval')
        say(
          `epoch ${r.epoch + 1}: dev accuracy ${pct(r.metrics.accuracy)}, F1 ${pct(r.metrics.f1)}${r.best ? ' (best)' : ''}`,
        );
    },
    onCheckpoint: (s, why, model, optimizer) => {
      if (why === 'best') saveWeights(join(o.out, 'best.safetensors'), model, { step: String(s.step) });
      else writeCheckpoint(o.out, packCheckpoint(model, optimizer, s));
    },
    resume: o.resume
      ? (model, optimizer) => {
          const s = unpackCheckpoint(readCheckpoint(o.out), model, optimizer);
          if (s.finished) throw new Error(`--resume: the run in ${o.out} has finished (${s.epoch} epochs)`);
          return s;
        }
      : undefined,
  });
  // score what `attend classify` will use: the best weights
  const best = createClassifier(spec, new Generator(0));
  best.loadStateDict(fit.model.stateDict());
  best.eval();
  const bestPath = join(o.out, 'best.safetensors');
  if (existsSync(bestPath)) loadWeights(best, bestPath);
  else saveWeights(bestPath, fit.model, { step: String(fit.state.step) });
  const test = scoreMessages(best, data.test);
  writeJson(join(o.out, 'eval.json'), { split: 'test', ...test });
  return {
    out: o.out,
    model: specName(spec),
    parameters: fit.parameters,
    steps: fit.state.step,
    epochs: fit.state.epoch,
    stopReason: fit.state.finished ? 'finished' : 'interrupted (resume with --resume)',
    seconds: fit.state.elapsedMs / 1000,
    bestDev: fit.bestDev,
    test,
  };
}

export function pct(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}
