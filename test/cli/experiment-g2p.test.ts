import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatG2PLength, g2pLengthExperiment, matchedG2PSpec } from '../../src/cli/experiment-g2p.js';
import { createModel } from '../../src/models/seq2seq/factory.js';
import { Generator } from '../../src/tensor/random.js';

const count = (spec: Parameters<typeof createModel>[0]) =>
  createModel(spec, new Generator(0))
    .parameters()
    .reduce((n, p) => n + p.size, 0);

test('g2p-length: every model within 3 % of the base Transformer’s parameter count', () => {
  const target = count(matchedG2PSpec('transformer', 30, 72));
  for (const kind of ['seq2seq', 'bahdanau', 'luong'] as const) {
    const spec = matchedG2PSpec(kind, 30, 72);
    assert.equal(spec.kind, kind);
    const n = count(spec);
    assert.ok(Math.abs(n - target) / target < 0.03, `${kind}: ${n} parameters vs ${target}`);
  }
});

test('g2p-length: trains each model into its own run and buckets the test WER by word length', async () => {
  const out = mkdtempSync(join(tmpdir(), 'attend-g2p-length-'));
  try {
    const o = {
      models: ['seq2seq'] as const,
      timeBudget: '1s',
      buckets: [
        [1, 6],
        [7, 30],
      ] as const,
      out,
      batchSize: 16,
      seed: 1,
      testWords: 40,
      progress: false,
    };
    const [row] = await g2pLengthExperiment(o);
    const config = JSON.parse(readFileSync(join(out, 'seq2seq', 'config.json'), 'utf8')) as {
      model: { hidden: number };
    };
    assert.equal(config.model.hidden, (row.spec as { hidden: number }).hidden, 'the run trains the matched model');
    assert.equal(row.buckets[0].words + row.buckets[1].words, 40);
    // the overall WER is the word-weighted mean of the buckets'
    const mean = (row.buckets[0].wer * row.buckets[0].words + row.buckets[1].wer * row.buckets[1].words) / 40;
    assert.ok(Math.abs(mean - row.wer) < 1e-12);
    assert.match(formatG2PLength([row], o), /\| seq2seq \| [\d,]+ \| \d+ \|/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
