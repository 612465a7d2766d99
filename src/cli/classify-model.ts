/**
 * The spam classifiers of issue #8 and how they are trained and scored, without Node: the
 * model spec a run directory stores, the bridge to the shared trainer, and the test metrics.
 * Shapes: B batch, T tokens, C classes (ham 0, spam 1).
 */
import { BatchIterator, type Batch, type EncodedPair, type Position } from '../data/batching.js';
import { SPAM_LABELS } from '../data/spam.js';
import { binaryScores } from '../metrics/classification.js';
import { BagOfWordsClassifier } from '../models/bow.js';
import type { EncoderDecoder, Seq2SeqOutput } from '../models/seq2seq/types.js';
import { AttentionClassifier, type Pooling } from '../models/classifier.js';
import { Module } from '../nn/module.js';
import * as F from '../ops/index.js';
import { noGrad } from '../tensor/autograd.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

/** What config.json stores to rebuild a classifier. */
export type ClassifierSpec =
  | {
      kind: 'classifier';
      pooling: Pooling;
      encoder: 'none' | 'gru' | 'transformer';
      vocab: number;
      embed: number;
      hidden: number;
      maxLength: number;
      dropout: number;
    }
  | { kind: 'bow'; vocab: number };

/** Both models: tokens [B, T] → logits [B, C] and attention weights [B, T] (or null). */
export type SpamModel = (AttentionClassifier | BagOfWordsClassifier) & Module;

export function createClassifier(spec: ClassifierSpec, generator: Generator): SpamModel {
  const classes = SPAM_LABELS.length;
  if (spec.kind === 'bow') return new BagOfWordsClassifier(spec.vocab, classes);
  return new AttentionClassifier({
    vocab: spec.vocab,
    classes,
    embed: spec.embed,
    encoder: spec.encoder,
    hidden: spec.hidden,
    heads: spec.embed % 4 === 0 ? 4 : 1,
    layers: 1,
    maxLength: spec.maxLength,
    pooling: spec.pooling,
    dropout: spec.dropout,
    generator,
  });
}

/** A short name for tables: 'attention', 'mean+gru', 'bow'. */
export function specName(spec: ClassifierSpec): string {
  if (spec.kind === 'bow') return 'bow';
  return spec.encoder === 'none' ? spec.pooling : `${spec.pooling}+${spec.encoder}`;
}

/** One encoded message. */
export interface EncodedMessage {
  ids: number[];
  /** 0 ham, 1 spam. */
  label: number;
  group: string;
}

/*
 * The bridge to src/train/trainer.ts, which trains encoder-decoders: it minimises
 * crossEntropy(logits [B·T, V], tgtOut [B·T], ignoreIndex 0). A classification is a target of
 * one token, the class id + 1 (id 0 is the ignored padding), and the classifier's logits [B, C]
 * become [B, 1, 1 + C] with a constant −10⁴ in column 0 (softmax gives it 0 and it gets no
 * gradient). The loss is then exactly the classifier's mean cross-entropy, and the trainer's
 * time budget, early stopping, logging and exact resume come for free.
 */

/** Batches of messages: BatchIterator's order (length-sorted chunks, a pure function of seed and epoch). */
export class MessageBatches extends BatchIterator {
  constructor(messages: readonly EncodedMessage[], options: { batchSize: number; seed: number }) {
    super(
      messages.map((m): EncodedPair => ({ src: m.ids, tgt: [m.label + 1] })),
      options,
    );
  }
  override *batches(epoch: number, from = 0): IterableIterator<Batch & Position> {
    for (const b of super.batches(epoch, from)) {
      // padBatch wrote [label + 1, EOS]: keep the label column only
      yield { ...b, tgtOut: F.slice(b.tgtOut, 1, 0, 1), tgtTokens: b.indices.length }; // [B, 1]
    }
  }
}

/** The classifier seen as a one-step encoder-decoder (see above); it owns no parameters of its own. */
export class ClassifierAsSeq2Seq extends Module implements EncoderDecoder {
  readonly kind = 'classifier';
  constructor(readonly classifier: SpamModel) {
    super();
  }
  forward(src: Tensor): Seq2SeqOutput {
    const logits = this.classifier.forward(src).logits; // [B, C]
    const B = logits.shape[0];
    const never = F.full([B, 1], -1e4); // [B, 1]: the padding id, never a target
    return { logits: F.unsqueeze(F.concat([never, logits], 1), 1), attention: null }; // [B, 1, 1 + C]
  }
  start(): never {
    throw new Error('a classifier does not decode');
  }
  step(): never {
    throw new Error('a classifier does not decode');
  }
}

export interface Prediction {
  /** P(spam). */
  spam: number;
  /** Attention over the message's tokens (its own length, padding removed), or null. */
  weights: number[] | null;
}

/** Predictions in batches, in eval mode and without a graph. */
export function predictMessages(
  model: SpamModel,
  messages: readonly { ids: number[] }[],
  batchSize = 64,
): Prediction[] {
  model.eval();
  const out: Prediction[] = [];
  noGrad(() => {
    for (let i = 0; i < messages.length; i += batchSize) {
      const part = messages.slice(i, i + batchSize);
      const T = Math.max(1, ...part.map((m) => m.ids.length));
      const ids = new Int32Array(part.length * T);
      part.forEach((m, b) => ids.set(m.ids, b * T));
      const { logits, weights } = model.forward(F.fromData(ids, [part.length, T], 'int32')); // [B, C], [B, T]
      const p = F.softmax(logits, -1).data; // [B, C]
      part.forEach((m, b) => {
        const w = weights ? Array.from(weights.data.subarray(b * T, b * T + m.ids.length)) : null;
        out.push({ spam: p[b * 2 + 1], weights: w }); // [ham, spam] per row (SPAM_LABELS)
      });
    }
  });
  return out;
}

/** Sum of the k largest weights (the share of attention on the k most attended tokens). */
export function topMass(weights: readonly number[], k: number): number {
  return [...weights]
    .sort((a, b) => b - a)
    .slice(0, k)
    .reduce((s, w) => s + w, 0);
}

export interface SpamScores {
  messages: number;
  accuracy: number;
  precision: number;
  recall: number;
  /** F1 with spam as the positive class. */
  f1: number;
  /** Accuracy on the hard-ham messages alone (ham that looks like spam), and how many there were. */
  hardHamAccuracy: number;
  hardHam: number;
  /** Mean over messages of the attention on the ten most attended tokens; null without attention. */
  top10Mass: number | null;
}

/** Accuracy, F1 (spam positive), hard-ham accuracy and top-10 attention mass; threshold P(spam) > 0.5. */
export function scoreMessages(model: SpamModel, messages: readonly EncodedMessage[]): SpamScores {
  if (messages.length === 0) throw new Error('scoreMessages: messages must not be empty');
  const predictions = predictMessages(model, messages);
  const predicted = predictions.map((p) => (p.spam > 0.5 ? 1 : 0));
  const s = binaryScores(
    predicted,
    messages.map((m) => m.label),
    1,
  );
  const hard = messages.flatMap((m, i) => (m.group.startsWith('hard-ham') ? [predicted[i] === 0 ? 1 : 0] : []));
  const attended = predictions.filter((p) => p.weights !== null);
  return {
    messages: messages.length,
    accuracy: s.accuracy,
    precision: s.precision,
    recall: s.recall,
    f1: s.f1,
    hardHamAccuracy: hard.length ? hard.reduce((a: number, b) => a + b, 0) / hard.length : 0,
    hardHam: hard.length,
    top10Mass: attended.length ? attended.reduce((a, p) => a + topMass(p.weights!, 10), 0) / attended.length : null,
  };
}
