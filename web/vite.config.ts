import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The page: web/ in, dist/web/ out (what `attend serve` serves). Relative asset URLs, ES-module worker.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // no modulepreload polyfill: it would be an inline script, which the page's CSP refuses
    modulePreload: { polyfill: false },
    // the timings warning fires whenever the machine is busy (training runs share it): noise, not news
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  worker: { format: 'es' },
});
