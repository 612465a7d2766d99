/**
 * G2P training throughput (issue #4, item 9): attend against the identical model in PyTorch.
 *
 *   node --import tsx bench/g2p.ts [--size base|small] [--steps 20] [--batch-size 64] [--threads 2]
 *
 * "Identical" is checked, not assumed: attend builds the G2P Transformer (the one `attend train g2p`
 * trains), writes its initial weights and the first real CMUdict batches to safetensors files, and
 * the PyTorch twin (bench/peers/torch_g2p.py, built from torch.nn.Transformer*Layer) loads them by
 * parameter name with strict=True. Both then compute the loss of the first batch with dropout off,
 * which must agree to 1e-4 relative, and time the same training steps (dropout on, label smoothing
 * 0.1, clipping at 1, Adam) on the same batches. Tokens = target tokens with EOS, as in the run logs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { g2pSplit } from '../src/cli/g2p.js';
import { BatchIterator, type Batch } from '../src/data/batching.js';
import { Vocab } from '../src/data/vocab.js';
import { kernels } from '../src/kernels/registry.js';
import { type ModelSize, type ModelSpec, createModel, defaultSpec } from '../src/models/seq2seq/factory.js';
import { saveSafetensors } from '../src/node/safetensors.js';
import { installNodeKernels } from '../src/node/native.js';
import { closeThreads } from '../src/node/threads.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Generator } from '../src/tensor/random.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { clipGradNorm } from '../src/train/clip.js';
import { Adam } from '../src/train/optim.js';
import { seq2seqLoss } from '../src/train/trainer.js';
import { TORCH_ENV, openblasDir } from './peers.js';

export interface G2PBenchOptions {
  size: ModelSize;
  batchSize: number;
  /** Timed training steps, each on its own batch (after 2 untimed ones). */
  steps: number;
  threads: number;
  /** Run the PyTorch twin too (default true). */
  torch?: boolean;
}

export interface G2PThroughput {
  engine: string;
  tokensPerSecond: number;
  msPerStep: number;
  /** Loss of the first batch with dropout off: the identity check between the engines. */
  evalLoss: number;
  info?: Record<string, unknown>;
}

export interface G2PBenchResult {
  model: string;
  parameters: number;
  batchSize: number;
  steps: number;
  tokens: number;
  attend: G2PThroughput;
  torch: G2PThroughput | { error: string };
}

const WARMUP = 2;
const LR = 1e-3;
const SMOOTHING = 0.1;

function trainSteps(step: (b: Batch) => void, batches: Batch[]): number {
  for (const b of batches.slice(0, WARMUP)) step(b);
  const t0 = performance.now();
  for (const b of batches.slice(WARMUP)) step(b);
  return performance.now() - t0;
}

export async function g2pBench(o: G2PBenchOptions): Promise<G2PBenchResult> {
  const split = await g2pSplit();
  const srcVocab = Vocab.fromTokens(split.train.flatMap((e) => e.source));
  const tgtVocab = Vocab.fromTokens(split.train.flatMap((e) => e.target));
  const pairs = split.train.map((e) => ({ src: srcVocab.encode(e.source), tgt: tgtVocab.encode(e.target) }));
  const iterator = new BatchIterator(pairs, { batchSize: o.batchSize, seed: 1 });
  const batches = Array.from({ length: WARMUP + o.steps }, (_, i) => iterator.batch(0, i));
  const tokens = batches.slice(WARMUP).reduce((n, b) => n + b.tgtTokens, 0);

  const spec = defaultSpec('transformer', srcVocab.size, tgtVocab.size, o.size);
  const generator = new Generator(1);
  const model = createModel(spec, generator);
  const parameters = model.parameters().reduce((n, p) => n + p.size, 0);

  const dir = mkdtempSync(join(tmpdir(), 'attend-g2p-bench-'));
  try {
    saveSafetensors(join(dir, 'init.safetensors'), model.stateDict());
    const data: Record<string, Tensor> = {};
    batches.forEach((b, i) => {
      data[`${i}.src`] = b.src; // [B, S] int32
      data[`${i}.src_pad`] = b.srcPad; // [B, S] bool, true = padding
      data[`${i}.tgt_in`] = b.tgtIn; // [B, T] int32, BOS + target
      data[`${i}.tgt_out`] = b.tgtOut; // [B, T] int32, target + EOS
    });
    saveSafetensors(join(dir, 'batches.safetensors'), data);

    model.eval();
    const evalLoss = noGrad(() =>
      seq2seqLoss(model.forward(batches[0].src, batches[0].srcPad, batches[0].tgtIn).logits, batches[0].tgtOut).item(),
    );
    model.train();
    const optimizer = new Adam(model.parameters(), { lr: LR });
    const ms = trainSteps((b) => {
      optimizer.zeroGrad({ release: true }); // as the trainer: last step's gradients go back to the pool
      const { logits } = model.forward(b.src, b.srcPad, b.tgtIn); // [B, T, V]
      seq2seqLoss(logits, b.tgtOut, SMOOTHING).backward(undefined, { releaseActivations: true });
      clipGradNorm(optimizer.params, 1);
      optimizer.step();
    }, batches);
    const attend: G2PThroughput = {
      engine: `attend (${kernels().name})`,
      tokensPerSecond: tokens / (ms / 1000),
      msPerStep: ms / o.steps,
      evalLoss,
    };

    const torch =
      o.torch === false ? { error: 'not run (--no-peers)' } : torchThroughput(dir, spec, o, tokens, evalLoss);
    return {
      model: `transformer ${o.size}`,
      parameters,
      batchSize: o.batchSize,
      steps: o.steps,
      tokens,
      attend,
      torch,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The identical model in PyTorch (peers/torch_g2p.py) on the batches and initial weights saved in dir. */
function torchThroughput(
  dir: string,
  spec: ModelSpec,
  o: G2PBenchOptions,
  tokens: number,
  evalLoss: number,
): G2PBenchResult['torch'] {
  const env: NodeJS.ProcessEnv = { ...process.env, ...TORCH_ENV };
  const blas = openblasDir();
  if (blas) env.LD_LIBRARY_PATH = [blas, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  const request = { dir, spec, steps: o.steps, warmup: WARMUP, lr: LR, labelSmoothing: SMOOTHING };
  const python = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
  const peer = fileURLToPath(new URL('./peers/torch_g2p.py', import.meta.url));
  const r = spawnSync(python, [peer], { input: JSON.stringify(request), env, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0)
    return { error: (r.error?.message ?? r.stderr.trim().split('\n').pop() ?? 'failed').slice(0, 200) };
  const t = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    ms: number;
    evalLoss: number;
    info: Record<string, unknown>;
  };
  const rel = Math.abs(t.evalLoss - evalLoss) / Math.abs(evalLoss);
  if (!(rel < 1e-4))
    return { error: `not the same model: first-batch loss ${t.evalLoss} in PyTorch, ${evalLoss} in attend` };
  return {
    engine: 'PyTorch',
    tokensPerSecond: tokens / (t.ms / 1000),
    msPerStep: t.ms / o.steps,
    evalLoss: t.evalLoss,
    info: t.info,
  };
}

export function formatG2PBench(r: G2PBenchResult): string {
  const rows = [r.attend, 'error' in r.torch ? null : r.torch].filter((x): x is G2PThroughput => x !== null);
  const torch = 'error' in r.torch ? null : r.torch;
  return [
    `G2P training throughput: ${r.model} (${r.parameters.toLocaleString('en-US')} parameters), batch ${r.batchSize}, ` +
      `${r.steps} timed steps on real CMUdict batches (${r.tokens} target tokens), dropout 0.1, label smoothing 0.1, Adam:`,
    '',
    '| engine | target tokens/s | ms / step | first-batch loss (eval) | vs PyTorch |',
    '|---|---:|---:|---:|---:|',
    ...rows.map(
      (t) =>
        `| ${t.engine} | ${Math.round(t.tokensPerSecond).toLocaleString('en-US')} | ${t.msPerStep.toFixed(1)} | ` +
        `${t.evalLoss.toFixed(6)} | ${torch ? (t.tokensPerSecond / torch.tokensPerSecond).toFixed(2) + '×' : '–'} |`,
    ),
    ...('error' in r.torch ? ['', `PyTorch: ${r.torch.error}`] : []),
  ].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const o: G2PBenchOptions = { size: 'base', batchSize: 64, steps: 20, threads: 2 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === '--size' && (v === 'base' || v === 'small')) o.size = v;
    else if (argv[i] === '--steps') o.steps = Number(v);
    else if (argv[i] === '--batch-size') o.batchSize = Number(v);
    else if (argv[i] === '--threads') o.threads = Number(v);
    else throw new Error(`usage: bench/g2p.ts [--size base|small] [--steps N] [--batch-size N] [--threads N]`);
    i++;
  }
  // the kernels the CLI trains with: native where the addon is built, WebAssembly threads otherwise
  installNodeKernels({ threads: o.threads });
  try {
    console.log(formatG2PBench(await g2pBench(o)));
  } finally {
    await closeThreads();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main(process.argv.slice(2));
