/**
 * The memory claim of the fused attention kernel (issue #3, item 3): self-attention over
 * T = 16,384 positions (1 head, d 64), forward and backward, in under 2 GB, where the composed
 * path (softmax(QKᵀ/√d) V with the T×T weights stored) cannot run.
 *
 *   node --import tsx bench/attention-memory.ts                 T 16384, cap 2048 MB
 *   node --import tsx bench/attention-memory.ts --T 4096 --cap-mb 512 --threads 2
 *
 * Each path runs in its own child process (so one's peak cannot hide in the other's). The parent
 * watches the child's resident memory (/proc/<pid>/status, every 20 ms) and kills it past the cap:
 * the composed path is stopped long before it can take a shared machine down. The child's own
 * figure is its peak RSS (process.resourceUsage().maxRSS). The fused run also checks a few output
 * rows and their dq against float64 sums written out here (not the kernel's code).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as F from '../src/index.js';
import { setKernels } from '../src/kernels/registry.js';
import { createWasmKernels } from '../src/kernels/wasm/index.js';
import { closeThreads, createThreadedWasmKernels, threadsReady } from '../src/node/threads.js';

interface Options {
  T: number;
  d: number;
  capMb: number;
  threads: number;
  child: 'fused' | 'composed' | null;
}

const USAGE = 'usage: node --import tsx bench/attention-memory.ts [--T 16384] [--d 64] [--cap-mb 2048] [--threads 1]';

function parse(argv: string[]): Options {
  const o: Options = { T: 16384, d: 64, capMb: 2048, threads: 1, child: null };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = Number(argv[++i]);
    if (flag === '--child') o.child = argv[i] === 'composed' ? 'composed' : 'fused';
    else if (flag === '--T') o.T = value;
    else if (flag === '--d') o.d = value;
    else if (flag === '--cap-mb') o.capMb = value;
    else if (flag === '--threads') o.threads = value;
    else throw new Error(`unknown argument '${flag}'. ${USAGE}`);
  }
  for (const key of ['T', 'd', 'capMb', 'threads'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1)
      throw new Error(`--${key} must be a positive integer, received ${o[key]}. ${USAGE}`);
  }
  return o;
}

const MB = 1e6;
const GiB = 2 ** 30;

interface ChildReport {
  path: string;
  forwardMs: number;
  backwardMs: number;
  maxRssBytes: number;
  /** Largest |kernel − float64 sum| over the checked rows' outputs and dq, relative to 1 + |value|. */
  worstError?: number;
}

/** The child: one path, forward + backward, then a JSON line on stdout. */
async function child(o: Options): Promise<void> {
  const backend = o.threads > 1 ? createThreadedWasmKernels({ threads: o.threads }) : createWasmKernels();
  if (!backend) throw new Error('this engine has no WebAssembly SIMD');
  setKernels(backend);
  await threadsReady();
  const { T, d } = o;
  const gen = new F.Generator(16384);
  const x = () => F.randn([1, 1, T, d], { generator: gen, requiresGrad: true }); // [B, h, T, d]
  const [q, k, v] = [x(), x(), x()];
  const dOut = F.randn([1, 1, T, d], { generator: gen });
  const fused = o.child === 'fused';
  let t = performance.now();
  const { output, weights } = F.attention(q, k, v, { needWeights: !fused, fused }); // [1, 1, T, d]
  const forwardMs = performance.now() - t;
  if (fused && weights !== null) throw new Error('the fused path returned weights');
  t = performance.now();
  output.backward(dOut);
  const backwardMs = performance.now() - t;
  const report: ChildReport = {
    path: o.child!,
    forwardMs,
    backwardMs,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  if (fused) report.worstError = checkRows(q.data, k.data, v.data, dOut.data, output.data, q.grad!.data, T, d);
  console.log(JSON.stringify(report));
  await closeThreads();
}

/**
 * For a few query rows i, in float64 from the definitions: o_i = Σ_j p_ij v_j with
 * p_ij = softmax_j(q_i·k_j/√d), and dq_i = Σ_j p_ij (dO_i·v_j − dO_i·o_i) k_j / √d.
 */
function checkRows(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  dO: ArrayLike<number>,
  out: ArrayLike<number>,
  dq: ArrayLike<number>,
  T: number,
  d: number,
): number {
  const scale = 1 / Math.sqrt(d);
  let worst = 0;
  for (const i of [0, 1, Math.floor(T / 2), T - 1]) {
    const s = new Float64Array(T);
    let max = -Infinity;
    for (let j = 0; j < T; j++) {
      let dot = 0;
      for (let c = 0; c < d; c++) dot += q[i * d + c] * k[j * d + c];
      s[j] = dot * scale;
      max = Math.max(max, s[j]);
    }
    let sum = 0;
    for (let j = 0; j < T; j++) sum += s[j] = Math.exp(s[j] - max);
    const o = new Float64Array(d);
    for (let j = 0; j < T; j++) for (let c = 0; c < d; c++) o[c] += (s[j] / sum) * v[j * d + c];
    let delta = 0;
    for (let c = 0; c < d; c++) delta += dO[i * d + c] * o[c];
    const g = new Float64Array(d);
    for (let j = 0; j < T; j++) {
      let dp = 0;
      for (let c = 0; c < d; c++) dp += dO[i * d + c] * v[j * d + c];
      const ds = (s[j] / sum) * (dp - delta) * scale;
      for (let c = 0; c < d; c++) g[c] += ds * k[j * d + c];
    }
    for (let c = 0; c < d; c++) {
      worst = Math.max(worst, Math.abs(out[i * d + c] - o[c]) / (1 + Math.abs(o[c])));
      worst = Math.max(worst, Math.abs(dq[i * d + c] - g[c]) / (1 + Math.abs(g[c])));
    }
  }
  return worst;
}

/** Resident and peak resident memory of a process, bytes (0 once it is gone). */
function rss(pid: number): { now: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { now: kb('VmRSS') * 1024, peak: kb('VmHWM') * 1024 };
  } catch {
    return { now: 0, peak: 0 };
  }
}

interface Outcome {
  report: ChildReport | null;
  killedAtBytes: number | null;
  peakSeenBytes: number;
  seconds: number;
  stderr: string;
}

/** Runs one path in a child, killing it when its resident memory passes the cap. */
function runChild(o: Options, path: 'fused' | 'composed'): Promise<Outcome> {
  const script = fileURLToPath(import.meta.url);
  const args = [
    // the JS heap capped too; typed arrays live outside it, hence the RSS watch
    `--max-old-space-size=${o.capMb}`,
    '--import',
    'tsx',
    script,
    '--child',
    path,
    ...['--T', o.T, '--d', o.d, '--cap-mb', o.capMb, '--threads', o.threads].map(String),
  ];
  const started = performance.now();
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  proc.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  let killedAtBytes: number | null = null;
  let peakSeenBytes = 0;
  const cap = o.capMb * MB;
  const watch = setInterval(() => {
    const m = rss(proc.pid!);
    peakSeenBytes = Math.max(peakSeenBytes, m.peak, m.now);
    if (m.now > cap && killedAtBytes === null) {
      killedAtBytes = m.now;
      proc.kill('SIGKILL');
    }
  }, 20);
  return new Promise((resolve) => {
    proc.on('close', () => {
      clearInterval(watch);
      const line = stdout.trim().split('\n').pop() ?? '';
      let report: ChildReport | null = null;
      try {
        report = line.startsWith('{') ? (JSON.parse(line) as ChildReport) : null;
      } catch {
        report = null;
      }
      resolve({ report, killedAtBytes, peakSeenBytes, seconds: (performance.now() - started) / 1000, stderr });
    });
  });
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  if (o.child) return child(o);
  const { T, d } = o;
  const weights = T * T * 4;
  const io = 4 * (9 * T * d + T); // q, k, v, out, dO, dq, dk, dv and lse, float32
  console.log(`Self-attention, T ${T}, 1 head, d ${d}, float32, forward + backward; memory cap ${o.capMb} MB`);
  console.log(
    `Composed path: one T×T float32 buffer is ${(weights / GiB).toFixed(2)} GiB. Its forward keeps the scores and the ` +
      `weights (≥ 2 buffers, ${((2 * weights) / GiB).toFixed(2)} GiB), its backward adds their gradients ` +
      `(≥ 4 buffers at once, ${((4 * weights) / GiB).toFixed(2)} GiB).`,
  );
  console.log(
    `Fused path: inputs, outputs and gradients ${(io / MB).toFixed(1)} MB, plus O(T·d) scratch per head and thread.`,
  );
  for (const path of ['fused', 'composed'] as const) {
    const r = await runChild(o, path);
    const peak = Math.max(r.report?.maxRssBytes ?? 0, r.peakSeenBytes);
    if (r.report && r.killedAtBytes === null) {
      const e = r.report.worstError;
      console.log(
        `${path}: ran in ${r.seconds.toFixed(1)} s (forward ${(r.report.forwardMs / 1000).toFixed(1)} s, backward ` +
          `${(r.report.backwardMs / 1000).toFixed(1)} s); peak RSS ${(peak / MB).toFixed(0)} MB ` +
          `${peak < o.capMb * MB ? '<' : '≥'} ${o.capMb} MB` +
          (e === undefined ? '' : `; 4 rows of output and dq against float64: worst error ${e.toExponential(1)}`),
      );
    } else if (r.killedAtBytes !== null) {
      console.log(
        `${path}: stopped at ${(r.killedAtBytes / MB).toFixed(0)} MB resident after ${r.seconds.toFixed(1)} s ` +
          `(over the ${o.capMb} MB cap): it cannot run in ${o.capMb} MB`,
      );
    } else {
      console.log(
        `${path}: failed after ${r.seconds.toFixed(1)} s: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`,
      );
    }
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
