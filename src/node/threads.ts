/**
 * The WebAssembly backend on several threads (Node only): a persistent pool of worker_threads
 * over the shared-memory builds of the kernel modules. The main thread copies the operands into
 * the shared memory once (only it can read the caller's arrays), each worker runs its block of the
 * output, the main thread runs a block too. A call posts no message: each worker sleeps in Atomics.wait on its own control slot and is
 * woken by Atomics.notify; the main thread waits the same way for each worker's "done".
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
import { Worker } from 'node:worker_threads';
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

// One control slot per worker, 128 bytes apart (no two workers on one cache line).
const SLOT_INTS = 32;
const MAX_ARGS = 24;
const SEQ = 0; // main → worker: job number, bumped to wake the worker
const DONE = 1; // worker → main: number of the last finished job
const MOD = 2; // module index (−1: exit)
const FN = 3; // function index in the module's list
const NARGS = 4;
const ERROR = 5; // 1 when the job threw
const READY = 6; // 1 once the worker has instantiated its modules
const UNITS = 7; // 0: one call; u > 0: call with each unit index claimed from the shared counter, until u
const CURRENT = 8; // worker → main, while claiming: the unit it works on (or last finished); UNITS once out of units
// NOTE: no spinning before Atomics.wait, on either side: with more runnable threads than cores
// (another process, or threads > cores) a spinning thread steals the time of the one it waits
// for; measured 4× slower on a loaded 2-core machine.

// The worker, as source (eval: true): instantiate every module over its shared memory, then
// sleep until woken, run the job, report done. Plain JavaScript, so no loader is needed.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { modules, control, args, slot, claimSlot } = workerData;
const ctl = new Int32Array(control, slot * ${SLOT_INTS * 4}, ${SLOT_INTS});
const claim = new Int32Array(control, claimSlot * ${SLOT_INTS * 4}, 1);
const arg = new Float64Array(args, slot * ${MAX_ARGS * 8}, ${MAX_ARGS});
const abort = () => { throw new Error('WebAssembly kernel aborted'); };
const fns = modules.map(({ module, memory, names }) => {
  const exports = new WebAssembly.Instance(module, { env: { memory, abort } }).exports;
  return names.map((name) => exports[name]);
});
Atomics.store(ctl, ${READY}, 1);
parentPort.postMessage('ready');
let seen = 0;
for (;;) {
  Atomics.wait(ctl, ${SEQ}, seen);
  seen = Atomics.load(ctl, ${SEQ});
  const mod = ctl[${MOD}];
  if (mod < 0) break;
  try {
    const n = ctl[${NARGS}];
    const a = new Array(n);
    for (let i = 0; i < n; i++) a[i] = arg[i];
    const fn = fns[mod][ctl[${FN}]];
    const units = ctl[${UNITS}];
    if (units === 0) fn(...a);
    else {
      for (let u = Atomics.add(claim, 0, 1); u < units; u = Atomics.add(claim, 0, 1)) {
        Atomics.store(ctl, ${CURRENT}, u);
        fn(...a, u);
      }
      Atomics.store(ctl, ${CURRENT}, units);
    }
    ctl[${ERROR}] = 0;
  } catch {
    ctl[${ERROR}] = 1;
  }
  Atomics.store(ctl, ${DONE}, seen);
  Atomics.notify(ctl, ${DONE});
}
`;

const GEMM_FUNCTIONS = ['gemm', 'packB', 'gemmRows'] as const;
const ROW_FUNCTIONS: readonly RowKernel[] = [
  'softmaxForward',
  'softmaxBackward',
  'logSoftmaxForward',
  'logSoftmaxBackward',
  'layerNormForward',
];
const ATTENTION_FUNCTIONS: readonly AttentionKernel[] = ['attentionForward', 'attentionBackward'];

/** A job for one thread: `functions[fn]` of module `mod` with these arguments. */
interface Job {
  mod: number;
  fn: number;
  args: number[];
}

class Pool {
  readonly workers: Worker[] = [];
  private readonly ctl: Int32Array;
  private readonly args: Float64Array;
  /** The unit counter of `runClaimed`, in a slot of its own after the workers' slots. */
  private readonly claim: Int32Array;
  private readonly seq: number[];
  private closed = false;
  /** Jobs run by workers so far. */
  workerJobs = 0;
  readonly ready: Promise<void>;

  constructor(
    workers: number,
    modules: { module: WebAssembly.Module; memory: WebAssembly.Memory; names: readonly string[] }[],
  ) {
    const control = new SharedArrayBuffer((workers + 1) * SLOT_INTS * 4);
    const args = new SharedArrayBuffer(Math.max(1, workers) * MAX_ARGS * 8);
    this.ctl = new Int32Array(control);
    this.claim = new Int32Array(control, workers * SLOT_INTS * 4, 1);
    this.args = new Float64Array(args);
    this.seq = new Array<number>(workers).fill(0);
    const started: Promise<void>[] = [];
    for (let slot = 0; slot < workers; slot++) {
      // execArgv []: the worker needs no TypeScript loader; V8 flags (relaxed SIMD) are process-wide
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        execArgv: [],
        workerData: {
          modules: modules.map(({ module, memory, names }) => ({ module, memory, names })),
          control,
          args,
          slot,
          claimSlot: workers,
        },
      });
      // held (ref'd) until it has started, so that awaiting `ready` keeps the process alive;
      // then unref'd: an idle pool never keeps the process running
      started.push(
        new Promise<void>((resolve) => {
          const done = () => {
            worker.unref();
            resolve();
          };
          worker.once('message', done);
          worker.once('error', done);
          worker.once('exit', done);
        }),
      );
      this.workers.push(worker);
    }
    this.ready = Promise.all(started).then(() => undefined);
  }

  /** Workers that have started and can take a job now (0 once closed). */
  available(): number {
    if (this.closed) return 0;
    let n = 0;
    while (n < this.workers.length && Atomics.load(this.ctl, n * SLOT_INTS + READY) === 1) n++;
    return n;
  }

  /** Runs jobs[1..] on workers 0.. and jobs[0] here (through `local`), and waits for all of them. */
  run(jobs: Job[], local: (job: Job) => void): void {
    for (let w = 0; w + 1 < jobs.length; w++) this.post(w, jobs[w + 1], 0);
    let failure: unknown = null;
    try {
      local(jobs[0]);
    } catch (error) {
      failure = error;
    }
    this.finish(jobs.length - 1, failure);
  }

  /**
   * Work shared out while it runs: units 0..units−1 go to whoever asks next (an atomic counter),
   * jobs[w + 1] on worker w and jobs[0] here each called with a unit's index appended, until none
   * is left. A thread slowed by another process claims fewer units instead of holding up the call.
   * `hooks.first` runs here once the workers are woken, before this thread's first unit;
   * `hooks.progress(f)` after each unit run here and once at the end (f = units): units 0..f−1 are
   * finished, by whichever thread, and their results visible here.
   */
  runClaimed(
    jobs: Job[],
    units: number,
    local: (job: Job, unit: number) => void,
    hooks: { first?: () => void; progress?: (finished: number) => void } = {},
  ): void {
    const helpers = Math.min(jobs.length - 1, units - 1); // no thread woken for nothing to claim
    Atomics.store(this.claim, 0, 0);
    for (let w = 0; w < helpers; w++) this.post(w, jobs[w + 1], units);
    let failure: unknown = null;
    try {
      hooks.first?.();
      for (let u = Atomics.add(this.claim, 0, 1); u < units; u = Atomics.add(this.claim, 0, 1)) {
        local(jobs[0], u);
        hooks.progress?.(this.finishedBelow(helpers, units));
      }
    } catch (error) {
      failure = error;
      Atomics.store(this.claim, 0, units); // the others stop at their next claim
    }
    this.finish(helpers, failure);
    hooks.progress?.(units);
  }

  /**
   * Called here between two units of `runClaimed`: every unit below the result is finished. Units
   * are claimed in increasing order, so a unit below the counter was claimed, and one below each
   * worker's CURRENT (the unit it works on, or one it finished before its next claim) is not in
   * its hands; those run here are done. The atomic loads make the workers' results visible.
   */
  private finishedBelow(helpers: number, units: number): number {
    let below = Math.min(units, Atomics.load(this.claim, 0));
    for (let w = 0; w < helpers; w++) below = Math.min(below, Atomics.load(this.ctl, w * SLOT_INTS + CURRENT));
    return below;
  }

  /** Hands `job` to worker w and wakes it (units: as in `runClaimed`, 0 for one call). */
  private post(w: number, job: Job, units: number): void {
    const base = w * SLOT_INTS;
    if (job.args.length > MAX_ARGS)
      throw new RangeError(`threads: at most ${MAX_ARGS} arguments, received ${job.args.length}`);
    this.ctl[base + MOD] = job.mod;
    this.ctl[base + FN] = job.fn;
    this.ctl[base + NARGS] = job.args.length;
    this.ctl[base + UNITS] = units;
    this.ctl[base + CURRENT] = 0; // nothing finished yet, as far as `finishedBelow` knows
    this.args.set(job.args, w * MAX_ARGS);
    this.seq[w]++;
    this.workerJobs++;
    Atomics.store(this.ctl, base + SEQ, this.seq[w]); // a seq-cst store: the arguments above are visible first
    Atomics.notify(this.ctl, base + SEQ);
  }

  /** Waits for workers 0..posted−1 to finish their jobs; throws the first failure. */
  private finish(posted: number, failure: unknown): void {
    for (let w = 0; w < posted; w++) {
      const at = w * SLOT_INTS + DONE;
      for (let done = Atomics.load(this.ctl, at); done !== this.seq[w]; done = Atomics.load(this.ctl, at)) {
        Atomics.wait(this.ctl, at, done);
      }
      if (this.ctl[w * SLOT_INTS + ERROR] !== 0)
        failure ??= new Error(`threads: a WebAssembly kernel failed in worker ${w}`);
    }
    if (failure) throw failure;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (let w = 0; w < this.workers.length; w++) {
      const base = w * SLOT_INTS;
      this.ctl[base + MOD] = -1;
      Atomics.store(this.ctl, base + SEQ, ++this.seq[w]);
      Atomics.notify(this.ctl, base + SEQ);
    }
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

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
 * (medians 54–57 against 48) with another process busy on one core; 8 units a thread lost at 512³.
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
  const unitRows = Math.min(128, Math.ceil(m / (4 * parts) / 4) * 4);
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
    if (rows > stored) io.storeRows(stored, rows);
    stored = Math.max(stored, rows);
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
