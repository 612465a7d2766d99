/**
 * A token ↔ id table. The first four ids are fixed for every vocabulary, because the models
 * and the batcher rely on them (src/models/seq2seq/types.ts repeats the first three):
 * 0 PAD (ignored by crossEntropy through ignoreIndex 0), 1 BOS, 2 EOS, 3 UNK.
 */
export const PAD = 0;
export const BOS = 1;
export const EOS = 2;
export const UNK = 3;
export const SPECIALS = ['<pad>', '<bos>', '<eos>', '<unk>'] as const;

export interface VocabJSON {
  /** Every token in id order, the four specials first. */
  tokens: string[];
}

export interface FromTokensOptions {
  /** Keep a token only if it occurs at least this often (default 1). Rarer tokens become UNK. */
  minCount?: number;
}

export class Vocab {
  private readonly ids = new Map<string, number>();
  private readonly tokens: string[] = [];

  /** `tokens` are the ordinary tokens; the specials are added in front. */
  constructor(tokens: Iterable<string> = []) {
    for (const t of SPECIALS) this.add(t);
    for (const t of tokens) this.add(t);
  }

  /**
   * Count tokens and keep those seen at least `minCount` times. Order: by count, most frequent
   * first, ties alphabetical (code-point order), so the ids do not depend on the corpus order.
   */
  static fromTokens(tokens: Iterable<string>, options: FromTokensOptions = {}): Vocab {
    const minCount = options.minCount ?? 1;
    if (!Number.isInteger(minCount) || minCount < 1) {
      throw new Error(`Vocab.fromTokens: minCount must be an integer >= 1, received ${minCount}`);
    }
    const counts = new Map<string, number>();
    for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
    const kept = [...counts].filter(([t, c]) => c >= minCount && !(SPECIALS as readonly string[]).includes(t));
    kept.sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : a > b ? 1 : 0));
    return new Vocab(kept.map(([t]) => t));
  }

  static fromJSON(json: VocabJSON): Vocab {
    if (!json || !Array.isArray(json.tokens)) {
      throw new Error(`Vocab.fromJSON: expected { tokens: string[] }, received ${JSON.stringify(json)?.slice(0, 80)}`);
    }
    for (let i = 0; i < SPECIALS.length; i++) {
      if (json.tokens[i] !== SPECIALS[i]) {
        throw new Error(`Vocab.fromJSON: tokens[${i}] must be ${SPECIALS[i]}, received ${String(json.tokens[i])}`);
      }
    }
    const v = new Vocab(json.tokens.slice(SPECIALS.length));
    if (v.size !== json.tokens.length) {
      throw new Error(`Vocab.fromJSON: tokens must be distinct, ${json.tokens.length} given, ${v.size} distinct`);
    }
    return v;
  }

  private add(token: string): void {
    if (this.ids.has(token)) return;
    this.ids.set(token, this.tokens.length);
    this.tokens.push(token);
  }

  get size(): number {
    return this.tokens.length;
  }

  has(token: string): boolean {
    return this.ids.has(token);
  }

  /** The id of one token, UNK when unknown. */
  id(token: string): number {
    return this.ids.get(token) ?? UNK;
  }

  /** The token of one id. */
  token(id: number): string {
    const t = this.tokens[id];
    if (t === undefined) throw new Error(`Vocab.token: id must be an integer in [0, ${this.size}), received ${id}`);
    return t;
  }

  /** Token ids, without BOS/EOS (the batcher adds those). */
  encode(tokens: readonly string[]): number[] {
    return tokens.map((t) => this.id(t));
  }

  /**
   * Tokens of ids. Stops at the first EOS and drops PAD and BOS, so a decoder's raw output
   * can be passed as is; UNK stays as '<unk>' so it counts as an error in the metrics.
   */
  decode(ids: Iterable<number>): string[] {
    const out: string[] = [];
    for (const id of ids) {
      if (id === EOS) break;
      if (id === PAD || id === BOS) continue;
      out.push(this.token(id));
    }
    return out;
  }

  toJSON(): VocabJSON {
    return { tokens: [...this.tokens] };
  }
}
