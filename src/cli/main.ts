#!/usr/bin/env -S node --max-semi-space-size=64
// A young generation of 64 MB (V8's default is 16): a training step's graph of tensor objects
// then dies young instead of being promoted and marked by a full collection; 20–40 % more G2P
// tokens/s. `npm start` and `npm run bench` pass the same flag.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { MODEL_KINDS, MODEL_SIZES, type ModelKind } from '../models/seq2seq/factory.js';
import { installNodeKernels } from '../node/native.js';
import { runDemo } from './demo.js';
import { evalG2P, formatEval, formatPrediction, predictG2P, trainG2P } from './g2p.js';
import { loadRunConfig, readJson, resolveRun } from './run-dir.js';
import type { SpamScores } from './classify-model.js';
import { evalTranslate, translateTexts, trainTranslate, type TranslateDataOptions } from './translate.js';
import { registerExperimentCommands } from './experiment.js';
import { registerCostExperiments } from './experiment-cost.js';
import { registerG2PLengthExperiment } from './experiment-g2p.js';
import { registerCaptionExperiment } from './experiment-caption.js';
import { registerMapsExperiment } from './experiment-maps.js';
import { registerCaptionCommands } from './caption.js';
import { registerClassifyCommands } from './classify.js';
import { registerServeCommands } from './serve.js';
import { quickstart } from './quickstart.js';
import { integer, positive, probability } from './parse.js';
import type { TrainCliOptions, TrainSummary } from './train-run.js';

const program = new Command()
  .name('attend')
  .description('Attention mechanisms for TypeScript: train, run and look inside attention models.')
  .version(version())
  .showHelpAfterError()
  .hook('preAction', (_program, action) => {
    // the CLI uses every core (min(2, cores) by default; ATTEND_THREADS=n to choose) and the native
    // kernels when they were built (ATTEND_NATIVE=0 to keep WebAssembly); library users opt in with
    // installNodeKernels, createNativeKernels or createThreadedWasmKernels themselves
    if (process.env.ATTEND_BACKEND === 'reference') return;
    if (action.name() === 'serve') return; // the page computes in the browser; the server only hands out files
    const threads = process.env.ATTEND_THREADS ? Number(process.env.ATTEND_THREADS) : undefined;
    if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1))
      program.error(`ATTEND_THREADS must be a positive integer, received '${process.env.ATTEND_THREADS}'`);
    installNodeKernels({ threads });
  });

program
  .command('demo')
  .description('train a one-layer attention model to reverse digit sequences and show its attention map')
  .option('--steps <n>', 'training steps', integer('--steps'), 200)
  .option('--seed <n>', 'random seed', integer('--seed'), 0)
  .option('--json', 'print one JSON object instead of text', false)
  .action((o: { steps: number; seed: number; json: boolean }) => {
    process.exitCode = runDemo(o);
  });

/** The package version, from the package.json above this file (src/ under tsx, dist/src/ when built). */
function version(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'attend') return pkg.version ?? '0.0.0';
    }
  }
  return '0.0.0';
}

/** Colour for terminal heatmaps: NO_COLOR wins, then COLORTERM, then whether stdout is a terminal. */
function terminalColor(): 'none' | '256' | 'truecolor' {
  if (process.env.NO_COLOR || !process.stdout.isTTY) return 'none';
  return /truecolor|24bit/i.test(process.env.COLORTERM ?? '') ? 'truecolor' : '256';
}

program
  .command('start')
  .description('the main job: train a G2P attention model on CMUdict for a few minutes, evaluate it, draw alignments')
  .addOption(new Option('--model <kind>', 'architecture').choices([...MODEL_KINDS]).default('transformer'))
  .option('--time-budget <duration>', 'training time, e.g. 5m, 90s', '5m')
  .option('--out <dir>', 'run directory', join('runs', 'start'))
  .option('--test-words <n>', 'held-out test words to score', integer('--test-words'), 2000)
  .option('--seed <n>', 'random seed', integer('--seed'), 1)
  .option('--json', 'print one JSON object instead of text', false)
  .action(
    async (o: {
      model: ModelKind;
      timeBudget: string;
      out: string;
      testWords: number;
      seed: number;
      json: boolean;
    }) => {
      await quickstart({ ...o, color: terminalColor() }, version());
    },
  );

const train = program.command('train').description('train a model (see the subcommands)');

/** The options every seq2seq training command shares. */
function trainingOptions(cmd: Command, defaultModel: string): Command {
  return cmd
    .addOption(new Option('--model <kind>', 'architecture').choices([...MODEL_KINDS]).default(defaultModel))
    .addOption(new Option('--size <size>', 'model size').choices([...MODEL_SIZES]).default('base'))
    .option('--dropout <p>', "dropout (default: the size's, 0.1)", probability('--dropout'))
    .option(
      '--layers <n>',
      "stacked layers: the RNN encoder's (and Luong's and seq2seq's decoder's), or the Transformer's encoder and decoder (default: the size's)",
      integer('--layers', 1),
    )
    .option('--epochs <n>', 'epochs', integer('--epochs'), 30)
    .option('--batch-size <n>', 'examples per batch', integer('--batch-size'), 64)
    .option('--lr <x>', 'peak learning rate (default: 1e-3 transformer, 2e-3 RNNs)', positive('--lr'))
    .addOption(new Option('--optimizer <name>', 'optimiser').choices(['adam', 'adamw', 'sgd']).default('adam'))
    .addOption(
      new Option('--schedule <name>', 'learning-rate schedule')
        .choices(['inverse-sqrt', 'cosine', 'step', 'constant'])
        .default('inverse-sqrt'),
    )
    .option('--warmup <steps>', 'warmup steps (default: 10 % of the steps, at most 1000)', integer('--warmup'))
    .option('--clip <norm>', 'clip gradients to this global norm (0 = off)', Number, 1)
    .option('--label-smoothing <eps>', 'label smoothing (default: 0.1 transformer, 0 RNNs)', Number)
    .option('--weight-decay <x>', 'weight decay', Number, 0)
    .option('--seed <n>', 'random seed: two runs with one seed are identical', integer('--seed'), 1)
    .option('--time-budget <duration>', 'stop after this much training time, e.g. 30m, 90s, 1h (resumable)')
    .option('--max-steps <n>', 'stop after this many optimiser steps (resumable)', integer('--max-steps'))
    .option('--patience <n>', 'stop after n epochs without a better dev score', integer('--patience'), 5)
    .option('--dev-words <n>', 'dev examples scored after each epoch (default: all)', integer('--dev-words'))
    .option('--resume', 'continue the run in --out from its last checkpoint', false)
    .option('--force', 'overwrite a run already in --out', false)
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print one JSON summary instead of text', false);
}

function printSummary(summary: TrainSummary, json: boolean, metric: string, next: string) {
  if (json) return console.log(JSON.stringify(summary));
  console.log(
    `attend: ${summary.stopReason} after ${summary.steps} steps, ${summary.epochs} epochs, ${summary.seconds.toFixed(0)} s` +
      (summary.bestDev !== null ? `; best dev ${metric} (epoch ${summary.bestEpoch! + 1})` : '') +
      `\nnext: ${next}`,
  );
}

trainingOptions(
  train.command('g2p').description('grapheme-to-phoneme on the CMU Pronouncing Dictionary (word → phonemes)'),
  'transformer',
)
  .option('--out <dir>', 'run directory (default runs/g2p-MODEL)')
  .option('--limit-train <n>', 'train on the first n examples only (quick runs)', integer('--limit-train'))
  .option(
    '--no-stress',
    'drop the stress marks (AH0, AH1, AH2 → AH: 39 phonemes) for training and scoring, as the usual G2P anchors (the 2007 CMUdict split, which has no stress marks) are scored',
  )
  .action(async (o: TrainCliOptions & { out?: string; limitTrain?: number; devWords?: number; stress: boolean }) => {
    const summary = await trainG2P({ ...o, out: o.out ?? join('runs', `g2p-${o.model}`) }, version());
    const wer = `WER ${(100 * (summary.bestDev ?? 0)).toFixed(2)} %`;
    printSummary(summary, o.json, wer, `attend eval ${summary.out}   |   attend predict ${summary.out} attention`);
  });

trainingOptions(
  train
    .command('translate')
    .description('translation on your own parallel corpus (Tatoeba/Anki TSV: source<TAB>target[<TAB>attribution])'),
  'transformer',
)
  .requiredOption('--data <file.tsv>', 'the parallel corpus')
  .addOption(
    new Option('--tokenizer <kind>', 'how text becomes tokens').choices(['words', 'chars', 'bpe']).default('bpe'),
  )
  .option('--bpe-merges <n>', 'merges of the learned subword vocabulary', integer('--bpe-merges'), 4000)
  .option('--reverse', 'swap the columns (Anki files are English first)', false)
  .option('--out <dir>', 'run directory (default runs/translate-MODEL)')
  .action((o: TrainCliOptions & TranslateDataOptions & { out?: string }) => {
    const summary = trainTranslate({ ...o, out: o.out ?? join('runs', `translate-${o.model}`) }, version());
    const bleu = `BLEU ${(100 - (summary.bestDev ?? 100)).toFixed(2)}`;
    printSummary(summary, o.json, bleu, `attend eval ${summary.out}   |   attend translate ${summary.out} "TEXT"`);
  });

program
  .command('translate')
  .description('translate text with a trained translate run')
  .argument('<run>', 'run directory or .safetensors checkpoint')
  .argument('<texts...>', 'sentences to translate')
  .option('--beam <k>', 'beam width (1 = greedy)', integer('--beam'), 5)
  .option('--json', 'print the translations as JSON', false)
  .action((run: string, texts: string[], o: { beam: number; json: boolean }) => {
    const r = translateTexts(run, texts, o);
    if (o.json) console.log(JSON.stringify(r));
    else console.log(r.map((p) => `${p.source.join(' ')}\n  → ${p.text}`).join('\n'));
  });

type EvalOptions = { split: 'test' | 'dev'; beam: number; limit?: number; json: boolean };

program
  .command('eval')
  .description('score a trained run on its test split: PER, WER and WER by word length (g2p), BLEU (translate)')
  .argument('<run>', 'run directory or .safetensors checkpoint')
  .argument(
    '[more...]',
    'g2p: more runs, decoded with the first as an ensemble (their mean next-phoneme probabilities)',
  )
  .addOption(new Option('--split <name>', 'which words').choices(['test', 'dev']).default('test'))
  .option('--beam <k>', 'beam width (1 = greedy)', integer('--beam'), 1)
  .option('--limit <n>', 'score only the first n words', integer('--limit'))
  .option('--json', 'print the result as JSON', false)
  .action(async (run: string, more: string[], o: EvalOptions) => {
    // the config names the task; only the command that scores opens the weights
    const dir = resolveRun(run).dir;
    const task = (loadRunConfig(dir) as { task: string }).task;
    if (more.length > 0 && task !== 'g2p')
      throw new Error(`attend eval: ensembles are for g2p runs; ${dir} is a ${task} run`);
    if (task === 'caption') throw new Error(`${dir} is a caption run: score it with attend eval-caption ${run}`);
    if (task === 'classify') {
      // a classify run is scored on its test split when training ends (attend train classify)
      const path = join(dir, 'eval.json');
      if (!existsSync(path)) throw new Error(`${path} is missing: the run has not finished training`);
      const r = readJson<SpamScores & { split: string }>(path);
      const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
      console.log(
        o.json
          ? JSON.stringify(r)
          : `${dir} on the ${r.split} split (${r.messages} messages): accuracy ${pct(r.accuracy)}, F1 (spam) ${pct(r.f1)}, ` +
              `hard-ham accuracy ${pct(r.hardHamAccuracy)} (${r.hardHam} messages)` +
              (r.top10Mass === null ? '' : `, attention on the ten most attended tokens ${pct(r.top10Mass)}`),
      );
      return;
    }
    if (task === 'translate') {
      const r = evalTranslate(run, o);
      const b = r.bleu;
      console.log(
        o.json
          ? JSON.stringify(r)
          : `${r.run} on the ${r.split} split (${r.sentences} sentences, ${r.seconds.toFixed(1)} s): BLEU ${b.score.toFixed(2)} ` +
              `(${b.precisions.map((x) => x.toFixed(1)).join('/')}, BP ${b.bp.toFixed(3)}, sacreBLEU 13a)`,
      );
      return;
    }
    const result = await evalG2P(run, { ...o, more });
    console.log(o.json ? JSON.stringify(result) : formatEval(result));
  });

program
  .command('predict')
  .description('pronounce words with a trained G2P run, and show each alignment')
  .argument('<run>', 'run directory or .safetensors checkpoint')
  .argument('<words...>', 'words to pronounce')
  .option('--beam <k>', 'beam width (1 = greedy)', integer('--beam'), 5)
  .option('--json', 'print the predictions as JSON', false)
  .action((run: string, words: string[], o: { beam: number; json: boolean }) => {
    const r = predictG2P(run, words, o);
    if (o.json) console.log(JSON.stringify(r));
    else console.log(r.predictions.map((p) => formatPrediction(p, terminalColor())).join('\n\n'));
  });

registerExperimentCommands(program);
registerCostExperiments(program);
registerG2PLengthExperiment(program);
registerMapsExperiment(program);
registerCaptionExperiment(program);
registerClassifyCommands(program);
registerCaptionCommands(program);
registerServeCommands(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`attend: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
