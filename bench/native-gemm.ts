/**
 * Standalone GEMM benchmark of the native kernels (issue #7): square float32 C = A·B at 256, 512
 * and 1024 on the native addon (1 and 2 threads), the WebAssembly kernels (1 thread, and 2 on worker
 * threads) and PyTorch (Debian's python3-torch on OpenBLAS, OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=2,
 * its fastest setting on this 2-core machine), side by side, with the FMA peak of the machine
 * measured in the same run (bench/peak.ts: a busy machine has less of it, and these cores have
 * given half the 458 GFLOP/s issue #7 names; every figure is relative to what they did then).
 *
 *   node --import tsx bench/native-gemm.ts [--sizes 256,512,1024] [--seconds 0.5] [--no-torch] [--json]
 *
 * Each figure is the median of the timed runs (at least 3, at most 50, about `--seconds` each),
 * with the best run beside it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createWasmKernels } from '../src/kernels/wasm/index.js';
import type { Kernels } from '../src/kernels/types.js';
import { createNativeKernels, nativeUnavailableReason } from '../src/node/native.js';
import { closeThreads, createThreadedWasmKernels, threadsReady } from '../src/node/threads.js';
import { bestPeak, describePeak, measureFmaPeak, twoThreadPeak } from './peak.js';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '256,512,1024' },
    seconds: { type: 'string', default: '0.5' },
    'no-torch': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const sizes = args.sizes.split(',').map(Number);
const budget = Number(args.seconds);

interface Figure {
  median: number; // GFLOP/s, wall clock
  best: number;
  /** GFLOP per second of the process's CPU time (all its threads): what the cycles it got yielded. */
  perCpuSecond: number;
}

/** Times fn (one n³ product) and returns GFLOP/s: median and best of the runs. */
function measure(n: number, fn: () => void): Figure {
  fn(); // warm-up: page in, size scratch buffers, wake threads
  const seconds: number[] = [];
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  while (seconds.length < 3 || (seconds.length < 50 && (performance.now() - start) / 1000 < budget)) {
    const t0 = performance.now();
    fn();
    seconds.push((performance.now() - t0) / 1000);
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  seconds.sort((a, b) => a - b);
  const flops = 2 * n ** 3;
  return {
    median: flops / seconds[seconds.length >> 1] / 1e9,
    best: flops / seconds[0] / 1e9,
    perCpuSecond: (flops * seconds.length) / cpuSeconds / 1e9,
  };
}

function random(length: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.random() * 2 - 1;
  return out;
}

function timeKernels(backend: Partial<Kernels>, n: number): Figure {
  const a = random(n * n);
  const b = random(n * n);
  const c = new Float32Array(n * n);
  return measure(n, () => backend.gemm!(c, a, b, 1, n, n, n, false, false, 0, 0, false));
}

const TORCH_SCRIPT = `
import json, sys, time, torch
sizes, budget = json.loads(sys.argv[1]), float(sys.argv[2])
blas = sorted({l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l})
out = {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'blas': blas, 'figures': {}}
for n in sizes:
    a, b = torch.rand(n, n) * 2 - 1, torch.rand(n, n) * 2 - 1
    c = torch.mm(a, b)
    times, start, cpu0 = [], time.perf_counter(), time.process_time()
    while len(times) < 3 or (len(times) < 50 and time.perf_counter() - start < budget):
        t0 = time.perf_counter(); torch.mm(a, b, out=c); times.append(time.perf_counter() - t0)
    cpu = time.process_time() - cpu0
    times.sort()
    out['figures'][n] = {'median': 2 * n**3 / times[len(times) // 2] / 1e9, 'best': 2 * n**3 / times[0] / 1e9,
                         'perCpuSecond': 2 * n**3 * len(times) / cpu / 1e9}
print(json.dumps(out))
`;

interface TorchResult {
  torch: string;
  threads: number;
  blas: string[];
  figures: Record<string, Figure>;
}

function runTorch(): TorchResult | string {
  const blasDir = '/usr/lib/x86_64-linux-gnu/openblas-pthread';
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '2' };
  if (existsSync(blasDir)) env.LD_LIBRARY_PATH = [blasDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  const r = spawnSync('/usr/bin/python3', ['-c', TORCH_SCRIPT, JSON.stringify(sizes), String(budget)], {
    env,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.error) return `missing (${r.error.message})`;
  if (r.status !== 0) return `missing (${r.stderr.trim().split('\n').pop()})`;
  return JSON.parse(r.stdout) as TorchResult;
}

async function main(): Promise<void> {
  const rows: Record<string, Record<number, Figure>> = {};
  const notes: string[] = [];
  // the 2-thread backend first: the first call sizes the addon's pool
  const native2 = createNativeKernels({ threads: 2 });
  const native1 = createNativeKernels({ threads: 1 });
  if (!native2 || !native1) notes.push(`native: missing (${nativeUnavailableReason()})`);
  const wasm1 = createWasmKernels();
  const wasm2 = createThreadedWasmKernels({ threads: 2 });
  await threadsReady();
  const peakBefore = measureFmaPeak();
  const backends: [string, Partial<Kernels> | null][] = [
    [`native 1t (${native1?.isa ?? '-'})`, native1],
    [`native 2t (${native2?.isa ?? '-'})`, native2],
    [`WASM 1t (${wasm1?.name ?? '-'})`, wasm1],
    [`WASM 2t (${wasm2?.name ?? '-'})`, wasm2],
  ];
  for (const n of sizes) {
    for (const [label, backend] of backends) if (backend) (rows[label] ??= {})[n] = timeKernels(backend, n);
  }
  await closeThreads();
  const torch = args['no-torch'] ? 'not run (--no-torch)' : runTorch();
  if (typeof torch === 'string') notes.push(`PyTorch: ${torch}`);
  else {
    rows[`PyTorch (OpenBLAS, OMP 1 / BLAS 2)`] = Object.fromEntries(sizes.map((n) => [n, torch.figures[n]]));
    notes.push(`PyTorch ${torch.torch}, BLAS loaded: ${torch.blas.join(', ') || 'none found'}`);
  }
  const peak = bestPeak(peakBefore, measureFmaPeak());
  const peak2 = twoThreadPeak(peak);
  const peakCpu = peak?.perCpuSecond ?? null;
  if (args.json) {
    console.log(JSON.stringify({ sizes, rows, peak, notes }));
    return;
  }
  const f = (x: Figure | undefined) => (x ? `${x.median.toFixed(1)} (${x.best.toFixed(1)})` : '-');
  console.log(`GEMM C = A·B, float32, square; GFLOP/s, median of runs (best run)\n`);
  console.log(`| backend | ${sizes.join(' | ')} |`);
  console.log(`|---|${sizes.map(() => '---:').join('|')}|`);
  for (const [label, figures] of Object.entries(rows))
    console.log(`| ${label} | ${sizes.map((n) => f(figures[n])).join(' | ')} |`);
  console.log('\nGFLOP per second of process CPU time (all threads): how much each made of the cycles it got\n');
  console.log(`| backend | ${sizes.join(' | ')} |`);
  console.log(`|---|${sizes.map(() => '---:').join('|')}|`);
  for (const [label, figures] of Object.entries(rows))
    console.log(`| ${label} | ${sizes.map((n) => figures[n]?.perCpuSecond.toFixed(1) ?? '-').join(' | ')} |`);
  const ratio = (x: string, y: string) => {
    const a = rows[x];
    const b = rows[y];
    if (!a || !b) return;
    console.log(`| ${x} ÷ ${y} | ${sizes.map((n) => (a[n].median / b[n].median).toFixed(2) + '×').join(' | ')} |`);
  };
  console.log('\nratios (medians unless said):\n');
  console.log(`| ratio | ${sizes.join(' | ')} |`);
  console.log(`|---|${sizes.map(() => '---:').join('|')}|`);
  const labels = Object.keys(rows);
  const torchLabel = labels.find((l) => l.startsWith('PyTorch'));
  const native2Label = labels.find((l) => l.startsWith('native 2t'));
  const wasm2Label = labels.find((l) => l.startsWith('WASM 2t'));
  if (native2Label && torchLabel) ratio(native2Label, torchLabel);
  if (native2Label && wasm2Label) ratio(native2Label, wasm2Label);
  const percent = (x: number, of: number) => `${((100 * x) / of).toFixed(0)} %`;
  if (native2Label && peak2) {
    // best against best: both are the runs that were least disturbed by the other jobs
    const r = rows[native2Label];
    console.log(
      `| ${native2Label}, best run ÷ FMA peak (2 threads) | ${sizes.map((n) => percent(r[n].best, peak2)).join(' | ')} |`,
    );
  }
  const native1Label = labels.find((l) => l.startsWith('native 1t'));
  if (native1Label && peakCpu) {
    // the figure least affected by the load: what each CPU-second the kernel got yielded
    const r = rows[native1Label];
    console.log(
      `| ${native1Label}, per CPU-second ÷ FMA loop per CPU-second | ${sizes.map((n) => percent(r[n].perCpuSecond, peakCpu)).join(' | ')} |`,
    );
  }
  console.log(`\n${describePeak(peak)}.`);
  for (const note of notes) console.log(`- ${note}`);
}

await main();
