/** Reading a run's log.jsonl and its score files on the page. */

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

/** A JSON file of the run, or null when the run has none (404). */
export async function fetchJson<T>(path: string): Promise<T | null> {
  const r = await fetch(path);
  return r.ok ? ((await r.json()) as T) : null;
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
