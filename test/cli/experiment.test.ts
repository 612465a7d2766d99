// `attend experiment length` on a budget too small to learn anything: checks that every model
// is trained, scored in every bucket, that the numbers are real numbers in their ranges, and
// that the command registers, parses its options and prints JSON or a markdown table.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import {
  type LengthExperimentOptions,
  type LengthExperimentResult,
  commandOf,
  formatLengthTable,
  registerExperimentCommands,
  runLengthExperiment,
} from '../../src/cli/experiment.js';

const tiny: LengthExperimentOptions = {
  models: ['seq2seq', 'bahdanau', 'luong', 'transformer'],
  trainLengths: [2, 5],
  buckets: [
    [2, 3],
    [4, 5],
  ],
  hidden: 8,
  steps: 2,
  batchSize: 4,
  trainExamples: 16,
  testPerBucket: 3,
  alphabet: 4,
  seed: 3,
};

test('runLengthExperiment trains and scores every model in every bucket', () => {
  const r = runLengthExperiment(tiny);
  assert.equal(r.experiment, 'length');
  assert.deepEqual(
    r.models.map((m) => m.model),
    tiny.models,
  );
  for (const m of r.models) {
    assert.equal(m.steps, 2);
    assert.ok(m.parameters > 0 && Number.isInteger(m.parameters));
    assert.ok(m.trainSeconds > 0 && m.msPerStep > 0 && Number.isFinite(m.finalLoss), `${m.model} timed`);
    assert.equal(m.buckets.length, 2);
    m.buckets.forEach((b, i) => {
      assert.deepEqual(b.lengths, tiny.buckets[i]);
      assert.equal(b.examples, 3);
      assert.ok(b.sequenceAccuracy >= 0 && b.sequenceAccuracy <= 1, `${m.model} accuracy in [0, 1]`);
      // an output may be longer than its reference, so the rate may pass 1 but not the cap (+10 tokens)
      assert.ok(b.tokenErrorRate >= 0 && b.tokenErrorRate <= 1 + 10 / tiny.buckets[i][0], `${m.model} error rate`);
    });
  }
  assert.equal(r.command, commandOf(tiny));
  const table = formatLengthTable(r);
  assert.match(table, /\| model \| 2-3 \| 4-5 \|/);
  for (const k of tiny.models) assert.ok(table.includes(`| ${k} |`), `${k} in the table`);
  assert.ok(table.includes(`Command: \`${r.command}\``));
});

test('the same options give the same scores (seeded data, initialisation and batches)', () => {
  const one: LengthExperimentOptions = { ...tiny, models: ['luong'] };
  const a = runLengthExperiment(one);
  const b = runLengthExperiment(one);
  assert.deepEqual(a.models[0].buckets, b.models[0].buckets);
  assert.equal(a.models[0].finalLoss, b.models[0].finalLoss);
});

test('attend experiment length parses its options and prints JSON', async (t) => {
  const printed: string[] = [];
  t.mock.method(console, 'log', (s: string) => printed.push(s));
  const program = new Command().exitOverride();
  registerExperimentCommands(program);
  await program.parseAsync(
    [
      'experiment',
      'length',
      '--task',
      'copy',
      '--models',
      'seq2seq,transformer',
      '--train-lengths',
      '2-4',
      '--buckets',
      '2-3,4-4',
      '--hidden',
      '8',
      '--steps',
      '1',
      '--batch-size',
      '4',
      '--train-examples',
      '8',
      '--test-per-bucket',
      '2',
      '--alphabet',
      '3',
      '--json',
    ],
    { from: 'user' },
  );
  const r = JSON.parse(printed.join('\n')) as LengthExperimentResult;
  assert.deepEqual(
    r.models.map((m) => m.model),
    ['seq2seq', 'transformer'],
  );
  assert.deepEqual(r.options.buckets, [
    [2, 3],
    [4, 4],
  ]);
  assert.match(r.task, /^copy /);
  assert.match(r.command, /^attend experiment length --task copy .*--steps 1 .*--alphabet 3 --seed 1$/);
});

test('bad options are refused with a message naming them', async () => {
  const parse = (...args: string[]) => {
    const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
    registerExperimentCommands(program);
    return program.parseAsync(['experiment', 'length', ...args], { from: 'user' });
  };
  await assert.rejects(parse('--models', 'lstm'), /--models takes a comma list/);
  await assert.rejects(parse('--buckets', '8-4'), /--buckets must look like 4-24/);
  assert.throws(() => runLengthExperiment({ ...tiny, steps: undefined }), /steps or a time budget/);
});
