/** Messages between the page and its model worker; the worker reads config.json and says which task it runs. */
import type { CaptionerSpec, ModelSpec } from '../../src/index.js';
import type { ClassifierSpec } from '../../src/cli/classify-model.js';
import type { CaptionResult, SceneJSON } from './caption-model.js';
import type { Classification } from './classify-model.js';
import type { Pronunciation } from './model.js';

export type ToWorker =
  { id: number; word: string } | { id: number; message: string } | { id: number; scene: SceneJSON };

export type TaskSpec =
  | { task: 'g2p'; spec: ModelSpec }
  | { task: 'classify'; spec: ClassifierSpec }
  | { task: 'caption'; spec: CaptionerSpec };

export type TaskResult =
  | { task: 'g2p'; result: Pronunciation }
  | { task: 'classify'; result: Classification }
  | { task: 'caption'; result: CaptionResult };

export type FromWorker =
  | ({ type: 'ready'; parameters: number; backend: string; loadMs: number } & TaskSpec)
  | { type: 'failed'; message: string }
  | ({ type: 'result'; id: number; ms: number } & TaskResult)
  | { type: 'error'; id: number; message: string };
