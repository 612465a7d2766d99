/**
 * The caption view: pick one of the server's test scenes; the worker captions it greedily; the
 * page draws the scene with its items' boxes, the predicted and the reference caption, and one
 * attention overlay per word (src/viz/overlay.ts: α upsampled over the image, Xu et al.'s
 * figures). Hover or click a word to see its map over the large image.
 */
import { viz, type CaptionerSpec } from '../../src/index.js';
import type { CaptionResult, ScenesJSON, SceneJSON } from './caption-model.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { drawTrainingCurves, fetchJson, fetchRunJson, say, scoreTable } from './run-log.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
/** The large view draws each scene pixel as SCALE × SCALE canvas pixels (boxes stay sharp). */
const SCALE = 4;

let worker: Worker;
let scenes: SceneJSON[] = [];
let nextId = 0;
let latest = -1;
let current: { scene: SceneJSON; pixels: Uint8Array; result: CaptionResult } | null = null;
/** Hard attention looks at one cell per word (the argmax of α in eval, Xu et al. §4.1): outline it. */
let hard = false;

function setStatus(text: string, error = false) {
  const status = $('caption-status');
  status.textContent = text;
  status.classList.toggle('error', error);
}

function describe(s: CaptionerSpec): string {
  const attention = s.attention === 'none' ? 'no attention' : `${s.attention} attention`;
  return `Show, Attend and Tell captioner: ${attention}, LSTM hidden ${s.hidden}`;
}

/** Called by main.ts once the worker has loaded a caption run. */
export async function start(w: Worker, ready: FromWorker & { type: 'ready'; task: 'caption' }) {
  worker = w;
  hard = ready.spec.attention === 'hard';
  $('caption-page').hidden = false;
  $('run-info').textContent =
    `${describe(ready.spec)} · ${ready.parameters.toLocaleString('en')} parameters · ` +
    `weights loaded in ${ready.loadMs.toFixed(0)} ms · kernels: ${ready.backend}`;
  worker.onmessage = (event: MessageEvent<FromWorker>) => {
    const m = event.data;
    if ((m.type !== 'result' && m.type !== 'error') || m.id !== latest) return;
    if (m.type === 'error') return setStatus(m.message, true);
    if (m.task !== 'caption') return;
    setStatus(`captioned in ${m.ms.toFixed(0)} ms (greedy, beam 1)`);
    const scene = scenes[Number(select.value)];
    current = { scene, pixels: Uint8Array.from(atob(scene.pixels), (c) => c.charCodeAt(0)), result: m.result };
    show();
  };
  loadTraining().catch((e: Error) => setStatus(`charts: ${e.message}`, true));
  const select = $<HTMLSelectElement>('scene');
  const served = await fetchJson<ScenesJSON>('/api/scenes.json');
  if (!served?.scenes?.length) return setStatus('the server has no test scenes for this run', true);
  scenes = served.scenes;
  $('scene-caption').textContent = served.source;
  select.replaceChildren(...scenes.map((s, i) => new Option(`scene ${i}: ${s.caption.join(' ')}`, String(i))));
  select.disabled = false;
  select.addEventListener('change', () => caption(Number(select.value)));
  const maps = $('word-maps');
  const pick = (e: Event) => {
    const t = (e.target as Element).closest?.('[data-word]')?.getAttribute('data-word');
    if (t !== null && t !== undefined) drawLarge(Number(t));
  };
  for (const el of [maps, $('caption-words')]) {
    el.addEventListener('mouseover', pick);
    el.addEventListener('click', pick);
  }
  document.body.dataset.ready = 'true';
  caption(0);
}

function caption(index: number) {
  latest = nextId++;
  setStatus('captioning…');
  worker.postMessage({ id: latest, scene: scenes[index] } satisfies ToWorker);
}

/** α of word t as the Hg × Wg grid overlayAttention takes. */
function gridOf(r: CaptionResult, t: number): number[][] {
  const [Hg, Wg] = r.grid;
  return Array.from({ length: Hg }, (_, y) => r.attention![t].slice(y * Wg, (y + 1) * Wg));
}

/** RGBA of the scene alone, or with word t's attention blended over it. */
function rgbaOf(t: number | null): ImageData {
  const { scene, pixels, result } = current!;
  const image = { data: pixels, width: scene.width, height: scene.height };
  if (t !== null && result.attention) {
    const o = viz.overlayAttention(image, gridOf(result, t));
    return new ImageData(new Uint8ClampedArray(o.data), o.width, o.height);
  }
  const rgba = new Uint8ClampedArray(pixels.length * 4);
  pixels.forEach((v, p) => rgba.set([v, v, v, 255], 4 * p));
  return new ImageData(rgba, scene.width, scene.height);
}

/** Paint `img` on `canvas` scaled up by `scale`, pixels kept square (no smoothing). */
function paint(canvas: HTMLCanvasElement, img: ImageData, scale: number) {
  const small = document.createElement('canvas');
  small.width = img.width;
  small.height = img.height;
  small.getContext('2d')!.putImageData(img, 0, 0);
  canvas.width = img.width * scale;
  canvas.height = img.height * scale;
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
  return ctx;
}

/** The large view: the scene (or word t's overlay) and every item's box, the named one highlighted. */
function drawLarge(t: number | null) {
  if (!current) return;
  const ctx = paint($<HTMLCanvasElement>('scene-canvas'), rgbaOf(t), SCALE);
  current.scene.items.forEach((item, i) => {
    const b = item.box;
    const named = t === i;
    ctx.strokeStyle = named ? '#ff2d55' : '#4dabf7';
    ctx.lineWidth = named ? 3 : 1.5;
    ctx.strokeRect(b.x * SCALE, b.y * SCALE, b.width * SCALE, b.height * SCALE);
    // the name on a dark tag, readable over bright pixels and bright attention alike
    ctx.font = '15px system-ui, sans-serif';
    const tag = ctx.measureText(item.name).width + 6;
    ctx.fillStyle = 'rgba(0, 0, 0, 0.7)';
    ctx.fillRect(b.x * SCALE, b.y * SCALE, tag, 19);
    ctx.fillStyle = ctx.strokeStyle;
    ctx.fillText(item.name, b.x * SCALE + 3, b.y * SCALE + 15);
  });
  const alpha = t !== null ? current.result.attention?.[t] : undefined;
  if (hard && alpha) {
    // the cell hard attention took: the grid cell of the largest α, in the image's pixels
    const [Hg, Wg] = current.result.grid;
    const cell = alpha.indexOf(Math.max(...alpha));
    const w = (current.scene.width / Wg) * SCALE;
    const h = (current.scene.height / Hg) * SCALE;
    ctx.strokeStyle = '#ffd43b';
    ctx.lineWidth = 3;
    ctx.strokeRect((cell % Wg) * w, Math.floor(cell / Wg) * h, w, h);
    $('scene-canvas').dataset.chosenCell = String(cell);
  } else delete $('scene-canvas').dataset.chosenCell;
  document.querySelectorAll('#word-maps figure, #caption-words span').forEach((el) => {
    el.classList.toggle('active', t !== null && el.getAttribute('data-word') === String(t));
  });
}

function show() {
  const { result } = current!;
  const words = $('caption-words');
  words.replaceChildren(
    ...result.words.map((w, t) => {
      const span = document.createElement('span');
      span.textContent = w;
      span.dataset.word = String(t);
      span.className = 'caption-word';
      return span;
    }),
  );
  if (!result.words.length) words.textContent = '(nothing: the model ended at once)';
  $('reference').textContent = result.reference.join(' ');
  const right = result.words.join(' ') === result.reference.join(' ');
  const maps = $('word-maps');
  if (!result.attention) {
    maps.replaceChildren();
    $('caption-note').textContent = 'This run has no attention (--attention none): no map to show.';
  } else {
    $('caption-note').textContent =
      `${right ? 'Right.' : 'Not the reference.'} Each word's attention α over the ${result.grid[0]}×${result.grid[1]} ` +
      'grid, upsampled over the image (largest weight brightest); hover or click one to see it large, with ' +
      'the box of the item the reference names at that position in red' +
      (hard ? '; hard attention takes one cell per word (the largest α when not training), outlined in yellow.' : '.');
    maps.replaceChildren(
      ...result.words.map((w, t) => {
        const figure = document.createElement('figure');
        figure.dataset.word = String(t);
        const canvas = document.createElement('canvas');
        canvas.className = 'word-map';
        paint(canvas, rgbaOf(t), 2);
        const label = document.createElement('figcaption');
        label.textContent = `${t + 1}. ${w}`;
        figure.append(canvas, label);
        return figure;
      }),
    );
  }
  drawLarge(null);
}

const pct = (y: number) => `${(100 * y).toFixed(1)} %`;

interface CaptionEval {
  attention?: string;
  beam?: number;
  scores?: {
    scenes?: number;
    exactMatch?: number;
    bleu?: number;
    wordAccuracy?: number;
    attentionInBox?: number | null;
    chanceInBox?: number | null;
  };
}

async function loadTraining() {
  await drawTrainingCurves($('caption-loss-chart'), $('caption-dev-chart'), {
    value: (r) => r.exactMatch,
    label: 'dev exact match',
    fromZero: true,
    none: 'no dev evaluation logged yet',
  });
  const e = await fetchRunJson<CaptionEval>('eval-caption.json');
  const scores = $('caption-scores');
  const s = e?.scores;
  if (!s || typeof s.exactMatch !== 'number')
    return say(scores, 'no eval-caption.json yet: run `attend eval-caption RUN` to score the run');
  $('caption-scores-caption').textContent = `test scores (eval-caption.json, ${s.scenes ?? '?'} scenes, beam ${e!.beam ?? '?'})`; // prettier-ignore
  const rows: [string, string][] = [
    ['exact match', pct(s.exactMatch)],
    ['BLEU-4', (s.bleu ?? NaN).toFixed(2)],
    ['words right', pct(s.wordAccuracy ?? NaN)],
  ];
  if (typeof s.attentionInBox === 'number')
    rows.push(['attention in the named box', `${pct(s.attentionInBox)} (uniform: ${pct(s.chanceInBox ?? NaN)})`]);
  scores.replaceChildren(scoreTable(rows));
}
