/**
 * Batches for teacher-forced seq2seq training. Shapes: B batch, S source length, T target
 * length + 1. Ids: PAD 0, BOS 1, EOS 2 (./vocab.ts).
 *
 *   src    [B, S] int32  source ids, PAD-padded
 *   srcPad [B, S] bool   true where src is padding (the attention masks these)
 *   tgtIn  [B, T] int32  BOS + target, PAD-padded (what the decoder reads)
 *   tgtOut [B, T] int32  target + EOS, PAD-padded (what it should predict; crossEntropy's
 *                        ignoreIndex 0 skips the padding)
 *
 * Order (as torchtext's BucketIterator and fairseq do): shuffle all examples, cut into chunks
 * of `chunkBatches` batches, sort each chunk by source length so a batch holds similar lengths
 * (little padding), cut into batches, shuffle the batches. Everything comes from one generator
 * seeded by (seed, epoch), so an epoch's order is a pure function of them and training resumes
 * exactly from (epoch, batchIndex) without saving any iterator state.
 */
import { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { BOS, EOS, PAD } from './vocab.js';

export interface EncodedPair {
  /** Source ids without BOS/EOS. */
  src: readonly number[];
  /** Target ids without BOS/EOS. */
  tgt: readonly number[];
}

export interface Batch {
  src: Tensor;
  srcPad: Tensor;
  tgtIn: Tensor;
  tgtOut: Tensor;
  /** Which pairs (indices into the dataset), in row order. */
  indices: number[];
  /** Target tokens to predict, EOS included (the loss's denominator). */
  tgtTokens: number;
}

/** Pad pairs into one batch (rows in the given order). */
export function padBatch(pairs: readonly EncodedPair[], indices?: readonly number[]): Batch {
  const B = pairs.length;
  if (B === 0) throw new Error('padBatch: pairs must not be empty, received 0 pairs');
  let S = 0;
  let T = 0;
  pairs.forEach((p, i) => {
    // a fully padded source row leaves attention nothing to attend to
    if (p.src.length === 0) throw new Error(`padBatch: pairs[${i}].src must not be empty, received []`);
    S = Math.max(S, p.src.length);
    T = Math.max(T, p.tgt.length + 1);
  });
  const src = new Int32Array(B * S).fill(PAD);
  const srcPad = new Uint8Array(B * S).fill(1);
  const tgtIn = new Int32Array(B * T).fill(PAD);
  const tgtOut = new Int32Array(B * T).fill(PAD);
  let tgtTokens = 0;
  pairs.forEach((p, b) => {
    p.src.forEach((id, s) => {
      src[b * S + s] = id;
      srcPad[b * S + s] = 0;
    });
    tgtIn[b * T] = BOS;
    p.tgt.forEach((id, t) => {
      tgtIn[b * T + t + 1] = id;
      tgtOut[b * T + t] = id;
    });
    tgtOut[b * T + p.tgt.length] = EOS;
    tgtTokens += p.tgt.length + 1;
  });
  return {
    src: new Tensor(src, [B, S]),
    srcPad: new Tensor(srcPad, [B, S]),
    tgtIn: new Tensor(tgtIn, [B, T]),
    tgtOut: new Tensor(tgtOut, [B, T]),
    indices: indices ? [...indices] : pairs.map((_, i) => i),
    tgtTokens,
  };
}

export interface BatchOrderOptions {
  batchSize: number;
  seed?: number;
  /** Batches per sorting chunk (default 100): larger = less padding, less randomness. */
  chunkBatches?: number;
}

/** Shuffles xs in place (Fisher–Yates) with draws from g. */
export function shuffle<T>(xs: T[], g: Generator): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = g.int(i + 1);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
}

/** The generator of one epoch: seeds differ for every (seed, epoch), and the mixing never changes. */
function epochGenerator(seed: number, epoch: number): Generator {
  return new Generator((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0);
}

/** The batches of one epoch, as lists of example indices. */
export function batchOrder(srcLengths: readonly number[], epoch: number, options: BatchOrderOptions): number[][] {
  const { batchSize, seed = 0, chunkBatches = 100 } = options;
  for (const [name, v] of [
    ['batchSize', batchSize],
    ['chunkBatches', chunkBatches],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`batchOrder: ${name} must be an integer >= 1, received ${v}`);
  }
  if (!Number.isInteger(epoch) || epoch < 0)
    throw new Error(`batchOrder: epoch must be an integer >= 0, received ${epoch}`);
  const g = epochGenerator(seed, epoch);
  const order = srcLengths.map((_, i) => i);
  shuffle(order, g);
  const chunk = batchSize * chunkBatches;
  const batches: number[][] = [];
  for (let c = 0; c < order.length; c += chunk) {
    // Array.prototype.sort is stable, so equal lengths keep their shuffled order
    const part = order.slice(c, c + chunk).sort((a, b) => srcLengths[a] - srcLengths[b]);
    for (let i = 0; i < part.length; i += batchSize) batches.push(part.slice(i, i + batchSize));
  }
  shuffle(batches, g);
  return batches;
}

export interface Position {
  epoch: number;
  batchIndex: number;
}

/** Batches over a fixed dataset; `batches(epoch, from)` restarts anywhere. */
export class BatchIterator {
  readonly pairs: readonly EncodedPair[];
  readonly options: BatchOrderOptions;
  private readonly lengths: number[];
  private cached: { epoch: number; order: number[][] } | null = null;

  constructor(pairs: readonly EncodedPair[], options: BatchOrderOptions) {
    if (pairs.length === 0) throw new Error('BatchIterator: pairs must not be empty, received 0 pairs');
    this.pairs = pairs;
    this.options = options;
    this.lengths = pairs.map((p) => p.src.length);
    batchOrder([], 0, options); // check the options now, not at the first epoch
  }

  get batchesPerEpoch(): number {
    return Math.ceil(this.pairs.length / this.options.batchSize);
  }

  /** The index lists of one epoch. */
  order(epoch: number): number[][] {
    if (this.cached?.epoch !== epoch) this.cached = { epoch, order: batchOrder(this.lengths, epoch, this.options) };
    return this.cached.order;
  }

  /** One batch by position. */
  batch(epoch: number, batchIndex: number): Batch {
    const order = this.order(epoch);
    if (!Number.isInteger(batchIndex) || batchIndex < 0 || batchIndex >= order.length) {
      throw new Error(
        `BatchIterator.batch: batchIndex must be an integer in [0, ${order.length}), received ${batchIndex}`,
      );
    }
    const idx = order[batchIndex];
    return padBatch(
      idx.map((i) => this.pairs[i]),
      idx,
    );
  }

  /** The batches of `epoch` from `from` on (0 = the whole epoch), each with its position. */
  *batches(epoch: number, from = 0): IterableIterator<Batch & Position> {
    const n = this.order(epoch).length;
    for (let i = from; i < n; i++) yield { ...this.batch(epoch, i), epoch, batchIndex: i };
  }
}
