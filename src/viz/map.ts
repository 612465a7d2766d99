/**
 * The plain data every renderer takes, its validation and the scaling of weights to [0, 1].
 * Plain arrays on purpose: a browser page, a JSON file or a test can build one without tensors.
 */

/** An attention map: rows are output (target) tokens, columns are input (source) tokens. */
export interface AttentionMap {
  weights: readonly (readonly number[])[];
  rowLabels?: readonly string[];
  colLabels?: readonly string[];
  title?: string;
}

/**
 * How weights become colours.
 * - 'none': the weight itself, clamped to [0, 1] (attention weights already are probabilities).
 * - 'max': divided by the largest weight, so a diffuse map still spans the scale.
 * - 'row': each row divided by its own maximum, to show where each output looks even when its
 *   peak is low.
 */
export type Normalize = 'none' | 'max' | 'row';

/** A cell (row, col), e.g. the position hard attention chose. */
export type Cell = readonly [row: number, col: number];

/** The inclusive column range [first, last] a row may attend to (local attention), or null. */
export type Window = readonly [first: number, last: number] | null;

/** A validated map: labels filled in, weights scaled to [0, 1] as asked. */
export interface PreparedMap {
  rows: number;
  cols: number;
  /** The weights as given. */
  weights: readonly (readonly number[])[];
  /** The weights after normalisation, clamped to [0, 1]: what the colour shows. */
  scaled: number[][];
  rowLabels: string[];
  colLabels: string[];
  title?: string;
  /** The weight that the top of the colour scale stands for ('row': 1, meaning "the row's max"). */
  vmax: number;
}

/** Check a map and throw an error naming the bad argument, what was expected and what was received. */
export function validateMap(map: AttentionMap, where: string): void {
  const { weights } = map;
  if (!Array.isArray(weights))
    throw new Error(`${where}: weights must be an array of rows, received ${typeof weights}`);
  if (weights.length === 0) throw new Error(`${where}: weights must have at least one row, received 0 rows`);
  const cols = Array.isArray(weights[0]) ? weights[0].length : -1;
  if (cols <= 0) throw new Error(`${where}: weights[0] must be a non-empty array of numbers`);
  weights.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== cols) {
      const got = Array.isArray(row) ? `${row.length} columns` : typeof row;
      throw new Error(`${where}: weights is ragged: weights[${i}] has ${got}, expected ${cols} like weights[0]`);
    }
    row.forEach((w, j) => {
      if (typeof w !== 'number' || !Number.isFinite(w)) {
        throw new Error(`${where}: weights[${i}][${j}] must be a finite number, received ${String(w)}`);
      }
    });
  });
  checkLabels(map.rowLabels, weights.length, 'rowLabels', 'row', where);
  checkLabels(map.colLabels, cols, 'colLabels', 'column', where);
}

function checkLabels(labels: readonly string[] | undefined, n: number, name: string, per: string, where: string) {
  if (labels === undefined) return;
  if (!Array.isArray(labels) || labels.length !== n) {
    const got = Array.isArray(labels) ? labels.length : typeof labels;
    throw new Error(`${where}: ${name} must have ${n} labels (one per ${per} of weights), received ${got}`);
  }
  labels.forEach((s, i) => {
    if (typeof s !== 'string') throw new Error(`${where}: ${name}[${i}] must be a string, received ${typeof s}`);
  });
}

/** Validate, fill in index labels and scale the weights for drawing. */
export function prepareMap(map: AttentionMap, normalize: Normalize, where: string): PreparedMap {
  validateMap(map, where);
  const { weights } = map;
  const rows = weights.length;
  const cols = weights[0].length;
  let vmax = 1;
  let scaled: number[][];
  if (normalize === 'none') scaled = weights.map((r) => r.map(clamp01));
  else if (normalize === 'max') {
    vmax = Math.max(...weights.map((r) => Math.max(...r)));
    scaled = weights.map((r) => r.map((w) => (vmax > 0 ? clamp01(w / vmax) : 0)));
  } else if (normalize === 'row') {
    scaled = weights.map((r) => {
      const m = Math.max(...r);
      return r.map((w) => (m > 0 ? clamp01(w / m) : 0));
    });
  } else {
    throw new Error(`${where}: normalize must be 'none', 'max' or 'row', received ${JSON.stringify(normalize)}`);
  }
  return {
    rows,
    cols,
    weights,
    scaled,
    rowLabels: map.rowLabels ? [...map.rowLabels] : Array.from({ length: rows }, (_, i) => String(i)),
    colLabels: map.colLabels ? [...map.colLabels] : Array.from({ length: cols }, (_, j) => String(j)),
    title: map.title,
    vmax,
  };
}

/** Check highlight cells and windows against the map's shape. */
export function checkMarks(
  highlight: readonly Cell[] | undefined,
  windows: readonly Window[] | undefined,
  rows: number,
  cols: number,
  where: string,
): void {
  highlight?.forEach(([r, c], k) => {
    if (!Number.isInteger(r) || !Number.isInteger(c) || r < 0 || r >= rows || c < 0 || c >= cols) {
      throw new Error(`${where}: highlight[${k}] must be a [row, col] inside ${rows}×${cols}, received [${r}, ${c}]`);
    }
  });
  if (windows === undefined) return;
  if (windows.length !== rows) {
    throw new Error(
      `${where}: windows must have ${rows} entries (one per row, null for none), received ${windows.length}`,
    );
  }
  windows.forEach((w, i) => {
    if (w === null) return;
    const [a, b] = w;
    if (!Number.isInteger(a) || !Number.isInteger(b) || a > b) {
      throw new Error(
        `${where}: windows[${i}] must be integers [first, last] with first ≤ last, received [${a}, ${b}]`,
      );
    }
  });
}

export function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** Fixed formatting for numbers written into output (at most `digits` decimals, no "-0"). */
export function formatNumber(x: number, digits = 4): string {
  const s = Number(x.toFixed(digits));
  return String(s === 0 ? 0 : s);
}

/** Cut a label to n code points, the last one '…' (code points, so no surrogate pair is split). */
export function truncateLabel(s: string, n: number): string {
  const chars = Array.from(s);
  return chars.length <= n ? s : chars.slice(0, Math.max(0, n - 1)).join('') + '…';
}
