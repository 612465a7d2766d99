/**
 * attend/node: the Node-only entry (files). It is meant to re-export the whole browser-safe
 * core as well (a star re-export of src/index.ts), once test/meta/layers.test.ts lets this
 * index import the package index (it reads import specifiers even inside comments).
 */
export { writeFileAtomicSync, readFileChecked, readFileHead } from './files.js';
export type { WriteFileAtomicOptions } from './files.js';
export {
  saveSafetensors,
  loadSafetensors,
  loadSafetensorsWithMetadata,
  inspectSafetensorsFile,
} from './safetensors.js';
