/**
 * `npm start`: the main job on the embedded data, end to end in a few minutes. Trains an
 * attention model on CMUdict (grapheme → phoneme) for a time budget, scores it on held-out
 * test words, pronounces a few words and draws the alignment of each.
 */
import { join } from 'node:path';
import type { ModelKind } from '../models/seq2seq/factory.js';
import { writeFileAtomicSync } from '../node/files.js';
import { writeJson } from './run-dir.js';
import { evalG2P, formatEval, formatPrediction, predictG2P, trainG2P } from './g2p.js';

export interface QuickstartOptions {
  model: ModelKind;
  timeBudget: string;
  out: string;
  testWords: number;
  seed: number;
  json: boolean;
  color: 'none' | '256' | 'truecolor';
}

export const QUICKSTART_WORDS = ['attention', 'phoneme', 'typescript', 'transformer'];

export async function quickstart(o: QuickstartOptions, version: string): Promise<void> {
  const say = (s: string) => (o.json ? undefined : console.log(s));
  say(`attend: the main job. A ${o.model} learns to pronounce English words (CMUdict) in ${o.timeBudget}.`);
  const summary = await trainG2P(
    {
      model: o.model,
      size: 'small',
      out: o.out,
      epochs: 100,
      batchSize: 64,
      optimizer: 'adam',
      schedule: 'inverse-sqrt',
      warmup: 300,
      clip: 1,
      weightDecay: 0,
      seed: o.seed,
      timeBudget: o.timeBudget,
      patience: 5,
      resume: false,
      force: true,
      json: o.json,
      progress: true,
      devWords: 500,
    },
    version,
  );
  say(
    `trained ${summary.steps} steps in ${summary.seconds.toFixed(0)} s (${Math.round(summary.tokensPerSecond)} target tokens/s)`,
  );
  const evaluation = await evalG2P(o.out, { split: 'test', beam: 1, limit: o.testWords });
  const predictions = predictG2P(o.out, QUICKSTART_WORDS, { beam: 5 });
  const report = { train: summary, eval: evaluation, predictions: predictions.predictions };
  // the report stays in the run folder: the figures and the drawings, as text and as JSON
  writeJson(join(o.out, 'report.json'), report);
  const text = [
    formatEval(evaluation),
    'Pronunciations, with the attention over the letters for each phoneme (rows: phonemes, columns: letters):',
    predictions.predictions.map((p) => formatPrediction(p, 'none')).join('\n\n'),
  ];
  writeFileAtomicSync(join(o.out, 'report.txt'), text.join('\n\n') + '\n');
  if (o.json) {
    console.log(JSON.stringify(report));
    return;
  }
  say('\n' + formatEval(evaluation));
  say('\nPronunciations, with the attention over the letters for each phoneme (rows: phonemes, columns: letters):\n');
  say(predictions.predictions.map((p) => formatPrediction(p, o.color)).join('\n\n'));
  say(`\nThe report is in ${join(o.out, 'report.txt')} (and report.json).`);
  say(
    `\nNext: train longer (attend train g2p --model ${o.model} --time-budget 30m --out ${join('runs', 'g2p')}),` +
      ` then attend eval runs/g2p and attend predict runs/g2p WORD.`,
  );
}
