/**
 * FNV-1a, 32-bit (Fowler, Noll, Vo): a tiny string hash whose value never changes between
 * runs, machines or JavaScript engines, so splits made with it are reproducible. The seed's four
 * bytes are hashed first, so another seed gives an unrelated split.
 */
export function fnv1a(text: string, seed = 0): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < 4; i++) {
    h ^= (seed >>> (8 * i)) & 0xff;
    h = Math.imul(h, 0x01000193);
  }
  for (let i = 0; i < text.length; i++) {
    // UTF-16 code units, each as two bytes, so every string has exactly one hash
    const c = text.charCodeAt(i);
    h ^= c & 0xff;
    h = Math.imul(h, 0x01000193);
    h ^= c >>> 8;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface SplitSizes {
  /** How many distinct keys go to the test set. */
  test: number;
  /** How many distinct keys go to the dev set. */
  dev: number;
  /** Hash seed (default 0). */
  seed?: number;
}

export interface Split<T> {
  train: T[];
  dev: T[];
  test: T[];
}

/**
 * Split items BY KEY: every item with the same key lands in the same set, so nothing is tested
 * on a word (or a source sentence) seen in training. Keys are ordered by (hash, key); the first
 * `test` keys are the test set, the next `dev` the dev set, the rest train. Sorting instead of
 * thresholding the hash gives exact sizes, and adding a key moves at most one other key across
 * a boundary. Items keep their input order within each set.
 */
export function splitByKey<T>(items: readonly T[], key: (item: T) => string, sizes: SplitSizes): Split<T> {
  const { test, dev, seed = 0 } = sizes;
  for (const [name, v] of [
    ['test', test],
    ['dev', dev],
  ] as const) {
    if (!Number.isInteger(v) || v < 0)
      throw new Error(`splitByKey: sizes.${name} must be an integer >= 0, received ${v}`);
  }
  const keys = [...new Set(items.map(key))];
  if (test + dev > keys.length) {
    throw new Error(
      `splitByKey: sizes.test + sizes.dev must be at most the ${keys.length} distinct keys, received ${test} + ${dev}`,
    );
  }
  const hashed = keys.map((k) => ({ k, h: fnv1a(k, seed) }));
  hashed.sort((a, b) => a.h - b.h || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  const setOf = new Map<string, 'test' | 'dev' | 'train'>();
  hashed.forEach(({ k }, i) => setOf.set(k, i < test ? 'test' : i < test + dev ? 'dev' : 'train'));
  const out: Split<T> = { train: [], dev: [], test: [] };
  for (const item of items) out[setOf.get(key(item))!].push(item);
  return out;
}
