/**
 * Terminal heatmaps of attention maps: a few character cells per weight, shaded with Unicode
 * blocks, and coloured backgrounds when the caller says the terminal has colour (the CLI
 * decides that from process.stdout; this file must also run in a browser console).
 */
import { colorAt, luminance, type ColormapName, type RGB } from './colormap.js';
import {
  checkMarks,
  prepareMap,
  type AttentionMap,
  type Cell,
  type Normalize,
  type Window,
  truncateLabel,
} from './map.js';

export type TerminalColor = 'none' | '256' | 'truecolor';

export interface TerminalOptions {
  /** 'none': shading only; '256': xterm 256-colour backgrounds; 'truecolor': 24-bit backgrounds. */
  color?: TerminalColor;
  /** Colour map for the backgrounds (default 'viridis'). */
  colormap?: ColormapName;
  /** Scaling of weights before shading (default 'none'); see {@link Normalize}. */
  normalize?: Normalize;
  /** Characters per cell (default 2, at least 1). */
  cellWidth?: number;
  /** Column labels longer than a cell: written top to bottom ('vertical', the default) or cut ('truncate'). */
  columnLabels?: 'vertical' | 'truncate';
  /** Labels longer than this are cut with '…' (default 12). */
  maxLabelLength?: number;
  /** Cells to mark with '◆', e.g. the positions hard attention chose. */
  highlight?: readonly Cell[];
  /** Per row, the inclusive column range local attention may use: drawn as [ ], with '·' outside. */
  windows?: readonly Window[];
  /** Add a line explaining the shades (default false). */
  legend?: boolean;
}

const SHADES = [' ', '░', '▒', '▓', '█'];
const ESC = '\x1b[';
const RESET = '\x1b[0m';

/** Draw an attention map as lines of text: title, column labels, one line per row. */
export function renderTerminal(map: AttentionMap, options: TerminalOptions = {}): string {
  const where = 'renderTerminal';
  const color = options.color ?? 'none';
  if (!['none', '256', 'truecolor'].includes(color)) {
    throw new Error(`${where}: color must be 'none', '256' or 'truecolor', received ${JSON.stringify(color)}`);
  }
  const cw = options.cellWidth ?? 2;
  if (!Number.isInteger(cw) || cw < 1) throw new Error(`${where}: cellWidth must be an integer ≥ 1, received ${cw}`);
  const maxLen = options.maxLabelLength ?? 12;
  if (!Number.isInteger(maxLen) || maxLen < 1) {
    throw new Error(`${where}: maxLabelLength must be an integer ≥ 1, received ${maxLen}`);
  }
  const m = prepareMap(map, options.normalize ?? 'none', where);
  checkMarks(options.highlight, options.windows, m.rows, m.cols, where);
  const cmap = options.colormap ?? 'viridis';
  const paint = (rgb: RGB, text: string, marks: boolean[]) => paintCell(rgb, text, marks, color);

  const rowLabels = m.rowLabels.map((s) => truncateLabel(s, maxLen));
  const lw = Math.max(0, ...rowLabels.map(width));
  const indent = ' '.repeat(lw + 1);
  const lines: string[] = [];
  if (m.title !== undefined) lines.push(m.title);
  lines.push(...columnHeader(m.colLabels, cw, maxLen, options.columnLabels ?? 'vertical').map((l) => indent + l));

  const highlighted = new Set((options.highlight ?? []).map(([r, c]) => r * m.cols + c));
  for (let i = 0; i < m.rows; i++) {
    let line = padStart(rowLabels[i], lw) + ' ';
    const win = options.windows?.[i] ?? null;
    for (let j = 0; j < m.cols; j++) {
      const w = m.scaled[i][j];
      const chars = Array<string>(cw).fill(SHADES[Math.round(w * (SHADES.length - 1))]);
      const marks = Array<boolean>(cw).fill(false);
      const put = (k: number, ch: string) => ((chars[k] = ch), (marks[k] = true));
      if (win !== null && (j < win[0] || j > win[1])) chars.forEach((_, k) => put(k, '·'));
      if (win !== null && j === win[0]) put(0, '[');
      if (win !== null && j === win[1]) put(cw - 1, ']');
      if (highlighted.has(i * m.cols + j)) {
        // the marker takes the first slot a bracket left free; with none free it wins over the bracket
        const k = marks.findIndex((taken, idx) => !taken || chars[idx] === '·');
        put(k < 0 ? 0 : k, '◆');
      }
      line += paint(colorAt(w, cmap), chars.join(''), marks);
    }
    lines.push(color === 'none' ? line : line + RESET);
  }
  if (options.legend) {
    const scale = options.normalize === 'row' ? 'row max' : options.normalize === 'max' ? 'map max' : '1';
    const ramp = SHADES.map((s, k) => paint(colorAt(k / (SHADES.length - 1), cmap), s, [false])).join('');
    lines.push(`${indent}0 ${ramp}${color === 'none' ? '' : RESET} ${scale}`);
  }
  return lines.join('\n');
}

/**
 * One cell. In colour the shade glyphs take the cell's own colour, so the screen shows flat
 * colour while text copied without its escapes still shows the shading; marks get black or
 * white, whichever stands out.
 */
function paintCell(rgb: RGB, text: string, marks: boolean[], color: TerminalColor): string {
  if (color === 'none') return text;
  const bg = color === 'truecolor' ? `48;2;${rgb.join(';')}` : `48;5;${xterm256(rgb)}`;
  const same = color === 'truecolor' ? `38;2;${rgb.join(';')}` : `38;5;${xterm256(rgb)}`;
  const contrast = luminance(rgb) > 0.5 ? '30' : '97';
  let out = `${ESC}${bg};${same}m`;
  const chars = Array.from(text);
  chars.forEach((ch, k) => {
    if (marks[k]) out += `${ESC}${contrast}m${ch}${ESC}${same}m`;
    else out += ch;
  });
  return out;
}

/** The nearest colour of the xterm 256-colour palette: the 6×6×6 cube (16–231) or the grey ramp (232–255). */
export function xterm256([r, g, b]: RGB): number {
  const levels = [0, 95, 135, 175, 215, 255];
  const nearest = (c: number) =>
    levels.reduce((best, l, k) => (Math.abs(l - c) < Math.abs(levels[best] - c) ? k : best), 0);
  const [ri, gi, bi] = [nearest(r), nearest(g), nearest(b)];
  const cube = 16 + 36 * ri + 6 * gi + bi;
  const cubeDist = (levels[ri] - r) ** 2 + (levels[gi] - g) ** 2 + (levels[bi] - b) ** 2;
  const k = Math.min(23, Math.max(0, Math.round(((r + g + b) / 3 - 8) / 10)));
  const grey = 8 + 10 * k;
  const greyDist = (grey - r) ** 2 + (grey - g) ** 2 + (grey - b) ** 2;
  return greyDist < cubeDist ? 232 + k : cube;
}

/** Header lines for the column labels: one line when all fit, else vertical or cut. */
function columnHeader(labels: string[], cw: number, maxLen: number, mode: 'vertical' | 'truncate'): string[] {
  const cut = labels.map((s) => truncateLabel(s, maxLen));
  if (cut.every((s) => width(s) <= cw)) return [cut.map((s) => padStart(s, cw)).join('')];
  if (mode === 'truncate') return [labels.map((s) => padStart(truncateLabel(s, cw), cw)).join('')];
  if (mode !== 'vertical') {
    throw new Error(`renderTerminal: columnLabels must be 'vertical' or 'truncate', received ${JSON.stringify(mode)}`);
  }
  // each label reads downwards in its cell's last character slot, ending just above the grid
  const height = Math.max(...cut.map(width));
  return Array.from({ length: height }, (_, line) =>
    cut
      .map((s) => {
        const chars = Array.from(s);
        const ch = chars[line - (height - chars.length)] ?? ' ';
        return ' '.repeat(cw - 1) + ch;
      })
      .join('')
      .trimEnd(),
  );
}

/** Length in code points (so a label with an emoji or a non-BMP letter is not split in half). */
function width(s: string): number {
  return Array.from(s).length;
}

function padStart(s: string, n: number): string {
  return ' '.repeat(Math.max(0, n - width(s))) + s;
}

/** Options of the first terminal heatmap (`npm start`); new code should call {@link renderTerminal}. */
export interface HeatmapOptions extends Omit<TerminalOptions, 'color'> {
  rowLabels?: string[];
  colLabels?: string[];
  /** true: 256-colour backgrounds (as before); or a {@link TerminalColor}. */
  color?: boolean | TerminalColor;
}

/** rows × cols weights in [0, 1] (each row usually sums to 1) → a multi-line string. */
export function heatmap(weights: readonly (readonly number[])[], options: HeatmapOptions = {}): string {
  const { rowLabels, colLabels, color, ...rest } = options;
  const mode: TerminalColor = color === true ? '256' : color === false || color === undefined ? 'none' : color;
  return renderTerminal({ weights, rowLabels, colLabels }, { ...rest, color: mode });
}
