/**
 * The worker pool behind the threaded WebAssembly backend (src/node/threads.ts): worker_threads
 * over the shared-memory builds of the kernel modules, woken and waited for through Atomics on
 * one control slot each, never by messages. It knows modules, functions and numeric arguments,
 * nothing of what the kernels compute.
 */
import { Worker } from 'node:worker_threads';

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

/** A job for one thread: `functions[fn]` of module `mod` with these arguments. */
export interface Job {
  mod: number;
  fn: number;
  args: number[];
}

export class Pool {
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
