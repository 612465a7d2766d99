export { PAD, BOS, EOS, UNK, SPECIALS, Vocab } from './vocab.js';
export type { VocabJSON, FromTokensOptions } from './vocab.js';
export { tokenizeChars, tokenizeWords, detokenizeWords } from './tokenize.js';
export type { WordTokenizeOptions } from './tokenize.js';
export { Bpe, learnBpe } from './bpe.js';
export type { BpeJSON, LearnBpeOptions } from './bpe.js';
export { fnv1a, splitByKey } from './hash.js';
export type { Split, SplitSizes } from './hash.js';
export {
  CMUDICT_TEST_WORDS,
  CMUDICT_DEV_WORDS,
  CMUDICT_SPLIT_SEED,
  loadCmudict,
  cmudictEntries,
  splitCmudict,
  toExamples,
  stripStress,
  withoutStress,
} from './cmudict.js';
export type {
  CmuDictionary,
  G2PEntry,
  G2PExample,
  CmudictEntries,
  CmudictSplit,
  CmudictSplitOptions,
} from './cmudict.js';
export { parseParallelTsv } from './parallel.js';
export type { ParallelPair, BadLine, ParallelCorpus, ParseParallelOptions } from './parallel.js';
export { copyTask, reverseTask, dateTask, formatDate, DATE_FORMATS } from './synthetic.js';
export type { Example, SequenceTaskOptions, DateTaskOptions, DateExample } from './synthetic.js';
export { padBatch, batchOrder, BatchIterator } from './batching.js';
export type { EncodedPair, Batch, BatchOrderOptions, Position } from './batching.js';
export {
  SPAM_LABELS,
  labelOfGroup,
  parseMessage,
  messageText,
  tokenizeMessage,
  splitSpam,
  htmlToText,
  decodeQuotedPrintable,
  decodeBase64,
} from './spam.js';
export type { SpamRecord, SpamLabel, ParsedMessage, SpamSplit, SpamSplitOptions } from './spam.js';
export { parseIdx, encodeIdx } from './idx.js';
export type { IdxTensor, IdxType, IdxArray } from './idx.js';
export { FASHION_CLASSES, makeScene, makeScenes, captionVocab, sceneImages, captionTensors } from './scenes.js';
export type { ImageSet, Scene, SceneItem, SceneOptions, Box } from './scenes.js';
