/**
 * Byte-pair encoding for words (Sennrich, Haddow & Birch 2016, "Neural Machine Translation of
 * Rare Words with Subword Units"): start from characters, the last one marked as ending the
 * word ('</w>'), and repeatedly merge the most frequent adjacent pair of symbols.
 *
 * Ties between equally frequent pairs go to the pair whose "left right" string sorts first
 * (code-point order), so the merges depend on the corpus only, never on Map or input order.
 * Encoding applies the learnt merges in order of rank (as subword-nmt's apply_bpe does).
 * Output pieces follow subword-nmt: every piece but the last of a word ends in "@@"
 * ("lowest" → "low@@", "est"), so decoding is joining and cutting at pieces without "@@".
 */
const END = '</w>';
const CONT = '@@';

export interface BpeJSON {
  merges: [string, string][];
}

export interface LearnBpeOptions {
  /** Stop early when the best pair occurs fewer times than this (default 2: a merge seen once teaches nothing). */
  minFrequency?: number;
}

export class Bpe {
  readonly merges: readonly [string, string][];
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, string[]>();

  constructor(merges: readonly [string, string][]) {
    this.merges = merges.map(([a, b]) => [a, b] as [string, string]);
    this.merges.forEach(([a, b], i) => {
      const k = pairKey(a, b);
      if (!this.ranks.has(k)) this.ranks.set(k, i);
    });
  }

  /** One word → subword pieces (non-final pieces end in "@@"). */
  encode(word: string): string[] {
    if (word.length === 0) return [];
    const hit = this.cache.get(word);
    if (hit) return hit;
    const symbols = initialSymbols(word);
    for (;;) {
      // the present pair with the lowest rank, merged everywhere it occurs
      let best = -1;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const r = this.ranks.get(pairKey(symbols[i], symbols[i + 1]));
        if (r !== undefined && (best === -1 || r < best)) best = r;
      }
      if (best === -1) break;
      const [a, b] = this.merges[best];
      mergeInPlace(symbols, a, b);
    }
    const pieces = symbols.map((s, i) => (i === symbols.length - 1 ? s.slice(0, -END.length) : s + CONT));
    if (this.cache.size < 100_000) this.cache.set(word, pieces);
    return pieces;
  }

  /** Words → pieces, concatenated. */
  encodeWords(words: readonly string[]): string[] {
    return words.flatMap((w) => this.encode(w));
  }

  /** Pieces → words: a piece ending in "@@" continues into the next one. */
  decode(pieces: readonly string[]): string[] {
    const words: string[] = [];
    let cur = '';
    for (const p of pieces) {
      if (p.endsWith(CONT)) cur += p.slice(0, -CONT.length);
      else {
        words.push(cur + p);
        cur = '';
      }
    }
    // a dangling "@@" piece (a model stopped mid-word) still yields its letters
    if (cur !== '') words.push(cur);
    return words;
  }

  toJSON(): BpeJSON {
    return { merges: this.merges.map(([a, b]) => [a, b]) };
  }

  static fromJSON(json: BpeJSON): Bpe {
    const ok =
      json &&
      Array.isArray(json.merges) &&
      json.merges.every((m) => Array.isArray(m) && m.length === 2 && m.every((s) => typeof s === 'string'));
    if (!ok) {
      throw new Error(
        `Bpe.fromJSON: expected { merges: [string, string][] }, received ${JSON.stringify(json)?.slice(0, 80)}`,
      );
    }
    return new Bpe(json.merges);
  }
}

function pairKey(a: string, b: string): string {
  // symbols never contain spaces (words are split on whitespace), so the key is unambiguous
  return a + ' ' + b;
}

function initialSymbols(word: string): string[] {
  const chars = Array.from(word);
  chars[chars.length - 1] += END;
  return chars;
}

function mergeInPlace(symbols: string[], a: string, b: string): void {
  let w = 0;
  for (let r = 0; r < symbols.length; r++) {
    if (r + 1 < symbols.length && symbols[r] === a && symbols[r + 1] === b) {
      symbols[w++] = a + b;
      r++;
    } else symbols[w++] = symbols[r];
  }
  symbols.length = w;
}

/**
 * Learn `numMerges` merges from a corpus: strings (split on whitespace) or lists of words.
 * Symbols are interned as integers and a pair is the number a·2²¹ + b, because Map lookups of
 * concatenated strings made the first counting pass ten times slower. Pair counts are updated
 * only around each merge, and a lazy heap finds the best pair.
 */
export function learnBpe(
  corpus: Iterable<string | readonly string[]>,
  numMerges: number,
  options: LearnBpeOptions = {},
): Bpe {
  if (!Number.isInteger(numMerges) || numMerges < 0) {
    throw new Error(`learnBpe: numMerges must be an integer >= 0, received ${numMerges}`);
  }
  const minFrequency = Math.max(1, options.minFrequency ?? 2);
  const freq = new Map<string, number>();
  for (const line of corpus) {
    const words = typeof line === 'string' ? line.split(/\s+/) : line;
    for (const w of words) if (w !== '') freq.set(w, (freq.get(w) ?? 0) + 1);
  }
  const names: string[] = [];
  const ids = new Map<string, number>();
  const intern = (sym: string): number => {
    let id = ids.get(sym);
    if (id === undefined) {
      id = names.length;
      if (id >= SYMBOL_LIMIT) throw new Error(`learnBpe: more than ${SYMBOL_LIMIT} distinct symbols`);
      ids.set(sym, id);
      names.push(sym);
    }
    return id;
  };
  const words = [...freq].map(([w, f]) => ({ symbols: initialSymbols(w).map(intern), f }));
  const counts = new Map<number, number>();
  const where = new Map<number, Set<number>>(); // pair → the words that contain (or once contained) it
  const heap = new PairHeap(); // holds stale entries too: an entry counts only if it matches `counts`
  const touched = new Set<number>();
  const bump = (a: number, b: number, delta: number, i: number): void => {
    const k = a * SYMBOL_LIMIT + b;
    counts.set(k, (counts.get(k) ?? 0) + delta);
    touched.add(k);
    if (delta > 0) {
      let s = where.get(k);
      if (!s) where.set(k, (s = new Set()));
      s.add(i);
    }
  };
  /**
   * Merge a b in word i and update only the pairs next to each merge, as subword-nmt's
   * update_pair_statistics does: x a b y loses (x,a) (a,b) (b,y) and gains (x,ab) (ab,y).
   * In a run "a b a b" the pair between two merges is handled once, by the second.
   */
  const mergeWord = (i: number, a: number, b: number, ab: number): void => {
    const { symbols: s, f } = words[i];
    const t: number[] = [];
    for (let r = 0; r < s.length; r++) {
      if (!(r + 1 < s.length && s[r] === a && s[r + 1] === b)) {
        t.push(s[r]);
        continue;
      }
      bump(a, b, -f, i);
      if (r > 0) {
        bump(s[r - 1], a, -f, i);
        bump(t[t.length - 1], ab, f, i);
      }
      const nextIsMerge = r + 3 < s.length && s[r + 2] === a && s[r + 3] === b;
      if (r + 2 < s.length && !nextIsMerge) {
        bump(b, s[r + 2], -f, i);
        bump(ab, s[r + 2], f, i);
      }
      t.push(ab);
      r++;
    }
    words[i].symbols = t;
  };
  const flush = (): void => {
    for (const k of touched) {
      const c = counts.get(k)!;
      const a = Math.floor(k / SYMBOL_LIMIT);
      if (c > 0) heap.push(c, pairKey(names[a], names[k - a * SYMBOL_LIMIT]), k);
      else counts.delete(k);
    }
    touched.clear();
  };
  words.forEach(({ symbols, f }, i) => {
    for (let j = 0; j + 1 < symbols.length; j++) bump(symbols[j], symbols[j + 1], f, i);
  });
  flush();

  const merges: [string, string][] = [];
  while (merges.length < numMerges) {
    let best: HeapEntry | undefined;
    while ((best = heap.pop()) && counts.get(best.pair) !== best.count);
    if (!best || best.count < minFrequency) break;
    const a = Math.floor(best.pair / SYMBOL_LIMIT);
    const b = best.pair - a * SYMBOL_LIMIT;
    merges.push([names[a], names[b]]);
    const ab = intern(names[a] + names[b]);
    for (const i of where.get(best.pair) ?? []) mergeWord(i, a, b, ab);
    where.delete(best.pair);
    flush();
  }
  return new Bpe(merges);
}

const SYMBOL_LIMIT = 2 ** 21;

interface HeapEntry {
  count: number;
  /** "left right", the tie-breaker */
  key: string;
  pair: number;
}

/** A binary max-heap of pairs: higher count first, then the pair whose "left right" sorts first. */
class PairHeap {
  private readonly items: HeapEntry[] = [];

  private above(x: HeapEntry, y: HeapEntry): boolean {
    return x.count > y.count || (x.count === y.count && x.key < y.key);
  }

  push(count: number, key: string, pair: number): void {
    const h = this.items;
    h.push({ count, key, pair });
    for (let i = h.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!this.above(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  pop(): HeapEntry | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length === 0 || last === undefined) return top;
    h[0] = last;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.above(h[l], h[m])) m = l;
      if (r < h.length && this.above(h[r], h[m])) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
    return top;
  }
}
