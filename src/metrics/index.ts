export { editDistance } from './edit-distance.js';
export { accuracy } from './accuracy.js';
export { scoreG2P, closestReference } from './g2p.js';
export type { G2PScores, LengthBucket } from './g2p.js';
export { corpusBleu, computeBleu, tokenize13a } from './bleu.js';
export type { BleuScore, BleuOptions, BleuSmoothing } from './bleu.js';
export { binaryScores, f1Score } from './classification.js';
export type { BinaryScores } from './classification.js';
