/**
 * A standalone SVG figure of an attention map: one <rect> per weight, source tokens across the
 * top, target tokens down the left, a colour bar and a title. The output is a string that
 * depends only on its input (fixed number formatting, no random ids), so it can be committed
 * as a golden file or inlined in a page; cells carry data-row/data-col/data-weight for hover.
 */
import { colorAt, luminance, toHex, type ColormapName } from './colormap.js';
import {
  checkMarks,
  formatNumber,
  prepareMap,
  type AttentionMap,
  type Cell,
  type Normalize,
  type Window,
  truncateLabel,
} from './map.js';

export interface SvgOptions {
  /** Side of a cell in px (default 24). */
  cellSize?: number;
  /** Colour map (default 'viridis'). */
  colormap?: ColormapName;
  /** Scaling of weights before colouring (default 'none'); see {@link Normalize}. */
  normalize?: Normalize;
  /** Font size in px (default 12). */
  fontSize?: number;
  /** Labels longer than this are cut with '…' (default 20). */
  maxLabelLength?: number;
  /** Cells outlined in red, e.g. the positions hard attention chose. */
  highlight?: readonly Cell[];
  /** Per row, the inclusive column range local attention may use: outlined with a dashed line. */
  windows?: readonly Window[];
  /** A <title> in each cell, which browsers show on hover (default true). */
  tooltips?: boolean;
}

// Labels are set in a monospace font so their width, needed for the layout, is known without
// measuring text: about 0.6 em per character in the common monospace fonts.
const FONT = 'ui-monospace, Menlo, Consolas, monospace';
const CHAR_EM = 0.6;
const PAD = 8;
const BAR_WIDTH = 12;
const HIGHLIGHT = '#ff2d55';

/** Escape text for XML content and attribute values; characters XML 1.0 forbids (controls) become U+FFFD. */
export function escapeXml(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Draw an attention map as a standalone SVG document (a string starting with "<svg"). */
export function renderSvg(map: AttentionMap, options: SvgOptions = {}): string {
  const where = 'renderSvg';
  const cs = positive(options.cellSize ?? 24, 'cellSize', where);
  const fs = positive(options.fontSize ?? 12, 'fontSize', where);
  const maxLen = options.maxLabelLength ?? 20;
  if (!Number.isInteger(maxLen) || maxLen < 1) {
    throw new Error(`${where}: maxLabelLength must be an integer ≥ 1, received ${maxLen}`);
  }
  const cmap = options.colormap ?? 'viridis';
  const m = prepareMap(map, options.normalize ?? 'none', where);
  checkMarks(options.highlight, options.windows, m.rows, m.cols, where);
  const n = (x: number) => formatNumber(x, 2);
  const textWidth = (s: string) => Array.from(s).length * CHAR_EM * fs;

  const rowLabels = m.rowLabels.map((s) => truncateLabel(s, maxLen));
  const colLabels = m.colLabels.map((s) => truncateLabel(s, maxLen));
  const rotate = colLabels.some((s) => textWidth(s) > cs - 2);
  const titleH = m.title !== undefined ? 1.5 * fs + PAD : 0;
  const colH = rotate ? Math.max(...colLabels.map(textWidth)) + PAD : fs + PAD;
  const x0 = PAD + Math.max(0, ...rowLabels.map(textWidth)) + PAD;
  const y0 = PAD + titleH + colH;
  const gridW = m.cols * cs;
  const gridH = m.rows * cs;
  const barX = x0 + gridW + 2 * PAD;
  const barH = Math.max(gridH, 5 * fs);
  const ticks = [0, 0.5, 1].map((t) =>
    options.normalize === 'row' ? `${formatNumber(t, 2)}·max` : formatNumber(t * m.vmax, 3),
  );
  const width = barX + BAR_WIDTH + 4 + Math.max(...ticks.map(textWidth)) + PAD;
  const height = y0 + Math.max(gridH, barH) + PAD + fs / 2; // room for the half of the '0' tick below the bar

  const out: string[] = [];
  const label = m.title ?? 'attention map';
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n(width)}" height="${n(height)}" viewBox="0 0 ${n(width)} ${n(height)}" font-family="${FONT}" font-size="${n(fs)}" role="img" aria-label="${escapeXml(label)}">`,
  );
  out.push(`<title>${escapeXml(label)}</title>`);
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  if (m.title !== undefined) {
    out.push(
      `<text x="${n(width / 2)}" y="${n(PAD + fs * 1.2)}" text-anchor="middle" font-size="${n(fs * 1.25)}" font-weight="bold">${escapeXml(m.title)}</text>`,
    );
  }
  // source tokens across the top: upright when they fit a cell, else rotated to read upwards
  colLabels.forEach((s, j) => {
    const cx = n(x0 + (j + 0.5) * cs);
    const full = escapeXml(m.colLabels[j]);
    if (rotate) {
      const y = n(y0 - PAD / 2);
      out.push(
        `<text class="col-label" x="${cx}" y="${y}" transform="rotate(-90 ${cx} ${y})" dominant-baseline="middle">${escapeXml(s)}<title>${full}</title></text>`,
      );
    } else {
      out.push(`<text class="col-label" x="${cx}" y="${n(y0 - PAD / 2)}" text-anchor="middle">${escapeXml(s)}</text>`);
    }
  });
  // target tokens down the left
  rowLabels.forEach((s, i) => {
    out.push(
      `<text class="row-label" x="${n(x0 - PAD / 2)}" y="${n(y0 + (i + 0.5) * cs)}" text-anchor="end" dominant-baseline="middle">${escapeXml(s)}</text>`,
    );
  });
  out.push(`<g class="cells" shape-rendering="crispEdges">`); // no hairline seams between neighbouring cells
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) {
      const w = m.weights[i][j];
      const attrs = `x="${n(x0 + j * cs)}" y="${n(y0 + i * cs)}" width="${n(cs)}" height="${n(cs)}" fill="${toHex(colorAt(m.scaled[i][j], cmap))}" data-row="${i}" data-col="${j}" data-weight="${formatNumber(w)}"`;
      if (options.tooltips === false) out.push(`<rect ${attrs}/>`);
      else {
        const tip = `${m.rowLabels[i]} → ${m.colLabels[j]}: ${formatNumber(w)}`;
        out.push(`<rect ${attrs}><title>${escapeXml(tip)}</title></rect>`);
      }
    }
  }
  out.push(`</g>`);
  options.windows?.forEach((win, i) => {
    if (win === null) return;
    const a = Math.max(0, win[0]);
    const b = Math.min(m.cols - 1, win[1]);
    if (a > b) return; // the window lies wholly outside the map
    out.push(
      `<rect class="window" x="${n(x0 + a * cs + 1)}" y="${n(y0 + i * cs + 1)}" width="${n((b - a + 1) * cs - 2)}" height="${n(cs - 2)}" fill="none" stroke="#ffffff" stroke-width="1.5" stroke-dasharray="3 2" data-row="${i}" data-first="${win[0]}" data-last="${win[1]}"/>`,
    );
  });
  options.highlight?.forEach(([i, j]) => {
    const edge = luminance(colorAt(m.scaled[i][j], cmap)) > 0.8 ? '#000000' : HIGHLIGHT;
    out.push(
      `<rect class="highlight" x="${n(x0 + j * cs + 1.5)}" y="${n(y0 + i * cs + 1.5)}" width="${n(cs - 3)}" height="${n(cs - 3)}" fill="none" stroke="${edge}" stroke-width="3" data-row="${i}" data-col="${j}"/>`,
    );
  });
  out.push(...colorBar(barX, y0, barH, cmap, ticks, n));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/**
 * The colour bar: a gradient whose id names only the colour map, so two figures inlined in one
 * page that share an id also share the same gradient.
 */
function colorBar(x: number, y: number, h: number, cmap: ColormapName, ticks: string[], n: (x: number) => string) {
  const id = `attend-colorbar-${cmap}`;
  const stops = Array.from({ length: 17 }, (_, k) => {
    const t = k / 16;
    return `<stop offset="${n(t)}" stop-color="${toHex(colorAt(t, cmap))}"/>`;
  });
  const out = [
    `<defs><linearGradient id="${id}" x1="0" y1="1" x2="0" y2="0">${stops.join('')}</linearGradient></defs>`,
    `<rect class="colorbar" x="${n(x)}" y="${n(y)}" width="${BAR_WIDTH}" height="${n(h)}" fill="url(#${id})" stroke="#444444" stroke-width="0.5"/>`,
  ];
  ticks.forEach((tick, k) => {
    const ty = y + h * (1 - k / (ticks.length - 1));
    out.push(
      `<text class="tick" x="${n(x + BAR_WIDTH + 4)}" y="${n(ty)}" dominant-baseline="middle">${escapeXml(tick)}</text>`,
    );
  });
  return out;
}

function positive(x: number, name: string, where: string): number {
  if (!(typeof x === 'number' && Number.isFinite(x) && x > 0)) {
    throw new Error(`${where}: ${name} must be a positive number, received ${String(x)}`);
  }
  return x;
}
