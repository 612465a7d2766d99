/**
 * `attend experiment classify`: source article 004's claim on real mail. Every pooling of the
 * same Embedding → pooling → Linear model (attention, mean, max, last) and bag-of-words logistic
 * regression, trained on the same split with the same batches, each kept at its best dev F1 and
 * scored on the test split: accuracy, F1 (spam positive), hard-ham accuracy, training time, and
 * how concentrated the attention is (its mass on the ten most attended tokens).
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { kernels } from '../kernels/registry.js';
import type { Pooling } from '../models/classifier.js';
import * as F from '../ops/index.js';
import { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { type ClassifierSpec, type SpamScores, createClassifier, scoreMessages, specName } from './classify-model.js';
import type { SpamData } from './classify-data.js';
import { type FitOptions, fitClassifier, pct } from './classify-train.js';

export interface SpamExperimentOptions {
  poolings: readonly Pooling[];
  encoder: 'none' | 'gru' | 'transformer';
  /** Include the bag-of-words baseline. */
  bow: boolean;
  embed: number;
  dropout: number;
  /** Learning rate of the pooled models; bag-of-words uses `bowLr`. */
  lr: number;
  bowLr: number;
  fit: Omit<FitOptions, 'lr'>;
  onProgress?: (line: string) => void;
}

export interface SpamModelResult {
  model: string;
  spec: ClassifierSpec;
  parameters: number;
  lr: number;
  steps: number;
  epochs: number;
  bestEpoch: number | null;
  /** Wall-clock training time (dev scoring excluded), as the trainer measures it. */
  trainSeconds: number;
  /** CPU time of the process over the whole fit (training and dev scoring): steadier than wall time on a loaded machine. */
  cpuSeconds: number;
  dev: SpamScores | null;
  test: SpamScores;
}

export interface SpamExperimentResult {
  experiment: 'classify';
  date: string;
  command: string;
  data: Record<string, unknown>;
  machine: { cpus: number; cpu: string; loadAverage: number[]; node: string; backend: string };
  models: SpamModelResult[];
}

function copyState(dict: Record<string, Tensor>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(dict).map(([k, t]) => [k, F.fromData(t.data.slice(), t.shape, t.dtype)]));
}

export function specsOf(o: SpamExperimentOptions, vocab: number, maxLength: number): ClassifierSpec[] {
  const specs: ClassifierSpec[] = o.bow ? [{ kind: 'bow', vocab }] : [];
  for (const pooling of o.poolings)
    specs.push({
      kind: 'classifier',
      pooling,
      encoder: o.encoder,
      vocab,
      embed: o.embed,
      hidden: o.embed,
      maxLength,
      dropout: o.dropout,
    });
  return specs;
}

export function runSpamExperiment(data: SpamData, o: SpamExperimentOptions, command: string): SpamExperimentResult {
  const say = o.onProgress ?? (() => {});
  const maxLength = data.info.maxTokens as number;
  const models: SpamModelResult[] = [];
  for (const spec of specsOf(o, data.vocab.size, maxLength)) {
    const name = specName(spec);
    const lr = spec.kind === 'bow' ? o.bowLr : o.lr;
    let best: Record<string, Tensor> | null = null;
    say(`${name}: training…`);
    const cpu = process.cpuUsage();
    const fit = fitClassifier(
      spec,
      data,
      { ...o.fit, lr },
      {
        onLog: (r) => {
          if (r.type === 'eval')
            say(`  ${name} epoch ${r.epoch + 1}: dev F1 ${pct(r.metrics.f1)}${r.best ? ' (best)' : ''}`);
        },
        onCheckpoint: (_, why, model) => {
          if (why === 'best') best = copyState(model.stateDict());
        },
      },
    );
    const used = process.cpuUsage(cpu);
    const cpuSeconds = (used.user + used.system) / 1e6;
    const model = createClassifier(spec, new Generator(0));
    model.loadStateDict(best ?? fit.model.stateDict());
    const test = scoreMessages(model, data.test);
    const trainSeconds = fit.state.elapsedMs / 1000;
    say(
      `${name}: ${fit.state.step} steps, ${trainSeconds.toFixed(0)} s (CPU ${cpuSeconds.toFixed(0)} s); test accuracy ${pct(test.accuracy)}, ` +
        `F1 ${pct(test.f1)}, hard-ham ${pct(test.hardHamAccuracy)}`,
    );
    models.push({
      model: name,
      spec,
      parameters: fit.parameters,
      lr,
      steps: fit.state.step,
      epochs: fit.state.epoch,
      bestEpoch: fit.state.bestEpoch,
      trainSeconds,
      cpuSeconds,
      dev: fit.bestDev,
      test,
    });
  }
  return {
    experiment: 'classify',
    date: new Date().toISOString(),
    command,
    data: data.info,
    machine: {
      cpus: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
      node: process.version,
      backend: kernels().name,
    },
    models,
  };
}

/** The result as a markdown table and the facts needed to read it. */
export function formatSpamTable(r: SpamExperimentResult): string {
  const n = r.models[0]?.test;
  const sizes = r.data.sizes as { train: number; dev: number; test: number };
  return [
    `Test split: ${n?.messages ?? 0} messages (${n?.hardHam ?? 0} hard ham); trained on ${sizes.train}, ` +
      `early stopping on dev F1 (${sizes.dev} messages); the first ${String(r.data.maxTokens)} tokens of each message, ` +
      `${String(r.data.vocabSize)} words.`,
    '',
    '| model | parameters | steps (best epoch) | training time (CPU) | test accuracy | test F1 (spam) | hard-ham accuracy | attention on top 10 tokens |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...r.models.map(
      (m) =>
        `| ${m.model} | ${m.parameters.toLocaleString('en-US')} | ${m.steps} (${m.bestEpoch === null ? '–' : m.bestEpoch + 1}) | ` +
        `${m.trainSeconds.toFixed(0)} s (${m.cpuSeconds.toFixed(0)} s) | ${pct(m.test.accuracy)} | ${pct(m.test.f1)} | ${pct(m.test.hardHamAccuracy)} | ` +
        `${m.test.top10Mass === null ? '–' : pct(m.test.top10Mass)} |`,
    ),
    '',
    `Machine: ${r.machine.cpus} cores (${r.machine.cpu}), load average ${r.machine.loadAverage.join(' ')} at the end, ` +
      `Node ${r.machine.node}, kernels ${r.machine.backend}. ${r.date}.`,
    '',
    `Command: \`${r.command}\``,
  ].join('\n');
}
