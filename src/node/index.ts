/**
 * attend/node: the Node-only entry (files). It is meant to re-export the whole browser-safe
 * core as well (`export * from '../index.js'`), once test/meta/layers.test.ts allows this
 * index to import the package index.
 */
export { writeFileAtomicSync, readFileChecked, readFileHead } from './files.js';
export type { WriteFileAtomicOptions } from './files.js';
export {
  saveSafetensors,
  loadSafetensors,
  loadSafetensorsWithMetadata,
  inspectSafetensorsFile,
} from './safetensors.js';
