import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PeerRequest } from './cases.js';
import type { Outcome } from './timing.js';

/** A peer engine's answer: what it is (versions, threads) and its figure per peer key. */
export interface PeerResult {
  name: string;
  info: Record<string, unknown> & { available: boolean; reason?: string };
  results: Record<string, Outcome>;
}

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * Run a peer process, feed it the request on stdin, and collect the JSON lines it prints:
 * { info } once, then { key, result } per case as each finishes, so a peer killed at the time
 * limit keeps what it measured.
 */
function runPeer(
  name: string,
  cmd: string,
  args: string[],
  input: string,
  env: NodeJS.ProcessEnv,
  timeoutSec: number,
): Promise<PeerResult> {
  return new Promise((resolve) => {
    const res: PeerResult = { name, info: { available: false }, results: {} };
    let out = '';
    let err = '';
    let timedOut = false;
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSec * 1000);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    let done = false;
    const finish = (why?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const j = JSON.parse(line) as { info?: PeerResult['info']; key?: string; result?: Outcome };
          if (j.info) res.info = j.info;
          if (j.key && j.result) res.results[j.key] = j.result;
        } catch {
          // not one of ours
        }
      }
      if (why && !res.info.available) res.info = { available: false, reason: why };
      if (timedOut) res.info.timedOut = timeoutSec;
      resolve(res);
    };
    child.on('error', (e) => finish(e.message));
    child.on('close', (code) => {
      const last = err.trim().split('\n').slice(-1)[0] ?? '';
      finish(timedOut ? `killed after ${timeoutSec} s` : code === 0 ? undefined : `exit code ${code}: ${last}`);
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** The thread settings of the PyTorch process (fastest on this 2-core machine). */
export const TORCH_ENV = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '2' };

/**
 * Debian's python3-torch links libblas.so.3, which is whatever the alternatives system points at:
 * the netlib reference BLAS (libblas3) unless an OpenBLAS package is installed. The peer process is
 * pointed at an OpenBLAS directory when one is found (BENCH_OPENBLAS_DIR, or Debian's install paths),
 * through LD_LIBRARY_PATH, without touching the system; the BLAS it loaded is reported either way.
 */
export function openblasDir(): string | null {
  const candidates = [
    process.env.BENCH_OPENBLAS_DIR,
    '/usr/lib/x86_64-linux-gnu/openblas-pthread',
    '/usr/lib/x86_64-linux-gnu/openblas-openmp',
    '/usr/lib/aarch64-linux-gnu/openblas-pthread',
  ];
  for (const dir of candidates) if (dir && existsSync(join(dir, 'libblas.so.3'))) return dir;
  return null;
}

export function runTorch(req: PeerRequest, timeoutSec: number): Promise<PeerResult> {
  const python = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
  const env: NodeJS.ProcessEnv = { ...process.env, ...TORCH_ENV };
  const blas = openblasDir();
  if (blas) env.LD_LIBRARY_PATH = [blas, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  return runPeer('PyTorch', python, [here('./peers/torch_bench.py')], JSON.stringify(req), env, timeoutSec);
}

export function runTfjs(backend: 'wasm' | 'cpu', req: PeerRequest, timeoutSec: number): Promise<PeerResult> {
  const args = ['--import', 'tsx', here('./peers/tfjs.ts'), backend];
  return runPeer(`tfjs-${backend}`, process.execPath, args, JSON.stringify(req), process.env, timeoutSec);
}

/**
 * ONNX Runtime (onnxruntime-node), kept out of attend's dependencies: its own package.json and
 * lock in bench/peers/onnx/, installed there on first use. ONNXRUNTIME_NODE_INSTALL=skip stops its
 * install script from downloading GPU libraries; the CPU build ships in the npm package.
 */
export function runOnnx(req: PeerRequest, timeoutSec: number, log: (s: string) => void): Promise<PeerResult> {
  const failure = ensureOnnx(log);
  if (failure)
    return Promise.resolve({ name: 'ONNX Runtime', info: { available: false, reason: failure }, results: {} });
  const args = ['--import', 'tsx', here('./peers/onnx.ts')];
  return runPeer('ONNX Runtime', process.execPath, args, JSON.stringify(req), process.env, timeoutSec);
}

/** Installs onnxruntime-node into bench/peers/onnx/ when it is not there; returns why it failed, or null. */
export function ensureOnnx(log: (s: string) => void): string | null {
  const folder = here('./peers/onnx');
  if (existsSync(join(folder, 'node_modules', 'onnxruntime-node', 'package.json'))) return null;
  log(`  installing onnxruntime-node into bench/peers/onnx (first use; not a dependency of attend) ...`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--prefix', folder, '--no-audit', '--no-fund'], {
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status === 0) return null;
  const why = (r.error?.message ?? r.stderr ?? '').trim().split('\n').slice(-1)[0];
  return `npm ci --prefix bench/peers/onnx failed: ${why}`;
}
