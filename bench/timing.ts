import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';

/**
 * The timing helper of `npm run bench`: warm up, then time N runs and keep the min and the
 * median. N adapts to a time budget so that slow backends (the reference loops) still finish:
 * a run predicted to exceed `maxSingleSec` is not run at all, and the caller reports an estimate.
 */

/** One timed case: milliseconds per run. */
export interface Timing {
  /** Median of the timed runs, ms. */
  median: number;
  /** Fastest timed run, ms. */
  min: number;
  /** How many runs were timed. */
  n: number;
  /** True when no separate warm-up run was made (a single slow run). */
  cold?: boolean;
  /** Runs per timed sample when one run is shorter than MIN_SAMPLE_MS (median and min are per run). */
  reps?: number;
}

/** A figure that was not measured, with an extrapolated time (ms) if there is one. */
export interface Skipped {
  skipped: string;
  estimateMs?: number;
}

/** An error the engine raised (out of memory, a missing kernel): shown in the table. */
export interface Failed {
  error: string;
}

export type Outcome = Timing | Skipped | Failed;

export const isTiming = (o: Outcome | undefined): o is Timing => o !== undefined && 'median' in o;
export const isSkipped = (o: Outcome | undefined): o is Skipped => o !== undefined && 'skipped' in o;
export const isFailed = (o: Outcome | undefined): o is Failed => o !== undefined && 'error' in o;

export interface Budget {
  /** Time to spend on the timed runs of one case, seconds (N = budget / one run, clamped). */
  seconds: number;
  /** Fewest and most timed runs. */
  minRuns: number;
  maxRuns: number;
  /** A run predicted longer than this is skipped (the estimate is reported instead). */
  maxSingleSec: number;
}

/** A sample shorter than this is made of several runs (bench/peers/torch_bench.py uses the same). */
export const MIN_SAMPLE_MS = 5;

let gcFn: (() => void) | null | undefined;
/** Collect garbage before a case (outside the timed region), so one case's garbage does not bill the next. */
export function collectGarbage(): void {
  if (gcFn === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    } catch {
      gcFn = null;
    }
  }
  gcFn?.();
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/**
 * Time `run` (synchronous, or a promise for engines that are asynchronous).
 * `predictedMs`, when known (extrapolated from a smaller size), lets a run that is too slow be
 * skipped without trying it, and a slow one be timed once without a warm-up.
 */
export async function measure(
  run: () => unknown,
  budget: Budget,
  predictedMs?: number,
  setup?: () => void,
): Promise<Outcome> {
  if (predictedMs !== undefined && predictedMs > budget.maxSingleSec * 1000) {
    return { skipped: `over the ${budget.maxSingleSec} s limit of one run`, estimateMs: predictedMs };
  }
  // One sample: `reps` back-to-back runs, timed together; the figure is the time per run.
  // Garbage is collected once, before the warm-up, not before each sample: a forced collection
  // leaves the cores idle for milliseconds, and threads woken from idle ran the next sample up to
  // 1.6× slower (sgemm 512 on 2 threads: 47.7 against 77.3 GFLOP/s). Samples run back to back,
  // as a training loop does and as the peers are timed, with the collector running when it would.
  collectGarbage();
  const sample = async (reps: number): Promise<number> => {
    setup?.();
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) await run();
    return (performance.now() - t0) / reps;
  };
  try {
    // A run predicted to eat the whole budget is timed once, cold (its JIT warm-up is noise beside it).
    if (predictedMs !== undefined && predictedMs > budget.seconds * 1000) {
      const t = await sample(1);
      return { median: t, min: t, n: 1, cold: true };
    }
    const warm = await sample(1);
    if (warm > budget.maxSingleSec * 1000) return { median: warm, min: warm, n: 1, cold: true };
    // a second warm-up when the first was quick: V8's optimising tiers need a few calls
    let warm2 = warm < 200 ? await sample(1) : warm;
    // Runs shorter than MIN_SAMPLE_MS are timed in batches (as Python's timeit does), so the
    // timer, the garbage collection before each sample and its cold caches do not dominate them.
    // Without setup only: a setup would otherwise run once per batch, not once per run.
    const reps = setup ? 1 : Math.max(1, Math.ceil(MIN_SAMPLE_MS / Math.max(warm2, 1e-3)));
    if (reps > 1) warm2 = await sample(reps); // and one more warm-up, long enough for the JIT
    const n = Math.max(budget.minRuns, Math.min(budget.maxRuns, Math.floor((budget.seconds * 1000) / (warm2 * reps))));
    const times: number[] = [];
    for (let i = 0; i < n; i++) times.push(await sample(reps));
    return { median: median(times), min: Math.min(...times), n, ...(reps > 1 ? { reps } : {}) };
  } catch (e) {
    return { error: e instanceof Error ? e.message.split('\n')[0].slice(0, 120) : String(e) };
  }
}
