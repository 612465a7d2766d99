/**
 * The training loop for the encoder-decoders (src/models/seq2seq): teacher forcing, label
 * smoothing, clipping by global norm, a learning-rate schedule, dev evaluation each epoch,
 * early stopping, a time budget, and checkpoints that resume to exactly the same result.
 *
 * What makes resuming exact: the batch order is a pure function of (seed, epoch)
 * (src/data/batching.ts), the schedule a pure function of the step, and a checkpoint holds
 * the weights, the optimiser's moments, the model's random generator (dropout) and the
 * position (epoch, batch). Restoring all of them continues the same sequence of updates.
 *
 * The loop does no I/O: logging and saving are callbacks, so it runs in a browser too.
 */
import type { BatchIterator } from '../data/batching.js';
import { PAD } from '../data/vocab.js';
import type { EncoderDecoder } from '../models/seq2seq/types.js';
import type { Module } from '../nn/module.js';
import * as F from '../ops/index.js';
import type { Generator, GeneratorState } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { clipGradNorm } from './clip.js';
import type { Optimizer } from './optim.js';
import { type ScheduleConfig, learningRate } from './schedule.js';

export interface TrainState {
  /** Optimiser steps taken. */
  step: number;
  /** Where the next batch comes from. */
  epoch: number;
  batchIndex: number;
  /** The model's generator (dropout), as it stands at this position. */
  rng: GeneratorState;
  /** Best dev score so far (lower is better) and epochs since it improved. */
  bestScore: number | null;
  bestEpoch: number | null;
  badEpochs: number;
  /** Training time spent before this run (ms), so a time budget spans resumes. */
  elapsedMs: number;
  finished: boolean;
}

export interface EvalResult {
  /** What early stopping minimises (e.g. dev WER). */
  score: number;
  metrics: Record<string, number>;
}

export type LogRecord =
  | {
      type: 'step';
      step: number;
      epoch: number;
      loss: number;
      lr: number;
      gradNorm: number;
      tokens: number;
      tokensPerSecond: number;
      elapsedMs: number;
    }
  | { type: 'eval'; step: number; epoch: number; score: number; metrics: Record<string, number>; best: boolean }
  | { type: 'stop'; step: number; epoch: number; reason: StopReason; elapsedMs: number };

export type StopReason = 'epochs' | 'time-budget' | 'max-steps' | 'early-stopping';

export interface TrainerOptions {
  model: EncoderDecoder & Module;
  optimizer: Optimizer;
  batches: BatchIterator;
  /** The generator the model's dropout draws from (saved in checkpoints). */
  generator: Generator;
  lr: number;
  schedule: ScheduleConfig;
  epochs: number;
  clipNorm?: number;
  labelSmoothing?: number;
  /** Stop after this much training time (ms, evaluation excluded). */
  timeBudgetMs?: number;
  maxSteps?: number;
  /** Stop when the dev score has not improved for this many evaluations. */
  patience?: number;
  /** Called after every epoch (and when the run stops mid-epoch, if `evaluateAtStop`). */
  evaluate?: (epoch: number) => EvalResult;
  /** Called with the state after each epoch, at the best dev score, and when the run stops. */
  onCheckpoint?: (state: TrainState, why: 'epoch' | 'best' | 'stop') => void;
  onLog?: (record: LogRecord) => void;
  /** Log a step record every n steps (default 10). */
  logEvery?: number;
  clock?: () => number;
}

export function initialTrainState(generator: Generator): TrainState {
  return {
    step: 0,
    epoch: 0,
    batchIndex: 0,
    rng: generator.getState(),
    bestScore: null,
    bestEpoch: null,
    badEpochs: 0,
    elapsedMs: 0,
    finished: false,
  };
}

/** Mean cross-entropy per target token (EOS included, padding ignored), with label smoothing. */
export function seq2seqLoss(logProbs: Tensor, tgtOut: Tensor, smoothing = 0): Tensor {
  const V = logProbs.shape[logProbs.ndim - 1];
  // the models return log-probabilities; crossEntropy's log-softmax leaves them unchanged
  return F.crossEntropy(F.reshape(logProbs, [-1, V]), F.reshape(tgtOut, [-1]), {
    ignoreIndex: PAD,
    labelSmoothing: smoothing,
  }); // [B·T, V] against [B·T]
}

/**
 * Train from `state` (a fresh `initialTrainState`, or one restored from a checkpoint together
 * with the weights and optimiser moments) until the epochs, the time budget, maxSteps or early
 * stopping end it. Returns the final state.
 */
export function train(options: TrainerOptions, state: TrainState): TrainState {
  const { model, optimizer, batches, generator } = options;
  const clock = options.clock ?? (() => performance.now());
  const logEvery = options.logEvery ?? 10;
  const log = options.onLog ?? (() => {});
  const checkpoint = options.onCheckpoint ?? (() => {});
  const s: TrainState = { ...state, rng: { ...state.rng } };
  generator.setState(s.rng);
  let start = clock() - s.elapsedMs; // moves forward past evaluations: they are not training time
  let windowStart = clock();
  let windowTokens = 0;

  const stop = (reason: StopReason) => {
    s.elapsedMs = clock() - start;
    s.rng = generator.getState();
    s.finished = reason !== 'time-budget' && reason !== 'max-steps';
    // a run cut short before its first evaluation still gets a dev score and a best model; the
    // counters of early stopping are left alone, so a resumed run decides as an uninterrupted one
    if (!s.finished && s.bestScore === null && options.evaluate && s.step > 0) {
      model.eval();
      const r = options.evaluate(s.epoch);
      generator.setState(s.rng);
      log({ type: 'eval', step: s.step, epoch: s.epoch, score: r.score, metrics: r.metrics, best: true });
      checkpoint(s, 'best');
    }
    log({ type: 'stop', step: s.step, epoch: s.epoch, reason, elapsedMs: s.elapsedMs });
    checkpoint(s, 'stop');
    return s;
  };

  while (s.epoch < options.epochs) {
    model.train();
    for (const batch of batches.batches(s.epoch, s.batchIndex)) {
      if (options.timeBudgetMs !== undefined && clock() - start >= options.timeBudgetMs) return stop('time-budget');
      if (options.maxSteps !== undefined && s.step >= options.maxSteps) return stop('max-steps');
      const lr = learningRate(options.schedule, options.lr, s.step + 1);
      optimizer.lr = lr;
      const { logits } = model.forward(batch.src, batch.srcPad, batch.tgtIn); // [B, T, V]
      const loss = seq2seqLoss(logits, batch.tgtOut, options.labelSmoothing ?? 0);
      optimizer.zeroGrad({ release: true }); // last step's gradients are dead: their storage is reused
      loss.backward(undefined, { releaseActivations: true }); // only the loss is read after this
      const gradNorm = options.clipNorm ? clipGradNorm(optimizer.params, options.clipNorm) : NaN;
      optimizer.step();
      s.step++;
      s.batchIndex = batch.batchIndex + 1;
      windowTokens += batch.tgtTokens;
      if (s.step % logEvery === 0) {
        const now = clock();
        log({
          type: 'step',
          step: s.step,
          epoch: s.epoch,
          loss: loss.item(),
          lr,
          gradNorm,
          tokens: windowTokens,
          tokensPerSecond: (windowTokens * 1000) / Math.max(1e-9, now - windowStart),
          elapsedMs: now - start,
        });
        windowStart = now;
        windowTokens = 0;
      }
    }
    s.epoch++;
    s.batchIndex = 0;
    s.elapsedMs = clock() - start;
    s.rng = generator.getState();
    if (options.evaluate) {
      const evalStart = clock();
      model.eval();
      const r = options.evaluate(s.epoch - 1);
      model.train();
      generator.setState(s.rng); // evaluation must not move the training stream
      const best = s.bestScore === null || r.score < s.bestScore;
      if (best) {
        s.bestScore = r.score;
        s.bestEpoch = s.epoch - 1;
        s.badEpochs = 0;
      } else s.badEpochs++;
      log({ type: 'eval', step: s.step, epoch: s.epoch - 1, score: r.score, metrics: r.metrics, best });
      start += clock() - evalStart;
      if (best) checkpoint(s, 'best');
      if (options.patience !== undefined && s.badEpochs >= options.patience) return stop('early-stopping');
    }
    checkpoint(s, 'epoch');
  }
  return stop('epochs');
}
