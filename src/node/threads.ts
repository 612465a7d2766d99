/**
 * The WebAssembly backend on several threads (Node only): a persistent pool of worker_threads
 * over the shared-memory builds of the kernel modules. The main thread copies the operands into
 * the shared memory once (only it can read the caller's arrays), each worker runs its block of the
 * output, the main thread runs a block too. A call posts no message: each worker sleeps in
 * Atomics.wait on its own control slot and is woken by Atomics.notify; the main thread waits the
 * same way for each worker's "done" (the pool: src/node/worker-pool.ts).
 *
 * A big single GEMM packs B once between the threads and then hands out units of C's rows to
 * whichever thread asks next (`Pool.runClaimed`), so a thread that another process slows down does
 * less of the work instead of holding up the call; the main thread copies A in while the workers
 * pack B, and copies C's rows out as their units finish; batched and wide GEMMs are split by whole
 * matrices or by blocks of C's columns. Big row-wise kernels are split by rows, fused attention
 * by query rows (forward) or by groups (backward); small calls stay on the main thread, where
 * waking a worker would cost more than it saves.
 */
import { availableParallelism } from 'node:os';
import type { Kernels } from '../kernels/types.js';
import {
  wasmAttention,
  type AttentionExports,
  type AttentionKernel,
  type AttentionRunner,
} from '../kernels/wasm/attention.js';
import * as attentionWasm from '../kernels/wasm/attention.generated.js';
import {
  gemmArguments,
  runBlock,
  wasmGemm,
  type GemmCall,
  type GemmExports,
  type GemmRunner,
  type GemmTransfers,
} from '../kernels/wasm/gemm.js';
import * as gemmWasm from '../kernels/wasm/gemm.generated.js';
import { Arena, instantiate, type WasmModule } from '../kernels/wasm/loader.js';
import { wasmKeepMask, type RandomExports } from '../kernels/wasm/random.js';
import * as randomWasm from '../kernels/wasm/random.generated.js';
import {
  ROW_CHUNK,
  wasmRowwise,
  type RowKernel,
  type RowRunner,
  type RowwiseExports,
} from '../kernels/wasm/rowwise.js';
import * as rowwiseWasm from '../kernels/wasm/rowwise.generated.js';
import { Pool } from './worker-pool.js';

export interface ThreadOptions {
  /** Threads in all, the main thread included. Default min(2, os.availableParallelism()). */
  threads?: number;
  /** Send tiny inputs to the reference kernels. Default true; tests turn it off. */
  smallFallback?: boolean;
  /** Multiply-adds (GEMM) or elements (row-wise) below which a call stays on the main thread. Tests set 0. */
  minParallelWork?: number;
}

/**
 * Below 2²² multiply-adds (about 160³) a GEMM stays on one thread: waking a sleeping worker costs
 * ~15 µs and the operand copies stay serial; measured on 2 cores, 128³ ran slower on two threads
 * (38 → 29 GFLOP/s), 256³ and up faster.
 */
const MIN_PARALLEL_GEMM = 1 << 22;
/** Elements of B (k·n) below which one thread packs it for all (`sharedPanelGemm`): 1 MiB. */
const MIN_PARALLEL_PACK = 1 << 18;
/**
 * Row-wise kernels go through the cache in blocks of ROW_CHUNK elements per thread; a block is
 * split across threads from ROW_CHUNK elements (softmax over them: ~60 µs on one thread).
 */
const MIN_PARALLEL_ROWS = ROW_CHUNK;
/**
 * Fused attention: multiply-adds G·n·m·(d + dv) below which a call stays on one thread. Measured
 * (best of many, on a loaded 2-core machine): two threads were slower at every size up to 2²²
 * (8 heads × T 64 × d 64: forward 0.39 → 0.67 ms), faster from 2²⁵ on (16 × 128: backward
 * 37 → 20 ms; 64 × 256: forward 459 → 164 ms).
 */
const MIN_PARALLEL_ATTENTION = 1 << 23;

const GEMM_FUNCTIONS = ['gemm', 'packB', 'gemmRows'] as const;
const ROW_FUNCTIONS: readonly RowKernel[] = [
  'softmaxForward',
  'softmaxBackward',
  'logSoftmaxForward',
  'logSoftmaxBackward',
  'layerNormForward',
];
const ATTENTION_FUNCTIONS: readonly AttentionKernel[] = ['attentionForward', 'attentionBackward'];

/** Splits [0, size) into `parts` ranges, each a multiple of `align` long (but the last). */
function ranges(size: number, parts: number, align: number): [number, number][] {
  const step = Math.ceil(size / parts / align) * align;
  const out: [number, number][] = [];
  for (let s = 0; s < size; s += step) out.push([s, Math.min(size, s + step)]);
  return out;
}

function threadedGemm(pool: Pool, gemm: WasmModule<GemmExports>, minWork: number): GemmRunner {
  return (call: GemmCall, arena: Arena, io: GemmTransfers) => {
    const { batch, m, n, k } = call;
    const parts = Math.min(1 + pool.available(), batch * Math.max(Math.ceil(m / 4), Math.ceil(n / 8)));
    if (parts === 1 || batch * m * n * k < minWork) {
      const scratch = arena.alloc(gemm.exports.gemmScratchBytes(m, n, k));
      io.loadA();
      runBlock(gemm.exports, call, scratch, 0, batch, 0, m, 0, n);
      io.storeRows(0, batch * m);
      return;
    }
    if (batch === 1 && k > 0 && n < 2 * m && m >= 2 * 4) {
      sharedPanelGemm(pool, gemm, call, arena, parts, io);
      return;
    }
    // many matrices: whole ones per thread (no packing twice); otherwise blocks of the side of C
    // with more micro-tiles (4 rows or 8 columns). Each thread packs all of the other operand.
    let blocks: number[][];
    if (batch >= 4 * parts) blocks = ranges(batch, parts, 1).map(([b0, b1]) => [b0, b1, 0, m, 0, n]);
    else if (n >= 2 * m) blocks = ranges(n, parts, 8).map(([j0, j1]) => [0, batch, 0, m, j0, j1]);
    else blocks = ranges(m, parts, 4).map(([i0, i1]) => [0, batch, i0, i1, 0, n]);
    const scratchBytes = gemm.exports.gemmScratchBytes(m, n, k);
    const jobs = blocks.map((block) => ({
      mod: 0,
      fn: GEMM_FUNCTIONS.indexOf('gemm'),
      args: gemmArguments(call, arena.alloc(scratchBytes), block),
    }));
    io.loadA();
    pool.run(jobs, (job) => (gemm.exports.gemm as (...args: number[]) => void)(...job.args));
    io.storeRows(0, batch * m);
  };
}

/**
 * One matrix, C at least half as tall as wide: the threads pack B once between them (by units
 * of columns), then claim units of C's rows (about 4 a thread, at most MC = 128 rows, a multiple
 * of the micro-tile's 4) until none is left; see assembly/gemm.ts. Measured at 1024³ on 2 threads
 * against one fixed block per thread: the same on a quiet machine (94–96 GFLOP/s), 1.15× faster
 * (medians 54–57 against 48) with another process busy on one core. Units of fewer than 64 rows
 * lost at 512³; at 1024³, 8 units a thread of 64 rows beat 4 of 128 (medians of 4 interleaved runs,
 * 91.6–92.5 GFLOP/s against 87.7–90.5: a shorter tail when one thread finishes first).
 */
function sharedPanelGemm(
  pool: Pool,
  gemm: WasmModule<GemmExports>,
  call: GemmCall,
  arena: Arena,
  parts: number,
  io: GemmTransfers,
): void {
  const { c, a, bm, m, n, k, rsA, csA, rsB, csB, accumulate } = call;
  const packB = gemm.exports.packB as (...args: number[]) => void;
  const gemmRows = gemm.exports.gemmRows as (...args: number[]) => void;
  const packed = arena.alloc(gemm.exports.packedBBytes(n, k));
  // small B: packed here alone (a second wake-up of the workers would cost more than it saves)
  const unitCols = n * k < MIN_PARALLEL_PACK ? n : Math.ceil(n / (2 * parts) / 8) * 8;
  const packJobs = Array.from({ length: parts }, () => ({
    mod: 0,
    fn: GEMM_FUNCTIONS.indexOf('packB'),
    args: [packed, bm, n, k, rsB, csB, unitCols],
  }));
  // A is copied in here while the workers pack B
  pool.runClaimed(packJobs, Math.ceil(n / unitCols), (job, u) => packB(...job.args, u), { first: io.loadA });
  // units of rows: 4 a thread, or 8 a thread when those still have 64 rows; at most 128 (see above)
  const rowsFor = (unitsPerThread: number) => Math.ceil(m / (unitsPerThread * parts) / 4) * 4;
  const unitRows = Math.min(128, Math.max(Math.min(64, rowsFor(4)), rowsFor(8)));
  const scratchBytes = gemm.exports.gemmRowsScratchBytes(unitRows, k);
  const rowJobs = Array.from({ length: parts }, () => ({
    mod: 0,
    fn: GEMM_FUNCTIONS.indexOf('gemmRows'),
    args: [c, a, packed, m, n, k, rsA, csA, accumulate ? 1 : 0, arena.alloc(scratchBytes), unitRows],
  }));
  // C's rows are copied out here as their units finish, while the workers compute the next ones
  let stored = 0;
  const progress = (finished: number) => {
    const rows = Math.min(m, finished * unitRows);
    if (rows <= stored) return;
    io.storeRows(stored, rows);
    stored = rows;
  };
  pool.runClaimed(rowJobs, Math.ceil(m / unitRows), (job, u) => gemmRows(...job.args, u), { progress });
}

function threadedRows(pool: Pool, rows: WasmModule<RowwiseExports>, minWork: number): RowRunner {
  return (kernel, args, count, cols) => {
    const parts = Math.min(1 + pool.available(), count);
    const fn = rows.exports[kernel] as (...args: number[]) => void;
    if (parts === 1 || count * cols < minWork) {
      fn(...args, 0, count);
      return;
    }
    const jobs = ranges(count, parts, 1).map(([r0, r1]) => ({
      mod: 1,
      fn: ROW_FUNCTIONS.indexOf(kernel),
      args: [...args, r0, r1],
    }));
    pool.run(jobs, (job) => fn(...job.args));
  };
}

/**
 * The forward splits the G·n query rows (each thread prepares Kᵀ and V of the groups it meets);
 * the backward splits the groups, since dK and dV of a group sum over all of its queries.
 */
function threadedAttention(pool: Pool, attention: WasmModule<AttentionExports>, minWork: number): AttentionRunner {
  return (kernel, args, count, scratchBytes, work, arena) => {
    const fn = attention.exports[kernel] as (...args: number[]) => void;
    const parts = Math.min(1 + pool.available(), count);
    if (parts === 1 || work < minWork) {
      fn(...args, arena.alloc(scratchBytes), 0, count);
      return;
    }
    const jobs = ranges(count, parts, kernel === 'attentionForward' ? 4 : 1).map(([from, to]) => ({
      mod: 2,
      fn: ATTENTION_FUNCTIONS.indexOf(kernel),
      args: [...args, arena.alloc(scratchBytes), from, to],
    }));
    pool.run(jobs, (job) => fn(...job.args));
  };
}

interface State {
  pool: Pool;
  threads: number;
  gemm: WasmModule<GemmExports>;
  rows: WasmModule<RowwiseExports>;
  attention: WasmModule<AttentionExports>;
}
let state: State | null = null;

function start(threads: number): State | null {
  if (state && state.threads === threads) return state;
  void closeThreads();
  const gemm = instantiate<GemmExports>(gemmWasm, { shared: true });
  const rows = instantiate<RowwiseExports>(rowwiseWasm, { shared: true });
  const attention = instantiate<AttentionExports>(attentionWasm, { shared: true });
  if (!gemm || !rows || !attention) return null;
  const pool = new Pool(threads - 1, [
    { module: gemm.module, memory: gemm.memory, names: GEMM_FUNCTIONS },
    { module: rows.module, memory: rows.memory, names: ROW_FUNCTIONS },
    { module: attention.module, memory: attention.memory, names: ATTENTION_FUNCTIONS },
  ]);
  state = { pool, threads, gemm, rows, attention };
  return state;
}

/**
 * The WebAssembly kernels on a pool of `threads` threads (the main thread and threads − 1
 * workers, started now and shared by every backend this returns), or null without WebAssembly
 * SIMD or shared memory. Until the workers have started (`threadsReady()`), calls run on the
 * main thread alone.
 */
export function createThreadedWasmKernels(options: ThreadOptions = {}): (Partial<Kernels> & { name: string }) | null {
  const threads = Math.max(1, Math.floor(options.threads ?? Math.min(2, availableParallelism())));
  const s = start(threads);
  if (!s) return null;
  const small = options.smallFallback ?? true;
  const gemmArena = new Arena(s.gemm.memory, s.gemm.heapBase);
  const rowsArena = new Arena(s.rows.memory, s.rows.heapBase);
  // dropout masks on this thread alone: one is a single pass of well under a millisecond
  const random = instantiate<RandomExports>(randomWasm, {});
  return {
    name: `${s.gemm.variant === 'relaxedShared' ? 'wasm-relaxed-simd' : 'wasm-simd'}-threads-${threads}`,
    gemm: wasmGemm(gemmArena, threadedGemm(s.pool, s.gemm, options.minParallelWork ?? MIN_PARALLEL_GEMM), small),
    ...wasmRowwise(
      s.rows.exports,
      rowsArena,
      threadedRows(s.pool, s.rows, options.minParallelWork ?? MIN_PARALLEL_ROWS),
      small,
    ),
    ...wasmAttention(
      s.attention.exports,
      new Arena(s.attention.memory, s.attention.heapBase),
      threadedAttention(s.pool, s.attention, options.minParallelWork ?? MIN_PARALLEL_ATTENTION),
      small,
    ),
    ...(random && { keepMask: wasmKeepMask(random.exports, new Arena(random.memory, random.heapBase), small) }),
  };
}

/** Resolves once every worker of the current pool has started (at once when there is no pool). */
export function threadsReady(): Promise<void> {
  return state ? state.pool.ready : Promise.resolve();
}

/** The current pool: its size, how many workers have started, how many jobs they have run. */
export function threadPoolStats(): { threads: number; workersReady: number; workerJobs: number } {
  if (!state) return { threads: 0, workersReady: 0, workerJobs: 0 };
  return { threads: state.threads, workersReady: state.pool.available(), workerJobs: state.pool.workerJobs };
}

/** Stops the workers. Backends made before keep working, on the main thread alone. */
export async function closeThreads(): Promise<void> {
  const s = state;
  state = null;
  if (s) await s.pool.close();
}
