/**
 * attend: attention mechanisms for TypeScript.
 * This file names every public export of the browser-safe core. Node-only extras
 * (files, threads) are in `attend/node`, which re-exports all of this too.
 */
export { Tensor } from './tensor/tensor.js';
export type { Scalar, TensorLike, NestedArray } from './tensor/tensor.js';
export type { DType } from './tensor/dtype.js';
export { noGrad, isGradEnabled } from './tensor/autograd.js';
export { Generator, manualSeed, defaultGenerator } from './tensor/random.js';
export type { GeneratorState } from './tensor/random.js';
export * from './ops/index.js';
export { kernels, setKernels } from './kernels/registry.js';
export type { Kernels } from './kernels/types.js';
export { gradcheck } from './tensor/gradcheck.js';
export type { GradcheckOptions, GradcheckResult } from './tensor/gradcheck.js';
export { Optimizer, SGD, Adam, AdamW } from './train/optim.js';
export type { OptimizerState, SGDOptions, AdamOptions } from './train/optim.js';
export * as nn from './nn/index.js';
export * from './attention/index.js';
export * from './models/seq2seq/index.js';
