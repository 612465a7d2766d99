/** Reading a run's log.jsonl and its score files on the page. */
import { lineChart } from './charts.js';

/** log.jsonl: one JSON record a line; a torn last line (training still writing) is skipped. */
export function parseLog(text: string): Record<string, unknown>[] {
  return text.split('\n').flatMap((line) => {
    try {
      return line.trim() ? [JSON.parse(line) as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

let present: Promise<Set<string>> | null = null;

/**
 * The optional files the run has (GET /api/run.json, asked once): the page never requests a
 * missing one, since the browser logs every 404 in the console as an error.
 */
function runFiles(): Promise<Set<string>> {
  present ??= fetch('/api/run.json').then(async (r) => new Set(r.ok ? ((await r.json()) as { files: string[] }).files : [])); // prettier-ignore
  return present;
}

/** A file of the run by name (log.jsonl, eval.json, report.json, eval-caption.json), or null when it has none. */
export async function fetchRunFile(name: string): Promise<Response | null> {
  if (!(await runFiles()).has(name)) return null;
  const r = await fetch(`/api/${name}`);
  return r.ok ? r : null;
}

/** A JSON file of the run by name, or null when the run has none. */
export async function fetchRunJson<T>(name: string): Promise<T | null> {
  const r = await fetchRunFile(name);
  return r ? ((await r.json()) as T) : null;
}

/** A JSON file the server always makes (such as /api/scenes.json), or null on an error status. */
export async function fetchJson<T>(path: string): Promise<T | null> {
  const r = await fetch(path);
  return r.ok ? ((await r.json()) as T) : null;
}

/** The dev metric a page draws from the eval records of log.jsonl. */
export interface DevCurve {
  /** The metric of one eval record, or undefined when the record lacks it. */
  value: (record: Record<string, unknown>) => unknown;
  label: string;
  /** Start the y axis at 0 (else at the lowest value). */
  fromZero: boolean;
  /** Said when the log has no eval record yet. */
  none: string;
}

/** The training loss and one dev metric from the run's log.jsonl (or a note where there is nothing to draw). */
export async function drawTrainingCurves(loss: HTMLElement, dev: HTMLElement, curve: DevCurve): Promise<void> {
  const log = await fetchRunFile('log.jsonl');
  if (!log) {
    say(loss, 'no log.jsonl in this run');
    say(dev, 'no log.jsonl in this run');
    return;
  }
  const records = parseLog(await log.text());
  const steps = records.filter((r) => r.type === 'step' && typeof r.loss === 'number');
  const evals = records.filter((r) => r.type === 'eval' && typeof curve.value(r) === 'number');
  if (steps.length)
    loss.replaceChildren(lineChart(steps.map((r) => ({ x: r.step as number, y: r.loss as number })), { xLabel: 'step', yLabel: 'loss' })); // prettier-ignore
  else say(loss, 'no training steps logged yet');
  const pct = (y: number) => `${(100 * y).toFixed(1)} %`;
  if (evals.length)
    dev.replaceChildren(
      lineChart(
        evals.map((r) => ({ x: r.step as number, y: curve.value(r) as number })),
        { xLabel: 'step', yLabel: curve.label, formatY: pct, yFromZero: curve.fromZero, color: '#c92a2a' },
      ),
    );
  else say(dev, curve.none);
}

/** A muted sentence in place of a chart. */
export function say(container: HTMLElement, text: string): void {
  const p = document.createElement('p');
  p.className = 'muted';
  p.textContent = text;
  container.replaceChildren(p);
}

/** A two-column table of named figures, built with DOM calls (no run data parsed as markup). */
export function scoreTable(rows: [string, string][]): HTMLTableElement {
  const table = document.createElement('table');
  table.className = 'scores';
  for (const [name, value] of rows) {
    const tr = table.insertRow();
    tr.insertCell().textContent = name;
    const v = tr.insertCell();
    v.textContent = value;
    v.className = 'mono';
  }
  return table;
}
