/**
 * Corpus BLEU (Papineni et al. 2002) with sacreBLEU's defaults (Post 2018, sacrebleu 2.x
 * metrics/bleu.py), so our numbers compare with published ones:
 * 13a tokenisation, case-sensitive, n-grams up to 4, clipped counts summed over the corpus
 * before dividing, the closest reference length per sentence (ties → the shorter), brevity
 * penalty exp(1 − r/c) when c < r, and 'exp' smoothing (mteval-v13a's: the k-th order with
 * no match gets precision 1 / (2^k · total)). Scores are on sacreBLEU's 0–100 scale.
 *
 * Unlike sacreBLEU, whose `refs` are streams (refs[k][i] = k-th reference of sentence i),
 * `references[i]` here is the list of references of sentence i.
 */

/**
 * mteval-v13a's tokeniser as sacreBLEU has it (tokenizers/tokenizer_13a.py, tokenizer_re.py).
 * Returns the tokens (sacreBLEU returns them joined by spaces).
 */
export function tokenize13a(line: string): string[] {
  let s = line
    .replaceAll('<skipped>', '')
    .replaceAll('-\n', '')
    .replaceAll('\n', ' ')
    .replaceAll('&quot;', '"')
    .replaceAll('&amp;', '&')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>');
  s = ` ${s} `;
  // the character class of tokenizer_re.py, [\{-\~\[-\` -\&\(-\+\:-\@\/], spelt as code points:
  // { | } ~  [ \ ] ^ _ `  space ! " # $ % &  ( ) * +  : ; < = > ? @  /
  s = s.replace(/([\x7b-\x7e\x5b-\x60\x20-\x26\x28-\x2b\x3a-\x40\x2f])/g, ' $1 ');
  // period and comma split unless preceded by a digit, then unless followed by one
  s = s.replace(/([^0-9])([.,])/g, '$1 $2 ');
  s = s.replace(/([.,])([^0-9])/g, ' $1 $2');
  // a dash after a digit
  s = s.replace(/([0-9])(-)/g, '$1 $2 ');
  return s.split(/\s+/).filter(Boolean);
}

export type BleuSmoothing = 'exp' | 'none' | 'floor' | 'add-k';

export interface BleuOptions {
  /** '13a' (default) or 'none' (split on whitespace only: text already tokenised). */
  tokenize?: '13a' | 'none';
  lowercase?: boolean;
  smoothMethod?: BleuSmoothing;
  /** For 'floor' (default 0.1) and 'add-k' (default 1). */
  smoothValue?: number;
  maxNgramOrder?: number;
}

export interface BleuScore {
  /** 0–100 */
  score: number;
  /** Clipped n-gram matches, n = 1..maxNgramOrder. */
  counts: number[];
  /** Hypothesis n-grams. */
  totals: number[];
  /** Percentages. */
  precisions: number[];
  bp: number;
  sysLen: number;
  refLen: number;
}

function ngrams(tokens: readonly string[], maxOrder: number): Map<string, number> {
  const out = new Map<string, number>();
  for (let n = 1; n <= maxOrder; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      // the order leads the key so n-grams of different orders never collide; \u0001 never occurs in tokens
      const k = n + '\u0001' + tokens.slice(i, i + n).join('\u0001');
      out.set(k, (out.get(k) ?? 0) + 1);
    }
  }
  return out;
}

/** sacreBLEU's my_log: log 0 is floored to a huge negative number rather than −∞. */
function myLog(x: number): number {
  return x === 0 ? -9999999999 : Math.log(x);
}

/** BLEU from corpus statistics (sacreBLEU's BLEU.compute_bleu). */
export function computeBleu(
  correct: readonly number[],
  total: readonly number[],
  sysLen: number,
  refLen: number,
  options: Pick<BleuOptions, 'smoothMethod' | 'smoothValue'> = {},
): BleuScore {
  const method = options.smoothMethod ?? 'exp';
  const smoothValue = options.smoothValue ?? (method === 'floor' ? 0.1 : 1);
  const maxOrder = correct.length;
  const counts = [...correct];
  const totals = [...total];
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const precisions = new Array<number>(maxOrder).fill(0);
  const result = (score: number): BleuScore => ({ score, counts, totals, precisions, bp, sysLen, refLen });
  // no match at all: 0, whatever the smoothing (sacreBLEU #141)
  if (!counts.some((c) => c > 0)) return result(0);
  let smoothMteval = 1;
  for (let n = 1; n <= maxOrder; n++) {
    if (method === 'add-k' && n > 1) {
      counts[n - 1] += smoothValue;
      totals[n - 1] += smoothValue;
    }
    // no n-grams of this order (every sentence shorter than n): this and higher precisions stay 0
    if (totals[n - 1] === 0) break;
    if (counts[n - 1] === 0) {
      if (method === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * totals[n - 1]);
      } else if (method === 'floor') {
        precisions[n - 1] = (100 * smoothValue) / totals[n - 1];
      }
    } else precisions[n - 1] = (100 * counts[n - 1]) / totals[n - 1];
  }
  const logMean = precisions.reduce((s, p) => s + myLog(p), 0) / maxOrder;
  return result(bp * Math.exp(logMean));
}

/** Corpus BLEU: hypotheses[i] against references[i] (one or more strings). */
export function corpusBleu(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  options: BleuOptions = {},
): BleuScore {
  const maxOrder = options.maxNgramOrder ?? 4;
  if (!Number.isInteger(maxOrder) || maxOrder < 1) {
    throw new Error(`corpusBleu: maxNgramOrder must be an integer >= 1, received ${maxOrder}`);
  }
  if (hypotheses.length !== references.length) {
    throw new Error(
      `corpusBleu: hypotheses and references must have the same length, received ${hypotheses.length} and ${references.length}`,
    );
  }
  const tok = (s: string): string[] => {
    // sacreBLEU lowercases, then rstrips, then tokenises
    const t = (options.lowercase ? s.toLowerCase() : s).trimEnd();
    return options.tokenize === 'none' ? t.split(/\s+/).filter(Boolean) : tokenize13a(t);
  };
  const correct = new Array<number>(maxOrder).fill(0);
  const total = new Array<number>(maxOrder).fill(0);
  let sysLen = 0;
  let refLen = 0;
  hypotheses.forEach((hyp, i) => {
    const refs = references[i];
    if (refs.length === 0) throw new Error(`corpusBleu: references[${i}] must not be empty, received []`);
    // each n-gram may match as often as it occurs in the reference that has it most
    const refMax = new Map<string, number>();
    const refLens: number[] = [];
    for (const r of refs) {
      const rt = tok(r);
      refLens.push(rt.length);
      for (const [k, c] of ngrams(rt, maxOrder)) refMax.set(k, Math.max(refMax.get(k) ?? 0, c));
    }
    const ht = tok(hyp);
    sysLen += ht.length;
    refLen += closestRefLen(ht.length, refLens);
    for (const [k, c] of ngrams(ht, maxOrder)) {
      const n = Number(k.slice(0, k.indexOf('\u0001')));
      total[n - 1] += c;
      correct[n - 1] += Math.min(c, refMax.get(k) ?? 0);
    }
  });
  return computeBleu(correct, total, sysLen, refLen, options);
}

/** The reference length closest to the hypothesis length; ties → the shorter (sacreBLEU's _get_closest_ref_len). */
function closestRefLen(hypLen: number, refLens: readonly number[]): number {
  let best = -1;
  let bestDiff = -1;
  for (const r of refLens) {
    const d = Math.abs(hypLen - r);
    if (bestDiff === -1 || d < bestDiff || (d === bestDiff && r < best)) [best, bestDiff] = [r, d];
  }
  return best;
}
