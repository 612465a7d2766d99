/**
 * Parallel corpora in the Tatoeba / Anki format (manythings.org/anki): one pair a line,
 * `source<TAB>target[<TAB>attribution]`. The attribution (and any further field) is ignored.
 *
 * Bad lines (fewer than two fields, or a side empty after trimming) are collected with their
 * 1-based line number rather than thrown at once: a download with a handful of broken lines is
 * still usable. But a file that is mostly bad is the wrong file (a CSV, the wrong column
 * order), so parsing throws, listing the first bad lines, when more than `maxBadFraction` of
 * the non-blank lines are bad (default 1%), or on any bad line with `strict: true`.
 */
export interface ParallelPair {
  source: string;
  target: string;
  /** 1-based line number in the file. */
  line: number;
}

export interface BadLine {
  line: number;
  text: string;
  reason: string;
}

export interface ParallelCorpus {
  name: string;
  pairs: ParallelPair[];
  bad: BadLine[];
}

export interface ParseParallelOptions {
  /** Named in errors (the file name, say). */
  name?: string;
  /** Throw on the first bad line. Default false. */
  strict?: boolean;
  /** Throw when more than this share of non-blank lines is bad. Default 0.01. */
  maxBadFraction?: number;
  /** Swap the columns (the Anki files are English → other language). Default false. */
  reverse?: boolean;
}

const SHOWN = 5;

export function parseParallelTsv(text: string, options: ParseParallelOptions = {}): ParallelCorpus {
  const name = options.name ?? 'corpus';
  const maxBadFraction = options.maxBadFraction ?? 0.01;
  if (typeof text !== 'string')
    throw new Error(`parseParallelTsv(${name}): text must be a string, received ${typeof text}`);
  if (!(maxBadFraction >= 0 && maxBadFraction <= 1)) {
    throw new Error(`parseParallelTsv(${name}): maxBadFraction must be in [0, 1], received ${maxBadFraction}`);
  }
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const pairs: ParallelPair[] = [];
  const bad: BadLine[] = [];
  let nonBlank = 0;
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return;
    nonBlank++;
    const fields = raw.split('\t');
    let reason = '';
    if (fields.length < 2) reason = 'expected source<TAB>target, received a line without a tab';
    else if (fields[0].trim() === '') reason = 'empty source';
    else if (fields[1].trim() === '') reason = 'empty target';
    if (reason) {
      bad.push({ line: i + 1, text: raw, reason });
      if (options.strict) throw new Error(`parseParallelTsv(${name}): ${describe(bad)}`);
      return;
    }
    const [a, b] = [fields[0].trim(), fields[1].trim()];
    pairs.push(options.reverse ? { source: b, target: a, line: i + 1 } : { source: a, target: b, line: i + 1 });
  });
  if (bad.length > maxBadFraction * nonBlank) {
    throw new Error(
      `parseParallelTsv(${name}): ${bad.length} of ${nonBlank} lines are bad, more than maxBadFraction ${maxBadFraction}; ${describe(bad)}`,
    );
  }
  return { name, pairs, bad };
}

function describe(bad: readonly BadLine[]): string {
  const shown = bad
    .slice(0, SHOWN)
    .map((b) => `line ${b.line}: ${b.reason}: ${JSON.stringify(b.text.slice(0, 60))}`)
    .join('; ');
  return bad.length > SHOWN ? `${shown}; and ${bad.length - SHOWN} more` : shown;
}
