/**
 * The page in a real browser: Debian's chromium driven by playwright-core. Builds the page with
 * Vite (into a temporary directory, so the test checks the current source), serves a tiny
 * trained run on port 0, types words, and checks the phonemes against the CLI's prediction and
 * the heatmap's size against the tokens. Saves test-artifacts/serve-page.png.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { predictSequences } from '../../src/index.js';
import { openRun } from '../../src/cli/run-dir.js';
import { startServer, type RunningServer } from '../../src/cli/serve-server.js';
import { type TestBrowser, openTestBrowser } from './chromium.js';
import { makeTinyRun } from './tiny-run.js';

let server: RunningServer;
let browser: TestBrowser;
let page: Page;
let runDir: string;
let webRoot: string;
let problems: string[];
const scratch: string[] = [];

before(async () => {
  browser = await openTestBrowser();
  ({ page, webRoot, problems } = browser);
  runDir = makeTinyRun('transformer', 60);
  scratch.push(runDir);
  server = await startServer({
    runDir,
    weights: join(runDir, 'best.safetensors'),
    webRoot,
    host: '127.0.0.1',
    port: 0,
  });
  await page.goto(server.url);
});

after(async () => {
  await browser?.close();
  await server?.close();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

async function pronounceIn(word: string) {
  await page.fill('#word', word);
  await page.press('#word', 'Enter');
  await page.waitForFunction((w) => document.getElementById('letters')?.textContent === w, word);
  const phonemes = (await page.textContent('#phonemes'))!.split(' ');
  const cells = await page.$$eval('#heatmap rect[data-row][data-col]', (rects) =>
    rects.map((r) => [Number(r.getAttribute('data-row')), Number(r.getAttribute('data-col'))]),
  );
  return { phonemes, cells };
}

test('the page loads the run in the browser, predicts what the CLI predicts, and draws a heatmap of tokens × letters', async () => {
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
  const cli = openRun(runDir);
  for (const word of ['tacb', 'attack']) {
    const { phonemes, cells } = await pronounceIn(word);
    const [reference] = predictSequences(cli.model, [[...word]], cli.srcVocab, cli.tgtVocab, { beam: 1 });
    assert.deepEqual(phonemes, reference.tokens, word);
    assert.equal(cells.length, phonemes.length * word.length, `${word}: one cell per phoneme and letter`);
    assert.equal(Math.max(...cells.map(([r]) => r)) + 1, phonemes.length);
    assert.equal(Math.max(...cells.map(([, c]) => c)) + 1, word.length);
  }
  assert.deepEqual(await page.textContent('#phonemes'), 'AH0 T AE1 K');
  // layers and heads of the Transformer to pick from (mean + each head)
  assert.equal(await page.$$eval('#layer option', (o) => o.length), 2);
  assert.equal(await page.$$eval('#head option', (o) => o.length), 3);
  await page.selectOption('#head', '1');
  assert.equal(await page.$$eval('#heatmap rect[data-row][data-col]', (r) => r.length), 4 * 6);
  // hovering a phoneme reads out its weights on the letters
  await page.hover('#heatmap rect[data-row="2"][data-col="3"]');
  assert.match((await page.textContent('#readout'))!, /^AE1 ← /);
  // the training curves and the WER-by-length chart were drawn from log.jsonl and eval.json
  await page.waitForSelector('#loss-chart svg path');
  await page.waitForSelector('#dev-chart svg');
  await page.waitForSelector('#length-chart svg rect', { state: 'attached' }); // zero-height bars when WER is 0
  mkdirSync('test-artifacts', { recursive: true });
  await page.screenshot({ path: 'test-artifacts/serve-page.png', fullPage: true });
  assert.deepEqual(problems, []);
});

test('local attention shows its windows; the plain seq2seq model says it has no attention', async () => {
  for (const kind of ['luong', 'seq2seq'] as const) {
    const dir = makeTinyRun(kind, 30);
    scratch.push(dir);
    if (kind === 'seq2seq') {
      // as `npm start` leaves a run: scored into report.json, no eval.json (and no 404 asking for it)
      const scored = JSON.parse(readFileSync(join(dir, 'eval.json'), 'utf8'));
      writeFileSync(join(dir, 'report.json'), JSON.stringify({ eval: scored }));
      rmSync(join(dir, 'eval.json'));
    }
    const s = await startServer({
      runDir: dir,
      weights: join(dir, 'best.safetensors'),
      webRoot,
      host: '127.0.0.1',
      port: 0,
    });
    try {
      await page.goto(s.url);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
      const { phonemes, cells } = await pronounceIn('attack');
      const cli = openRun(dir);
      const [reference] = predictSequences(cli.model, [[...'attack']], cli.srcVocab, cli.tgtVocab, { beam: 1 });
      assert.deepEqual(phonemes.join(' '), reference.tokens.join(' ') || '(nothing: the model ended at once)', kind);
      if (kind === 'luong') {
        assert.equal(cells.length, reference.tokens.length * 6);
        // local-m, D = 1: the window of phoneme t covers letters t-1..t+1 (cut at the word's ends)
        const windows = await page.$$eval('#heatmap rect.window', (r) =>
          r.map((w) => [Number(w.getAttribute('data-first')), Number(w.getAttribute('data-last'))]),
        );
        assert.deepEqual(
          windows,
          reference.tokens.map((_, t) => [Math.max(0, t - 1), Math.min(5, t + 1)]),
        );
        assert.match((await page.textContent('#map-note'))!, /Local attention \(local-m, D = 1/);
      } else {
        assert.equal(cells.length, 0);
        assert.match((await page.textContent('#map-note'))!, /This model has no attention/);
        assert.equal(await page.isHidden('#map-controls'), true);
        await page.waitForFunction(() =>
          document.getElementById('length-caption')?.textContent?.includes('report.json'),
        );
      }
    } finally {
      await s.close();
    }
  }
  assert.deepEqual(problems, []);
});
