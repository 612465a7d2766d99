export { attention, denseWeights } from './attention.js';
export type { AttentionOptions, AttentionResult, AttentionWindow } from './attention.js';
export { alignmentScores, SCORE_NAMES } from './scores.js';
export type { ScoreName, ScoreParams } from './scores.js';
export { applyMasks, causalBlocked, bandMask } from './masks.js';
export type { MaskOptions } from './masks.js';
export { ReinforceBaseline } from './reinforce.js';
