/**
 * The machine's floating-point peak, measured in the run that reports against it: the native
 * addon's FMA loop (native/peak.cc: 16 independent multiply-add chains per thread, no memory
 * traffic) on 1 and 2 threads, with 512-bit (AVX-512) and 256-bit (AVX2) vectors.
 *
 * Why measured and not a constant: issue #7 gave 458 GFLOP/s for two idle cores of this kind of
 * machine (AVX-512 at two FMAs a cycle). The same loop on the machine this bench ran on has given
 * 231 (2026-11-26, idle): about one 512-bit FMA a cycle. A percentage of a peak the cores do not
 * have would flatter nobody and mislead everyone, so every "% of peak" is of the peak measured
 * beside it, and the nominal figure is quoted only as such.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { defaultNativePath } from '../src/node/native.js';

/** Issue #7's figure: two idle Zen 5 cores, AVX-512 FMA loop, GFLOP/s. */
export const NOMINAL_PEAK_2T = 458;

export interface FmaPeak {
  /** 512-bit FMA loop, GFLOP/s on 1 and 2 threads (null: no AVX-512). */
  avx512: { one: number; two: number } | null;
  /** 256-bit FMA loop (null: no AVX2). 128-bit WebAssembly SIMD can at best approach it. */
  avx2: { one: number; two: number } | null;
  /** GFLOP per CPU-second of the widest loop on one thread: the peak of the cycles a process got. */
  perCpuSecond: number;
}

const ISA = { avx2: 1, avx512: 2 } as const;

/** Many short runs (about 3 ms each) of one loop; the best is the one least disturbed by other jobs. */
function bestOfRuns(
  fmaPeak: (isa: number, threads: number, iterations: number) => number,
  isa: number,
  threads: number,
) {
  let best = 0;
  let perCpuSecond = 0;
  for (let r = 0; r < 30; r++) {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const flops = fmaPeak(isa, threads, 1e6);
    const cpu = process.cpuUsage(cpu0);
    best = Math.max(best, flops / ((performance.now() - t0) / 1000) / 1e9);
    perCpuSecond = Math.max(perCpuSecond, flops / ((cpu.user + cpu.system) / 1e6) / 1e9);
  }
  return { best, perCpuSecond };
}

/** The FMA peak now (about a second), or null without the addon or without AVX2. */
export function measureFmaPeak(): FmaPeak | null {
  const path = defaultNativePath();
  if (!existsSync(path)) return null;
  const addon = createRequire(import.meta.url)(path) as {
    fmaPeak(isa: number, threads: number, iterations: number): number;
    info(): { isas: string[] };
  };
  const isas = addon.info().isas;
  const loop = (isa: 'avx2' | 'avx512') => {
    if (!isas.includes(isa)) return null;
    const one = bestOfRuns(addon.fmaPeak, ISA[isa], 1);
    return { one: one.best, two: bestOfRuns(addon.fmaPeak, ISA[isa], 2).best, perCpuSecond: one.perCpuSecond };
  };
  const avx512 = loop('avx512');
  const avx2 = loop('avx2');
  if (!avx2) return null;
  const strip = (x: typeof avx2 | null) => (x ? { one: x.one, two: x.two } : null);
  return { avx512: strip(avx512), avx2: strip(avx2), perCpuSecond: (avx512 ?? avx2).perCpuSecond };
}

/** The better of two measurements (before and after a run), field by field. */
export function bestPeak(a: FmaPeak | null, b: FmaPeak | null): FmaPeak | null {
  if (!a || !b) return a ?? b;
  const max = (x: FmaPeak['avx2'], y: FmaPeak['avx2']) =>
    x && y ? { one: Math.max(x.one, y.one), two: Math.max(x.two, y.two) } : (x ?? y);
  return {
    avx512: max(a.avx512, b.avx512),
    avx2: max(a.avx2, b.avx2),
    perCpuSecond: Math.max(a.perCpuSecond, b.perCpuSecond),
  };
}

/** The widest loop's two-thread peak: what "% of peak" is of. */
export function twoThreadPeak(p: FmaPeak | null): number | null {
  return p ? (p.avx512 ?? p.avx2)!.two : null;
}

/** One line for a report. */
export function describePeak(p: FmaPeak | null): string {
  if (!p)
    return `FMA peak not measured (no native addon); issue #7 gives ${NOMINAL_PEAK_2T} GFLOP/s for two idle cores`;
  const f = (x: { one: number; two: number } | null, name: string) =>
    x ? `${name} ${x.one.toFixed(0)} GFLOP/s on 1 thread, ${x.two.toFixed(0)} on 2` : `no ${name}`;
  return (
    `FMA peak measured in this run (an FMA loop, best of before and after): ${f(p.avx512, 'AVX-512')}; ` +
    `${f(p.avx2, 'AVX2 (256-bit)')}. Issue #7 gives ${NOMINAL_PEAK_2T} for two idle cores (two 512-bit FMAs a cycle)`
  );
}
