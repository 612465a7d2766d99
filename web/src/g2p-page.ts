/**
 * The g2p view: type a word, the worker pronounces it, the alignment is drawn with the library's own
 * SVG renderer (src/viz/svg.ts) and made interactive; the training curves come from log.jsonl
 * and eval.json. No framework: a handful of elements updated by hand.
 */
import { viz, type ModelSpec } from '../../src/index.js';
import { barChart } from './charts.js';
import type { AttentionMaps, Pronunciation } from './model.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { drawTrainingCurves, fetchRunJson, say } from './run-log.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('word-form');
const input = $<HTMLInputElement>('word');
const go = $<HTMLButtonElement>('go');
const status = $('status');
const layerSelect = $<HTMLSelectElement>('layer');
const headSelect = $<HTMLSelectElement>('head');
const heatmap = $('heatmap');
const readout = $('readout');

let worker: Worker;
let spec: ModelSpec | null = null;
let current: Pronunciation | null = null;
let nextId = 0;
let latest = -1;

function setStatus(text: string, error = false) {
  status.textContent = text;
  status.classList.toggle('error', error);
}

/** Called by main.ts once the worker has loaded a g2p run. */
export function start(w: Worker, ready: FromWorker & { type: 'ready'; task: 'g2p' }) {
  worker = w;
  worker.onmessage = (event: MessageEvent<FromWorker>) => onMessage(event.data);
  $('g2p-page').hidden = false;
  onMessage(ready);
  loadCharts().catch((e: Error) => setStatus(`charts: ${e.message}`, true));
}

function onMessage(m: FromWorker) {
  if (m.type === 'ready' && m.task === 'g2p') {
    spec = m.spec;
    $('run-info').textContent =
      `${describe(m.spec)} · ${m.parameters.toLocaleString('en')} parameters · ` +
      `weights loaded in ${m.loadMs.toFixed(0)} ms · kernels: ${m.backend}`;
    input.disabled = false;
    go.disabled = false;
    input.focus();
    setStatus('ready: type a word and press Enter');
    document.body.dataset.ready = 'true';
  } else if (m.type === 'failed') {
    setStatus(`the model did not load: ${m.message}`, true);
  } else if ((m.type === 'error' || m.type === 'result') && m.id === latest) {
    if (m.type === 'error') setStatus(m.message, true);
    else if (m.task === 'g2p') {
      setStatus(`decoded in ${m.ms.toFixed(0)} ms (greedy, beam 1)`);
      show(m.result);
    }
  }
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  const word = input.value.trim();
  if (!word) return setStatus('type a word first', true);
  latest = nextId++;
  setStatus('decoding…');
  worker.postMessage({ id: latest, word } satisfies ToWorker);
});

function describe(s: ModelSpec): string {
  switch (s.kind) {
    case 'transformer':
      return `Transformer: ${s.encoderLayers}+${s.decoderLayers} layers, ${s.nhead} heads, d_model ${s.dModel}`;
    case 'bahdanau':
      return `Bahdanau (additive attention), hidden ${s.hidden}`;
    case 'luong':
      return `Luong (${s.score} score, ${s.window}${s.window === 'global' ? '' : `, D = ${s.D}`}), hidden ${s.hidden}`;
    case 'seq2seq':
      return `plain seq2seq (no attention), hidden ${s.hidden}`;
  }
}

function show(r: Pronunciation) {
  current = r;
  $('letters').textContent = r.letters.join('');
  $('phonemes').textContent = r.phonemes.length ? r.phonemes.join(' ') : '(nothing: the model ended at once)';
  $('result').hidden = false;
  if (r.unknownLetters.length)
    setStatus(`the model never saw ${r.unknownLetters.map((l) => `'${l}'`).join(', ')}: read as <unk>`, true);
  $('alignment').hidden = false;
  const note = $('map-note');
  const controls = $('map-controls');
  if (!r.maps) {
    controls.hidden = true;
    heatmap.replaceChildren();
    readout.textContent = '';
    note.textContent =
      'This model has no attention: the plain encoder–decoder (Sutskever et al. 2014) squeezes the whole ' +
      'word into one vector before decoding, so there is no alignment to show.';
    return;
  }
  fillSelectors(r.maps);
  controls.hidden = r.maps.layers === 1 && r.maps.heads === 1;
  note.textContent = mapNote();
  draw();
}

function fillSelectors(maps: AttentionMaps) {
  const keepLayer = Math.min(Number(layerSelect.value || maps.layers - 1), maps.layers - 1);
  const keepHead = headSelect.value || 'mean';
  layerSelect.replaceChildren(
    ...Array.from({ length: maps.layers }, (_, l) => new Option(`${l + 1} of ${maps.layers}`, String(l))),
  );
  headSelect.replaceChildren(
    new Option('mean of heads', 'mean'),
    ...Array.from({ length: maps.heads }, (_, h) => new Option(`${h + 1} of ${maps.heads}`, String(h))),
  );
  layerSelect.value = String(keepLayer);
  headSelect.value = keepHead === 'mean' || Number(keepHead) < maps.heads ? keepHead : 'mean';
}

function mapNote(): string {
  if (!spec) return '';
  if (spec.kind === 'transformer')
    return 'Decoder cross-attention: each row is a phoneme, each column a letter. The CLI draws the last layer, mean of heads.';
  if (spec.kind === 'bahdanau') return 'Additive attention (Bahdanau et al. 2015): one map, each row sums to 1.';
  if (spec.kind === 'luong' && spec.window !== 'global')
    return (
      `Local attention (${spec.window}, D = ${spec.D}; Luong et al. 2015): each phoneme may look at a window of ` +
      `2D + 1 = ${2 * spec.D + 1} letters; the dashed box marks the letters it used (non-zero weight).`
    );
  if (spec.kind === 'luong')
    return `Global attention (Luong et al. 2015, ${spec.score} score): one map, each row sums to 1.`;
  return '';
}

/** The map the selectors pick: one layer, one head or the mean of its heads. */
function selectedWeights(maps: AttentionMaps): number[][] {
  const layer = maps.weights[Number(layerSelect.value)] ?? maps.weights[maps.layers - 1];
  if (headSelect.value !== 'mean') return layer[Number(headSelect.value)];
  return layer[0].map((row, t) => row.map((_, s) => layer.reduce((sum, head) => sum + head[t][s], 0) / layer.length));
}

/** Per row, the columns with non-zero weight (what a local window let the row use). */
function usedWindows(w: number[][]): viz.Window[] {
  return w.map((row) => {
    const used = row.flatMap((x, j) => (x > 0 ? [j] : []));
    return used.length ? ([used[0], used[used.length - 1]] as const) : null;
  });
}

function draw() {
  if (!current?.maps) return;
  const w = selectedWeights(current.maps);
  const local = spec?.kind === 'luong' && spec.window !== 'global';
  const svgText = viz.renderSvg(
    { weights: w, rowLabels: current.phonemes, colLabels: current.letters },
    { cellSize: 34, fontSize: 15, windows: local ? usedWindows(w) : undefined },
  );
  // parsed as an SVG document (not HTML): labels were escaped by renderSvg, and no script runs
  const doc = new DOMParser().parseFromString(svgText, 'image/svg+xml');
  const svg = document.importNode(doc.documentElement, true) as unknown as SVGSVGElement;
  svg.querySelectorAll('text.row-label').forEach((t, i) => t.setAttribute('data-row', String(i)));
  heatmap.replaceChildren(svg);
  readout.textContent = 'hover a phoneme (a row) to read its weights on the letters';
}

function showRow(row: number) {
  if (!current?.maps) return;
  const w = selectedWeights(current.maps)[row];
  const svg = heatmap.querySelector('svg');
  const cells = heatmap.querySelectorAll<SVGRectElement>(`rect[data-row="${row}"][data-col]`);
  if (!svg || cells.length === 0) return;
  svg.querySelector('.hover-row')?.remove();
  const first = cells[0];
  const x = Number(first.getAttribute('x'));
  const y = Number(first.getAttribute('y'));
  const size = Number(first.getAttribute('width'));
  const box = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  for (const [k, v] of Object.entries({ x, y, width: size * cells.length, height: size, class: 'hover-row' }))
    box.setAttribute(k, String(v));
  svg.append(box);
  // in letter order (a word may repeat a letter); the letter it looks at most in [brackets]
  const top = w.indexOf(Math.max(...w));
  readout.textContent =
    `${current.phonemes[row]} ← ` +
    w
      .map((x, j) =>
        j === top ? `[${current!.letters[j]} ${x.toFixed(2)}]` : `${current!.letters[j]} ${x.toFixed(2)}`,
      )
      .join('  ');
}

heatmap.addEventListener('mouseover', (e) => {
  const row = (e.target as Element).closest?.('[data-row]')?.getAttribute('data-row');
  if (row !== null && row !== undefined) showRow(Number(row));
});
layerSelect.addEventListener('change', draw);
headSelect.addEventListener('change', draw);

const pct = (y: number) => `${(100 * y).toFixed(0)} %`;

type Scores = { scores?: { words?: number; byLength?: { length: number; wer: number; words: number }[] } };

/** WER by length from eval.json (`attend eval`), else from report.json (`attend start`, which scores 2,000 words). */
async function lengthScores() {
  const e = await fetchRunJson<Scores>('eval.json');
  if (e)
    return { byLength: e.scores?.byLength, source: `eval.json, ${e.scores?.words?.toLocaleString('en') ?? '?'} words` };
  const report = (await fetchRunJson<{ eval?: Scores }>('report.json'))?.eval;
  if (report)
    return {
      byLength: report.scores?.byLength,
      source: `report.json, ${report.scores?.words?.toLocaleString('en') ?? '?'} words`,
    };
  return { byLength: undefined, source: null };
}

async function loadCharts() {
  await drawTrainingCurves($('loss-chart'), $('dev-chart'), {
    value: (r) => (r.metrics as { wer?: number } | undefined)?.wer,
    label: 'dev WER',
    fromZero: true,
    none: 'no dev evaluation logged yet (one runs after each epoch)',
  });
  const { byLength, source } = await lengthScores();
  if (source) $('length-caption').textContent = `test WER by word length (${source})`;
  if (byLength?.length)
    $('length-chart').replaceChildren(
      barChart(
        byLength.map((b) => ({ label: String(b.length), value: b.wer, note: `${b.words} words` })),
        { xLabel: 'letters in the word', yLabel: 'WER', formatY: pct },
      ),
    );
  else say($('length-chart'), 'no eval.json (nor report.json) yet: run `attend eval RUN` to score the run');
}
