/**
 * CMUdict for grapheme-to-phoneme conversion (G2P).
 *
 * Data: the npm package `cmu-pronouncing-dictionary` (v3, CMUdict 0.7b-like, 135,155 entries):
 * `{ "abate": "AH0 B EY1 T", "a": "AH0", "a(2)": "EY1", ... }`. Alternate pronunciations are
 * separate keys `word(2)`, `word(3)`, `word(4)`; phonemes are ARPAbet separated by spaces; 22
 * entries carry a comment after `#` ("AO1 L B AO0 R G # place, danish") which is cut off.
 *
 * Choices:
 * - Stress is kept by default: AH0, AH1 and AH2 are three different symbols, 69 in all (24
 *   consonants and 15 vowels × 3 stress levels).
 * - Words must match ^[a-z']+$. Dropped (counted in `dropped`): words with dots ("a.m."),
 *   hyphens ("able-bodied"), digits or anything else — 1,126 base words of the package (1,193
 *   entries). Leading/trailing apostrophes ("'bout") are kept: they are spelled that way.
 * - Alternates are grouped under their base word (main pronunciation first), duplicates removed.
 * - The split is BY WORD, by hash (FNV-1a, fixed seed), never by Math.random: no word's
 *   spelling appears in two sets. 12,000 test words (the usual size), 3,000 dev words (cheap to
 *   decode every epoch on a CPU), the rest train.
 * - Training has one example per (word, pronunciation): the model sees every variant.
 * - Evaluation (src/metrics/g2p.ts): a word is correct if the prediction equals ANY of its
 *   references; PER uses the reference closest to the prediction. Scoring against the first
 *   pronunciation only would count legitimate variants ("read" R EH1 D / R IY1 D) as errors.
 * - `withoutStress` drops the stress digits (AH0, AH1, AH2 → AH; 39 phonemes) for runs trained
 *   and scored that way (`attend train g2p --no-stress`). The often-quoted anchors (Phonetisaurus
 *   24.4 % WER, Transformers about 20 %) are on the 2007 PRONALSYL split of an older CMUdict, which
 *   has no stress marks (CiscoDevNet/g2p_seq2seq_pytorch's README), so they are scores without
 *   stress. On the current CMUdict an 8-gram FST scores 32.48 % WER with stress and 24.8 % without
 *   (balacoon/learn_to_pronounce, docs/source/results.rst; its own split). docs/results.md compares.
 */
import { splitByKey } from './hash.js';

export type CmuDictionary = Readonly<Record<string, string>>;

/** One word and all its pronunciations. */
export interface G2PEntry {
  word: string;
  /** The letters, one token each. */
  graphemes: string[];
  /** Every pronunciation, the dictionary's main one first; each a list of phonemes with stress. */
  pronunciations: string[][];
}

/** One training example: a word and one of its pronunciations. */
export interface G2PExample {
  word: string;
  source: string[];
  target: string[];
}

export interface CmudictEntries {
  entries: G2PEntry[];
  dropped: {
    /** Distinct base words dropped because they do not match ^[a-z']+$. */
    words: number;
    /** Dictionary keys (alternates included) dropped with them. */
    keys: number;
    /** The first few dropped words, to see what kind they are. */
    examples: string[];
  };
}

export const CMUDICT_TEST_WORDS = 12000;
export const CMUDICT_DEV_WORDS = 3000;
export const CMUDICT_SPLIT_SEED = 20160101;

const WORD = /^[a-z']+$/;
const ALTERNATE = /^(.*)\((\d+)\)$/;

/** The dictionary object of `cmu-pronouncing-dictionary`, imported only when asked (it is 3.6 MB). */
export async function loadCmudict(): Promise<CmuDictionary> {
  const mod = await import('cmu-pronouncing-dictionary');
  return mod.dictionary;
}

/** Entries of a dictionary object: filtered, alternates grouped, sorted by word. */
export function cmudictEntries(dictionary: CmuDictionary): CmudictEntries {
  if (dictionary === null || typeof dictionary !== 'object') {
    throw new Error(`cmudictEntries: dictionary must be an object of word → phonemes, received ${dictionary}`);
  }
  const byWord = new Map<string, { variant: number; phonemes: string[] }[]>();
  const droppedWords = new Set<string>();
  let droppedKeys = 0;
  for (const [key, value] of Object.entries(dictionary)) {
    const m = ALTERNATE.exec(key);
    const word = m ? m[1] : key;
    if (!WORD.test(word)) {
      droppedWords.add(word);
      droppedKeys++;
      continue;
    }
    if (typeof value !== 'string') {
      throw new Error(`cmudictEntries: dictionary[${JSON.stringify(key)}] must be a string, received ${typeof value}`);
    }
    const phonemes = value.split('#')[0].trim().split(/\s+/).filter(Boolean);
    if (phonemes.length === 0) {
      throw new Error(`cmudictEntries: dictionary[${JSON.stringify(key)}] has no phonemes: ${JSON.stringify(value)}`);
    }
    const list = byWord.get(word) ?? [];
    list.push({ variant: m ? Number(m[2]) : 1, phonemes });
    byWord.set(word, list);
  }
  const entries: G2PEntry[] = [];
  for (const [word, list] of byWord) {
    list.sort((a, b) => a.variant - b.variant);
    entries.push({ word, graphemes: [...word], pronunciations: distinct(list.map((v) => v.phonemes)) });
  }
  entries.sort((a, b) => (a.word < b.word ? -1 : a.word > b.word ? 1 : 0));
  return {
    entries,
    dropped: { words: droppedWords.size, keys: droppedKeys, examples: [...droppedWords].slice(0, 10) },
  };
}

/** The phonemes without their stress digits: AH0, AH1 and AH2 are all AH. */
export function stripStress(phonemes: readonly string[]): string[] {
  return phonemes.map((p) => p.replace(/[012]$/, ''));
}

/** The entries with stress removed; pronunciations that then coincide are merged (first kept). */
export function withoutStress(entries: readonly G2PEntry[]): G2PEntry[] {
  return entries.map((e) => ({ ...e, pronunciations: distinct(e.pronunciations.map(stripStress)) }));
}

/** The pronunciations in order, each once. */
function distinct(pronunciations: string[][]): string[][] {
  const seen = new Set<string>();
  return pronunciations.filter((p) => {
    const k = p.join(' ');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export interface CmudictSplitOptions {
  test?: number;
  dev?: number;
  seed?: number;
}

export interface CmudictSplit {
  /** One example per (word, pronunciation). */
  train: G2PExample[];
  /** The training words, grouped (for scoring on training data). */
  trainEntries: G2PEntry[];
  dev: G2PEntry[];
  test: G2PEntry[];
}

/** The by-word split; defaults: 12,000 test words, 3,000 dev words, the rest train. */
export function splitCmudict(entries: readonly G2PEntry[], options: CmudictSplitOptions = {}): CmudictSplit {
  const split = splitByKey(entries, (e) => e.word, {
    test: options.test ?? CMUDICT_TEST_WORDS,
    dev: options.dev ?? CMUDICT_DEV_WORDS,
    seed: options.seed ?? CMUDICT_SPLIT_SEED,
  });
  return { train: toExamples(split.train), trainEntries: split.train, dev: split.dev, test: split.test };
}

/** One example per (word, pronunciation). */
export function toExamples(entries: readonly G2PEntry[]): G2PExample[] {
  return entries.flatMap((e) => e.pronunciations.map((p) => ({ word: e.word, source: e.graphemes, target: p })));
}
