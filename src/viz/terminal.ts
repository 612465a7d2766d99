/**
 * Terminal heatmaps of attention maps: one character cell per weight, shaded with Unicode
 * blocks (and 256-colour backgrounds when asked). Takes plain data; knows nothing of models.
 */
export interface HeatmapOptions {
  rowLabels?: string[];
  colLabels?: string[];
  /** Use ANSI 256-colour backgrounds (only when the terminal supports it). */
  color?: boolean;
}

const SHADES = [' ', '░', '▒', '▓', '█'];

/** rows × cols weights in [0, 1] (each row usually sums to 1) → a multi-line string. */
export function heatmap(weights: readonly (readonly number[])[], options: HeatmapOptions = {}): string {
  const rows = weights.length;
  const cols = rows > 0 ? weights[0].length : 0;
  const rl = options.rowLabels ?? Array.from({ length: rows }, (_, i) => String(i));
  const cl = options.colLabels ?? Array.from({ length: cols }, (_, j) => String(j));
  const lw = Math.max(0, ...rl.map((s) => s.length));
  const cw = Math.max(2, ...cl.map((s) => s.length));
  const lines = [' '.repeat(lw + 1) + cl.map((s) => s.padStart(cw)).join('')];
  for (let i = 0; i < rows; i++) {
    let line = (rl[i] ?? '').padStart(lw) + ' ';
    for (let j = 0; j < cols; j++) {
      const w = Math.min(1, Math.max(0, weights[i][j] || 0));
      const shade = SHADES[Math.min(SHADES.length - 1, Math.round(w * (SHADES.length - 1)))];
      if (options.color) {
        const grey = 232 + Math.round(w * 23); // the 24-step grey ramp of the 256-colour palette
        line += `\x1b[48;5;${grey}m${shade.repeat(cw)}\x1b[0m`;
      } else line += shade.repeat(cw);
    }
    lines.push(line);
  }
  return lines.join('\n');
}
