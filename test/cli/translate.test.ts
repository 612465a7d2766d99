// `attend train translate` on a corpus in the Tatoeba/Anki format, then eval (BLEU) and translate.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { dateTask } from '../../src/data/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'attend-translate-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function attend(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('train translate on a TSV corpus (bad lines reported), then eval gives BLEU and translate answers', () => {
  // dates written many ways → ISO, one pair per line, attribution column included; one bad line
  const lines = dateTask({ n: 400, seed: 1 }).map((e) => `${e.source.join('')}\t${e.target.join('')}\tCC-BY synthetic`);
  lines.splice(7, 0, 'a line without a tab');
  const data = join(dir, 'dates.tsv');
  writeFileSync(data, lines.join('\n') + '\n');
  const run = join(dir, 'run');
  const common = [
    '--model',
    'luong',
    '--size',
    'small',
    '--tokenizer',
    'chars',
    '--batch-size',
    '32',
    '--dev-words',
    '10',
  ];
  const trained = attend('train', 'translate', '--data', data, ...common, '--max-steps', '4', '--out', run, '--json');
  assert.equal(trained.code, 0, trained.stderr);
  assert.equal((JSON.parse(trained.stdout) as { steps: number }).steps, 4);
  const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as {
    data: { pairs: number; badLines: number };
  };
  assert.deepEqual([config.data.pairs, config.data.badLines], [400, 1]);

  const evaluation = attend('eval', run, '--limit', '12', '--json');
  assert.equal(evaluation.code, 0, evaluation.stderr);
  const e = JSON.parse(evaluation.stdout) as { sentences: number; bleu: { score: number; bp: number } };
  assert.equal(e.sentences, 12);
  assert.ok(e.bleu.score >= 0 && e.bleu.score <= 100 && e.bleu.bp >= 0 && e.bleu.bp <= 1);

  const translated = attend('translate', run, '3 March 2021', '--beam', '2', '--json');
  assert.equal(translated.code, 0, translated.stderr);
  const [t] = JSON.parse(translated.stdout) as { source: string[]; text: string }[];
  assert.equal(t.source.join(''), '3 March 2021');
  assert.equal(typeof t.text, 'string');

  const missing = attend('train', 'translate', '--data', join(dir, 'none.tsv'), '--out', join(dir, 'x'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /none\.tsv/);
});
