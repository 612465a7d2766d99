// Architecture checks, read from the sources themselves:
// 1. imports only run one way: kernels ← tensor/ops ← nn/attention/io ← models ← train/cli/viz
// 2. only src/node/ and src/cli/ touch Node built-ins, so the core bundles for the browser unchanged
// 3. no focused or skipped tests are left in
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const LAYERS: Record<string, number> = {
  kernels: 0,
  tensor: 1,
  ops: 1,
  nn: 2,
  attention: 2,
  io: 2,
  data: 2,
  metrics: 2,
  models: 3,
  train: 4,
  viz: 4,
  cli: 5,
  node: 5,
};
const NODE_ALLOWED = new Set(['node', 'cli']);

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p, ext) : ext.test(name) ? [p] : [];
  });
}

function imports(source: string): string[] {
  const out: string[] = [];
  const re =
    /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;
  for (const m of source.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** The top-level folder under src/ of a path, or null for files directly in src/ (the index files). */
function layerOf(file: string): string | null {
  const parts = relative('src', file).split(/[\\/]/);
  return parts.length > 1 ? parts[0] : null;
}

const sources = files('src', /\.ts$/).filter((f) => !f.endsWith('.generated.ts'));

test('imports run one way through the layers', () => {
  const bad: string[] = [];
  for (const file of sources) {
    const from = layerOf(file);
    if (from === null) continue; // src/index*.ts name every export: they may import anything
    assert.ok(from in LAYERS, `${file}: folder src/${from} has no layer in test/meta/layers.test.ts`);
    for (const spec of imports(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = relative('.', resolve(dirname(file), spec));
      const to = layerOf(target);
      if (to === null) {
        bad.push(`${file} imports the package index ${spec}`);
        continue;
      }
      if (LAYERS[to] > LAYERS[from]) bad.push(`${file} (layer ${from}) imports ${spec} (layer ${to})`);
    }
  }
  assert.deepEqual(bad, []);
});

test('only src/node and src/cli import Node built-ins', () => {
  const bad: string[] = [];
  for (const file of sources) {
    const layer = layerOf(file);
    if (layer !== null && NODE_ALLOWED.has(layer)) continue;
    if (file === join('src', 'index.node.ts')) continue;
    for (const spec of imports(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('node:') || ['fs', 'path', 'os', 'worker_threads', 'child_process'].includes(spec)) {
        bad.push(`${file} imports ${spec}`);
      }
    }
  }
  assert.deepEqual(bad, []);
});

test('no focused or skipped tests', () => {
  const bad = files('test', /\.ts$/).filter((f) =>
    /\b(it|test|describe)\.(only|skip|todo)\(|\{\s*(only|skip|todo)\s*:\s*true/.test(readFileSync(f, 'utf8')),
  );
  assert.deepEqual(
    bad.filter((f) => !f.endsWith('layers.test.ts')),
    [],
  );
});
