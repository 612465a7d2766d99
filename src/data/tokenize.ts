/**
 * Tokenisers that turn text into token lists (the Vocab turns those into ids).
 * Words: runs of letters, marks and digits, keeping inner apostrophes and hyphens ("don't",
 * "well-known") and inner dots or commas between digits ("3.5", "1,000"); every other
 * non-space character is a token of its own. These are the same places the 13a tokeniser of
 * BLEU (src/metrics/bleu.ts) splits, so `detokenizeWords` output scores as if it were the
 * original sentence.
 */

/** One token per Unicode code point (not per UTF-16 unit, so "é" or "😀" stay whole). */
export function tokenizeChars(text: string): string[] {
  return Array.from(text);
}

export interface WordTokenizeOptions {
  /** Lowercase first (locale-independent). Default false. */
  lowercase?: boolean;
}

const WORD_OR_SYMBOL = /\p{N}+(?:[.,]\p{N}+)*|[\p{L}\p{M}\p{N}]+(?:['’-][\p{L}\p{M}\p{N}]+)*|\S/gu;

export function tokenizeWords(text: string, options: WordTokenizeOptions = {}): string[] {
  const t = options.lowercase ? text.toLowerCase() : text;
  return t.match(WORD_OR_SYMBOL) ?? [];
}

/** Tokens back to a line, joined by single spaces ("hello , world ."): BLEU's 13a tokeniser splits the reference the same way. */
export function detokenizeWords(tokens: readonly string[]): string {
  return tokens.join(' ');
}
