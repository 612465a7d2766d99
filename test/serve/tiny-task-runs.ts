/**
 * Tiny classify and caption runs for the serve tests, made in seconds with the CLI's own
 * training functions: a spam corpus of 40 short messages (as test/cli/classify.test.ts), and
 * small Fashion-MNIST-shaped IDX files of noise (as test/cli/caption.test.ts).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { SpamRecord } from '../../src/data/spam.js';
import { encodeIdx } from '../../src/data/idx.js';
import { Generator } from '../../src/tensor/random.js';
import type { ClassifierSpec } from '../../src/cli/classify-model.js';
import { prepareSpamData } from '../../src/cli/classify-data.js';
import { trainClassifyRun } from '../../src/cli/classify-train.js';
import { trainCaption } from '../../src/cli/caption-train.js';

/** Spam speaks of free money, ham of meetings: a model separates them in a few steps. */
function tinyCorpus(): SpamRecord[] {
  const spam = ['free money now', 'claim free prize money', 'win money free', 'free cash money'];
  const ham = ['meeting notes attached', 'the build failed again', 'lunch at noon', 'patch for the parser'];
  return Array.from({ length: 40 }, (_, i) => {
    const isSpam = i % 2 === 0;
    const body = (isSpam ? spam : ham)[i % 4 === 0 || i % 4 === 1 ? 0 : (i >> 2) % 4];
    return {
      id: i,
      group: isSpam ? 'spam-1' : i % 10 === 1 ? 'hard-ham-1' : 'easy-ham-1',
      checksum: { type: 'MD5', value: `m${i}` },
      text: `Subject: message ${i}\nContent-Type: text/plain\n\n${body} number ${i}\n`,
    };
  });
}

/** A trained classify run (attention pooling, or bag-of-words); returns its directory. */
export function makeTinyClassifyRun(kind: 'attention' | 'bow' = 'attention'): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'attend-serve-classify-')), 'run');
  const data = prepareSpamData(tinyCorpus(), { maxTokens: 16, minCount: 1, vocabSize: 1000 });
  const spec: ClassifierSpec =
    kind === 'bow'
      ? { kind: 'bow', vocab: data.vocab.size }
      : {
          kind: 'classifier',
          pooling: 'attention',
          encoder: 'none',
          vocab: data.vocab.size,
          embed: 8,
          hidden: 8,
          maxLength: 16,
          dropout: 0,
        };
  const fit = { epochs: 6, batchSize: 8, lr: 0.02, optimizer: 'adam' as const, schedule: 'constant', clip: 1 };
  trainClassifyRun(
    spec,
    data,
    { ...fit, weightDecay: 0, seed: 1, patience: 10, out: dir, resume: false, force: false },
    'test',
    () => {},
  );
  return dir;
}

/** Fashion-MNIST-shaped gzipped IDX files of noise (60 train, 20 test images); returns the directory. */
export function writeTinyFashionMnist(): string {
  const dir = mkdtempSync(join(tmpdir(), 'attend-serve-fmnist-'));
  const g = new Generator(1);
  for (const [split, n] of [
    ['train', 60],
    ['t10k', 20],
  ] as const) {
    const images = Uint8Array.from({ length: n * 784 }, () => Math.floor(g.uniform() * 256));
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${split}-images-idx3-ubyte.gz`), gzipSync(encodeIdx({ type: 'uint8', shape: [n, 28, 28], data: images }))); // prettier-ignore
    writeFileSync(join(dir, `${split}-labels-idx1-ubyte.gz`), gzipSync(encodeIdx({ type: 'uint8', shape: [n], data: labels }))); // prettier-ignore
  }
  return dir;
}

/** A caption run (soft attention unless asked), a few steps on `dataDir`; returns its directory. */
export function makeTinyCaptionRun(dataDir: string, steps = 6, attention: 'soft' | 'hard' = 'soft'): string {
  const out = join(mkdtempSync(join(tmpdir(), 'attend-serve-caption-')), 'run');
  trainCaption(
    {
      attention,
      out,
      batchSize: 3,
      lr: 2e-3,
      seed: 5,
      steps,
      lambda: 0.01,
      entropyWeight: 0.01,
      evalEvery: 2,
      devScenes: 3,
      clip: 5,
      resume: false,
      force: false,
      json: true,
      dataDir,
    },
    'test',
  );
  return out;
}
