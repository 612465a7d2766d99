/**
 * The model runs here, off the page's main thread: the browser compiles the WebAssembly kernels
 * synchronously, which workers may do at any size, and a long word never freezes the page.
 */
import { kernels } from '../../src/index.js';
import { loadPageModel, pronounce, type PageModel } from './model.js';
import type { FromWorker, ToWorker } from './protocol.js';

const post = (m: FromWorker) => postMessage(m);

async function fetchChecked(path: string): Promise<Response> {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${r.statusText}`);
  return r;
}

const ready: Promise<PageModel | null> = (async () => {
  try {
    const t0 = performance.now();
    const [config, weights] = await Promise.all([
      fetchChecked('/api/config.json').then((r) => r.json() as Promise<unknown>),
      fetchChecked('/api/weights.safetensors').then((r) => r.arrayBuffer()),
    ]);
    const m = loadPageModel(config, new Uint8Array(weights));
    const parameters = m.model.parameters().reduce((n, p) => n + p.size, 0);
    post({ type: 'ready', spec: m.spec, parameters, backend: kernels().name, loadMs: performance.now() - t0 });
    return m;
  } catch (e) {
    post({ type: 'failed', message: (e as Error).message });
    return null;
  }
})();

onmessage = async (event: MessageEvent<ToWorker>) => {
  const { id, word } = event.data;
  const m = await ready;
  if (!m) return;
  try {
    const t0 = performance.now();
    const result = pronounce(m, word);
    post({ type: 'result', id, result, ms: performance.now() - t0 });
  } catch (e) {
    post({ type: 'error', id, message: (e as Error).message });
  }
};
