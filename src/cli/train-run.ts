/**
 * Train an encoder-decoder into a run directory (src/cli/run-dir.ts): shared by
 * `attend train g2p` and `attend train translate`. The task gives the data, the vocabularies
 * and a dev scorer; this file builds the model and optimiser, resumes, logs and checkpoints.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BatchIterator, type EncodedPair } from '../data/batching.js';
import type { Vocab } from '../data/vocab.js';
import { type ModelKind, type ModelSize, type ModelSpec, createModel, defaultSpec } from '../models/seq2seq/factory.js';
import { Generator } from '../tensor/random.js';
import { packCheckpoint, unpackCheckpoint } from '../train/checkpoint.js';
import { Adam, AdamW, type Optimizer, SGD } from '../train/optim.js';
import { scheduleFromName } from '../train/schedule.js';
import { type EvalResult, type LogRecord, type TrainState, initialTrainState, train } from '../train/trainer.js';
import type { Module } from '../nn/module.js';
import type { EncoderDecoder } from '../models/seq2seq/types.js';
import { createProgress, parseDuration } from './progress.js';
import {
  clearRun,
  type RunConfig,
  appendLog,
  loadRunConfig,
  readCheckpoint,
  saveWeights,
  writeCheckpoint,
  writeJson,
} from './run-dir.js';

export interface TrainCliOptions {
  model: string;
  size: ModelSize;
  /** The exact model (experiments that match sizes); otherwise `defaultSpec(model, …, size)`. */
  spec?: ModelSpec;
  /** Overrides the size's dropout (every model kind has one). */
  dropout?: number;
  /** Overrides the size's depth: RNN layers (`layers`), or the Transformer's encoder and decoder layers. */
  layers?: number;
  out: string;
  epochs: number;
  batchSize: number;
  lr?: number;
  optimizer: string;
  schedule: string;
  warmup?: number;
  clip: number;
  labelSmoothing?: number;
  weightDecay: number;
  seed: number;
  timeBudget?: string;
  maxSteps?: number;
  patience: number;
  resume: boolean;
  force: boolean;
  json: boolean;
  progress: boolean;
}

export interface TaskData {
  task: RunConfig['task'];
  train: EncodedPair[];
  srcVocab: Vocab;
  tgtVocab: Vocab;
  /** Scores the model on the dev set (lower score is better). */
  evaluate: (model: EncoderDecoder) => EvalResult;
  data: Record<string, unknown>;
  tokenizer?: RunConfig['tokenizer'];
}

/** The learning rate each model trains well with when --lr is not given. */
const DEFAULT_LR: Record<ModelKind, number> = { transformer: 1e-3, bahdanau: 2e-3, luong: 2e-3, seq2seq: 2e-3 };

function makeOptimizer(name: string, params: ReturnType<Module['parameters']>, lr: number, wd: number): Optimizer {
  switch (name) {
    case 'adam':
      return new Adam(params, { lr, weightDecay: wd });
    case 'adamw':
      return new AdamW(params, { lr, weightDecay: wd });
    case 'sgd':
      return new SGD(params, { lr, momentum: 0.9, weightDecay: wd });
  }
  throw new Error(`--optimizer must be adam, adamw or sgd, received '${name}'`);
}

export interface TrainSummary {
  out: string;
  model: string;
  parameters: number;
  steps: number;
  epochs: number;
  stopReason: string;
  seconds: number;
  bestDev: number | null;
  bestEpoch: number | null;
  /** Target tokens per second of training, over all the steps this invocation logged. */
  tokensPerSecond: number;
}

/** The size's spec with the dropout and depth the command line chose. */
function withOverrides(spec: ModelSpec, o: Pick<TrainCliOptions, 'dropout' | 'layers'>): ModelSpec {
  const out = o.dropout === undefined ? spec : { ...spec, dropout: o.dropout };
  if (o.layers === undefined) return out;
  return out.kind === 'transformer'
    ? { ...out, encoderLayers: o.layers, decoderLayers: o.layers }
    : { ...out, layers: o.layers };
}

export function trainRun(o: TrainCliOptions, task: TaskData, version: string): TrainSummary {
  const statePath = join(o.out, 'state.json');
  let config: RunConfig;
  if (o.resume) {
    config = loadRunConfig(o.out);
    if (config.model.kind !== o.model)
      throw new Error(`--resume: ${o.out} trains a ${config.model.kind} model, received --model ${o.model}`);
  } else {
    if (existsSync(statePath) && !o.force)
      throw new Error(`${o.out} already holds a run: pass --resume to continue it or --force to start over`);
    clearRun(o.out); // --force: the old run's log, weights and scores go
    const kind = o.model as ModelKind;
    const sized = o.spec ?? defaultSpec(kind, task.srcVocab.size, task.tgtVocab.size, o.size);
    const spec = withOverrides(sized, o);
    if (spec.kind !== kind) throw new Error(`trainRun: spec.kind must be --model '${kind}', received '${spec.kind}'`);
    config = {
      task: task.task,
      model: spec,
      srcVocab: task.srcVocab.toJSON(),
      tgtVocab: task.tgtVocab.toJSON(),
      tokenizer: task.tokenizer,
      train: {
        ...o,
        spec: undefined, // config.model holds it
        lr: o.lr ?? DEFAULT_LR[kind],
        labelSmoothing: o.labelSmoothing ?? (kind === 'transformer' ? 0.1 : 0),
        resume: undefined,
        force: undefined,
        json: undefined,
        progress: undefined,
      },
      data: task.data,
      attendVersion: version,
      createdAt: new Date().toISOString(),
    };
    mkdirSync(o.out, { recursive: true });
    writeJson(join(o.out, 'config.json'), config);
  }
  const t = config.train as { lr: number; labelSmoothing: number; optimizer: string; schedule: string };
  const generator = new Generator(o.seed);
  const model = createModel(config.model, generator);
  const parameters = model.parameters().reduce((n, p) => n + p.size, 0);
  const optimizer = makeOptimizer(t.optimizer, model.parameters(), t.lr, o.weightDecay);
  const batches = new BatchIterator(task.train, { batchSize: o.batchSize, seed: o.seed });
  const totalSteps = o.epochs * batches.batchesPerEpoch;
  const schedule = scheduleFromName(t.schedule, { warmup: o.warmup, totalSteps });
  let state: TrainState = o.resume
    ? unpackCheckpoint(readCheckpoint(o.out), model, optimizer)
    : initialTrainState(generator);
  if (state.finished) throw new Error(`--resume: the run in ${o.out} has finished (${state.epoch} epochs)`);

  const progress = createProgress(totalSteps, o.progress && !o.json);
  if (!o.json)
    progress.message(
      `attend: training ${config.model.kind} (${(parameters / 1e6).toFixed(2)} M parameters) on ${task.train.length} examples, ` +
        `${batches.batchesPerEpoch} batches an epoch${o.resume ? `, resuming at step ${state.step}` : ''} → ${o.out}`,
    );
  // the mean throughput of the logged windows (the last window alone swings with the machine's load)
  let loggedTokens = 0;
  let loggedMs = 0;
  const onLog = (r: LogRecord) => {
    appendLog(o.out, { ...r, time: new Date().toISOString() });
    if (r.type === 'step') {
      loggedTokens += r.tokens;
      loggedMs += (r.tokens * 1000) / Math.max(r.tokensPerSecond, 1e-9);
      progress.update(r.step, { epoch: r.epoch, loss: r.loss, tokensPerSecond: r.tokensPerSecond });
    } else if (r.type === 'eval' && !o.json) {
      const m = Object.entries(r.metrics)
        .map(([k, v]) => `${k} ${v.toFixed(4)}`)
        .join(', ');
      progress.message(`epoch ${r.epoch + 1}: dev ${m}${r.best ? ' (best)' : ''}`);
    }
  };
  state = train(
    {
      model,
      optimizer,
      batches,
      generator,
      lr: t.lr,
      schedule,
      epochs: o.epochs,
      clipNorm: o.clip > 0 ? o.clip : undefined,
      labelSmoothing: t.labelSmoothing,
      timeBudgetMs: o.timeBudget ? parseDuration(o.timeBudget) : undefined,
      maxSteps: o.maxSteps,
      patience: o.patience,
      evaluate: () => task.evaluate(model),
      onLog,
      logEvery: 10,
      onCheckpoint: (s, why) => {
        if (why === 'best') saveWeights(join(o.out, 'best.safetensors'), model, { step: String(s.step) });
        else writeCheckpoint(o.out, packCheckpoint(model, optimizer, s));
      },
    },
    state,
  );
  // a run cut short before its first evaluation still leaves weights to evaluate
  if (!existsSync(join(o.out, 'best.safetensors')))
    saveWeights(join(o.out, 'best.safetensors'), model, { step: String(state.step) });
  progress.stop();
  return {
    out: o.out,
    model: config.model.kind,
    parameters,
    steps: state.step,
    epochs: state.epoch,
    stopReason: state.finished ? 'finished' : 'interrupted (resume with --resume)',
    seconds: state.elapsedMs / 1000,
    bestDev: state.bestScore,
    bestEpoch: state.bestEpoch,
    tokensPerSecond: loggedMs > 0 ? (loggedTokens * 1000) / loggedMs : 0,
  };
}
