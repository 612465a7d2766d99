/**
 * Grapheme-to-phoneme on CMUdict: `attend train g2p`, `attend eval`, `attend predict`.
 * The data decisions (split by word, stress kept unless --no-stress, alternates all count as
 * correct) are in src/data/cmudict.ts; the scores (WER, PER) in src/metrics/g2p.ts.
 */
import { join } from 'node:path';
import {
  type CmudictSplit,
  type G2PEntry,
  cmudictEntries,
  loadCmudict,
  splitCmudict,
  stripStress,
  withoutStress,
} from '../data/cmudict.js';
import { Vocab } from '../data/vocab.js';
import { scoreG2P, type G2PScores } from '../metrics/g2p.js';
import { type Prediction, predictSequences } from '../models/seq2seq/predict.js';
import { Ensemble } from '../models/seq2seq/ensemble.js';
import type { EncoderDecoder } from '../models/seq2seq/types.js';
import { renderTerminal } from '../viz/terminal.js';
import { type TrainCliOptions, type TrainSummary, trainRun } from './train-run.js';
import { openRun, writeJson } from './run-dir.js';

export interface G2PDataOptions {
  /** Use only the first N training examples (after the split): quick runs and tests. */
  limitTrain?: number;
  /** Dev words decoded after each epoch (default all 3,000). */
  devWords?: number;
  /** false: stress removed from every pronunciation, for training and scoring (`--no-stress`). */
  stress?: boolean;
}

/** The split (the same words either way); `stress: false` strips the stress digits first. */
export async function g2pSplit(o: { stress?: boolean } = {}): Promise<CmudictSplit> {
  const { entries } = cmudictEntries(await loadCmudict());
  return splitCmudict(o.stress === false ? withoutStress(entries) : entries);
}

/** Whether a run kept stress (runs from before `--no-stress` did). */
function runKeepsStress(config: { data: Record<string, unknown> }): boolean {
  return config.data.stress !== false;
}

function score(model: EncoderDecoder, entries: readonly G2PEntry[], src: Vocab, tgt: Vocab, beam = 1) {
  const predictions = predictSequences(
    model,
    entries.map((e) => e.graphemes),
    src,
    tgt,
    { beam, batchSize: 256 },
  );
  return {
    predictions,
    ...scorePredictions(
      predictions.map((p) => p.tokens),
      entries,
    ),
  };
}

/** WER, PER and WER by length of predicted phonemes, and WER and PER with stress ignored. */
export function scorePredictions(
  predicted: readonly (readonly string[])[],
  entries: readonly G2PEntry[],
): { scores: G2PScores; stressIgnored: { wer: number; per: number } } {
  const scores = scoreG2P(
    predicted,
    entries.map((e) => e.pronunciations),
    entries.map((e) => e.graphemes.length),
  );
  const plain = scoreG2P(
    predicted.map(stripStress),
    entries.map((e) => e.pronunciations.map(stripStress)),
  );
  return { scores, stressIgnored: { wer: plain.wer, per: plain.per } };
}

export async function trainG2P(o: TrainCliOptions & G2PDataOptions, version: string): Promise<TrainSummary> {
  const split = await g2pSplit({ stress: o.stress });
  const train = o.limitTrain ? split.train.slice(0, o.limitTrain) : split.train;
  // vocabularies from the training data only; the dev and test words may hold unseen symbols (→ UNK)
  const srcVocab = Vocab.fromTokens(split.train.flatMap((e) => e.source));
  const tgtVocab = Vocab.fromTokens(split.train.flatMap((e) => e.target));
  const dev = split.dev.slice(0, o.devWords ?? split.dev.length);
  return trainRun(
    o,
    {
      task: 'g2p',
      train: train.map((e) => ({ src: srcVocab.encode(e.source), tgt: tgtVocab.encode(e.target) })),
      srcVocab,
      tgtVocab,
      evaluate: (model) => {
        const { scores } = score(model, dev, srcVocab, tgtVocab);
        return { score: scores.wer, metrics: { wer: scores.wer, per: scores.per } };
      },
      data: {
        source: 'cmu-pronouncing-dictionary',
        stress: o.stress !== false,
        split: { train: split.train.length, dev: split.dev.length, test: split.test.length },
        trainExamplesUsed: train.length,
        devWordsScored: dev.length,
      },
      tokenizer: { source: 'chars', target: 'phonemes' },
    },
    version,
  );
}

export interface EvalOutput {
  run: string;
  weights: string;
  /** The other runs decoded with `run` as an ensemble (attend eval RUN MORE…), when there are any. */
  ensemble?: { run: string; weights: string }[];
  split: 'test' | 'dev';
  beam: number;
  scores: G2PScores;
  /** The same predictions scored with every stress digit removed (AH0 = AH1 = AH): how the usual
   * published anchors are scored (their 2007 CMUdict split has no stress marks). Equal to `scores`
   * for a --no-stress run. */
  stressIgnored: { wer: number; per: number };
  seconds: number;
  examples: { word: string; predicted: string; references: string[]; correct: boolean }[];
}

/**
 * Score a G2P run on a split, writing eval.json into it (unless `limit` cuts the split short).
 * `more` runs make an ensemble with it (src/models/seq2seq/ensemble.ts): they must share its
 * vocabularies; the score is printed, not written, as it belongs to no single run.
 */
export async function evalG2P(
  runOrCheckpoint: string,
  o: { split: 'test' | 'dev'; beam: number; limit?: number; more?: string[] },
): Promise<EvalOutput> {
  const run = openRun(runOrCheckpoint);
  if (run.config.task !== 'g2p') throw new Error(`${run.dir} is a ${run.config.task} run, not g2p`);
  const others = (o.more ?? []).map((r) => {
    const other = openRun(r);
    if (other.config.task !== 'g2p') throw new Error(`${other.dir} is a ${other.config.task} run, not g2p`);
    if (runKeepsStress(other.config) !== runKeepsStress(run.config)) {
      const how = (r: typeof run) => (runKeepsStress(r.config) ? 'with stress' : 'without stress (--no-stress)');
      throw new Error(`${other.dir} was trained ${how(other)} and ${run.dir} ${how(run)}; an ensemble needs one kind`);
    }
    for (const side of ['srcVocab', 'tgtVocab'] as const) {
      if (JSON.stringify(other[side].toJSON()) !== JSON.stringify(run[side].toJSON()))
        throw new Error(`${other.dir}: its ${side} differs from ${run.dir}'s; an ensemble needs the same vocabularies`);
    }
    return other;
  });
  const model = others.length ? new Ensemble([run.model, ...others.map((r) => r.model)]) : run.model;
  const split = await g2pSplit({ stress: runKeepsStress(run.config) });
  const entries = (o.split === 'dev' ? split.dev : split.test).slice(0, o.limit);
  const t0 = performance.now();
  const { predictions, scores, stressIgnored } = score(model, entries, run.srcVocab, run.tgtVocab, o.beam);
  const out: EvalOutput = {
    run: run.dir,
    weights: run.weights,
    ...(others.length ? { ensemble: others.map((r) => ({ run: r.dir, weights: r.weights })) } : {}),
    split: o.split,
    beam: o.beam,
    scores,
    stressIgnored,
    seconds: (performance.now() - t0) / 1000,
    examples: entries.slice(0, 20).map((e, i) => ({
      word: e.word,
      predicted: predictions[i].tokens.join(' '),
      references: e.pronunciations.map((p) => p.join(' ')),
      correct: e.pronunciations.some((p) => p.join(' ') === predictions[i].tokens.join(' ')),
    })),
  };
  if (o.limit === undefined && !others.length) writeJson(join(run.dir, 'eval.json'), out);
  return out;
}

export function formatEval(e: EvalOutput): string {
  const s = e.scores;
  const lines = [
    `${e.run}${e.ensemble ? ` + ${e.ensemble.map((m) => m.run).join(' + ')} (ensemble)` : ''} on the ${e.split} split (${s.words} words, beam ${e.beam}, ${e.seconds.toFixed(1)} s):`,
    `  WER ${(100 * s.wer).toFixed(2)} %  (${s.wordErrors} words with an error)`,
    `  PER ${(100 * s.per).toFixed(2)} %  (${s.phonemeErrors} edits over ${s.referencePhonemes} phonemes)`,
    `  stress ignored (AH0 = AH1 = AH): WER ${(100 * e.stressIgnored.wer).toFixed(2)} %, PER ${(100 * e.stressIgnored.per).toFixed(2)} %`,
    '  WER by word length:',
    ...s.byLength.map(
      (b) =>
        `    ${String(b.length).padStart(2)} letters  ${(100 * b.wer).toFixed(1).padStart(5)} %  ${'█'.repeat(Math.round(b.wer * 40))} (${b.words} words)`,
    ),
  ];
  return lines.join('\n');
}

export function predictG2P(
  runOrCheckpoint: string,
  words: string[],
  o: { beam: number },
): { run: string; predictions: Prediction[] } {
  const run = openRun(runOrCheckpoint);
  const sources = words.map((w, i) => {
    const letters = [...w.toLowerCase()];
    if (letters.length === 0) throw new Error(`WORD ${i + 1} is empty`);
    return letters;
  });
  return {
    run: run.dir,
    predictions: predictSequences(run.model, sources, run.srcVocab, run.tgtVocab, { beam: o.beam }),
  };
}

export function formatPrediction(p: Prediction, color: 'none' | '256' | 'truecolor'): string {
  const head = `${p.source.join('')}  →  ${p.tokens.join(' ')}`;
  if (!p.attention || p.tokens.length === 0) return head;
  const map = renderTerminal(
    { weights: p.attention.slice(0, p.tokens.length), rowLabels: p.tokens, colLabels: p.source },
    { color, legend: false },
  );
  return `${head}\n${map}`;
}
