import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { predictSequences } from '../../src/index.js';
import { openRun } from '../../src/cli/run-dir.js';
import { MAX_WORD_LETTERS, lettersOf, loadPageModel, pronounce } from '../../web/src/model.js';
import { makeTinyRun } from './tiny-run.js';

/** The page's model, loaded as the worker loads it: from the bytes the server hands out. */
function pageModelOf(dir: string) {
  const config: unknown = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  return loadPageModel(config, new Uint8Array(readFileSync(join(dir, 'best.safetensors'))));
}

test('Transformer: the page predicts what the CLI predicts, and its per-layer, per-head maps agree with decoding', () => {
  const dir = makeTinyRun('transformer', 60);
  const page = pageModelOf(dir);
  const cli = openRun(dir); // the CLI's own loading path (attend predict)
  // trained words come out right (the run is trained, not noise), unseen ones agree with the CLI
  assert.deepEqual(pronounce(page, 'cat').phonemes, ['K', 'AE1', 'T']);
  assert.deepEqual(pronounce(page, 'Attack').phonemes, ['AH0', 'T', 'AE1', 'K']);
  for (const word of ['cat', 'attack', 'tacback', 'bca']) {
    const r = pronounce(page, word);
    const [reference] = predictSequences(cli.model, [[...word]], cli.srcVocab, cli.tgtVocab, { beam: 1 });
    assert.deepEqual(r.phonemes, reference.tokens, word);
    const maps = r.maps!;
    assert.deepEqual([maps.layers, maps.heads], [2, 2]);
    for (const layer of maps.weights)
      for (const head of layer) {
        assert.equal(head.length, r.phonemes.length);
        for (const row of head) {
          assert.equal(row.length, word.length);
          // a softmax over the letters: sums to 1
          assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5, `${word}: row sums to ${row}`);
        }
      }
    // the teacher-forced pass reproduces decoding: last layer, mean of heads = what predict drew
    const last = maps.weights[1];
    reference
      .attention!.slice(0, r.phonemes.length)
      .forEach((row, t) =>
        row.forEach((w, s) =>
          assert.ok(Math.abs((last[0][t][s] + last[1][t][s]) / 2 - w) < 1e-5, `${word} [${t}, ${s}]`),
        ),
      );
    assert.deepEqual(maps.averaged, reference.attention!.slice(0, r.phonemes.length));
  }
});

test('Bahdanau and local Luong: one map, the one decoding returns; seq2seq: no map', () => {
  for (const kind of ['bahdanau', 'luong'] as const) {
    const dir = makeTinyRun(kind, 5);
    const cli = openRun(dir);
    const r = pronounce(pageModelOf(dir), 'tack');
    const [reference] = predictSequences(cli.model, [[...'tack']], cli.srcVocab, cli.tgtVocab, { beam: 1 });
    assert.deepEqual(r.phonemes, reference.tokens, kind);
    assert.deepEqual([r.maps!.layers, r.maps!.heads], [1, 1], kind);
    assert.deepEqual(r.maps!.weights[0][0], reference.attention!.slice(0, r.phonemes.length), kind);
    if (kind === 'luong') {
      // local-m with D = 1: the phoneme at step t sees letters t-1..t+1 only, the rest weigh exactly 0
      r.maps!.averaged.forEach((row, t) =>
        row.forEach((w, s) => Math.abs(s - t) > 1 && assert.equal(w, 0, `[${t}, ${s}]`)),
      );
    }
  }
  const plain = pronounce(pageModelOf(makeTinyRun('seq2seq', 2)), 'cat');
  assert.equal(plain.maps, null);
});

test('bad words and bad configs are clear errors', () => {
  assert.throws(() => lettersOf('   '), /word: expected at least one letter, received an empty word/);
  assert.throws(() => lettersOf('a'.repeat(MAX_WORD_LETTERS + 1)), /word: expected at most 24 letters, received 25/);
  assert.deepEqual(lettersOf(' Cab '), ['c', 'a', 'b']);
  assert.throws(
    () => loadPageModel({ task: 'translate', model: { kind: 'transformer' } }, new Uint8Array()),
    /task must be 'g2p', received 'translate'/,
  );
  assert.throws(() => loadPageModel(null, new Uint8Array()), /expected a run config with a model spec, received null/);
  const dir = makeTinyRun('seq2seq', 0);
  const config: unknown = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.throws(() => loadPageModel(config, new Uint8Array([1, 2, 3])), /safetensors/i);
  // unknown letters are reported (and read as <unk>)
  const r = pronounce(pageModelOf(dir), 'cz');
  assert.deepEqual(r.unknownLetters, ['z']);
});
