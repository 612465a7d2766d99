// The caption commands (src/cli/caption*.ts) end to end on small Fashion-MNIST-shaped files the
// test writes: training writes a run that resumes exactly, eval scores it, caption draws it.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Command } from 'commander';
import { encodeIdx } from '../../src/data/idx.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { zeros } from '../../src/ops/index.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { registerCaptionCommands } from '../../src/cli/caption.js';
import { type CaptionTrainOptions, expectedShare, trainCaption } from '../../src/cli/caption-train.js';
import { captionImage, evalCaption } from '../../src/cli/caption-run.js';
import { readFileChecked } from '../../src/node/files.js';
import { decodePng, encodePng } from '../../src/node/png.js';
import { Generator } from '../../src/tensor/random.js';

const root = mkdtempSync(join(tmpdir(), 'caption-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));

// 60 training and 20 test images of noise, labels 0…9 in turn
const data = join(root, 'fmnist');
{
  const g = new Generator(1);
  for (const [split, n] of [
    ['train', 60],
    ['t10k', 20],
  ] as const) {
    const images = Uint8Array.from({ length: n * 784 }, () => Math.floor(g.uniform() * 256));
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
    const dir = data;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${split}-images-idx3-ubyte.gz`), gzipSync(encodeIdx({ type: 'uint8', shape: [n, 28, 28], data: images }))); // prettier-ignore
    writeFileSync(join(dir, `${split}-labels-idx1-ubyte.gz`), gzipSync(encodeIdx({ type: 'uint8', shape: [n], data: labels }))); // prettier-ignore
  }
}

const base = (out: string, o: Partial<CaptionTrainOptions> = {}): CaptionTrainOptions => ({
  attention: 'hard',
  out,
  batchSize: 3,
  lr: 2e-3,
  seed: 5,
  steps: 4,
  lambda: 0.01,
  entropyWeight: 0.01,
  evalEvery: 2,
  devScenes: 3,
  clip: 5,
  resume: false,
  force: false,
  json: true,
  dataDir: data,
  ...o,
});

const weightsOf = (dir: string) => decodeSafetensors(readFileChecked(join(dir, 'model.safetensors'))).tensors;

test('train caption writes a run; stopping and resuming gives the same weights as one run (hard attention)', () => {
  const whole = join(root, 'whole');
  const s = trainCaption(base(whole, { steps: 6, expectedWarmup: 4 }), 'test'); // the share falls over the resume
  assert.equal(s.steps, 6);
  assert.equal(s.stopReason, 'steps');
  for (const f of [
    'config.json',
    'model.safetensors',
    'optimizer.safetensors',
    'state.json',
    'best.safetensors',
    'log.jsonl',
  ])
    assert.ok(existsSync(join(whole, f)), f);
  const log = readFileSync(join(whole, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; step: number }); // prettier-ignore
  assert.deepEqual(
    log.filter((r) => r.type === 'eval').map((r) => r.step),
    [2, 4, 6],
  );
  assert.equal(JSON.parse(readFileSync(join(whole, 'state.json'), 'utf8')).baseline === null, false, 'the REINFORCE baseline is saved'); // prettier-ignore

  const parts = join(root, 'parts');
  trainCaption(base(parts, { steps: 3, expectedWarmup: 4 }), 'test');
  assert.throws(() => trainCaption(base(parts, { steps: 6 }), 'test'), /already holds a run: pass --resume/);
  assert.throws(() => trainCaption(base(parts, { steps: 6, resume: true, attention: 'soft' }), 'test'), /trains --attention hard, received --attention soft/); // prettier-ignore
  trainCaption(base(parts, { steps: 6, resume: true }), 'test');
  const [a, b] = [weightsOf(whole), weightsOf(parts)];
  assert.deepEqual(Object.keys(a), Object.keys(b));
  for (const k of Object.keys(a)) assert.deepEqual(Array.from(b[k].data), Array.from(a[k].data), k);

  // --force starts over: the old run's log lines and best weights do not survive into the new one
  trainCaption(base(whole, { steps: 2, force: true }), 'test');
  const again = readFileSync(join(whole, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; step: number }); // prettier-ignore
  assert.deepEqual(
    again.filter((r) => r.type !== 'step').map((r) => [r.type, r.step]),
    [
      ['eval', 2],
      ['stop', 2],
    ],
  );
});

test('--encoder-from starts the CNN from another run; --freeze-encoder keeps it fixed, also across a resume', () => {
  const src = join(root, 'enc-src');
  trainCaption(base(src, { attention: 'soft', steps: 2 }), 'test');
  const source = decodeSafetensors(readFileChecked(join(src, 'best.safetensors'))).tensors;
  const convKeys = Object.keys(source).filter((k) => k.startsWith('conv'));
  assert.equal(convKeys.length, 8); // conv1 … conv4, weight and bias
  const same = (w: Record<string, Tensor>, k: string) => Array.from(w[k].data).every((v, i) => v === source[k].data[i]);

  const init = join(root, 'enc-init');
  trainCaption(base(init, { steps: 0, encoderFrom: src }), 'test');
  for (const k of convKeys) assert.ok(same(weightsOf(init), k), `${k} is loaded`);

  const frozen = join(root, 'enc-frozen');
  trainCaption(base(frozen, { steps: 3, encoderFrom: src, freezeEncoder: true }), 'test');
  for (const k of convKeys) assert.ok(same(weightsOf(frozen), k), `${k} stays fixed`);
  assert.notDeepEqual(Array.from(weightsOf(frozen)['L_o.weight'].data), Array.from(weightsOf(init)['L_o.weight'].data), 'the decoder trains'); // prettier-ignore

  const trained = join(root, 'enc-trained');
  trainCaption(base(trained, { steps: 3, encoderFrom: src }), 'test');
  assert.ok(!same(weightsOf(trained), 'conv1.weight'), 'without --freeze-encoder the CNN trains on');

  // resumed without repeating the flags: the run keeps its frozen encoder and ends where one run does
  const parts = join(root, 'enc-parts');
  trainCaption(base(parts, { steps: 2, encoderFrom: src, freezeEncoder: true }), 'test');
  trainCaption(base(parts, { steps: 3, resume: true }), 'test');
  const [a, b] = [weightsOf(frozen), weightsOf(parts)];
  for (const k of Object.keys(a)) assert.deepEqual(Array.from(b[k].data), Array.from(a[k].data), k);

  const notCaption = join(root, 'not-caption.safetensors');
  writeFileSync(notCaption, encodeSafetensors({ 'encoder.weight': zeros([2, 2]) }));
  assert.throws(
    () => trainCaption(base(join(root, 'enc-bad'), { encoderFrom: notCaption }), 'test'),
    /--encoder-from .*not-caption\.safetensors: .* has no conv1\.weight, conv1\.bias.*expected a caption run/,
  );
});

test('--expected-warmup lowers the share of images on the expected location from 1 to --expected-prob', () => {
  assert.deepEqual(
    [0, 250, 500, 1000, 5000].map((step) => expectedShare(step, 1000, 0.5)),
    [1, 0.875, 0.75, 0.5, 0.5],
  );
  assert.equal(expectedShare(0, 0, 0.5), 0.5); // no warmup: the paper's share from the start
});

test('eval-caption scores test scenes; caption writes one overlay per word', () => {
  const run = join(root, 'soft');
  trainCaption(base(run, { attention: 'soft', steps: 2 }), 'test');
  const e = evalCaption(run, { scenes: 5, beam: 2, dataDir: data });
  assert.equal(e.scores.scenes, 5);
  assert.ok(e.scores.exactMatch >= 0 && e.scores.exactMatch <= 1);
  // measured over the words it gets right: none right after two steps means nothing to measure
  assert.equal(e.scores.attentionInBox === null, e.scores.wordsMeasured === 0);
  assert.ok(e.scores.wordAccuracy >= 0 && e.scores.wordAccuracy <= 1);
  assert.ok(existsSync(join(run, 'eval-caption.json')));

  const out = join(root, 'overlays');
  const r = captionImage(run, undefined, { outDir: out, beam: 1, testScene: 2, dataDir: data });
  assert.equal(r.image, join(out, 'scene.png'));
  const words = r.caption.split(' ').filter(Boolean);
  assert.equal(r.overlays.length, words.length);
  r.overlays.forEach((f, i) => {
    assert.ok(f.endsWith(`${String(i + 1).padStart(2, '0')}-${words[i]}.png`), f);
    const png = decodePng(readFileSync(f));
    assert.deepEqual([png.width, png.height], [128, 64]);
  });
  // the scene written as a PNG captions the same when given back as IMAGE
  assert.equal(captionImage(run, r.image, { outDir: join(root, 'again'), beam: 1 }).caption, r.caption);
  const small = join(root, 'small.png');
  writeFileSync(small, encodePng(new Uint8Array(4 * 4 * 4), 4, 4));
  assert.throws(() => captionImage(run, small, { outDir: out, beam: 1 }), /is 4×4; this run was trained on 128×64 scenes/); // prettier-ignore
  assert.throws(() => captionImage(run, undefined, { outDir: out, beam: 1 }), /give IMAGE\.png or --test-scene N/);
});

test('the commands parse their options; missing data names the Debian package', async () => {
  const program = new Command().exitOverride();
  program.command('train');
  registerCaptionCommands(program);
  const lines: string[] = [];
  const log = console.log;
  console.log = (s: string) => lines.push(s);
  try {
    const out = join(root, 'none');
    await program.parseAsync(['train', 'caption', '--attention', 'none', '--steps', '2', '--batch-size', '2', '--eval-every', '2', '--dev-scenes', '2', '--out', out, '--data-dir', data, '--json'], { from: 'user' }); // prettier-ignore
    const summary = JSON.parse(lines[0]) as { steps: number; attention: string; parameters: number };
    assert.equal(summary.steps, 2);
    assert.equal(summary.attention, 'none');
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as {
      train: { lr: number; batchSize: number };
    };
    assert.equal(config.train.lr, 2e-3);
    assert.equal(config.train.batchSize, 2);
  } finally {
    console.log = log;
  }
  const quiet = new Command().exitOverride().configureOutput({ writeErr: () => {} });
  registerCaptionCommands(quiet);
  await assert.rejects(quiet.parseAsync(['train', 'caption', '--attention', 'both'], { from: 'user' }), /argument 'both' is invalid/); // prettier-ignore
  assert.throws(
    () => trainCaption(base(join(root, 'x2'), { dataDir: join(root, 'nowhere') }), 'test'),
    /apt-get install dataset-fashion-mnist/,
  );
  assert.throws(
    () => trainCaption(base(join(root, 'x3'), { steps: undefined }), 'test'),
    /give --steps or --time-budget/,
  );
});
