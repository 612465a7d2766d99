/**
 * The classify view: paste a message, the worker classifies it; the page shows the label and its
 * probability, the tokens the model read shaded by their attention weight (the colour scale of
 * `attend classify`, src/viz colormap magma, weight / max), the ten most attended words (or, for
 * a bag-of-words run, each word's evidence), the training curves and the test scores.
 */
import { viz } from '../../src/index.js';
import type { ClassifierSpec } from '../../src/cli/classify-model.js';
import type { Classification } from './classify-model.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { drawTrainingCurves, fetchRunJson, say, scoreTable } from './run-log.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let worker: Worker;
let nextId = 0;
let latest = -1;

function setStatus(text: string, error = false) {
  const status = $('classify-status');
  status.textContent = text;
  status.classList.toggle('error', error);
}

function describe(s: ClassifierSpec): string {
  if (s.kind === 'bow') return `bag-of-words logistic regression over ${s.vocab.toLocaleString('en')} words`;
  const encoder = s.encoder === 'none' ? '' : `, ${s.encoder} encoder`;
  return `spam classifier: ${s.pooling} pooling${encoder}, embedding ${s.embed}, the first ${s.maxLength} tokens`;
}

/** Called by main.ts once the worker has loaded a classify run. */
export function start(w: Worker, ready: FromWorker & { type: 'ready'; task: 'classify' }) {
  worker = w;
  $('classify-page').hidden = false;
  $('run-info').textContent =
    `${describe(ready.spec)} · ${ready.parameters.toLocaleString('en')} parameters · ` +
    `weights loaded in ${ready.loadMs.toFixed(0)} ms · kernels: ${ready.backend}`;
  const message = $<HTMLTextAreaElement>('message');
  message.disabled = false;
  $<HTMLButtonElement>('classify').disabled = false;
  message.focus();
  setStatus('ready: paste a message and press Classify');
  worker.onmessage = (event: MessageEvent<FromWorker>) => {
    const m = event.data;
    if ((m.type !== 'result' && m.type !== 'error') || m.id !== latest) return;
    if (m.type === 'error') return setStatus(m.message, true);
    if (m.task !== 'classify') return;
    setStatus(`classified in ${m.ms.toFixed(0)} ms`);
    show(m.result);
  };
  $('message-form').addEventListener('submit', (e) => {
    e.preventDefault();
    if (!message.value.trim()) return setStatus('paste a message first', true);
    latest = nextId++;
    setStatus('classifying…');
    worker.postMessage({ id: latest, message: message.value } satisfies ToWorker);
  });
  $('tokens').addEventListener('mouseover', (e) => {
    const span = (e.target as Element).closest?.('span[data-weight]');
    if (span)
      $('token-readout').textContent =
        `${span.textContent} · token ${Number(span.getAttribute('data-position')) + 1} · ` +
        `attention ${Number(span.getAttribute('data-weight')).toFixed(4)}`;
  });
  document.body.dataset.ready = 'true';
  loadTraining().catch((e: Error) => setStatus(`charts: ${e.message}`, true));
}

function show(r: Classification) {
  $('verdict').hidden = false;
  const label = $('label');
  label.textContent = r.label;
  label.className = r.label;
  $('probability').textContent = `probability ${r.probability.toFixed(3)} (P(spam) = ${r.spamProbability.toFixed(3)})`;
  $('reading').hidden = false;
  $('token-readout').textContent = r.weights ? 'hover a token for its attention weight' : '';
  const tokens = $('tokens');
  const list = $('top-words');
  if (r.evidence) {
    // a linear model has no attention: the words speak by their weights
    tokens.replaceChildren(...r.tokens.map((t) => plainToken(t)));
    $('reading-note').textContent =
      `A bag-of-words model has no attention: it adds up one weight per word present (${r.tokens.length} tokens read).`;
    $('top-title').textContent = 'The words that weighed most (W_spam − W_ham; > 0 pushes towards spam)';
    list.replaceChildren(
      ...r.evidence.map((e) =>
        item(`${e.spamMinusHam >= 0 ? '+' : '−'}${Math.abs(e.spamMinusHam).toFixed(3)}  ${e.token}`),
      ),
    );
    return;
  }
  if (!r.weights) {
    tokens.replaceChildren(...r.tokens.map((t) => plainToken(t)));
    $('reading-note').textContent =
      `This model pools without attention (${r.tokens.length} tokens read): nothing to shade.`;
    $('top-title').textContent = '';
    list.replaceChildren();
    return;
  }
  const max = Math.max(0, ...r.weights);
  tokens.replaceChildren(...r.tokens.map((t, i) => shadedToken(t, i, r.weights![i], max)));
  $('reading-note').textContent =
    `${r.tokens.length} tokens (subject first), each shaded by its attention weight / the largest ` +
    `(${max.toFixed(4)}); hover a token for its weight.`;
  $('top-title').textContent = 'The ten most attended words';
  list.replaceChildren(...r.top.map((w) => item(`${w.weight.toFixed(3)}  ${w.token}  (token ${w.position + 1})`)));
}

function item(text: string): HTMLLIElement {
  const li = document.createElement('li');
  li.textContent = text;
  return li;
}

function plainToken(text: string): HTMLSpanElement {
  const span = document.createElement('span');
  span.className = 'token';
  span.textContent = text;
  return span;
}

function shadedToken(text: string, position: number, weight: number, max: number): HTMLSpanElement {
  const span = plainToken(text);
  const rgb = viz.colorAt(max > 0 ? weight / max : 0, 'magma');
  // CSSOM properties, not a style attribute in markup: the CSP allows them
  span.style.backgroundColor = viz.toHex(rgb);
  span.style.color = viz.luminance(rgb) > 0.5 ? '#000' : '#fff';
  span.dataset.weight = String(weight);
  span.dataset.position = String(position);
  span.title = `attention ${weight.toFixed(4)}`;
  return span;
}

const pct = (y: number) => `${(100 * y).toFixed(1)} %`;

interface SpamEval {
  messages?: number;
  accuracy?: number;
  precision?: number;
  recall?: number;
  f1?: number;
  hardHamAccuracy?: number;
  hardHam?: number;
  top10Mass?: number | null;
}

async function loadTraining() {
  await drawTrainingCurves($('classify-loss-chart'), $('classify-dev-chart'), {
    value: (r) => (r.metrics as { f1?: number } | undefined)?.f1,
    label: 'dev F1',
    fromZero: false,
    none: 'no dev evaluation logged yet (one runs after each epoch)',
  });
  const e = await fetchRunJson<SpamEval>('eval.json');
  const scores = $('test-scores');
  if (!e || typeof e.accuracy !== 'number') return say(scores, 'no eval.json yet: it is written when training ends');
  $('scores-caption').textContent = `test scores (eval.json, ${e.messages ?? '?'} messages)`;
  const rows: [string, string][] = [
    ['accuracy', pct(e.accuracy)],
    ['F1 (spam)', pct(e.f1 ?? NaN)],
    ['precision', pct(e.precision ?? NaN)],
    ['recall', pct(e.recall ?? NaN)],
    [`hard-ham accuracy (${e.hardHam ?? '?'} messages)`, pct(e.hardHamAccuracy ?? NaN)],
  ];
  if (typeof e.top10Mass === 'number') rows.push(['attention on the top 10 tokens', pct(e.top10Mass)]);
  scores.replaceChildren(scoreTable(rows));
}
