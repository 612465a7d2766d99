/**
 * attend: attention mechanisms for TypeScript.
 * This file names every public export of the browser-safe core. Node-only extras
 * (files, threads) are in `attend/node`, which re-exports all of this too.
 */
export { Tensor } from './tensor/tensor.js';
export type { Scalar, TensorLike, NestedArray } from './tensor/tensor.js';
export type { DType } from './tensor/dtype.js';
export { noGrad, isGradEnabled } from './tensor/autograd.js';
export type { BackwardOptions } from './tensor/autograd.js';
export { poolStats, setPoolCapacity } from './tensor/pool.js';
export { Generator, manualSeed, defaultGenerator } from './tensor/random.js';
export type { GeneratorState } from './tensor/random.js';
export * from './ops/index.js';
export { kernels, setKernels } from './kernels/registry.js';
export type { Kernels } from './kernels/types.js';
export { createWasmKernels } from './kernels/wasm/index.js';
export type { WasmKernels, WasmKernelOptions } from './kernels/wasm/index.js';
export { gradcheck } from './tensor/gradcheck.js';
export type { GradcheckOptions, GradcheckResult } from './tensor/gradcheck.js';
export { Optimizer, SGD, Adam, AdamW } from './train/optim.js';
export type { OptimizerState, SGDOptions, AdamOptions } from './train/optim.js';
export * as nn from './nn/index.js';
export * from './attention/index.js';
export * from './models/seq2seq/index.js';
export { AttentionClassifier, POOLINGS } from './models/classifier.js';
export type { ClassifierConfig, Pooling } from './models/classifier.js';
export { BagOfWordsClassifier } from './models/bow.js';
export { Captioner, CAPTION_ATTENTION, defaultCaptionerSpec } from './models/captioner.js';
export type { CaptionerSpec, CaptionAttention, CaptionStep, CaptionForward } from './models/captioner.js';
export { captionLoss } from './models/captioner-loss.js';
export { predictCaptions, scoreCaptions, cellOverlap } from './models/captioner-eval.js';
export { TransformerLanguageModel } from './models/language-model.js';
export type { LanguageModelConfig } from './models/language-model.js';
export { encodeSafetensors, decodeSafetensors, inspectSafetensors, SAFETENSORS_MAX_HEADER_BYTES } from './io/index.js';
export type {
  SafetensorsEntry,
  SafetensorsHeader,
  DecodeSafetensorsOptions,
  InspectSafetensorsOptions,
} from './io/index.js';
export { clipGradNorm } from './train/clip.js';
export { learningRate, scheduleFromName } from './train/schedule.js';
export type { ScheduleConfig } from './train/schedule.js';
export { train, initialTrainState, seq2seqLoss } from './train/trainer.js';
export type { TrainState, TrainerOptions, EvalResult, LogRecord, StopReason } from './train/trainer.js';
export { packCheckpoint, unpackCheckpoint } from './train/checkpoint.js';
export type { CheckpointBytes } from './train/checkpoint.js';
/** Data: CMUdict, vocabularies, tokenisers, BPE, parallel corpora, synthetic tasks, batching. */
export * as data from './data/index.js';
/** Metrics: edit distance, PER/WER for G2P, corpus BLEU (sacreBLEU 13a), accuracy. */
export * as metrics from './metrics/index.js';
/** Drawing attention maps: terminal, SVG, RGBA raster, overlays on images (plain data in). */
export * as viz from './viz/index.js';
