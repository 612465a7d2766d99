/**
 * `npm run bench` — attend against its peers (PyTorch, TensorFlow.js, ONNX Runtime for attention)
 * side by side, in one run.
 *
 *   npm run bench                          all cases, writes docs/benchmarks.md
 *   npm run bench -- --quick               shorter: sizes ≤ 512, attention T 64 and 256, smaller time budget
 *   npm run bench -- --only gemm,attention,block,g2p
 *   npm run bench -- --no-peers            attend only
 *   npm run bench -- --write / --no-write  force writing docs/benchmarks.md or not (default: full runs write)
 *   npm run bench -- --threads 2           threads of attend's threaded WebAssembly backend
 *   npm run bench -- --no-relaxed          keep V8 from validating relaxed SIMD, so attend's WebAssembly backends
 *                                          run their plain-SIMD variant (mul then add). By default the bench
 *                                          turns relaxed SIMD on (Node 20 needs the flag; Node 22 and Chrome ≥ 114
 *                                          have it on), and the backends pick their fused multiply-add variant
 *
 * Every attend backend found is measured (bench/backends.ts), then each peer in its own process
 * (bench/peers.ts). Timing: bench/timing.ts. Cases: bench/cases.ts. The fused kernel's memory
 * claim (T = 16,384 in under 2 GB) is shown apart: bench/attention-memory.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { attendRunnable } from './attend-cases.js';
import { type AttendBackend, attendBackends } from './backends.js';
import { type CaseSpec, type Group, buildCases, peerRequest } from './cases.js';
import { type PeerResult, runOnnx, runTfjs, runTorch } from './peers.js';
import { formatG2PBench, g2pBench } from './g2p.js';
import { installNodeKernels } from '../src/node/native.js';
import { closeThreads } from '../src/node/threads.js';
import { bestPeak, describePeak, measureFmaPeak, twoThreadPeak } from './peak.js';
import { type Column, detailTable, markdownTable, summaryTable, textTable, cell } from './report.js';
import { type Budget, MIN_SAMPLE_MS, type Outcome, isTiming, measure } from './timing.js';

interface Args {
  quick: boolean;
  groups: Set<Group | 'g2p'>;
  peers: boolean;
  write: boolean | null;
  threads: number;
  relaxed: boolean;
}

const USAGE =
  'usage: npm run bench -- [--quick] [--only gemm,attention,block,g2p] [--no-peers] [--write|--no-write] [--threads N] [--no-relaxed]';

function parseArgs(argv: string[]): Args {
  const a: Args = {
    quick: false,
    groups: new Set<Group | 'g2p'>(['gemm', 'attention', 'block', 'g2p']),
    peers: true,
    write: null,
    threads: 2,
    relaxed: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--quick') a.quick = true;
    else if (flag === '--no-peers') a.peers = false;
    else if (flag === '--relaxed') a.relaxed = true;
    else if (flag === '--no-relaxed') a.relaxed = false;
    else if (flag === '--write') a.write = true;
    else if (flag === '--no-write') a.write = false;
    else if (flag === '--threads') a.threads = Number(value());
    else if (flag === '--only') {
      const names = (value() ?? '').split(',').filter(Boolean);
      const bad = names.filter((n) => !['gemm', 'attention', 'block', 'g2p'].includes(n));
      if (names.length === 0 || bad.length) throw new Error(`--only: unknown group '${bad.join(',')}'. ${USAGE}`);
      a.groups = new Set(names as (Group | 'g2p')[]);
    } else throw new Error(`unknown argument '${argv[i]}'. ${USAGE}`);
  }
  if (!Number.isInteger(a.threads) || a.threads < 1) throw new Error(`--threads must be a positive integer. ${USAGE}`);
  return a;
}

function cpuModel(): { model: string; avx512: boolean } {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const model = /^model name\s*:\s*(.*)$/m.exec(info)?.[1]?.trim();
    const flags = /^flags\s*:\s*(.*)$/m.exec(info)?.[1] ?? '';
    return { model: model ?? cpus()[0]?.model ?? 'unknown', avx512: /\bavx512f\b/.test(flags) };
  } catch {
    return { model: cpus()[0]?.model ?? 'unknown', avx512: false };
  }
}

/** Above this share of the machine taken by other processes, the figures are flagged as loaded. */
const BUSY_SHARE = 0.05;

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');

/**
 * CPU seconds (all cores) the machine and this process spent, from /proc (Linux; null elsewhere).
 * `own` counts this process and the peers it ran and waited for (their times land in cutime and
 * cstime), so busy − own over the run is what other processes took: the load average cannot
 * say that, as it counts the bench's own threads too. USER_HZ is 100 on Linux.
 */
function cpuSeconds(): { busy: number; own: number } | null {
  try {
    // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user)
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const self = readFileSync('/proc/self/stat', 'utf8');
    const g = self
      .slice(self.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number); // fields from 3 (state) on
    const [utime, stime, cutime, cstime] = [g[11], g[12], g[13], g[14]]; // fields 14–17
    return { busy: (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / 100, own: (utime + stime + cutime + cstime) / 100 };
  } catch {
    return null;
  }
}

/** How much of the machine other processes used during the run, or null when /proc is not there. */
function othersShare(start: ReturnType<typeof cpuSeconds>, seconds: number): { seconds: number; share: number } | null {
  const end = cpuSeconds();
  if (!start || !end) return null;
  const others = Math.max(0, end.busy - start.busy - (end.own - start.own));
  return { seconds: others, share: others / (seconds * cpus().length) };
}

const history = new Map<string, { last: Map<string, { ms: number; flops: number }>; gemmRate: number }>();

async function measureAttend(
  backend: AttendBackend,
  cases: readonly CaseSpec[],
  budget: Budget,
  log: (s: string) => void,
  loads: Map<string, number>,
): Promise<Map<string, Outcome>> {
  const out = new Map<string, Outcome>();
  // kept across groups: the last figure of each series, and the best sgemm FLOP/ms (predicts the block's time)
  const state = history.get(backend.label) ?? { last: new Map<string, { ms: number; flops: number }>(), gemmRate: 0 };
  history.set(backend.label, state);
  const last = state.last;
  backend.install();
  for (const c of cases) {
    const prev = last.get(c.series);
    let predicted = prev ? (prev.ms * c.flops) / prev.flops : undefined;
    if (predicted === undefined && c.group === 'block' && state.gemmRate > 0) predicted = c.flops / state.gemmRate;
    let o: Outcome;
    loads.set(`${backend.label}|${c.id}`, loadavg()[0]);
    if (predicted !== undefined && predicted > budget.maxSingleSec * 1000) {
      o = { skipped: `over the ${budget.maxSingleSec} s limit of one run`, estimateMs: predicted };
    } else {
      try {
        const r = attendRunnable(c);
        o = await measure(r.run, budget, predicted, r.setup);
      } catch (e) {
        o = { error: (e as Error).message.split('\n')[0] };
      }
    }
    if (isTiming(o)) last.set(c.series, { ms: o.median, flops: c.flops });
    if (isTiming(o) && c.group === 'gemm') state.gemmRate = Math.max(state.gemmRate, c.flops / o.median);
    out.set(c.id, o);
    log(`  ${backend.label.padEnd(22)} ${c.label.padEnd(34)} ${describe(c, o)}`);
  }
  return out;
}

function describe(c: CaseSpec, o: Outcome): string {
  const unit = c.unit === 'GFLOP/s' ? ' GFLOP/s' : '';
  if (isTiming(o)) {
    const v = cell(c, { ...o, cold: false });
    return `${v}${unit}  (median of ${o.n}${o.cold ? ', no warm-up' : ''}, min ${o.min.toFixed(2)} ms)`;
  }
  if ('error' in o) return `error: ${o.error}`;
  return `${cell(c, o)}${unit}  (${o.skipped})`;
}

function peerColumn(p: PeerResult, cases: readonly CaseSpec[]): Column {
  const outcomes = new Map<string, Outcome>();
  for (const c of cases) {
    const o = p.results[c.peerKey];
    if (o) outcomes.set(c.id, o);
  }
  return { label: p.name, attend: false, outcomes };
}

function peerDescription(p: PeerResult): string {
  const i = p.info;
  if (!i.available) return `${p.name}: not available (${String(i.reason ?? 'unknown reason').slice(0, 160)})`;
  const cut = i.timedOut ? `; stopped at its ${String(i.timedOut)} s limit, later cases missing` : '';
  if (p.name === 'PyTorch') {
    const blas =
      (Array.isArray(i.blas) ? (i.blas as string[]) : []).filter((f) => !/lapack/.test(f)).join(', ') || 'unknown';
    const netlib = /\/blas\/libblas\.so/.test(blas) && !/openblas/i.test(blas);
    return (
      `PyTorch ${String(i.torch)} (Debian python3-torch; Python ${String(i.python)}), BLAS loaded: ${blas}` +
      (netlib
        ? ' — **the netlib reference BLAS, not OpenBLAS: its GEMMs are some 40× slower than with OpenBLAS** (set BENCH_OPENBLAS_DIR or install libopenblas0-pthread)'
        : '') +
      `; OMP_NUM_THREADS=${String(i.OMP_NUM_THREADS)}, OPENBLAS_NUM_THREADS=${String(i.OPENBLAS_NUM_THREADS)} ` +
      `(torch.get_num_threads() = ${String(i.threads)}; fastest here: GEMMs on 2 OpenBLAS threads, the rest on 1); ` +
      (i.has_sdpa
        ? 'attention through F.scaled_dot_product_attention'
        : 'no F.scaled_dot_product_attention (it arrived in 2.0): attention is the explicit softmax(QKᵀ/√d)V') +
      cut
    );
  }
  if (p.name === 'tfjs-wasm') {
    return (
      `tfjs-wasm ${String(i.version)}: ${String(i.threads)} thread (tfjs turns WebAssembly threads off in Node), ` +
      `SIMD ${i.simd ? 'on' : 'off'}; attention is the explicit formula (tfjs has no fused attention); the block is ` +
      `written with tfjs-core ops (no trainable multi-head attention in tfjs-core), gradients by tf.variableGrads. ` +
      `Its matMul with a transposed operand, which the matMul gradient uses, was 14–40× slower than without it here ` +
      `(2048×256×1024, measured apart from this run): that dominates its backward figures` +
      cut
    );
  }
  if (p.name === 'ONNX Runtime') {
    return (
      `ONNX Runtime (onnxruntime-node ${String(i.version)}, CPU execution provider, ${String(i.threads)} intra-op threads, ` +
      `graph optimisation 'all'); attention only, forward only (inference): the graph Softmax(MatMul(Q, Kᵀ)·scale)·V built ` +
      `in bench/peers/onnx.ts; installed in bench/peers/onnx/, not a dependency of attend` +
      cut
    );
  }
  return `${p.name} ${String(i.version)}: 1 thread, plain JavaScript kernels; small sgemm sizes only${cut}`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = new Date();
  const t0 = performance.now();
  const log = (s: string) => console.log(s);
  const cpu = cpuModel();
  const loadStart = load();
  const cpuStart = cpuSeconds();
  const envPrefix = process.env.BENCH_OPENBLAS_DIR ? `BENCH_OPENBLAS_DIR=${process.env.BENCH_OPENBLAS_DIR} ` : '';
  const command = [
    envPrefix + 'npm run bench',
    ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : []),
  ].join(' ');
  log(`attend benchmarks — ${started.toISOString()}`);
  log(
    `CPU ${cpu.model} × ${cpus().length}${cpu.avx512 ? ', AVX-512' : ''}; Node ${process.version}; load average ${loadStart}`,
  );
  if (loadavg()[0] > 0.5) log(`warning: the machine is busy (load ${loadStart}); figures will be noisy and low`);
  const peakStart = measureFmaPeak(); // and again at the end: the better of the two is the peak

  const cases = buildCases(new Set([...args.groups].filter((g): g is Group => g !== 'g2p')), args.quick);
  const budget: Budget = args.quick
    ? { seconds: 0.5, minRuns: 2, maxRuns: 20, maxSingleSec: 6 }
    : { seconds: 2, minRuns: 3, maxRuns: 50, maxSingleSec: 25 };

  // Before any WebAssembly is compiled: V8 reads the flag when it validates a module.
  if (args.relaxed) setFlagsFromString('--experimental-wasm-relaxed-simd');
  const { backends, defaultName, restore } = await attendBackends(args.threads, log);
  log(`attend backends: ${backends.map((b) => `${b.label} (kernels().name = '${b.kernelName}')`).join(', ')}`);
  log(`attend's default backend (kernels() at start): '${defaultName}'`);
  // Group by group, attend's backends and then each peer, so that the figures compared in one
  // row are measured minutes apart at most (the load of a shared machine drifts).
  const attendCols = backends.map((b): Column => ({ label: b.label, attend: true, outcomes: new Map() }));
  const peerRuns = new Map<string, PeerResult[]>();
  const loads = new Map<string, number>(); // `${engine}|${case id}` → 1-min load average when it started
  const limit = args.quick ? 90 : 200;
  for (const group of ['gemm', 'attention', 'block'] as const) {
    const groupCases = cases.filter((c) => c.group === group);
    if (groupCases.length === 0) continue;
    for (const [i, b] of backends.entries()) {
      // The reference loops are the test oracle, measured as a floor: a shorter limit keeps the run short.
      const own =
        b.kernelName === 'reference' ? { ...budget, maxSingleSec: Math.min(budget.maxSingleSec, 12) } : budget;
      const got = await measureAttend(b, groupCases, own, log, loads);
      for (const [id, o] of got) attendCols[i].outcomes.set(id, o);
    }
    restore(); // the backend kernels() had at start
    if (!args.peers) continue;
    const req = peerRequest(groupCases, budget);
    const runs: [string, () => Promise<PeerResult>][] = [
      ['PyTorch', () => runTorch(req, limit)],
      ['tfjs-wasm', () => runTfjs('wasm', req, limit)],
    ];
    if (req.attention.length) runs.push(['ONNX Runtime', () => runOnnx(req, limit, log)]);
    const small = { ...req, gemm: req.gemm.filter((n) => n <= 256), attention: [], block: null };
    if (small.gemm.length) runs.push(['tfjs-cpu', () => runTfjs('cpu', small, args.quick ? 30 : 60)]);
    for (const [name, run] of runs) {
      log(`  ${name} (${group}) ...`);
      const l = loadavg()[0];
      const r = await run();
      for (const key of Object.keys(r.results)) {
        for (const c of groupCases) if (c.peerKey === key) loads.set(`${name}|${c.id}`, l);
      }
      if (!peerRuns.has(name)) peerRuns.set(name, []);
      peerRuns.get(name)!.push(r);
    }
  }
  const poolUse = new Map<string, string>();
  for (const b of backends) {
    if (b.stats) {
      poolUse.set(b.label, b.stats());
      log(`  ${b.label}: ${poolUse.get(b.label)}`);
    }
    await b.dispose();
  }

  // G2P training throughput (issue #4): the CLI's kernels against the identical PyTorch model
  let g2p: string | null = null;
  if (args.groups.has('g2p')) {
    log('G2P training throughput (bench/g2p.ts) ...');
    installNodeKernels({ threads: args.threads });
    try {
      g2p = formatG2PBench(
        await g2pBench({
          size: 'base',
          batchSize: 64,
          steps: args.quick ? 5 : 60, // a step varies by ±15 % (collections, batch lengths): 20 were too few
          threads: args.threads,
          torch: args.peers,
        }),
      );
    } catch (e) {
      g2p = `The G2P bench failed: ${(e as Error).message}`;
    } finally {
      await closeThreads();
      restore();
    }
    log(g2p);
  }

  const columns: Column[] = [...attendCols];
  const peers: PeerResult[] = [];
  for (const [name, runs] of peerRuns) {
    // one peer, several processes (one per group): the first available info, every result
    const info = runs.find((r) => r.info.available)?.info ?? runs[0].info;
    const timedOut = runs.find((r) => r.info.timedOut)?.info.timedOut;
    const p: PeerResult = {
      name,
      info: timedOut ? { ...info, timedOut } : info,
      results: Object.assign({}, ...runs.map((r) => r.results)) as PeerResult['results'],
    };
    peers.push(p);
    log(
      p.info.available
        ? `  ${peerDescription(p).replace(/\*\*/g, '')}`
        : `${p.name}: not available (${String(p.info.reason ?? '').slice(0, 200)})`,
    );
    columns.push(peerColumn(p, cases));
  }

  const peak = bestPeak(peakStart, measureFmaPeak());
  const summary = summaryTable(cases, columns, twoThreadPeak(peak));
  const detail = detailTable(cases, columns, loads);
  const seconds = (performance.now() - t0) / 1000;
  const loadEnd = load();
  const others = othersShare(cpuStart, seconds);
  console.log('');
  console.log(textTable(summary));
  console.log('');
  console.log(
    `Cells: GFLOP/s for sgemm (higher is better), ms per run otherwise (median; lower is better). ` +
      `attend ÷ peer: speed of attend's fastest backend ÷ the peer's (2× = attend twice as fast). ` +
      `${describePeak(peak)}.`,
  );
  console.log(
    `Total ${seconds.toFixed(0)} s; load average ${loadStart} at start, ${loadEnd} at the end` +
      (others ? `; other processes used ${(100 * others.share).toFixed(1)} % of the machine meanwhile.` : '.'),
  );

  const write = args.write ?? (!args.quick && args.groups.size === 4 && args.peers);
  if (!write) {
    console.log('docs/benchmarks.md not written (partial run; add --write to write it).');
    return;
  }
  const engines = [
    ...backends.map(
      (b) =>
        `${b.label}: kernels().name = '${b.kernelName}', ${b.threads} thread${b.threads > 1 ? 's' : ''}` +
        (b.kernelName === 'reference'
          ? ' (plain JavaScript loops, the test oracle)'
          : `; its own kernels: ${b.implemented.join(', ')}; the others from the reference backend`) +
        (poolUse.has(b.label) ? ` (thread pool after the run: ${poolUse.get(b.label)})` : ''),
    ),
    `attend's default backend (what \`kernels()\` picks when nothing is installed): '${defaultName}'`,
    ...(args.peers ? peers.map(peerDescription) : ['peers: not run (--no-peers)']),
  ];
  const missing: string[] = [];
  const wasm = backends.filter((b) => /wasm/.test(b.label));
  if (wasm.length === 0) {
    missing.push(
      "attend's WebAssembly backend (`createWasmKernels()`, src/kernels/wasm) was not available when this was generated; the bench adds its column when it lands.",
    );
  }
  if (!wasm.some((b) => b.threads > 1)) {
    missing.push(
      "attend's threaded WebAssembly backend (`createThreadedWasmKernels()`, src/node/threads.ts) was not available when this was generated; the bench adds an `attend wasm ×2` column when it lands.",
    );
  }
  for (const b of wasm) {
    const own = new Set(b.implemented);
    const borrowed = ['gemm', 'attentionForward', 'attentionBackward', 'layerNormForward', 'softmaxForward'].filter(
      (k) => !own.has(k),
    );
    if (borrowed.length) {
      missing.push(
        `${b.label} ('${b.kernelName}') has no ${borrowed.join(', ')} of its own: those rows run the reference kernels (e.g. the fused attention rows).`,
      );
    }
  }
  const md = [
    '# Benchmarks',
    '',
    '<!-- Generated by `npm run bench` (bench/run.ts). Do not edit by hand: run `npm run bench` to regenerate. -->',
    '',
    `Generated by \`${command}\` on ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC in ${seconds.toFixed(0)} s.`,
    '',
    `- CPU: ${cpu.model}, ${cpus().length} cores${cpu.avx512 ? ', AVX-512' : ''}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Linux ${release()}`,
    `- Node ${process.version} (V8 ${process.versions.v8})`,
    others
      ? `- Other processes used ${others.seconds.toFixed(0)} CPU-seconds during the run, ${(100 * others.share).toFixed(1)} % of the machine's ${(seconds * cpus().length).toFixed(0)} (from /proc/stat, less the bench's own and its peers' time)${others.share > BUSY_SHARE ? ' — **the figures are lower and noisier than on an idle machine**' : ''}; load average (1/5/15 min) ${loadStart} at the start, ${loadEnd} at the end (the bench's own threads included)`
      : `- Load average (1/5/15 min): ${loadStart} at the start, ${loadEnd} at the end${loadavg()[0] > 0.5 || Number(loadStart.split(' ')[0]) > 0.5 ? ' — **other processes may have been running: the figures may be lower and noisier than on an idle machine**' : ''}`,
    `- ${describePeak(peak)}; "% of peak" below is of the two-thread figure.`,
    '',
    '## Engines',
    '',
    ...engines.map((e) => `- ${e}`),
    '',
    '## Results',
    '',
    'GFLOP/s for sgemm (higher is better), ms per run otherwise (median; lower is better). ' +
      "**attend ÷ peer** is the speed of attend's fastest backend divided by the peer's: 2× means attend is twice as fast, 0.1× ten times slower. " +
      '"≈ (est.)": not run, because one run was predicted to exceed the time limit; the time is extrapolated from the smaller size by FLOPs.',
    '',
    markdownTable(summary),
    '',
    '## Cases',
    '',
    '- **sgemm n×n×n**: one float32 matrix product C = A·B of random n×n matrices (2n³ FLOPs). attend: `matmul`; PyTorch: `torch.mm`; tfjs: `tf.matMul`.',
    "- **attention**: B 8, heads 8, d 64, float32, T 64, 256 and 1024, no mask. *fused*: attend's `scaledDotProductAttention` (FlashAttention-style kernel, the T×T weights never stored); *composed*: `softmax(matmul(q, transpose(k)) / √d)` then `matmul` with `v`, the weights stored. *fwd* runs without autograd; *fwd+bwd* is the forward and `backward(dOut)` to q, k and v. The peers run the explicit formula for both rows (ONNX Runtime: forward only). GFLOP/s count the matmul FLOPs only (4·T²·d per head forward, 8·T²·d more backward; the fused backward's recomputation of QKᵀ is not counted).",
    '- **pre-LN block train step**: B 32, T 64, d_model 256, 8 heads, feed-forward 1024 (relu), dropout 0, float32: x → LN → self-attention → residual → LN → FF → residual, mean-square loss against a fixed target, backward, Adam (lr 1e-3) step. attend: `nn.TransformerEncoderLayer(256, 8, { dimFeedforward: 1024, dropout: 0, normFirst: true })` + `Adam`; PyTorch: `nn.TransformerEncoderLayer(256, 8, 1024, dropout=0, batch_first=True, norm_first=True)` + `torch.optim.Adam`; tfjs-wasm: the same block in tfjs-core ops, `tf.train.adam`. GFLOP/s count 3 × the forward matmul FLOPs.',
    '',
    `Timing (bench/timing.ts): one or two warm-up runs, then N timed runs, N = ${budget.seconds} s ÷ one run, clamped to [${budget.minRuns}, ${budget.maxRuns}]; the median is the figure, the min is in the table below. A run shorter than ${MIN_SAMPLE_MS} ms is timed in samples of several back-to-back runs ("runs": samples × runs per sample), for every engine alike, so the timer and the cold caches after a collection do not dominate it. Garbage is collected once before each attend case, outside the timed region; its samples then run back to back, as a training loop runs and as the peers are timed (a collection before every sample left the threads idle, and 2-thread runs woken from idle were up to 1.6× slower). A run predicted to take longer than ${budget.maxSingleSec} s (${Math.min(budget.maxSingleSec, 12)} s for the reference backend) is not run; its time is extrapolated from the smaller size of the same case by FLOPs (the block's: from the backend's best sgemm rate). Group by group (sgemm, attention, block), attend's backends run first, then each peer in its own process, so the figures of one row are measured minutes apart at most; the detail table gives the 1-minute load average when each started.`,
    '',
    '## Every measurement',
    '',
    markdownTable(detail),
    '',
    ...(g2p ? ['## G2P training throughput', '', g2p, ''] : []),
    ...(missing.length ? ['## Gaps', '', ...missing.map((m) => `- ${m}`), ''] : []),
  ].join('\n');
  const path = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, md);
  console.log(`wrote ${path}`);
}

// Hold the event loop open until main() settles. Under tsx, import() is served by loader hooks
// on another thread, which do not keep the loop alive: when nothing else did (the G2P group's
// import of the CMUdict package after the other groups had closed their worker pools), Node
// exited with status 0 in the middle of the run, silently, without writing docs/benchmarks.md.
setInterval(() => {}, 1 << 30); // process.exit below ends it
main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
