import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CONTENT_SECURITY_POLICY,
  MAX_BODY_BYTES,
  startServer,
  type RunningServer,
} from '../../src/cli/serve-server.js';
import { serveRun } from '../../src/cli/serve.js';
import { allowedHosts, checkRequestPath, isAllowedHost } from '../../src/cli/serve-paths.js';
import { get, rawRequest } from './http.js';

// a secret beside the run and the web root: no request may ever return it
const SECRET = 'SECRET-7d1f';
let root: string;
let server: RunningServer;
let port: number;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'attend-serve-'));
  writeFileSync(join(root, 'secret.txt'), SECRET);
  const run = join(root, 'run');
  const web = join(root, 'web');
  mkdirSync(run);
  mkdirSync(join(web, 'assets'), { recursive: true });
  writeFileSync(join(run, 'config.json'), '{"task":"g2p"}\n');
  writeFileSync(join(run, 'best.safetensors'), Buffer.from([1, 2, 3, 250, 0, 7]));
  writeFileSync(join(run, 'log.jsonl'), '{"type":"step","step":1,"loss":2}\n');
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>page</title>');
  writeFileSync(join(web, 'assets', 'app-1.js'), 'console.log(1)');
  writeFileSync(join(web, '.hidden'), SECRET);
  server = await startServer({
    runDir: run,
    weights: join(run, 'best.safetensors'),
    webRoot: web,
    host: '127.0.0.1',
    port: 0,
  });
  port = server.port;
});

after(() => server.close());

test('serves the page, its assets and the run files under fixed routes, with their bytes and types', async () => {
  const page = await get(port, '/');
  assert.equal(page.status, 200);
  assert.equal(page.body, '<!doctype html><title>page</title>');
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal((await get(port, '/index.html')).body, page.body);
  const js = await get(port, '/assets/app-1.js');
  assert.deepEqual(
    [js.status, js.headers['content-type'], js.body],
    [200, 'text/javascript; charset=utf-8', 'console.log(1)'],
  );
  const config = await get(port, '/api/config.json');
  assert.deepEqual(
    [config.status, config.headers['content-type'], config.body],
    [200, 'application/json; charset=utf-8', '{"task":"g2p"}\n'],
  );
  const weights = await get(port, '/api/weights.safetensors');
  assert.equal(weights.headers['content-type'], 'application/octet-stream');
  assert.deepEqual([...Buffer.from(weights.body, 'latin1')], [1, 2, 3, 250, 0, 7]);
  assert.equal((await get(port, '/api/log.jsonl')).body, '{"type":"step","step":1,"loss":2}\n');
  // eval.json does not exist (yet): 404, and run.json, which the page asks first, leaves it out
  assert.equal((await get(port, '/api/eval.json')).status, 404);
  const files = async () => JSON.parse((await get(port, '/api/run.json')).body).files as string[];
  assert.deepEqual(await files(), ['log.jsonl']);
  writeFileSync(join(root, 'run', 'eval.json'), '{"scores":{}}');
  assert.equal((await get(port, '/api/eval.json')).body, '{"scores":{}}');
  writeFileSync(join(root, 'run', 'report.json'), '{"eval":{}}');
  assert.equal((await get(port, '/api/report.json')).body, '{"eval":{}}');
  assert.deepEqual(await files(), ['log.jsonl', 'eval.json', 'report.json'], 'run.json is made when asked for');
  assert.equal((await get(port, '/api/run.json')).headers['content-type'], 'application/json; charset=utf-8');
  // a query string does not change the route
  assert.equal((await get(port, '/api/config.json?v=2')).status, 200);
});

test('every answer carries nosniff, a CSP that allows WebAssembly but not eval, and no-referrer', async () => {
  for (const target of ['/', '/api/weights.safetensors', '/nope', '/../x']) {
    const r = await get(port, target);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', target);
    assert.equal(r.headers['content-security-policy'], CONTENT_SECURITY_POLICY, target);
    assert.equal(r.headers['referrer-policy'], 'no-referrer', target);
    assert.ok(r.headers['content-type'], target);
  }
  assert.match(CONTENT_SECURITY_POLICY, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /'unsafe-eval'|'unsafe-inline'/);
});

test('HEAD answers the headers of GET without a body', async () => {
  const r = await get(port, '/api/config.json', undefined, 'HEAD');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-length'], String('{"task":"g2p"}\n'.length));
  assert.equal(r.body, '');
});

test('path traversal is refused with 400 in every spelling, and never reveals the secret', async () => {
  const attempts = [
    '/../secret.txt',
    '/api/../../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E/secret.txt',
    '/.%2e/secret.txt',
    '/%2e%2e%2fsecret.txt',
    '/api%2fconfig.json',
    '/%252e%252e/secret.txt',
    '/%252e%252e%252fsecret.txt',
    '/..%5csecret.txt',
    '/..\\secret.txt',
    '/assets\\..\\..\\secret.txt',
    '//etc/passwd',
    '//' + join(root, 'secret.txt'),
    '/C:/Windows/win.ini',
    '/c:%5cwindows',
    '/%00',
    '/index.html%00.js',
    '/./index.html',
    '/%e0%a4%a',
    `http://127.0.0.1:${port}/../secret.txt`,
  ];
  for (const target of attempts) {
    const r = await get(port, target);
    assert.equal(r.status, 400, `${target} → ${r.status}`);
    assert.match(r.body, /^bad request: /, target); // refused by the server's check, not by Node's parser
    assert.ok(!r.body.includes(SECRET), target);
  }
  // an absolute file path that is not a route is simply not found
  const absolute = await get(port, join(root, 'secret.txt'));
  assert.equal(absolute.status, 404);
  assert.ok(!absolute.body.includes(SECRET));
});

test('no directory listings, no dotfiles, no unknown routes: 404', async () => {
  for (const target of [
    '/assets',
    '/assets/',
    '/api',
    '/api/',
    '/.hidden',
    '/run/config.json',
    '/secret.txt',
    '/api/model.safetensors',
  ]) {
    const r = await get(port, target);
    assert.equal(r.status, 404, target);
    assert.ok(!r.body.includes('app-1.js') && !r.body.includes(SECRET), target);
  }
});

test('the Host header is checked against DNS rebinding: loopback names and the bound host, with the port', async () => {
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`])
    assert.equal((await get(port, '/', host)).status, 200, host);
  for (const host of [
    `evil.example:${port}`,
    'localhost',
    `localhost:${port + 1}`,
    `127.0.0.1.evil.example:${port}`,
    `localhost:${port}@evil`,
    '',
  ])
    assert.equal((await get(port, '/', host)).status, 403, host);
  const noHost = await rawRequest(port, 'GET / HTTP/1.0\r\n\r\n');
  assert.equal(noHost.status, 403);
});

test('request bodies over the limit get 413, declared or chunked', async () => {
  const big = 'x'.repeat(MAX_BODY_BYTES + 1);
  const declared = await rawRequest(
    port,
    `POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: ${big.length}\r\n\r\n${big}`,
  );
  assert.equal(declared.status, 413);
  const huge = await rawRequest(port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 100000000\r\n\r\n`);
  assert.equal(huge.status, 413);
  const chunked = await rawRequest(
    port,
    `POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nTransfer-Encoding: chunked\r\n\r\n` +
      `${(600).toString(16)}\r\n${'y'.repeat(600)}\r\n${(600).toString(16)}\r\n${'y'.repeat(600)}\r\n0\r\n\r\n`,
  );
  assert.equal(chunked.status, 413);
  // at the limit the body is read and ignored: the method decides
  const small = await rawRequest(
    port,
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc`,
  );
  assert.equal(small.status, 200);
});

test('only GET and HEAD: anything else is 405 with Allow', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    const r = await rawRequest(
      port,
      `${method} /api/config.json HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}`,
    );
    assert.equal(r.status, 405, method);
    assert.equal(r.headers['allow'], 'GET, HEAD');
  }
});

test('checkRequestPath: the decoded path of plain requests, reasons for the refused ones', () => {
  assert.deepEqual(checkRequestPath('/assets/index-a1.js?x=1'), { ok: true, path: '/assets/index-a1.js' });
  assert.deepEqual(checkRequestPath('/a%20b'), { ok: true, path: '/a b' });
  assert.deepEqual(checkRequestPath('/%2e%2e/x'), { ok: false, reason: 'dot segments are refused' });
  assert.deepEqual(checkRequestPath('/%252e%252e/x'), { ok: false, reason: 'double percent-encoding is refused' });
  assert.deepEqual(checkRequestPath('/a%2fb'), { ok: false, reason: 'encoded separators and backslashes are refused' });
  assert.equal(checkRequestPath('*').ok, false);
});

test('allowedHosts: IPv6 bound hosts get their brackets', () => {
  const allowed = allowedHosts('::1', 8123);
  assert.ok(isAllowedHost('[::1]:8123', allowed));
  assert.ok(!isAllowedHost('::1:8123', allowed));
  assert.ok(isAllowedHost('192.168.1.5:80', allowedHosts('192.168.1.5', 80)));
  assert.ok(!isAllowedHost(undefined, allowed));
});

test('a web root without index.html is a clear error at start', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'attend-serve-empty-'));
  await assert.rejects(
    startServer({ runDir: empty, weights: join(empty, 'w.safetensors'), webRoot: empty, host: '127.0.0.1', port: 0 }),
    /the page is not built: .*index\.html is missing \(run npm run build/,
  );
});

test('attend serve: a host other than loopback prints a warning and is accepted as Host; a run of a task the page does not show is refused', async () => {
  const run = join(root, 'run');
  writeFileSync(join(run, 'config.json'), JSON.stringify({ task: 'g2p', model: { kind: 'transformer' } }));
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (m: string) => warnings.push(m);
  let s: RunningServer;
  try {
    // 127.0.0.2 is loopback on Linux, yet not one of the names serve treats as local
    s = await serveRun(run, { host: '127.0.0.2', port: 0, webRoot: join(root, 'web') });
  } finally {
    console.warn = warn;
  }
  try {
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /--host 127\.0\.0\.2 makes the page and the run's weights reachable from other machines/);
    assert.equal(s.url, `http://127.0.0.2:${s.port}/`);
    assert.equal((await get(s.port, '/', `127.0.0.2:${s.port}`, 'GET', '127.0.0.2')).status, 200);
    assert.equal((await get(s.port, '/', `evil.example:${s.port}`, 'GET', '127.0.0.2')).status, 403);
  } finally {
    await s.close();
  }
  // a port in use: the message says what to do
  await assert.rejects(
    serveRun(run, { host: '127.0.0.1', port, webRoot: join(root, 'web') }),
    new RegExp(`serve: port ${port} on 127\\.0\\.0\\.1 is in use: pick another with --port N \\(0 = any free port\\)`),
  );
  // a checkpoint file instead of a run: its bytes are the weights the page gets
  writeFileSync(join(run, 'step-10.safetensors'), Buffer.from([9, 8, 7]));
  const checkpoint = await serveRun(join(run, 'step-10.safetensors'), {
    host: '127.0.0.1',
    port: 0,
    webRoot: join(root, 'web'),
  });
  try {
    assert.deepEqual(
      [...Buffer.from((await get(checkpoint.port, '/api/weights.safetensors')).body, 'latin1')],
      [9, 8, 7],
    );
  } finally {
    await checkpoint.close();
  }
  writeFileSync(join(run, 'config.json'), JSON.stringify({ task: 'translate', model: { kind: 'transformer' } }));
  await assert.rejects(
    serveRun(run, { host: '127.0.0.1', port: 0 }),
    /the page shows g2p, classify, caption runs; .* is a translate run/,
  );
  writeFileSync(join(run, 'config.json'), '{"task":"g2p"}\n');
});
