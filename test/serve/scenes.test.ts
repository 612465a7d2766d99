// A caption run's test scenes: made once when `attend serve` starts, served from memory under
// the fixed route /api/scenes.json with the same headers as every file; no Fashion-MNIST says
// how to install it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveRun } from '../../src/cli/serve.js';
import { CONTENT_SECURITY_POLICY, routeTable } from '../../src/cli/serve-server.js';
import { get } from './http.js';
import { writeTinyFashionMnist } from './tiny-task-runs.js';

const root = mkdtempSync(join(tmpdir(), 'attend-serve-scenes-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A caption run directory as far as serve reads it (config.json and weights), and a built page. */
function fakeCaptionRun(): { run: string; web: string } {
  const run = join(root, 'run');
  const web = join(root, 'web');
  mkdirSync(run, { recursive: true });
  mkdirSync(web, { recursive: true });
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>t</title>\n');
  writeFileSync(join(run, 'config.json'), JSON.stringify({ task: 'caption', model: { kind: 'captioner' } }));
  writeFileSync(join(run, 'best.safetensors'), 'weights');
  return { run, web };
}

test('a caption run: /api/scenes.json holds 8 test scenes, made at start, with the usual headers', async () => {
  const data = writeTinyFashionMnist();
  const { run, web } = fakeCaptionRun();
  const s = await serveRun(run, { host: '127.0.0.1', port: 0, webRoot: web, dataDir: data });
  try {
    const r = await get(s.port, '/api/scenes.json');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(r.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
    assert.equal(r.headers['content-length'], String(Buffer.byteLength(r.body, 'latin1'))); // rawRequest reads bytes as latin1
    const body = JSON.parse(r.body) as { scenes: { pixels: string; width: number; height: number; caption: string[] }[] }; // prettier-ignore
    assert.equal(body.scenes.length, 8);
    for (const scene of body.scenes) {
      assert.equal(Buffer.from(scene.pixels, 'base64').length, scene.width * scene.height);
      assert.ok(scene.caption.length >= 2 && scene.caption.length <= 4, scene.caption.join(' '));
    }
    assert.equal((await get(s.port, '/api/scenes.json', `127.0.0.1:${s.port}`, 'HEAD')).body, '');
    assert.equal((await get(s.port, '/api/scenes.json', 'evil.example:80')).status, 403);
  } finally {
    await s.close();
  }
  rmSync(data, { recursive: true, force: true });
  await assert.rejects(
    serveRun(run, { host: '127.0.0.1', port: 0, webRoot: web, dataDir: data }),
    /apt-get install dataset-fashion-mnist/,
  );
});

test('generated routes live under /api/ and never replace a fixed one', () => {
  const { run, web } = fakeCaptionRun();
  const base = { runDir: run, weights: join(run, 'best.safetensors'), webRoot: web };
  assert.throws(() => routeTable({ ...base, generated: new Map([['/index.html', Buffer.from('x')]]) }), /cannot add the route \/index.html/); // prettier-ignore
  assert.throws(() => routeTable({ ...base, generated: new Map([['/api/config.json', Buffer.from('x')]]) }), /cannot add the route \/api\/config.json/); // prettier-ignore
  assert.equal(routeTable({ ...base, generated: new Map([['/api/scenes.json', Buffer.from('x')]]) }).get('/api/scenes.json')!.toString(), 'x'); // prettier-ignore
});
