import type { CaseSpec } from './cases.js';
import { type Outcome, isFailed, isSkipped, isTiming } from './timing.js';

/** One column of the table: an attend backend or a peer. */
export interface Column {
  label: string;
  /** attend backends are compared with the peers. */
  attend: boolean;
  /** The outcome of each case, by case id. */
  outcomes: Map<string, Outcome>;
}

export interface Table {
  header: string[];
  rows: string[][];
  /** Columns of text (left-aligned); the others are figures (right-aligned). */
  textColumns: number[];
}

const gflops = (c: CaseSpec, ms: number) => c.flops / ms / 1e6;

/** Runs per second, the common currency of the ratios (higher is faster). */
function speed(o: Outcome | undefined): number | null {
  return isTiming(o) ? 1000 / o.median : null;
}

function fmtNum(x: number): string {
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

function fmtMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${fmtNum(ms)} ms`;
}

export function cell(c: CaseSpec, o: Outcome | undefined): string {
  if (o === undefined) return '–';
  if (isFailed(o)) return 'error';
  if (isSkipped(o)) {
    if (o.estimateMs === undefined) return 'skipped';
    return c.unit === 'GFLOP/s' ? `≈${fmtNum(gflops(c, o.estimateMs))} (est.)` : `≈${fmtMs(o.estimateMs)} (est.)`;
  }
  const v = c.unit === 'GFLOP/s' ? fmtNum(gflops(c, o.median)) : fmtMs(o.median);
  return o.cold ? `${v} (1 run)` : v;
}

function ratio(a: number | null, b: number | null): string {
  if (a === null || b === null) return '–';
  const r = a / b;
  return `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toPrecision(2)}×`;
}

/** The best measured attend outcome of a case (fastest backend). */
export function bestAttend(columns: readonly Column[], c: CaseSpec): { col: Column; o: Outcome } | null {
  let best: { col: Column; o: Outcome } | null = null;
  for (const col of columns) {
    const o = col.outcomes.get(c.id);
    if (!col.attend || !isTiming(o)) continue;
    if (!best || o.median < (best.o as { median: number }).median) best = { col, o };
  }
  return best;
}

/**
 * The summary table: each case's figure per engine (GFLOP/s for sgemm, ms per run otherwise),
 * then, per peer, the speed of attend's best backend ÷ the peer's speed (2× = attend twice as fast),
 * and attend's best as a share of `peak` (GFLOP/s on two threads, measured in the run; bench/peak.ts).
 */
export function summaryTable(cases: readonly CaseSpec[], columns: readonly Column[], peak: number | null): Table {
  const peers = columns.filter((c) => !c.attend);
  const ratioPeers = peers.filter((p) => cases.some((c) => isTiming(p.outcomes.get(c.id))));
  const header = [
    'case',
    'unit',
    ...columns.map((c) => c.label),
    ...ratioPeers.map((p) => `attend ÷ ${p.label}`),
    'best attend: % of peak',
  ];
  const rows = cases.map((c) => {
    const best = bestAttend(columns, c);
    const bestSpeed = best ? speed(best.o) : null;
    let share = '–';
    if (best && isTiming(best.o) && peak) {
      const g = gflops(c, best.o.median);
      share = `${best.col.label.replace(/^attend /, '')}: ${((100 * g) / peak).toFixed(1)}% of ${peak.toFixed(0)}`;
    }
    return [
      c.label,
      c.unit === 'GFLOP/s' ? 'GFLOP/s' : 'ms',
      ...columns.map((col) => cell(c, col.outcomes.get(c.id))),
      ...ratioPeers.map((p) => ratio(bestSpeed, speed(p.outcomes.get(c.id)))),
      share,
    ];
  });
  return { header, rows, textColumns: [0, 1] };
}

/** Every measurement: median and min ms, runs, GFLOP/s (matmul FLOPs, see cases.ts). */
export function detailTable(
  cases: readonly CaseSpec[],
  columns: readonly Column[],
  loads: ReadonlyMap<string, number> = new Map(),
): Table {
  const header = ['case', 'engine', 'median ms', 'min ms', 'runs', 'GFLOP/s (median)', 'load', 'note'];
  const rows: string[][] = [];
  for (const c of cases) {
    for (const col of columns) {
      const o = col.outcomes.get(c.id);
      if (o === undefined) continue;
      const l = loads.get(`${col.label}|${c.id}`);
      const load = l === undefined ? '–' : l.toFixed(1);
      if (isTiming(o)) {
        rows.push([
          c.label,
          col.label,
          fmtNum(o.median),
          fmtNum(o.min),
          o.reps ? `${o.n} × ${o.reps}` : String(o.n),
          fmtNum(gflops(c, o.median)),
          load,
          o.cold ? 'one run, no warm-up' : '',
        ]);
      } else if (isSkipped(o)) {
        const est = o.estimateMs;
        rows.push([
          c.label,
          col.label,
          est ? `≈${fmtNum(est)}` : '–',
          '–',
          '0',
          est ? `≈${fmtNum(gflops(c, est))}` : '–',
          load,
          `not run: ${o.skipped}${est ? '; estimated from the smaller size' : ''}`,
        ]);
      } else {
        rows.push([c.label, col.label, '–', '–', '0', '–', load, `error: ${o.error}`]);
      }
    }
  }
  return { header, rows, textColumns: [0, 1, 7] };
}

/** Fixed-width text for the terminal. */
export function textTable(t: Table): string {
  const all = [t.header, ...t.rows];
  const widths = t.header.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? '')].length)));
  const line = (r: string[]) =>
    r
      .map((x, i) => {
        const pad = ' '.repeat(widths[i] - [...x].length);
        return t.textColumns.includes(i) ? x + pad : pad + x;
      })
      .join('  ');
  return [line(t.header), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)].join('\n');
}

export function markdownTable(t: Table): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const align = t.header.map((_, i) => (t.textColumns.includes(i) ? '---' : '---:'));
  return [t.header, align, ...t.rows].map((r) => `| ${r.map(esc).join(' | ')} |`).join('\n');
}
