/**
 * Translation on the user's own parallel corpus (Tatoeba/Anki TSV: source<TAB>target[<TAB>…]):
 * `attend train translate --data FILE.tsv`, `attend translate RUN TEXT`, and `attend eval` on
 * a translate run (corpus BLEU, sacreBLEU's 13a tokenisation).
 *
 * Split: by source sentence (the same sentence never sits in two sets), 5 % test and 5 % dev,
 * each at most 2,000 sentences. Tokens: words (default), characters, or byte-pair-encoded
 * subwords learned on the training side (Sennrich et al. 2016), one vocabulary per language.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Bpe, type BpeJSON, learnBpe } from '../data/bpe.js';
import { splitByKey } from '../data/hash.js';
import { type ParallelPair, parseParallelTsv } from '../data/parallel.js';
import { detokenizeWords, tokenizeChars, tokenizeWords } from '../data/tokenize.js';
import { Vocab } from '../data/vocab.js';
import { corpusBleu } from '../metrics/bleu.js';
import { predictSequences, type Prediction } from '../models/seq2seq/predict.js';
import type { EncoderDecoder } from '../models/seq2seq/types.js';
import { type RunConfig, openRun } from './run-dir.js';
import { type TrainCliOptions, type TrainSummary, trainRun } from './train-run.js';

export type TokenizerKind = 'words' | 'chars' | 'bpe';

export interface TranslateDataOptions {
  data: string;
  tokenizer: TokenizerKind;
  bpeMerges: number;
  reverse: boolean;
  devWords?: number;
}

/** Cuts text into tokens and joins tokens back into text, as a run was trained. */
export interface TextCodec {
  encode(text: string): string[];
  decode(tokens: readonly string[]): string;
}

export function makeCodec(kind: string, bpe?: BpeJSON): TextCodec {
  switch (kind) {
    case 'chars':
      return { encode: tokenizeChars, decode: (t) => t.join('') };
    case 'words':
      return { encode: (s) => tokenizeWords(s, { lowercase: true }), decode: detokenizeWords };
    case 'bpe': {
      if (!bpe) throw new Error('tokenizer bpe needs its merges (missing from the run config)');
      const b = Bpe.fromJSON(bpe);
      return {
        encode: (s) => b.encodeWords(tokenizeWords(s, { lowercase: true })),
        decode: (t) => detokenizeWords(b.decode(t)),
      };
    }
  }
  throw new Error(`--tokenizer must be words, chars or bpe, received '${kind}'`);
}

export function splitParallel(pairs: readonly ParallelPair[]) {
  const sentences = new Set(pairs.map((p) => p.source)).size;
  const held = Math.min(2000, Math.floor(sentences * 0.05));
  return splitByKey(pairs, (p) => p.source, { test: held, dev: held, seed: 7 });
}

function readCorpus(path: string, reverse: boolean) {
  const text = readFileSync(path, 'utf8');
  const corpus = parseParallelTsv(text, { name: basename(path), reverse });
  if (corpus.pairs.length < 20)
    throw new Error(`--data ${path}: ${corpus.pairs.length} usable pairs, need at least 20`);
  return corpus;
}

/** BLEU of the model's translations of `pairs` (references grouped by source sentence). */
export function bleuOf(
  model: EncoderDecoder,
  pairs: readonly ParallelPair[],
  codecs: { source: TextCodec; target: TextCodec },
  vocabs: { source: Vocab; target: Vocab },
  beam = 1,
) {
  const refs = new Map<string, string[]>();
  for (const p of pairs) refs.set(p.source, [...(refs.get(p.source) ?? []), p.target]);
  const sources = [...refs.keys()];
  const predictions = predictSequences(
    model,
    sources.map((s) => codecs.source.encode(s)),
    vocabs.source,
    vocabs.target,
    { beam, batchSize: 128 },
  );
  const hypotheses = predictions.map((p) => codecs.target.decode(p.tokens));
  return { bleu: corpusBleu(hypotheses, [...refs.values()]), sources, hypotheses, references: [...refs.values()] };
}

export function trainTranslate(o: TrainCliOptions & TranslateDataOptions, version: string): TrainSummary {
  const corpus = readCorpus(o.data, o.reverse);
  const split = splitParallel(corpus.pairs);
  let bpe: { source?: BpeJSON; target?: BpeJSON } = {};
  if (o.tokenizer === 'bpe') {
    bpe = {
      source: learnBpe(
        split.train.map((p) => tokenizeWords(p.source, { lowercase: true })),
        o.bpeMerges,
      ).toJSON(),
      target: learnBpe(
        split.train.map((p) => tokenizeWords(p.target, { lowercase: true })),
        o.bpeMerges,
      ).toJSON(),
    };
  }
  const codecs = { source: makeCodec(o.tokenizer, bpe.source), target: makeCodec(o.tokenizer, bpe.target) };
  const encoded = split.train.map((p) => ({
    src: codecs.source.encode(p.source),
    tgt: codecs.target.encode(p.target),
  }));
  const vocabs = {
    source: Vocab.fromTokens(encoded.flatMap((e) => e.src)),
    target: Vocab.fromTokens(encoded.flatMap((e) => e.tgt)),
  };
  const dev = split.dev.slice(0, o.devWords ?? split.dev.length);
  const tokenizer: RunConfig['tokenizer'] = { source: o.tokenizer, target: o.tokenizer, bpe };
  return trainRun(
    o,
    {
      task: 'translate',
      train: encoded
        .filter((e) => e.src.length > 0)
        .map((e) => ({ src: vocabs.source.encode(e.src), tgt: vocabs.target.encode(e.tgt) })),
      srcVocab: vocabs.source,
      tgtVocab: vocabs.target,
      // the trainer minimises: 100 − BLEU
      evaluate: (model) => {
        const { bleu } = bleuOf(model, dev, codecs, vocabs);
        return { score: 100 - bleu.score, metrics: { bleu: bleu.score } };
      },
      data: {
        file: o.data,
        pairs: corpus.pairs.length,
        badLines: corpus.bad.length,
        split: { train: split.train.length, dev: split.dev.length, test: split.test.length },
      },
      tokenizer,
    },
    version,
  );
}

function codecsOf(config: RunConfig) {
  const t = config.tokenizer as { source: string; target: string; bpe?: { source?: BpeJSON; target?: BpeJSON } };
  return { source: makeCodec(t.source, t.bpe?.source), target: makeCodec(t.target, t.bpe?.target) };
}

export function translateTexts(runOrCheckpoint: string, texts: string[], o: { beam: number }) {
  const run = openRun(runOrCheckpoint);
  if (run.config.task !== 'translate') throw new Error(`${run.dir} is a ${run.config.task} run, not translate`);
  const codecs = codecsOf(run.config);
  const predictions: Prediction[] = predictSequences(
    run.model,
    texts.map((t, i) => {
      const tokens = codecs.source.encode(t);
      if (tokens.length === 0) throw new Error(`TEXT ${i + 1} has no tokens`);
      return tokens;
    }),
    run.srcVocab,
    run.tgtVocab,
    { beam: o.beam },
  );
  return predictions.map((p) => ({ ...p, text: codecs.target.decode(p.tokens) }));
}

export function evalTranslate(runOrCheckpoint: string, o: { split: 'test' | 'dev'; beam: number; limit?: number }) {
  const run = openRun(runOrCheckpoint);
  const data = run.config.data as { file: string };
  const reverse = Boolean((run.config.train as { reverse?: boolean }).reverse);
  const split = splitParallel(readCorpus(data.file, reverse).pairs);
  const pairs = (o.split === 'dev' ? split.dev : split.test).slice(0, o.limit);
  const t0 = performance.now();
  const r = bleuOf(run.model, pairs, codecsOf(run.config), { source: run.srcVocab, target: run.tgtVocab }, o.beam);
  return {
    run: run.dir,
    split: o.split,
    sentences: r.sources.length,
    bleu: r.bleu,
    seconds: (performance.now() - t0) / 1000,
    examples: r.sources
      .slice(0, 10)
      .map((s, i) => ({ source: s, hypothesis: r.hypotheses[i], references: r.references[i] })),
  };
}
