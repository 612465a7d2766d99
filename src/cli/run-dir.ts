/**
 * A run directory, what `attend train` writes and `eval`, `predict`, `serve` read:
 *
 *   config.json            task, model spec, vocabularies, training options (rebuilds the model)
 *   model.safetensors      latest weights        } the checkpoint `--resume` continues from;
 *   optimizer.safetensors  optimiser moments     } each file written atomically, state.json last,
 *   state.json             position, RNG, step   } and all three carry the step, checked on load
 *   best.safetensors       the weights with the best dev score (what eval and predict use)
 *   log.jsonl              one JSON record per logged step, evaluation and stop
 *   eval.json              the last `attend eval` result
 */
import { appendFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors.js';
import { Vocab, type VocabJSON } from '../data/vocab.js';
import { type ModelSpec, createModel } from '../models/seq2seq/factory.js';
import { Generator } from '../tensor/random.js';
import type { Module } from '../nn/module.js';
import type { CheckpointBytes } from '../train/checkpoint.js';
import { readFileChecked, writeFileAtomicSync } from '../node/files.js';

export interface RunConfig {
  task: 'g2p' | 'translate';
  model: ModelSpec;
  srcVocab: VocabJSON;
  tgtVocab: VocabJSON;
  /** How the source text is cut into tokens ('chars', 'words', or 'bpe' with its merges). */
  tokenizer?: { source: string; target: string; bpe?: unknown };
  train: Record<string, unknown>;
  data: Record<string, unknown>;
  attendVersion: string;
  createdAt: string;
}

const MAX_JSON_BYTES = 64 * 1024 * 1024;

export function readJson<T>(path: string): T {
  const text = new TextDecoder().decode(readFileChecked(path, MAX_JSON_BYTES));
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}

export function writeJson(path: string, value: unknown): void {
  writeFileAtomicSync(path, JSON.stringify(value, null, 2) + '\n');
}

/** The run directory of RUN_OR_CHECKPOINT, and the weights file to use from it. */
export function resolveRun(runOrCheckpoint: string): { dir: string; weights: string } {
  if (!existsSync(runOrCheckpoint)) throw new Error(`run or checkpoint '${runOrCheckpoint}' does not exist`);
  if (statSync(runOrCheckpoint).isDirectory()) {
    const dir = runOrCheckpoint;
    for (const name of ['best.safetensors', 'model.safetensors']) {
      if (existsSync(join(dir, name))) return { dir, weights: join(dir, name) };
    }
    throw new Error(`run '${dir}' has no best.safetensors or model.safetensors: was it trained?`);
  }
  if (!runOrCheckpoint.endsWith('.safetensors'))
    throw new Error(`expected a run directory or a .safetensors file, received '${basename(runOrCheckpoint)}'`);
  return { dir: dirname(runOrCheckpoint), weights: runOrCheckpoint };
}

export function loadRunConfig(dir: string): RunConfig {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) throw new Error(`'${dir}' has no config.json: not a run directory made by attend train`);
  const config = readJson<RunConfig>(path);
  if (!config || typeof config !== 'object' || !config.model || typeof config.model.kind !== 'string')
    throw new Error(`${path}: expected a run config with a model spec`);
  return config;
}

export function loadWeights(model: Module, path: string): void {
  const { tensors } = decodeSafetensors(readFileChecked(path));
  try {
    model.loadStateDict(tensors);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

export function saveWeights(path: string, model: Module, metadata: Record<string, string> = {}): void {
  writeFileAtomicSync(path, encodeSafetensors(model.stateDict(), metadata));
}

/** Write the resumable checkpoint; state.json last, so a crash leaves the previous state in charge. */
export function writeCheckpoint(dir: string, bytes: CheckpointBytes): void {
  mkdirSync(dir, { recursive: true });
  writeFileAtomicSync(join(dir, 'model.safetensors'), bytes.model);
  writeFileAtomicSync(join(dir, 'optimizer.safetensors'), bytes.optimizer);
  writeFileAtomicSync(join(dir, 'state.json'), bytes.state);
}

export function readCheckpoint(dir: string): CheckpointBytes {
  const need = ['model.safetensors', 'optimizer.safetensors', 'state.json'];
  const missing = need.filter((n) => !existsSync(join(dir, n)));
  if (missing.length) throw new Error(`cannot resume '${dir}': ${missing.join(', ')} missing`);
  return {
    model: readFileChecked(join(dir, 'model.safetensors')),
    optimizer: readFileChecked(join(dir, 'optimizer.safetensors')),
    state: new TextDecoder().decode(readFileChecked(join(dir, 'state.json'), MAX_JSON_BYTES)),
  };
}

/** One JSON record per line; appended (a torn last line is skipped by readers). */
/** The files a training run writes into its directory (`--force` removes them; nothing else there). */
export const RUN_FILES = [
  'config.json',
  'state.json',
  'model.safetensors',
  'optimizer.safetensors',
  'best.safetensors',
  'log.jsonl',
  'eval.json',
  'eval-caption.json',
  'report.json',
  'report.txt',
] as const;

/** Start a run over in `dir` (`--force`): its old files go, so no old log lines or best weights mix with the new run's. */
export function clearRun(dir: string): void {
  for (const name of RUN_FILES) rmSync(join(dir, name), { force: true });
}

export function appendLog(dir: string, record: object): void {
  appendFileSync(join(dir, 'log.jsonl'), JSON.stringify(record) + '\n');
}

/** A trained run, rebuilt: config, vocabularies and the model with its best weights, in eval mode. */
export function openRun(runOrCheckpoint: string) {
  const { dir, weights } = resolveRun(runOrCheckpoint);
  const config = loadRunConfig(dir);
  const srcVocab = Vocab.fromJSON(config.srcVocab);
  const tgtVocab = Vocab.fromJSON(config.tgtVocab);
  const model = createModel(config.model, new Generator(0));
  loadWeights(model, weights);
  model.eval();
  return { dir, weights, config, srcVocab, tgtVocab, model };
}
