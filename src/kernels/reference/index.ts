import type { Kernels } from '../types.js';
import { additiveBackward, additiveForward } from './additive.js';
import { attentionBackward, attentionForward } from './flash.js';
import { binary, maskScale, reluScale, reluScaleBackward } from './elementwise.js';
import { gemm } from './gemm.js';
import { layerNormBackward, layerNormForward } from './layernorm.js';
import { adamStep, sumOfSquares } from './optim.js';
import { keepMask } from './random.js';
import { gruBackward, gruForward, lstmCellBackward, lstmForward, lstmHiddenBackward } from './rnn.js';
import { stridedCopy, stridedScatter } from './strided.js';
import { logSoftmaxBackward, logSoftmaxForward, softmaxBackward, softmaxForward } from './softmax.js';

/** The plain-loop backend: readable, float32 and float64, and the oracle every fast backend is tested against. */
export const referenceKernels: Kernels = {
  name: 'reference',
  gemm,
  softmaxForward,
  softmaxBackward,
  logSoftmaxForward,
  logSoftmaxBackward,
  layerNormForward,
  layerNormBackward,
  attentionForward,
  attentionBackward,
  adamStep,
  sumOfSquares,
  keepMask,
  binary,
  maskScale,
  reluScale,
  reluScaleBackward,
  additiveForward,
  additiveBackward,
  gruForward,
  gruBackward,
  lstmForward,
  lstmCellBackward,
  lstmHiddenBackward,
  stridedCopy,
  stridedScatter,
};
