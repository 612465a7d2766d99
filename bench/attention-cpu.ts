/**
 * Attention on one thread per engine, timed in CPU time: figures that hold on a shared, loaded
 * machine, where the wall-clock figures of `npm run bench` swing with the other processes.
 *
 *   node --import tsx bench/attention-cpu.ts [--T 64,256,1024] [--reps 3]
 *
 * B 8, 8 heads, d 64, float32, no mask (the cases of `npm run bench`). attend: the WebAssembly
 * backend on the main thread, fused (`scaledDotProductAttention`) and composed, and the native
 * addon's fused attention on one thread (over the same WebAssembly kernels, as installNodeKernels
 * layers them; skipped with a note when the addon is not built); ONNX Runtime
 * (bench/peers/onnx.ts's graph, one intra-op thread, forward only); PyTorch with OpenBLAS on one
 * thread (OMP and OpenBLAS), the explicit formula. Each figure is the least CPU time (user + system,
 * process.cpuUsage / time.process_time) of `reps` runs after a warm-up.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as F from '../src/index.js';
import { setKernels } from '../src/kernels/registry.js';
import { createWasmKernels } from '../src/kernels/wasm/index.js';
import { createNativeKernels, nativeUnavailableReason } from '../src/node/native.js';
import { composedAttention } from './attend-cases.js';
import { ensureOnnx, openblasDir } from './peers.js';
import { attentionModel } from './peers/onnx.js';

const USAGE = 'usage: node --import tsx bench/attention-cpu.ts [--T 64,256,1024] [--reps 3]';

function parse(argv: string[]): { Ts: number[]; reps: number } {
  const o = { Ts: [64, 256, 1024], reps: 3 };
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === '--T') o.Ts = (argv[i + 1] ?? '').split(',').map(Number);
    else if (argv[i] === '--reps') o.reps = Number(argv[i + 1]);
    else throw new Error(`unknown argument '${argv[i]}'. ${USAGE}`);
  }
  if (!o.Ts.length || !o.Ts.every((t) => Number.isInteger(t) && t > 0) || !(Number.isInteger(o.reps) && o.reps > 0)) {
    throw new Error(`--T must list positive integers and --reps be a positive integer. ${USAGE}`);
  }
  return o;
}

/** Least CPU milliseconds of `reps` runs after one warm-up. */
async function cpuMs(run: () => unknown, reps: number): Promise<number> {
  await run();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = process.cpuUsage();
    await run();
    const u = process.cpuUsage(t);
    best = Math.min(best, (u.user + u.system) / 1000);
  }
  return best;
}

interface OrtLike {
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => unknown;
  InferenceSession: {
    create(model: Uint8Array, options: object): Promise<{ run(feeds: Record<string, unknown>): Promise<unknown> }>;
  };
}

const TORCH = `
import json, sys, time, torch
torch.set_num_threads(1)
T, reps = int(sys.argv[1]), int(sys.argv[2])
q, k, v = (torch.randn(8, 8, T, 64, requires_grad=True) for _ in range(3))
dO = torch.randn(8, 8, T, 64)
def fwd():
    with torch.no_grad():
        torch.softmax(q @ k.transpose(-2, -1) / 8.0, -1) @ v
def fwd_bwd():
    q.grad = k.grad = v.grad = None
    (torch.softmax(q @ k.transpose(-2, -1) / 8.0, -1) @ v).backward(dO)
out = {}
for name, f in (("fwd", fwd), ("fwd+bwd", fwd_bwd)):
    f()
    best = 1e9
    for _ in range(reps):
        t = time.process_time(); f(); best = min(best, time.process_time() - t)
    out[name] = best * 1000
print(json.dumps(out))
`;

function torchMs(T: number, reps: number): { fwd: number; 'fwd+bwd': number } | string {
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };
  const blas = openblasDir();
  if (blas) env.LD_LIBRARY_PATH = [blas, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  const python = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
  const r = spawnSync(python, ['-c', TORCH, String(T), String(reps)], { env, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) return `PyTorch failed: ${(r.error?.message ?? r.stderr ?? '').trim().split('\n').slice(-1)[0]}`;
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { fwd: number; 'fwd+bwd': number };
}

async function main(): Promise<void> {
  const { Ts, reps } = parse(process.argv.slice(2));
  const wasm = createWasmKernels();
  if (!wasm) throw new Error('this engine has no WebAssembly SIMD');
  setKernels(wasm);
  const nativeKernels = createNativeKernels({ threads: 1 });
  const native = nativeKernels ? { ...wasm, ...nativeKernels, name: nativeKernels.name } : null;
  const onnxFailure = ensureOnnx(console.log);
  const ort = onnxFailure
    ? null
    : (createRequire(fileURLToPath(new URL('./peers/onnx/', import.meta.url)))('onnxruntime-node') as OrtLike);
  console.log(`CPU ms per run, one thread per engine, least of ${reps} after a warm-up (B 8, 8 heads, d 64, float32)`);
  for (const T of Ts) {
    const shape = [8, 8, T, 64];
    const gen = new F.Generator(1);
    const x = () => F.randn(shape, { generator: gen, requiresGrad: true }); // [B, h, T, d]
    const [q, k, v] = [x(), x(), x()];
    const dOut = F.randn(shape, { generator: gen });
    const backward = (f: () => F.Tensor) => () => {
      q.grad = k.grad = v.grad = null;
      f().backward(dOut);
    };
    const fused = () => F.scaledDotProductAttention(q, k, v);
    const composed = () => composedAttention(q, k, v);
    const row: string[] = [
      `attend ${wasm.name} fused fwd ${(await cpuMs(() => F.noGrad(fused), reps)).toFixed(0)}`,
      `composed fwd ${(await cpuMs(() => F.noGrad(composed), reps)).toFixed(0)}`,
      `fused fwd+bwd ${(await cpuMs(backward(fused), reps)).toFixed(0)}`,
      `composed fwd+bwd ${(await cpuMs(backward(composed), reps)).toFixed(0)}`,
    ];
    if (native) {
      setKernels(native);
      const fwd = await cpuMs(() => F.noGrad(fused), reps);
      const fwdBwd = await cpuMs(backward(fused), reps);
      setKernels(wasm);
      row.push(`attend ${native.name} fused fwd ${fwd.toFixed(0)}, fwd+bwd ${fwdBwd.toFixed(0)}`);
    } else row.push(`attend native: ${nativeUnavailableReason()}`);
    if (ort) {
      const session = await ort.InferenceSession.create(attentionModel(8, 8, T, 64), {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
      const feeds = Object.fromEntries(
        (['q', 'k', 'v'] as const).map((name, i) => [
          name,
          new ort.Tensor('float32', [q, k, v][i].data as Float32Array, shape),
        ]),
      );
      row.push(`ONNX Runtime fwd ${(await cpuMs(() => session.run(feeds), reps)).toFixed(0)}`);
    } else row.push(`ONNX Runtime: ${onnxFailure}`);
    const torch = torchMs(T, reps);
    row.push(
      typeof torch === 'string' ? torch : `PyTorch fwd ${torch.fwd.toFixed(0)}, fwd+bwd ${torch['fwd+bwd'].toFixed(0)}`,
    );
    console.log(`T ${T}: ${row.join('; ')}`);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
