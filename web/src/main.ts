/**
 * The page's entry: starts the model worker, which reads config.json and says which task the run
 * is (g2p, classify or caption); then the view of that task is loaded and takes over the worker.
 */
import type { FromWorker } from './protocol.js';
import './style.css';

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const info = document.getElementById('run-info')!;

function fail(text: string) {
  info.textContent = text;
  info.classList.add('error');
}

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const m = event.data;
  if (m.type === 'failed') return fail(`the model did not load: ${m.message}`);
  if (m.type !== 'ready') return;
  const view =
    m.task === 'classify'
      ? import('./classify-page.js').then((p) => p.start(worker, m))
      : m.task === 'caption'
        ? import('./caption-page.js').then((p) => p.start(worker, m))
        : import('./g2p-page.js').then((p) => p.start(worker, m));
  view.catch((e: Error) => fail(`the page failed: ${e.message}`));
};
worker.onerror = (e) => fail(`the model worker failed: ${e.message}`);
