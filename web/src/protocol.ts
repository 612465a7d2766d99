/** Messages between the page and its model worker. */
import type { ModelSpec } from '../../src/index.js';
import type { Pronunciation } from './model.js';

export type ToWorker = { id: number; word: string };

export type FromWorker =
  | { type: 'ready'; spec: ModelSpec; parameters: number; backend: string; loadMs: number }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; result: Pronunciation; ms: number }
  | { type: 'error'; id: number; message: string };
