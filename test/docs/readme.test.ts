// The README's TypeScript examples run, in order, against the sources (so the docs cannot rot).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

test('every ts code block in README.md runs', () => {
  const readme = readFileSync('README.md', 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length >= 2, 'README has ts examples');
  const index = resolve('src/index.ts');
  const source = blocks.join('\n').replaceAll(`from 'attend'`, `from ${JSON.stringify(index)}`);
  const dir = mkdtempSync(join(tmpdir(), 'attend-readme-'));
  try {
    const file = join(dir, 'readme.ts');
    writeFileSync(file, source);
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `README examples failed:\n${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
