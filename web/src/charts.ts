/**
 * Hand-written SVG charts (a line chart and a bar chart): a few dozen lines instead of a
 * charting library. Built with DOM calls, so no run data is ever parsed as markup.
 */
const NS = 'http://www.w3.org/2000/svg';
const W = 420;
const H = 220;
const M = { left: 52, right: 12, top: 10, bottom: 36 };

function el(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A round tick step (1, 2 or 5 × 10^k) giving about `n` ticks over [lo, hi]. */
function niceStep(lo: number, hi: number, n: number): number {
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw)!;
}

/** About `n` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step = niceStep(lo, hi, n);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** The top of a value axis: `hi` raised to the next round tick, so the highest value has a labelled line above it. */
function niceTop(lo: number, hi: number, n: number): number {
  if (!(hi > lo)) return hi > 0 ? hi : 1;
  const step = niceStep(lo, hi, n);
  return Math.ceil(hi / step - 1e-9) * step;
}

function frame(xLabel: string, yLabel: string): SVGElement {
  const svg = el('svg', {
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'font-size': 11,
    'font-family': 'system-ui, sans-serif',
  });
  svg.append(
    el('text', { x: M.left + (W - M.left - M.right) / 2, y: H - 4, 'text-anchor': 'middle', fill: '#444' }, xLabel),
    el(
      'text',
      {
        x: 12,
        y: M.top + (H - M.top - M.bottom) / 2,
        'text-anchor': 'middle',
        fill: '#444',
        transform: `rotate(-90 12 ${M.top + (H - M.top - M.bottom) / 2})`,
      },
      yLabel,
    ),
  );
  return svg;
}

function axes(
  svg: SVGElement,
  xs: number[],
  ys: number[],
  sx: (x: number) => number,
  sy: (y: number) => number,
  fmtY: (y: number) => string,
) {
  const x0 = M.left;
  const y0 = H - M.bottom;
  for (const y of ys) {
    svg.append(el('line', { x1: x0, x2: W - M.right, y1: sy(y), y2: sy(y), stroke: '#e5e5e5' }));
    svg.append(
      el('text', { x: x0 - 5, y: sy(y), 'text-anchor': 'end', 'dominant-baseline': 'middle', fill: '#555' }, fmtY(y)),
    );
  }
  for (const x of xs)
    svg.append(el('text', { x: sx(x), y: y0 + 14, 'text-anchor': 'middle', fill: '#555' }, String(x)));
  svg.append(el('line', { x1: x0, x2: W - M.right, y1: y0, y2: y0, stroke: '#888' }));
  svg.append(el('line', { x1: x0, x2: x0, y1: M.top, y2: y0, stroke: '#888' }));
}

export interface LineOptions {
  xLabel: string;
  yLabel: string;
  formatY?: (y: number) => string;
  /** Start the y axis at 0 (rates) instead of the data's minimum (losses). */
  yFromZero?: boolean;
  color?: string;
}

export function lineChart(points: { x: number; y: number }[], o: LineOptions): SVGElement {
  const svg = frame(o.xLabel, o.yLabel);
  const fmt = o.formatY ?? ((y: number) => String(y));
  const xMin = Math.min(...points.map((p) => p.x));
  const xMax = Math.max(...points.map((p) => p.x));
  const lo = o.yFromZero ? 0 : Math.min(...points.map((p) => p.y));
  const hi = Math.max(...points.map((p) => p.y));
  // both ends on round ticks, so the lowest and highest values sit between labelled lines
  const yMin = hi > lo ? Math.floor(lo / niceStep(lo, hi, 4) + 1e-9) * niceStep(lo, hi, 4) : lo;
  const yMax = niceTop(yMin, hi, 4);
  const xSpan = xMax > xMin ? xMax - xMin : 1;
  const ySpan = yMax > yMin ? yMax - yMin : 1;
  const sx = (x: number) => M.left + ((x - xMin) / xSpan) * (W - M.left - M.right);
  const sy = (y: number) => H - M.bottom - ((y - yMin) / ySpan) * (H - M.top - M.bottom);
  axes(
    svg,
    niceTicks(xMin, xMax, 5).filter((x) => x >= xMin),
    niceTicks(yMin, yMax, 4).filter((y) => y >= yMin),
    sx,
    sy,
    fmt,
  );
  const d = points.map((p, i) => `${i ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join('');
  svg.append(el('path', { d, fill: 'none', stroke: o.color ?? '#3b5bdb', 'stroke-width': 1.6 }));
  if (points.length <= 40)
    for (const p of points) svg.append(el('circle', { cx: sx(p.x), cy: sy(p.y), r: 2.5, fill: o.color ?? '#3b5bdb' }));
  return svg;
}

/** Bars from 0; `label` under each, `note` (e.g. the count) above it. */
export function barChart(bars: { label: string; value: number; note?: string }[], o: LineOptions): SVGElement {
  const svg = frame(o.xLabel, o.yLabel);
  const fmt = o.formatY ?? ((y: number) => String(y));
  // all zeros (a perfect score) still gets a scale: 0 to 1
  const yMax = niceTop(0, Math.max(...bars.map((b) => b.value)), 4);
  const slot = (W - M.left - M.right) / bars.length;
  const sy = (y: number) => H - M.bottom - (y / yMax) * (H - M.top - M.bottom);
  axes(svg, [], niceTicks(0, yMax, 4), () => 0, sy, fmt);
  bars.forEach((b, i) => {
    const x = M.left + i * slot;
    svg.append(
      el(
        'rect',
        {
          x: x + slot * 0.15,
          y: sy(b.value),
          width: slot * 0.7,
          height: sy(0) - sy(b.value),
          fill: o.color ?? '#2b8a3e',
        },
        undefined,
      ),
    );
    svg.lastElementChild!.append(el('title', {}, `${b.label}: ${fmt(b.value)}${b.note ? ` (${b.note})` : ''}`));
    svg.append(el('text', { x: x + slot / 2, y: H - M.bottom + 14, 'text-anchor': 'middle', fill: '#555' }, b.label));
  });
  return svg;
}
