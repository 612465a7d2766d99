/**
 * The classify and caption views in a real browser (Debian's chromium, playwright-core): builds
 * the page with Vite into a temporary directory, serves tiny runs made here with `serveRun` (so
 * a caption run's /api/scenes.json is made as `attend serve` makes it), and checks what the page
 * shows against the CLI. Saves test-artifacts/serve-classify.png and serve-caption.png.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Page } from 'playwright-core';
import { predictCaptions } from '../../src/index.js';
import { classifyMessage } from '../../src/cli/classify.js';
import { evalCaption, openCaptionRun, testScenes } from '../../src/cli/caption-run.js';
import { serveRun } from '../../src/cli/serve.js';
import { type TestBrowser, openTestBrowser } from './chromium.js';
import { makeTinyCaptionRun, makeTinyClassifyRun, writeTinyFashionMnist } from './tiny-task-runs.js';

let browser: TestBrowser;
let page: Page;
let webRoot: string;
let problems: string[];
const scratch: string[] = [];

before(async () => {
  browser = await openTestBrowser();
  ({ page, webRoot, problems } = browser);
});

after(async () => {
  await browser?.close();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

const OFFER =
  'From: x@example.com\nSubject: free money\nContent-Type: text/html\n\n<p>claim your free prize money now</p>\n';

test('classify: paste a message, see the label, its probability and as many shaded tokens as attend classify reads', async () => {
  const dir = makeTinyClassifyRun('attention');
  scratch.push(dirname(dir));
  const s = await serveRun(dir, { host: '127.0.0.1', port: 0, webRoot });
  try {
    await page.goto(s.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
    assert.equal(await page.isVisible('#classify-page'), true);
    assert.equal(await page.isHidden('#g2p-page'), true);
    for (const raw of [OFFER, 'meeting notes attached, lunch at noon']) {
      const cli = classifyMessage(dir, raw);
      await page.fill('#message', raw);
      await page.click('#classify');
      await page.waitForFunction((n) => document.querySelectorAll('#tokens span[data-weight]').length === n, cli.tokens.length); // prettier-ignore
      assert.equal(await page.textContent('#label'), cli.label);
      assert.match(
        (await page.textContent('#probability'))!,
        new RegExp(`^probability ${cli.probability.toFixed(3)} `),
      );
      const shown = await page.$$eval(
        '#tokens span[data-weight]',
        (spans) =>
        spans.map((e) => ({ token: e.textContent, weight: Number(e.getAttribute('data-weight')), bg: (e as HTMLElement).style.backgroundColor })), // prettier-ignore
      );
      assert.deepEqual(shown.map((t) => t.token), cli.tokens); // prettier-ignore
      shown.forEach((t, i) => assert.ok(Math.abs(t.weight - cli.weights![i]) < 1e-5));
      // the most attended token is painted with the top of the colour scale (magma at 1: #fcfdbf)
      const top = shown.reduce((a, b) => (b.weight > a.weight ? b : a));
      assert.equal(top.bg, 'rgb(252, 253, 191)');
      assert.equal(await page.$$eval('#top-words li', (l) => l.length), Math.min(10, cli.tokens.length));
    }
    // hovering a token reads out its weight
    await page.hover('#tokens span[data-position="0"]');
    assert.match((await page.textContent('#token-readout'))!, /^meeting · token 1 · attention 0\.\d{4}$/);
    // the training curves and the test scores, from log.jsonl and eval.json
    await page.waitForSelector('#classify-loss-chart svg path');
    await page.waitForSelector('#classify-dev-chart svg path');
    await page.waitForSelector('#test-scores table');
    assert.match((await page.textContent('#test-scores'))!, /accuracy\d+\.\d %/);
    await page.fill('#message', OFFER);
    await page.click('#classify');
    await page.waitForFunction(() => document.getElementById('label')?.textContent === 'spam');
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/serve-classify.png', fullPage: true });
  } finally {
    await s.close();
  }
  assert.deepEqual(problems, []);
});

test('classify, bag-of-words: no shading, the words that weighed most instead, as attend classify lists them', async () => {
  const dir = makeTinyClassifyRun('bow');
  scratch.push(dirname(dir));
  const s = await serveRun(dir, { host: '127.0.0.1', port: 0, webRoot });
  try {
    await page.goto(s.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
    const raw = 'Subject: hi\n\nfree money, meeting notes\n';
    const cli = classifyMessage(dir, raw);
    await page.fill('#message', raw);
    await page.click('#classify');
    await page.waitForFunction((n) => document.querySelectorAll('#top-words li').length === n, cli.evidence!.length);
    assert.equal(await page.$$eval('#tokens span[data-weight]', (t) => t.length), 0);
    assert.equal(await page.$$eval('#tokens span.token', (t) => t.length), cli.tokens.length);
    assert.deepEqual(
      await page.$$eval('#top-words li', (l) => l.map((e) => e.textContent)),
      cli.evidence!.map((e) => `${e.spamMinusHam >= 0 ? '+' : '−'}${Math.abs(e.spamMinusHam).toFixed(3)}  ${e.token}`),
    );
    assert.match((await page.textContent('#reading-note'))!, /A bag-of-words model has no attention/);
  } finally {
    await s.close();
  }
  assert.deepEqual(problems, []);
});

test('caption: pick a scene, see the CLI caption, one overlay per word, and the reference', async () => {
  const data = writeTinyFashionMnist();
  const dir = makeTinyCaptionRun(data);
  scratch.push(data, dirname(dir));
  const scores = evalCaption(dir, { scenes: 8, beam: 1, dataDir: data }).scores; // eval-caption.json
  const s = await serveRun(dir, { host: '127.0.0.1', port: 0, webRoot, dataDir: data });
  const cli = openCaptionRun(dir);
  const scenes = testScenes(8, data);
  try {
    await page.goto(s.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
    assert.equal(await page.$$eval('#scene option', (o) => o.length), 8);
    for (const i of [3, 0]) {
      const [want] = predictCaptions(cli.model, [scenes[i]], cli.vocab, { beam: 1 });
      await page.selectOption('#scene', String(i));
      await page.waitForFunction((ref) => document.getElementById('reference')?.textContent === ref, scenes[i].caption.join(' ')); // prettier-ignore
      const words = await page.$$eval('#caption-words span[data-word]', (w) => w.map((e) => e.textContent));
      assert.ok(want.words.length > 0, 'the tiny run says something (8 words: it never learnt to stop)');
      assert.deepEqual(words, want.words, `scene ${i}`);
      assert.equal(await page.$$eval('#word-maps canvas', (c) => c.length), want.words.length);
    }
    // the large view: the scene at 4× and, on hover, that word's map with its figure marked
    assert.deepEqual(
      await page.$eval('#scene-canvas', (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]),
      [scenes[0].width * 4, scenes[0].height * 4],
    );
    await page.hover('#word-maps figure[data-word="0"]');
    assert.equal(await page.$$eval('#word-maps figure.active', (f) => f.map((e) => e.getAttribute('data-word'))).then((a) => a.join()), '0'); // prettier-ignore
    // 6 steps: evaluations at 2, 4, 6 make the dev curve; the loss is logged every 10 steps, so none yet
    await page.waitForSelector('#caption-dev-chart svg path', { state: 'attached' }); // flat at 0: zero height
    assert.equal(await page.textContent('#caption-loss-chart'), 'no training steps logged yet');
    await page.waitForSelector('#caption-scores table');
    assert.match((await page.textContent('#caption-scores'))!, new RegExp(`BLEU-4${scores.bleu.toFixed(2)}`));
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/serve-caption.png', fullPage: true });
  } finally {
    await s.close();
  }
  assert.deepEqual(problems, []);
});

test('caption, hard attention: the large view outlines the cell each word took (the argmax of α)', async () => {
  const data = writeTinyFashionMnist();
  const dir = makeTinyCaptionRun(data, 4, 'hard');
  scratch.push(data, dirname(dir));
  evalCaption(dir, { scenes: 2, beam: 1, dataDir: data }); // eval-caption.json, which the page reads
  const s = await serveRun(dir, { host: '127.0.0.1', port: 0, webRoot, dataDir: data });
  const cli = openCaptionRun(dir);
  const [want] = predictCaptions(cli.model, testScenes(1, data), cli.vocab, { beam: 1 });
  try {
    await page.goto(s.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
    await page.waitForSelector('#word-maps figure[data-word="1"]');
    assert.match((await page.textContent('#caption-note'))!, /hard attention takes one cell per word/);
    for (const t of [0, 1]) {
      const alpha = want.attention![t];
      await page.hover(`#word-maps figure[data-word="${t}"]`);
      const chosen = await page.$eval('#scene-canvas', (c) => (c as HTMLCanvasElement).dataset.chosenCell);
      assert.equal(Number(chosen), alpha.indexOf(Math.max(...alpha)), `word ${t}`);
    }
  } finally {
    await s.close();
  }
  assert.deepEqual(problems, []);
});
