/**
 * Showing why a message was called spam: the words it was read as, each shaded by its attention
 * weight, and the most attended words. The data is plain ({ tokens, weights }), the same JSON
 * `attend classify --json` prints for a web page to draw.
 */
import { messageText, tokenizeMessage } from '../data/spam.js';
import { UNK, type Vocab } from '../data/vocab.js';
import { BagOfWordsClassifier } from '../models/bow.js';
import { type SpamModel, predictMessages } from './classify-model.js';
import { type ColormapName, colorAt, luminance } from '../viz/colormap.js';
import { type TerminalColor, xterm256 } from '../viz/terminal.js';

export interface AttendedWord {
  token: string;
  weight: number;
  /** Position in the token list (a word can occur more than once). */
  position: number;
}

/** The k highest weights with their tokens, highest first (ties: earlier position first). */
export function topWords(tokens: readonly string[], weights: readonly number[], k: number): AttendedWord[] {
  checkPair(tokens, weights, 'topWords');
  return tokens
    .map((token, position) => ({ token, weight: weights[position], position }))
    .sort((a, b) => b.weight - a.weight || a.position - b.position)
    .slice(0, k);
}

const SHADES = [' ', '░', '▒', '▓', '█'];

export interface ShadeOptions {
  color?: TerminalColor;
  /** Line width in characters (default 80). */
  width?: number;
  colormap?: ColormapName;
}

/**
 * The tokens as running text, wrapped at `width`, each shaded by weight / max weight. In colour
 * each word gets its colour as background; without colour each line of words has a line of
 * shade blocks under it (' ' ░ ▒ ▓ █ for 0 to the maximum), so the picture survives copying.
 */
export function shadeTokens(tokens: readonly string[], weights: readonly number[], options: ShadeOptions = {}): string {
  checkPair(tokens, weights, 'shadeTokens');
  const width = options.width ?? 80;
  if (!Number.isInteger(width) || width < 10)
    throw new Error(`shadeTokens: width must be an integer >= 10, received ${width}`);
  const color = options.color ?? 'none';
  const max = Math.max(0, ...weights);
  const scaled = weights.map((w) => (max > 0 ? w / max : 0));
  const lines: { words: string[]; shades: number[] }[] = [{ words: [], shades: [] }];
  let used = 0;
  tokens.forEach((t, i) => {
    const word =
      Array.from(t).length > width
        ? Array.from(t)
            .slice(0, width - 1)
            .join('') + '…'
        : t;
    const w = Array.from(word).length;
    if (used > 0 && used + 1 + w > width) {
      lines.push({ words: [], shades: [] });
      used = 0;
    }
    const line = lines[lines.length - 1];
    line.words.push(word);
    line.shades.push(scaled[i]);
    used += (used > 0 ? 1 : 0) + w;
  });
  const out: string[] = [];
  for (const { words, shades } of lines) {
    if (color === 'none') {
      out.push(words.join(' '));
      out.push(
        words
          .map((w, i) => SHADES[Math.round(shades[i] * (SHADES.length - 1))].repeat(Array.from(w).length))
          .join(' ')
          .trimEnd(),
      );
    } else {
      out.push(words.map((w, i) => paint(w, colorAt(shades[i], options.colormap ?? 'magma'), color)).join(' '));
    }
  }
  return out.join('\n');
}

function paint(text: string, rgb: readonly [number, number, number], color: TerminalColor): string {
  const bg = color === 'truecolor' ? `48;2;${rgb.join(';')}` : `48;5;${xterm256(rgb)}`;
  const fg = luminance(rgb) > 0.5 ? '30' : '97';
  return `\x1b[${bg};${fg}m${text}\x1b[0m`;
}

function checkPair(tokens: readonly string[], weights: readonly number[], where: string): void {
  if (tokens.length !== weights.length)
    throw new Error(
      `${where}: tokens and weights must have the same length, received ${tokens.length} and ${weights.length}`,
    );
}

/**
 * A linear model explains itself by its weights: W_spam − W_ham of each distinct word present,
 * the ten largest in size (`attend classify` and the serve page both show these).
 */
export function bowEvidence(
  model: BagOfWordsClassifier,
  vocab: Vocab,
  ids: readonly number[],
): { token: string; spamMinusHam: number }[] {
  const W = model.weight.data; // [V, 2]: [ham, spam] per word
  return [...new Set(ids)]
    .map((id) => ({ token: vocab.token(id), spamMinusHam: W[2 * id + 1] - W[2 * id] }))
    .sort((a, b) => Math.abs(b.spamMinusHam) - Math.abs(a.spamMinusHam))
    .slice(0, 10);
}

/** The result of `attend classify` (also its --json output, and what the serve page draws). */
export interface ClassifyResult {
  label: 'ham' | 'spam';
  /** Probability of that label. */
  probability: number;
  spamProbability: number;
  /** The tokens the model read (after parsing, up to maxTokens) and the attention on each (null: no attention). */
  tokens: string[];
  weights: number[] | null;
  top: { token: string; weight: number; position: number }[];
  /**
   * Bag-of-words runs only: the words that pushed the decision most, each word once with its
   * logit difference W_spam − W_ham (positive: towards spam), the largest in size first.
   */
  evidence?: { token: string; spamMinusHam: number }[];
}

/** Classify one raw message (headers, blank line, body; or plain text): the CLI's and the page's one path. */
export function classifyRaw(model: SpamModel, vocab: Vocab, raw: string, maxTokens: number): ClassifyResult {
  const tokens = tokenizeMessage(messageText(raw), { maxTokens });
  const ids = tokens.length ? vocab.encode(tokens) : [UNK]; // an empty reading is one <unk>
  const [p] = predictMessages(model, [{ ids }]);
  const shown = tokens.length ? tokens : ['<unk>'];
  const spam = p.spam > 0.5;
  return {
    label: spam ? 'spam' : 'ham',
    probability: spam ? p.spam : 1 - p.spam,
    spamProbability: p.spam,
    tokens: shown,
    weights: p.weights,
    top: p.weights ? topWords(shown, p.weights, 10) : [],
    ...(model instanceof BagOfWordsClassifier ? { evidence: bowEvidence(model, vocab, ids) } : {}),
  };
}
