// The page's classify and caption models (web/src/classify-model.ts, caption-model.ts) give what
// the CLI gives on the same run and input: `attend classify` (classifyMessage) and `attend
// caption --test-scene N` (the scenes of /api/scenes.json, captioned by the CLI's own loader).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { predictCaptions } from '../../src/index.js';
import { classifyMessage } from '../../src/cli/classify.js';
import { openCaptionRun, testScenes } from '../../src/cli/caption-run.js';
import { scenesJson } from '../../src/cli/serve-scenes.js';
import { classifyText, loadPageClassifier } from '../../web/src/classify-model.js';
import { captionScene, decodeScene, loadPageCaptioner, type ScenesJSON } from '../../web/src/caption-model.js';
import { makeTinyCaptionRun, makeTinyClassifyRun, writeTinyFashionMnist } from './tiny-task-runs.js';

const scratch: string[] = [];
after(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The bytes the server hands out: config.json and best.safetensors. */
function filesOf(dir: string): [unknown, Uint8Array] {
  return [JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), new Uint8Array(readFileSync(join(dir, 'best.safetensors')))]; // prettier-ignore
}

const MESSAGES = [
  'From: x@example.com\nSubject: =?utf-8?Q?free?=\nContent-Type: text/html\n\n<p>free money now</p>\n',
  'Subject: lunch\n\nmeeting notes attached, lunch at noon, see https://example.com/notes\n',
  'free money for the parser meeting!!!! write to win@example.com',
  'Subject: \n\n\n',
];

test('classify: the page gives the label, probability (1e-5), tokens, weights and top words of attend classify', () => {
  const dir = makeTinyClassifyRun('attention');
  scratch.push(dirname(dir));
  const page = loadPageClassifier(...filesOf(dir));
  const labels: string[] = [];
  for (const raw of MESSAGES) {
    const cli = classifyMessage(dir, raw);
    const r = classifyText(page, raw);
    labels.push(r.label);
    assert.equal(r.label, cli.label, raw);
    assert.ok(Math.abs(r.probability - cli.probability) < 1e-5, `${r.probability} vs ${cli.probability}`);
    assert.ok(Math.abs(r.spamProbability - cli.spamProbability) < 1e-5);
    assert.deepEqual(r.tokens, cli.tokens);
    assert.equal(r.weights!.length, cli.weights!.length);
    r.weights!.forEach((w, i) => assert.ok(Math.abs(w - cli.weights![i]) < 1e-5, `weight ${i}: ${w} vs ${cli.weights![i]}`)); // prettier-ignore
    assert.deepEqual(
      r.top.map((t) => [t.token, t.position]),
      cli.top.map((t) => [t.token, t.position]),
    );
    assert.equal(r.evidence, undefined);
  }
  // the run was trained: the offer is spam, the meeting ham (so the comparison is not of two coin flips)
  assert.deepEqual(labels.slice(0, 2), ['spam', 'ham']);
  // read as the corpus is read: subject first, HTML stripped, URLs and addresses as one token each, '!!!!' as one
  assert.deepEqual(classifyText(page, MESSAGES[0]).tokens, ['free', 'free', 'money', 'now']);
  assert.deepEqual(classifyText(page, MESSAGES[2]).tokens.slice(-4), ['!', 'write', 'to', '<email>']);
  // an empty reading is one <unk>, as the CLI
  assert.deepEqual(classifyText(page, MESSAGES[3]).tokens, ['<unk>']);
  assert.throws(() => classifyText(page, '  \n'), /message: expected some text, received an empty message/);
});

test('classify, bag-of-words: the same evidence (W_spam − W_ham) as attend classify', () => {
  const dir = makeTinyClassifyRun('bow');
  scratch.push(dirname(dir));
  const page = loadPageClassifier(...filesOf(dir));
  const raw = 'Subject: hi\n\nfree money, meeting notes\n';
  const cli = classifyMessage(dir, raw);
  const r = classifyText(page, raw);
  assert.equal(r.weights, null);
  assert.equal(r.label, cli.label);
  assert.ok(Math.abs(r.spamProbability - cli.spamProbability) < 1e-5);
  assert.deepEqual(
    r.evidence!.map((e) => e.token),
    cli.evidence!.map((e) => e.token),
  );
  r.evidence!.forEach((e, i) => assert.ok(Math.abs(e.spamMinusHam - cli.evidence![i].spamMinusHam) < 1e-6));
  assert.ok(r.evidence!.find((e) => e.token === 'free')!.spamMinusHam > 0);
});

test('classify: a config of another task or a bad tokenizer is a clear error', () => {
  assert.throws(() => loadPageClassifier({ task: 'g2p', model: {} }, new Uint8Array()), /expected task 'classify', received 'g2p'/); // prettier-ignore
  assert.throws(
    () => loadPageClassifier({ task: 'classify', model: { kind: 'bow', vocab: 5 }, vocab: { tokens: [] }, tokenizer: { maxTokens: 0 } }, new Uint8Array()), // prettier-ignore
    /tokenizer.maxTokens must be a positive integer, received 0/,
  );
});

test('caption: /api/scenes.json holds the test scenes of attend caption, and the page captions them as the CLI does', () => {
  const data = writeTinyFashionMnist();
  const dir = makeTinyCaptionRun(data);
  scratch.push(data, dirname(dir));
  const served = JSON.parse(scenesJson(data, 4).toString('utf8')) as ScenesJSON;
  const reference = testScenes(4, data);
  assert.equal(served.scenes.length, 4);
  const page = loadPageCaptioner(...filesOf(dir));
  const cli = openCaptionRun(dir);
  served.scenes.forEach((s, i) => {
    const scene = decodeScene(s, page);
    // the pixels survive base64 byte for byte; boxes and reference captions are the generator's
    assert.deepEqual(scene.pixels, reference[i].pixels);
    assert.deepEqual(scene.items, reference[i].items);
    assert.deepEqual(scene.caption, reference[i].caption);
    const r = captionScene(page, scene);
    const [want] = predictCaptions(cli.model, [reference[i]], cli.vocab, { beam: 1 });
    assert.deepEqual(r.words, want.words, `scene ${i}`);
    assert.deepEqual(r.grid, cli.grid);
    assert.equal(r.attention!.length, r.words.length);
    r.attention!.forEach((row, t) => {
      assert.equal(row.length, cli.grid[0] * cli.grid[1]);
      // soft attention: a softmax over the grid cells
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5, `scene ${i}, word ${t}`);
      row.forEach((w, c) => assert.ok(Math.abs(w - want.attention![t][c]) < 1e-6));
    });
  });
  assert.throws(
    () => decodeScene({ ...served.scenes[0], pixels: 'AAAA' }, page),
    new RegExp(`scene: expected ${served.scenes[0].width * served.scenes[0].height} pixels, received 3`),
  );
});
