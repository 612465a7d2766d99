/**
 * The HTTP server of `attend serve`: the built page (dist/web), the files of one run and, for a
 * caption run, its test scenes made at start, under fixed routes. Nothing else is reachable: the route table is made at start, and a request path
 * is looked up in it, never joined onto a directory.
 *
 * Checks, in order: Host header (DNS rebinding) → 403; body larger than MAX_BODY_BYTES → 413;
 * method other than GET/HEAD → 405; traversal spellings → 400; unknown route → 404.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { allowedHosts, checkRequestPath, hostForHeader, isAllowedHost } from './serve-paths.js';

/** The page sends no bodies; a kilobyte is generous. */
export const MAX_BODY_BYTES = 1024;
/** Largest file served (weights included). */
export const MAX_FILE_BYTES = 512 * 1024 * 1024;
/** At most this many files from the web root (a misconfigured root fails loudly, not slowly). */
const MAX_WEB_FILES = 500;

/**
 * 'self' everywhere; 'wasm-unsafe-eval' lets the page compile the WebAssembly kernels (and
 * nothing else: no eval). Styles and scripts come from files, never inline.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  // cross-origin isolation: the page gets SharedArrayBuffer, so the kernels may use relaxed SIMD
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/jsonl; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.safetensors': 'application/octet-stream',
};

export interface ServeOptions {
  /** The run directory (config.json, log.jsonl, eval.json). */
  runDir: string;
  /** The weights file the page loads (best.safetensors, model.safetensors or a given checkpoint). */
  weights: string;
  /** The built front end (dist/web). */
  webRoot: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Answers made at start and held in memory (a caption run's /api/scenes.json), by route. */
  generated?: ReadonlyMap<string, Buffer>;
}

export interface RunningServer {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A route's answer: a file path (read when asked for), bytes made at start, or bytes made when asked for. */
export type Route = string | Buffer | (() => Buffer);

/** The run's files the page may show and the run may lack (training or scoring writes them later). */
export const OPTIONAL_RUN_FILES = ['log.jsonl', 'eval.json', 'report.json', 'eval-caption.json'] as const;

/**
 * Route → file. The run's files are looked up when asked for (training may still be writing
 * log.jsonl, and eval.json may appear later); a missing one is a 404.
 */
export function routeTable(o: Pick<ServeOptions, 'runDir' | 'weights' | 'webRoot' | 'generated'>): Map<string, Route> {
  const index = join(o.webRoot, 'index.html');
  if (!existsSync(index))
    throw new Error(`serve: the page is not built: ${index} is missing (run npm run build in the attend checkout)`);
  const routes = new Map<string, Route>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.')) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        if (routes.size >= MAX_WEB_FILES) throw new Error(`serve: ${o.webRoot} holds more than ${MAX_WEB_FILES} files`);
        routes.set('/' + relative(o.webRoot, path).split(sep).join('/'), path);
      }
    }
  };
  walk(o.webRoot);
  routes.set('/', index);
  routes.set('/api/config.json', join(o.runDir, 'config.json'));
  routes.set('/api/weights.safetensors', o.weights);
  routes.set('/api/log.jsonl', join(o.runDir, 'log.jsonl'));
  routes.set('/api/eval.json', join(o.runDir, 'eval.json'));
  // `attend start` scores its run into report.json (eval.json is written by `attend eval`)
  routes.set('/api/report.json', join(o.runDir, 'report.json'));
  // `attend eval-caption` scores a caption run into eval-caption.json
  routes.set('/api/eval-caption.json', join(o.runDir, 'eval-caption.json'));
  // Which of those the run has now: the page asks first, as a 404 would show in the console as an error.
  routes.set('/api/run.json', () =>
    Buffer.from(JSON.stringify({ files: OPTIONAL_RUN_FILES.filter((f) => existsSync(join(o.runDir, f))) })),
  );
  for (const [route, body] of o.generated ?? []) {
    if (!route.startsWith('/api/') || routes.has(route)) throw new Error(`serve: cannot add the route ${route}`);
    routes.set(route, body);
  }
  return routes;
}

function send(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  const body = Buffer.from(text + '\n');
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(body.length),
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** Reads the file whole from one open descriptor (so its size and its bytes agree), or null if missing. */
async function readServed(path: string): Promise<Buffer | null> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return null;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return null;
    if (stat.size > MAX_FILE_BYTES) throw new Error(`${path} is ${stat.size} bytes, more than ${MAX_FILE_BYTES}`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** 413, then drop the connection once the answer is flushed (not before: the client should read why). */
function refuseBody(req: IncomingMessage, res: ServerResponse): void {
  res.on('finish', () => req.destroy());
  send(res, 413, `payload too large: at most ${MAX_BODY_BYTES} bytes`, { Connection: 'close' });
}

export function createServeHandler(routes: ReadonlyMap<string, Route>, allowed: () => ReadonlySet<string>) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (!isAllowedHost(req.headers.host, allowed())) return send(res, 403, 'forbidden: Host header not allowed');
    const declared = Number(req.headers['content-length'] ?? 0);
    if (!(declared <= MAX_BODY_BYTES)) {
      return refuseBody(req, res);
    }
    // chunked bodies have no length up front: count them as they come
    let received = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > MAX_BODY_BYTES && !refused) {
        refused = true;
        refuseBody(req, res);
      }
    });
    req.on('end', () => {
      if (!refused) void answer(req, res, routes);
    });
    req.on('error', () => res.destroy());
  };
}

async function answer(req: IncomingMessage, res: ServerResponse, routes: ReadonlyMap<string, Route>) {
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return send(res, 405, 'method not allowed: GET and HEAD only', { Allow: 'GET, HEAD' });
  const checked = checkRequestPath(req.url ?? '');
  if (!checked.ok) return send(res, 400, `bad request: ${checked.reason}`);
  const route = routes.get(checked.path);
  if (route === undefined) return send(res, 404, 'not found');
  let body: Buffer | null = typeof route === 'function' ? route() : typeof route === 'string' ? null : route;
  if (typeof route === 'string') {
    try {
      body = await readServed(route);
    } catch (e) {
      return send(res, 500, `cannot read ${checked.path}: ${(e as Error).message}`);
    }
  }
  if (!body) return send(res, 404, 'not found');
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type':
      CONTENT_TYPES[extname(typeof route === 'string' ? route : checked.path)] ?? 'application/octet-stream',
    'Content-Length': String(body.length),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Start serving; resolves once listening (port 0 → a free port, reported in `port` and `url`). */
export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const routes = routeTable(o);
  let allowed: ReadonlySet<string> = new Set();
  const server = createServer(createServeHandler(routes, () => allowed));
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('serve: the server has no TCP address');
  allowed = allowedHosts(o.host, address.port);
  const shown = o.host === '0.0.0.0' || o.host === '::' ? 'localhost' : hostForHeader(o.host);
  return {
    server,
    port: address.port,
    url: `http://${shown}:${address.port}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
