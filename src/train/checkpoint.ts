/**
 * A checkpoint as bytes, so the same code serves Node (src/node writes them atomically) and
 * the browser (downloads, IndexedDB):
 *
 *   model.safetensors      the weights, named as the module's stateDict (PyTorch's names)
 *   optimizer.safetensors  the optimiser's moments, `<buffer>.<parameter index>` (e.g. exp_avg.3)
 *   state.json             the training state: step, position, RNG state, early-stopping
 *                          counters, the optimiser's step count (TrainState + optimizerStep)
 *
 * Moments are kept out of the JSON on purpose: a few million float32 values as JSON text would
 * be ten times larger and lose nothing only by luck.
 */
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors.js';
import type { Module } from '../nn/module.js';
import { fromData } from '../ops/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Optimizer } from './optim.js';
import type { TrainState } from './trainer.js';

export interface CheckpointBytes {
  model: Uint8Array;
  optimizer: Uint8Array;
  state: string;
}

const STATE_VERSION = 1;

export function packCheckpoint(model: Module, optimizer: Optimizer, state: TrainState): CheckpointBytes {
  const opt = optimizer.stateDict();
  const moments: Record<string, Tensor> = {};
  for (const [name, list] of Object.entries(opt.buffers)) {
    list.forEach((values, i) => {
      if (values.length) moments[`${name}.${i}`] = fromData(new Float64Array(values), [values.length], 'float64');
    });
  }
  return {
    // each file names its step: files from two different saves are refused, never mixed
    model: encodeSafetensors(model.stateDict(), { step: String(state.step) }),
    optimizer: encodeSafetensors(moments, { optimizer: optimizer.constructor.name, step: String(state.step) }),
    state: JSON.stringify({ version: STATE_VERSION, ...state, optimizerStep: opt.step }, null, 2),
  };
}

/** Load weights and moments into `model` and `optimizer` (built as for training) and return the state. */
export function unpackCheckpoint(files: CheckpointBytes, model: Module, optimizer: Optimizer | null): TrainState {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(files.state) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`checkpoint: state.json is not valid JSON (${(e as Error).message})`);
  }
  if (parsed.version !== STATE_VERSION)
    throw new Error(`checkpoint: state.json version must be ${STATE_VERSION}, received ${String(parsed.version)}`);
  for (const key of ['step', 'epoch', 'batchIndex', 'optimizerStep']) {
    if (!Number.isInteger(parsed[key]) || (parsed[key] as number) < 0)
      throw new Error(`checkpoint: state.json ${key} must be an integer >= 0, received ${String(parsed[key])}`);
  }
  const rng = parsed.rng as { s?: unknown } | undefined;
  if (!rng || typeof rng !== 'object') throw new Error('checkpoint: state.json rng is missing');
  const weights = decodeSafetensors(files.model);
  const sameStep = (what: string, metadata: Record<string, string>) => {
    if (metadata.step !== String(parsed.step))
      throw new Error(`checkpoint: ${what} is from step ${metadata.step}, state.json from step ${String(parsed.step)}`);
  };
  sameStep('model.safetensors', weights.metadata);
  model.loadStateDict(weights.tensors);
  if (optimizer) {
    const { tensors, metadata } = decodeSafetensors(files.optimizer);
    sameStep('optimizer.safetensors', metadata);
    if (metadata.optimizer !== optimizer.constructor.name)
      throw new Error(
        `checkpoint: optimizer.safetensors holds ${metadata.optimizer} moments, the run uses ${optimizer.constructor.name}`,
      );
    const buffers: Record<string, number[][]> = {};
    for (const name of Object.keys(optimizer.stateDict().buffers))
      buffers[name] = optimizer.params.map((_, i) => {
        const t = tensors[`${name}.${i}`];
        return t ? Array.from(t.data) : [];
      });
    optimizer.loadStateDict({ step: parsed.optimizerStep as number, buffers });
  }
  const { version: _v, optimizerStep: _s, ...state } = parsed;
  return state as unknown as TrainState;
}
