// Claim 2 (`attend experiment maps`): the helpers on hand-worked values, the attention hook's
// fidelity (a model given its own maps computes exactly what it computes alone), and the command.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { leaveOneOutMeans, totalVariation, withFixedMaps } from '../../src/cli/experiment-maps.js';
import { padBatch } from '../../src/data/batching.js';
import { Bahdanau } from '../../src/models/seq2seq/rnn-models.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Generator } from '../../src/tensor/random.js';

const dir = mkdtempSync(join(tmpdir(), 'attend-maps-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('totalVariation is half the L1 distance, over the given span', () => {
  assert.equal(totalVariation([0.5, 0.5, 0], [0, 0.5, 0.5]), 0.5);
  assert.equal(totalVariation([1, 0], [0, 1]), 1);
  // the second row of two 2-wide maps only
  assert.ok(Math.abs(totalVariation([1, 0, 0.25, 0.75], [0, 1, 0.5, 0.5], 2, 2) - 0.25) < 1e-12);
});

test('leaveOneOutMeans: each map gets the mean of the others', () => {
  const maps = [Float32Array.of(1, 0), Float32Array.of(0, 1), Float32Array.of(0.5, 0.5)];
  const means = leaveOneOutMeans(maps);
  assert.deepEqual([...means[0]], [0.25, 0.75]);
  assert.deepEqual([...means[1]], [0.75, 0.25]);
  assert.deepEqual([...means[2]], [0.5, 0.5]);
  assert.throws(() => leaveOneOutMeans([Float32Array.of(1)]), /at least 2 maps, received 1/);
});

test('withFixedMaps: the own maps reproduce the logits exactly, other maps change them, and the hook comes off', () => {
  const model = new Bahdanau({ srcVocab: 12, tgtVocab: 9, embed: 8, hidden: 10, generator: new Generator(3) });
  model.eval();
  const pairs = [
    { src: [4, 5, 6, 7], tgt: [3, 4, 5] },
    { src: [7, 6, 5, 9], tgt: [8, 3, 3] },
  ];
  const b = padBatch(pairs);
  const [S, T] = [4, 4];
  noGrad(() => {
    const alone = model.forward(b.src, b.srcPad, b.tgtIn);
    const a = alone.attention!.data as Float32Array;
    const own = [a.slice(0, T * S), a.slice(T * S)];
    const same = withFixedMaps(model.attention, own, S, () => model.forward(b.src, b.srcPad, b.tgtIn));
    const maxDiff = (x: ArrayLike<number>, y: ArrayLike<number>) =>
      Array.from(x).reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
    assert.ok(maxDiff(same.logits.data, alone.logits.data) < 1e-6, 'own maps: same log-probabilities');
    const swapped = withFixedMaps(model.attention, [own[1], own[0]], S, () => model.forward(b.src, b.srcPad, b.tgtIn));
    assert.ok(maxDiff(swapped.logits.data, alone.logits.data) > 1e-4, "another word's maps: other log-probabilities");
    assert.ok(maxDiff(swapped.attention!.data, [...own[1], ...own[0]]) === 0, 'the maps used are the ones given');
    const after = model.forward(b.src, b.srcPad, b.tgtIn);
    assert.ok(maxDiff(after.logits.data, alone.logits.data) === 0, 'the module computes its own maps again');
  });
});

function attend(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tiny = ['--size', 'small', '--limit-train', '256', '--batch-size', '32', '--dev-words', '16', '--max-steps', '2'];

test('attend experiment maps scores a run four ways, and refuses a model without one attention module', () => {
  const run = join(dir, 'bahdanau');
  assert.equal(attend('train', 'g2p', '--model', 'bahdanau', ...tiny, '--out', run, '--json').code, 0);
  const r = attend('experiment', 'maps', run, '--words', '300', '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    words: number;
    leftOut: number;
    conditions: { condition: string; distanceFromOwn: number; phonemeErrorRate: number }[];
  };
  assert.equal(out.words + out.leftOut, 300);
  assert.deepEqual(
    out.conditions.map((c) => c.condition),
    ['own', 'mean', 'other', 'uniform'],
  );
  assert.equal(out.conditions[0].distanceFromOwn, 0);
  for (const c of out.conditions.slice(1)) assert.ok(c.distanceFromOwn > 0, `${c.condition}: a different map`);

  const plain = join(dir, 'seq2seq');
  assert.equal(attend('train', 'g2p', '--model', 'seq2seq', ...tiny, '--out', plain, '--json').code, 0);
  const refused = attend('experiment', 'maps', plain);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /must have one global attention module .* received a seq2seq model without one/);
});
