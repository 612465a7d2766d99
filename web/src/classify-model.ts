/**
 * A spam run as the page runs it: the same parsing and tokenising (src/data/spam.ts), the same
 * model builder and prediction loop (src/cli/classify-model.ts, which imports no Node module)
 * and the same ranking (topWords) as `attend classify`, fed with config.json and the
 * safetensors bytes instead of files. A Node test checks it against classifyMessage.
 */
import { Generator, data, decodeSafetensors } from '../../src/index.js';
import { type ClassifierSpec, type SpamModel, createClassifier } from '../../src/cli/classify-model.js';
import { type ClassifyResult, classifyRaw } from '../../src/cli/classify-view.js';

/** A pasted message longer than this is refused (the largest message of the corpus is 0.3 MB). */
export const MAX_MESSAGE_CHARS = 2_000_000;

export interface PageClassifier {
  spec: ClassifierSpec;
  model: SpamModel;
  vocab: data.Vocab;
  maxTokens: number;
}

/** What the page shows: exactly `attend classify --json`. */
export type Classification = ClassifyResult;

/** Rebuild the classifier of a run; `config` is the parsed config.json (checked: it came over the network). */
export function loadPageClassifier(config: unknown, weights: Uint8Array): PageClassifier {
  const c = config as {
    task?: unknown;
    model?: ClassifierSpec;
    vocab?: data.VocabJSON;
    tokenizer?: { maxTokens?: unknown };
  } | null;
  if (!c || typeof c !== 'object' || c.task !== 'classify')
    throw new Error(`config.json: expected task 'classify', received '${String(c?.task)}'`);
  if (!c.model || (c.model.kind !== 'classifier' && c.model.kind !== 'bow') || !c.vocab)
    throw new Error(`config.json: expected a classifier spec and a vocabulary, received ${JSON.stringify(c.model)}`);
  const maxTokens = c.tokenizer?.maxTokens;
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1)
    throw new Error(`config.json: tokenizer.maxTokens must be a positive integer, received ${String(maxTokens)}`);
  const vocab = data.Vocab.fromJSON(c.vocab);
  const model = createClassifier(c.model, new Generator(0));
  model.loadStateDict(decodeSafetensors(weights).tensors);
  model.eval();
  return { spec: c.model, model, vocab, maxTokens };
}

/** Classify a raw message (headers, blank line, body) or plain text, as `attend classify` does. */
export function classifyText(m: PageClassifier, raw: string): Classification {
  if (raw.length > MAX_MESSAGE_CHARS)
    throw new Error(`message: expected at most ${MAX_MESSAGE_CHARS} characters, received ${raw.length}`);
  if (!raw.trim()) throw new Error('message: expected some text, received an empty message');
  return classifyRaw(m.model, m.vocab, raw, m.maxTokens);
}
