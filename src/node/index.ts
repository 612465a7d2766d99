/**
 * What only Node can do: files (atomic writes, safetensors on disk) and worker threads.
 * src/index.node.ts joins this to the browser-safe core; `import 'attend'` resolves there in Node.
 */
export { writeFileAtomicSync, readFileChecked, readFileHead } from './files.js';
export type { WriteFileAtomicOptions } from './files.js';
export {
  saveSafetensors,
  loadSafetensors,
  loadSafetensorsWithMetadata,
  inspectSafetensorsFile,
} from './safetensors.js';
export { createThreadedWasmKernels, closeThreads, threadsReady, threadPoolStats } from './threads.js';
export type { ThreadOptions } from './threads.js';
