// The Fashion-MNIST loader (src/node/fashion-mnist.ts) on gzipped IDX files the test writes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { encodeIdx } from '../../src/data/idx.js';
import { loadFashionMnist } from '../../src/node/fashion-mnist.js';

function writeSplit(dir: string, split: string, images: Uint8Array, shape: number[], labels: Uint8Array) {
  writeFileSync(join(dir, `${split}-images-idx3-ubyte.gz`), gzipSync(encodeIdx({ type: 'uint8', shape, data: images }))); // prettier-ignore
  writeFileSync(join(dir, `${split}-labels-idx1-ubyte.gz`), gzipSync(encodeIdx({ type: 'uint8', shape: [labels.length], data: labels }))); // prettier-ignore
}

test('loadFashionMnist reads gzipped IDX images and labels', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmnist-'));
  try {
    const images = Uint8Array.from({ length: 3 * 4 * 5 }, (_, i) => i);
    writeSplit(dir, 't10k', images, [3, 4, 5], Uint8Array.from([9, 0, 4]));
    const s = loadFashionMnist('t10k', dir);
    assert.deepEqual([s.count, s.height, s.width], [3, 4, 5]);
    assert.deepEqual([...s.labels], [9, 0, 4]);
    assert.equal(s.images[2 * 20 + 7], 47);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadFashionMnist refuses missing files (naming the package), mismatched counts and bad labels', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmnist-'));
  try {
    assert.throws(() => loadFashionMnist('train', dir), /train-images-idx3-ubyte\.gz is missing: install Fashion-MNIST with 'apt-get install dataset-fashion-mnist'/); // prettier-ignore
    writeSplit(dir, 'train', new Uint8Array(2 * 4), [2, 2, 2], Uint8Array.from([1, 2, 3]));
    assert.throws(() => loadFashionMnist('train', dir), /holds 3 labels for 2 images/);
    writeSplit(dir, 'train', new Uint8Array(2 * 4), [2, 2, 2], Uint8Array.from([1, 10]));
    assert.throws(() => loadFashionMnist('train', dir), /label 1 is 10, expected 0…9/);
    writeSplit(dir, 'train', new Uint8Array(8), [8], Uint8Array.from([1]));
    assert.throws(() => loadFashionMnist('train', dir), /expected uint8 images \[N, H, W\], received uint8 \[8\]/);
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), 'not gzip');
    assert.throws(() => loadFashionMnist('train', dir), /not a gzip file/);
    // a truncated IDX inside a good gzip stream: the parser's error, naming the file
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1]))); // prettier-ignore
    assert.throws(() => loadFashionMnist('train', dir), /parseIdx: .*train-images-idx3-ubyte\.gz: .*truncated/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
