/**
 * The model runs here, off the page's main thread: the browser compiles the WebAssembly kernels
 * synchronously, which workers may do at any size, and a long message never freezes the page.
 * config.json says the task: g2p (pronounce a word), classify (a message) or caption (a scene).
 */
import { kernels } from '../../src/index.js';
import { captionScene, decodeScene, loadPageCaptioner, type PageCaptioner } from './caption-model.js';
import { classifyText, loadPageClassifier, type PageClassifier } from './classify-model.js';
import { loadPageModel, pronounce, type PageModel } from './model.js';
import type { FromWorker, TaskResult, TaskSpec, ToWorker } from './protocol.js';

const post = (m: FromWorker) => postMessage(m);

async function fetchChecked(path: string): Promise<Response> {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${r.statusText}`);
  return r;
}

type Loaded =
  { task: 'g2p'; m: PageModel } | { task: 'classify'; m: PageClassifier } | { task: 'caption'; m: PageCaptioner };

function load(config: unknown, weights: Uint8Array): Loaded {
  const task = (config as { task?: unknown } | null)?.task;
  if (task === 'classify') return { task, m: loadPageClassifier(config, weights) };
  if (task === 'caption') return { task, m: loadPageCaptioner(config, weights) };
  return { task: 'g2p', m: loadPageModel(config, weights) };
}

const ready: Promise<Loaded | null> = (async () => {
  try {
    const t0 = performance.now();
    const [config, weights] = await Promise.all([
      fetchChecked('/api/config.json').then((r) => r.json() as Promise<unknown>),
      fetchChecked('/api/weights.safetensors').then((r) => r.arrayBuffer()),
    ]);
    const loaded = load(config, new Uint8Array(weights));
    const parameters = loaded.m.model.parameters().reduce((n, p) => n + p.size, 0);
    const spec = { task: loaded.task, spec: loaded.m.spec } as TaskSpec;
    post({ type: 'ready', ...spec, parameters, backend: kernels().name, loadMs: performance.now() - t0 });
    return loaded;
  } catch (e) {
    post({ type: 'failed', message: (e as Error).message });
    return null;
  }
})();

function run(l: Loaded, request: ToWorker): TaskResult {
  if (l.task === 'g2p' && 'word' in request) return { task: l.task, result: pronounce(l.m, request.word) };
  if (l.task === 'classify' && 'message' in request)
    return { task: l.task, result: classifyText(l.m, request.message) };
  if (l.task === 'caption' && 'scene' in request)
    return { task: l.task, result: captionScene(l.m, decodeScene(request.scene, l.m)) };
  throw new Error(`this is a ${l.task} run: the request does not fit it`);
}

onmessage = async (event: MessageEvent<ToWorker>) => {
  const request = event.data;
  const l = await ready;
  if (!l) return;
  try {
    const t0 = performance.now();
    const result = run(l, request);
    post({ type: 'result', id: request.id, ...result, ms: performance.now() - t0 });
  } catch (e) {
    post({ type: 'error', id: request.id, message: (e as Error).message });
  }
};
