// The G2P commands end to end, as a user runs them: train a few steps into a run directory,
// resume it, evaluate it, predict with it, and get clear errors and exit codes when misused.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { scorePredictions } from '../../src/cli/g2p.js';

const dir = mkdtempSync(join(tmpdir(), 'attend-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const run = join(dir, 'run');

function attend(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tiny = [
  '--model',
  'bahdanau',
  '--size',
  'small',
  '--limit-train',
  '256',
  '--batch-size',
  '32',
  '--dev-words',
  '16',
];

test("train g2p's summary gives the mean throughput of the logged steps, not the last window's", () => {
  const out = join(dir, 'throughput');
  const r = attend('train', 'g2p', ...tiny, '--max-steps', '30', '--out', out, '--json');
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { tokensPerSecond: number };
  const steps = readFileSync(join(out, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; tokens: number; tokensPerSecond: number })
    .filter((l) => l.type === 'step');
  assert.equal(steps.length, 3, 'a step record every 10 steps');
  const tokens = steps.reduce((a, l) => a + l.tokens, 0);
  const seconds = steps.reduce((a, l) => a + l.tokens / l.tokensPerSecond, 0);
  assert.ok(Math.abs(summary.tokensPerSecond - tokens / seconds) <= 1e-9 * summary.tokensPerSecond);
});

test('train g2p writes a resumable run; --resume continues it; eval and predict read it', () => {
  const first = attend('train', 'g2p', ...tiny, '--max-steps', '3', '--out', run, '--json');
  assert.equal(first.code, 0, first.stderr);
  const summary = JSON.parse(first.stdout) as { steps: number; stopReason: string };
  assert.equal(summary.steps, 3);
  assert.match(summary.stopReason, /interrupted/);
  for (const f of [
    'config.json',
    'model.safetensors',
    'optimizer.safetensors',
    'state.json',
    'best.safetensors',
    'log.jsonl',
  ])
    assert.ok(existsSync(join(run, f)), `${f} written`);

  const again = attend('train', 'g2p', ...tiny, '--max-steps', '3', '--out', run, '--json');
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already holds a run: pass --resume to continue it or --force/);

  const resumed = attend('train', 'g2p', ...tiny, '--max-steps', '5', '--out', run, '--resume', '--json');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal((JSON.parse(resumed.stdout) as { steps: number }).steps, 5);
  const state = JSON.parse(readFileSync(join(run, 'state.json'), 'utf8')) as { step: number };
  assert.equal(state.step, 5);
  const log = readFileSync(join(run, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string });
  assert.ok(log.some((r) => r.type === 'eval') && log.filter((r) => r.type === 'stop').length === 2);

  const evaluation = attend('eval', run, '--limit', '10', '--json');
  assert.equal(evaluation.code, 0, evaluation.stderr);
  const e = JSON.parse(evaluation.stdout) as {
    scores: { words: number; wer: number; per: number };
    stressIgnored: { wer: number };
    examples: { predicted: string; references: string[]; correct: boolean }[];
  };
  assert.equal(e.scores.words, 10);
  assert.ok(e.scores.wer >= 0 && e.scores.wer <= 1 && e.scores.per >= 0);
  // WER from the ten words shown, with and without stress
  const plain = (p: string) => p.replace(/[012]/g, '');
  assert.equal(e.examples.length, 10);
  assert.equal(e.scores.wer, e.examples.filter((x) => !x.correct).length / 10);
  assert.equal(
    e.stressIgnored.wer,
    e.examples.filter((x) => !x.references.some((r) => plain(r) === plain(x.predicted))).length / 10,
  );

  // a run with itself as an ensemble decodes as the run alone; a run with other vocabularies is refused
  const pair = attend('eval', run, run, '--limit', '10', '--json');
  assert.equal(pair.code, 0, pair.stderr);
  const pe = JSON.parse(pair.stdout) as { scores: { wer: number; per: number }; ensemble: { run: string }[] };
  assert.deepEqual([pe.scores.wer, pe.scores.per], [e.scores.wer, e.scores.per]);
  assert.equal(pe.ensemble.length, 1);
  const other = join(dir, 'other-vocab');
  cpSync(run, other, { recursive: true });
  const config = JSON.parse(readFileSync(join(other, 'config.json'), 'utf8')) as { tgtVocab: { tokens: string[] } };
  const t = config.tgtVocab.tokens;
  [t[t.length - 1], t[t.length - 2]] = [t[t.length - 2], t[t.length - 1]]; // the same phonemes, other ids
  writeFileSync(join(other, 'config.json'), JSON.stringify(config));
  const mismatch = attend('eval', run, other, '--limit', '10');
  assert.equal(mismatch.code, 1);
  assert.match(
    mismatch.stderr,
    /other-vocab: its tgtVocab differs from .*run's; an ensemble needs the same vocabularies/,
  );

  const predicted = attend('predict', run, 'cat', 'attention', '--beam', '2', '--json');
  assert.equal(predicted.code, 0, predicted.stderr);
  const p = JSON.parse(predicted.stdout) as {
    predictions: { source: string[]; tokens: string[]; attention: number[][] }[];
  };
  assert.deepEqual(
    p.predictions.map((x) => x.source.join('')),
    ['cat', 'attention'],
  );
  for (const x of p.predictions) {
    assert.equal(x.attention.length, x.tokens.length);
    for (const row of x.attention) {
      assert.equal(row.length, x.source.length);
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-4, 'each row of the alignment sums to 1');
    }
  }
});

test('scorePredictions: WER and PER, and the same with stress ignored (hand-worked)', () => {
  const entry = (word: string, ...pronunciations: string[]) => ({
    word,
    graphemes: [...word],
    pronunciations: pronunciations.map((p) => p.split(' ')),
  });
  const entries = [
    entry('cat', 'K AE1 T'),
    entry('project', 'P R AA1 JH EH0 K T', 'P R AA0 JH EH1 K T'),
    entry('read', 'R EH1 D', 'R IY1 D'),
  ];
  const predicted = ['K AE1 T', 'P R AA1 JH EH1 K T', 'R IH1 D'].map((p) => p.split(' '));
  const { scores, stressIgnored } = scorePredictions(predicted, entries);
  // right; one stress wrong (1 edit from either reference); one vowel wrong (1 edit): 2 edits over 3 + 7 + 3
  assert.deepEqual([scores.wordErrors, scores.phonemeErrors, scores.referencePhonemes], [2, 2, 13]);
  assert.deepEqual(stressIgnored, { wer: 1 / 3, per: 1 / 13 });
});

test('--no-stress trains and scores on the 39 phonemes; such a run ensembles only with its kind', () => {
  const out = join(dir, 'no-stress');
  const r = attend('train', 'g2p', ...tiny, '--no-stress', '--max-steps', '2', '--out', out, '--json');
  assert.equal(r.code, 0, r.stderr);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as {
    data: { stress: boolean };
    tgtVocab: { tokens: string[] };
  };
  assert.equal(config.data.stress, false);
  const phonemes = config.tgtVocab.tokens.filter((t) => !t.startsWith('<'));
  assert.ok(phonemes.includes('AH') && phonemes.length <= 39, phonemes.join(' '));
  assert.ok(
    phonemes.every((t) => !/[012]$/.test(t)),
    phonemes.join(' '),
  );
  const evaluation = attend('eval', out, '--limit', '10', '--json');
  assert.equal(evaluation.code, 0, evaluation.stderr);
  const e = JSON.parse(evaluation.stdout) as {
    scores: { wer: number; per: number };
    stressIgnored: { wer: number; per: number };
    examples: { references: string[] }[];
  };
  assert.ok(
    e.examples.every((x) => x.references.every((p) => !/[012]/.test(p))),
    'references without stress',
  );
  assert.deepEqual(e.stressIgnored, { wer: e.scores.wer, per: e.scores.per });
  const mixed = attend('eval', out, run, '--limit', '10');
  assert.equal(mixed.code, 1);
  assert.match(mixed.stderr, /run was trained with stress and .*no-stress without stress \(--no-stress\); an ensemble/);
});

test("--dropout replaces the size's dropout in the run's model", () => {
  const modelOf = (out: string) =>
    (JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { model: { dropout: number } }).model;
  const sized = join(dir, 'dropout-default');
  const chosen = join(dir, 'dropout-chosen');
  assert.equal(attend('train', 'g2p', ...tiny, '--max-steps', '1', '--out', sized, '--json').code, 0);
  const r = attend('train', 'g2p', ...tiny, '--dropout', '0.35', '--max-steps', '1', '--out', chosen, '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(modelOf(sized).dropout, 0.1);
  assert.deepEqual(modelOf(chosen), { ...modelOf(sized), dropout: 0.35 });
});

test("--layers stacks the encoder's bidirectional GRUs (PyTorch's names for the second layer)", () => {
  const out = join(dir, 'layers-2');
  const r = attend('train', 'g2p', ...tiny, '--layers', '2', '--max-steps', '1', '--out', out, '--json');
  assert.equal(r.code, 0, r.stderr);
  const { model } = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as {
    model: { layers: number; hidden: number };
  };
  assert.equal(model.layers, 2);
  const { tensors } = decodeSafetensors(readFileSync(join(out, 'model.safetensors')));
  const H = model.hidden;
  for (const name of ['encoder.weight_ih_l1', 'encoder.weight_ih_l1_reverse'])
    assert.deepEqual(
      tensors[name]?.shape,
      [3 * H, 2 * H],
      `${name}: the second layer reads both directions of the first`,
    );
  assert.equal(tensors['encoder.weight_ih_l2'], undefined);
});

test('misuse gets a message naming the problem and a non-zero exit code', () => {
  const missing = attend('eval', join(dir, 'nowhere'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /run or checkpoint '.*nowhere' does not exist/);
  const badModel = attend('train', 'g2p', '--model', 'lstm');
  assert.notEqual(badModel.code, 0);
  assert.match(badModel.stderr, /'lstm' is invalid.*Allowed choices are transformer, bahdanau, luong, seq2seq/s);
  const badDropout = attend('train', 'g2p', ...tiny, '--dropout', '1.5', '--out', join(dir, 'b'));
  assert.notEqual(badDropout.code, 0);
  assert.match(badDropout.stderr, /--dropout must be a number in \[0, 1\), received '1.5'/);
  const badLayers = attend('train', 'g2p', ...tiny, '--layers', '0', '--out', join(dir, 'b'));
  assert.notEqual(badLayers.code, 0);
  assert.match(badLayers.stderr, /--layers must be an integer >= 1, received '0'/);
  const badBudget = attend('train', 'g2p', ...tiny, '--time-budget', 'soon', '--out', join(dir, 'b'));
  assert.equal(badBudget.code, 1);
  assert.match(badBudget.stderr, /a duration like 30m, 90s or 1h30m, received 'soon'/);
});

test('attend start (npm start) trains for its budget, scores test words and leaves a report in the run', () => {
  const out = join(dir, 'start');
  const r = attend('start', '--time-budget', '3s', '--test-words', '10', '--out', out, '--json');
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { train: { steps: number }; eval: { scores: { words: number; wer: number } } };
  assert.ok(report.train.steps > 0);
  assert.equal(report.eval.scores.words, 10);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')), report);
  assert.match(readFileSync(join(out, 'report.txt'), 'utf8'), /WER .* %[\s\S]*attention {2}→/);
});
