/**
 * The spam commands of issue #8 (source article 004):
 *   attend train classify --pool attention|mean|max|last [--encoder none|gru|transformer] --out runs/NAME
 *   attend classify RUN FILE.eml        label, its probability, the most attended words, the shaded message
 *   attend experiment classify          every pooling and the bag-of-words baseline, one table
 */
import { join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { decodeCharset } from '../data/spam.js';
import { Vocab } from '../data/vocab.js';
import { POOLINGS, type Pooling } from '../models/classifier.js';
import { readFileChecked } from '../node/files.js';
import { Generator } from '../tensor/random.js';
import type { TerminalColor } from '../viz/terminal.js';
import { type ClassifierSpec, createClassifier } from './classify-model.js';
import { loadSpamCorpus, prepareSpamData, type SpamDataOptions } from './classify-data.js';
import { formatSpamTable, runSpamExperiment } from './classify-experiment.js';
import { type ClassifyRunConfig, type FitOptions, pct, trainClassifyRun } from './classify-train.js';
import { type ClassifyResult, classifyRaw, shadeTokens } from './classify-view.js';
import { integer, positive, probability } from './parse.js';
import { parseDuration } from './progress.js';
import { loadWeights, readJson, resolveRun } from './run-dir.js';

const ENCODERS = ['none', 'gru', 'transformer'] as const;
type Encoder = (typeof ENCODERS)[number];
/** Learning rates used when --lr is not given (not tuned on the test split: the first values tried). */
const DEFAULT_LR = { classifier: 2e-3, bow: 1e-2 };
/** A .eml larger than this is refused (the largest message of the corpus is 0.3 MB). */
const MAX_MESSAGE_BYTES = 20 * 1024 * 1024;

function terminalColor(): TerminalColor {
  if (process.env.NO_COLOR || !process.stdout.isTTY) return 'none';
  return /truecolor|24bit/i.test(process.env.COLORTERM ?? '') ? 'truecolor' : '256';
}

/** Options shared by `train classify` and `experiment classify`. */
function sharedOptions(cmd: Command, defaults: { epochs: number; patience: number; timeBudget?: string }): Command {
  return cmd
    .addOption(
      new Option('--encoder <kind>', 'layer between embedding and pooling').choices([...ENCODERS]).default('none'),
    )
    .option('--embed <n>', 'embedding size (and GRU hidden size)', integer('--embed', 1), 32)
    .option('--dropout <p>', 'dropout on embeddings and the pooled vector', probability('--dropout'), 0.1)
    .option('--max-tokens <n>', 'tokens read from the start of each message', integer('--max-tokens', 1), 256)
    .option('--vocab-size <n>', 'most frequent training words kept', integer('--vocab-size', 1), 20000)
    .option('--min-count <n>', 'rarer training words become <unk>', integer('--min-count', 1), 2)
    .option('--epochs <n>', 'epochs', integer('--epochs', 1), defaults.epochs)
    .option('--batch-size <n>', 'messages per batch', integer('--batch-size', 1), 32)
    .addOption(new Option('--optimizer <name>', 'optimiser').choices(['adam', 'adamw', 'sgd']).default('adam'))
    .addOption(
      new Option('--schedule <name>', 'learning-rate schedule')
        .choices(['constant', 'inverse-sqrt', 'cosine', 'step'])
        .default('constant'),
    )
    .option('--warmup <steps>', 'warmup steps of the schedule', integer('--warmup', 0))
    .option('--clip <norm>', 'clip gradients to this global norm (0 = off)', Number, 1)
    .option('--weight-decay <x>', 'weight decay', Number, 0)
    .option('--seed <n>', 'random seed (initialisation, dropout, batch order)', integer('--seed', 0), 1)
    .option('--time-budget <duration>', 'stop training after this long, e.g. 3m, 90s', defaults.timeBudget)
    .option('--max-steps <n>', 'stop after this many optimiser steps', integer('--max-steps', 1))
    .option(
      '--patience <n>',
      'stop after n epochs without a better dev F1',
      integer('--patience', 1),
      defaults.patience,
    )
    .option('--json', 'print one JSON object instead of text', false);
}

interface SharedCli {
  encoder: Encoder;
  embed: number;
  dropout: number;
  maxTokens: number;
  vocabSize: number;
  minCount: number;
  epochs: number;
  batchSize: number;
  optimizer: FitOptions['optimizer'];
  schedule: string;
  warmup?: number;
  clip: number;
  weightDecay: number;
  seed: number;
  timeBudget?: string;
  maxSteps?: number;
  patience: number;
  json: boolean;
}

function fitOptions(o: SharedCli, lr: number): FitOptions {
  return {
    epochs: o.epochs,
    batchSize: o.batchSize,
    lr,
    optimizer: o.optimizer,
    schedule: o.schedule,
    warmup: o.warmup,
    clip: o.clip,
    weightDecay: o.weightDecay,
    seed: o.seed,
    timeBudgetMs: o.timeBudget !== undefined ? parseDuration(o.timeBudget) : undefined,
    maxSteps: o.maxSteps,
    patience: o.patience,
  };
}

async function loadData(o: SpamDataOptions, say: (line: string) => void) {
  const t0 = performance.now();
  const records = await loadSpamCorpus();
  const data = prepareSpamData(records, o);
  say(
    `attend: ${records.length} messages parsed in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
      `train ${data.train.length}, dev ${data.dev.length}, test ${data.test.length}; ${data.vocab.size} words`,
  );
  return data;
}

interface TrainClassifyCli extends SharedCli {
  model: 'classifier' | 'bow';
  pool: Pooling;
  lr?: number;
  out?: string;
  resume: boolean;
  force: boolean;
}

async function trainClassify(o: TrainClassifyCli, version: string): Promise<void> {
  const out = o.out ?? join('runs', o.model === 'bow' ? 'classify-bow' : `classify-${o.pool}`);
  const say = o.json ? () => {} : (line: string) => console.error(line);
  let dataOptions: SpamDataOptions = { maxTokens: o.maxTokens, minCount: o.minCount, vocabSize: o.vocabSize };
  if (o.resume) {
    // the data must be made exactly as before: take its options from the run
    const c = readJson<ClassifyRunConfig>(join(out, 'config.json'));
    dataOptions = {
      maxTokens: c.tokenizer.maxTokens,
      minCount: c.data.minCount as number,
      vocabSize: c.data.maxVocab as number,
    };
  }
  const data = await loadData(dataOptions, say);
  if (o.resume) {
    const saved = readJson<ClassifyRunConfig>(join(out, 'config.json')).vocab.tokens;
    const now = data.vocab.toJSON().tokens;
    if (saved.length !== now.length || saved.some((t, i) => t !== now[i]))
      throw new Error(
        `--resume: the corpus gives another vocabulary than ${out}/config.json holds (a different corpus version?)`,
      );
  }
  const spec: ClassifierSpec =
    o.model === 'bow'
      ? { kind: 'bow', vocab: data.vocab.size }
      : {
          kind: 'classifier',
          pooling: o.pool,
          encoder: o.encoder,
          vocab: data.vocab.size,
          embed: o.embed,
          hidden: o.embed,
          maxLength: dataOptions.maxTokens,
          dropout: o.dropout,
        };
  const lr = o.lr ?? DEFAULT_LR[o.model];
  const summary = trainClassifyRun(
    spec,
    data,
    { ...fitOptions(o, lr), out, resume: o.resume, force: o.force, timeBudget: o.timeBudget },
    version,
    say,
  );
  if (o.json) return console.log(JSON.stringify(summary));
  const t = summary.test;
  console.log(
    `attend: ${summary.stopReason} after ${summary.steps} steps, ${summary.epochs} epochs, ${summary.seconds.toFixed(0)} s\n` +
      `test (${t.messages} messages): accuracy ${pct(t.accuracy)}, F1 ${pct(t.f1)} (spam), ` +
      `hard-ham accuracy ${pct(t.hardHamAccuracy)} (${t.hardHam} messages)` +
      (t.top10Mass === null ? '' : `, attention on the top 10 tokens ${pct(t.top10Mass)}`) +
      `\nnext: attend classify ${out} FILE.eml`,
  );
}

/** Classify one raw message with a trained run. */
export function classifyMessage(run: string, raw: string): ClassifyResult {
  const { dir, weights: weightsPath } = resolveRun(run);
  const config = readJson<ClassifyRunConfig>(join(dir, 'config.json'));
  if (config?.task !== 'classify' || !config.model || !config.vocab || !config.tokenizer)
    throw new Error(
      `${dir}/config.json: expected a run of 'attend train classify', received task '${String(config?.task)}'`,
    );
  const vocab = Vocab.fromJSON(config.vocab);
  const model = createClassifier(config.model, new Generator(0));
  loadWeights(model, weightsPath);
  return classifyRaw(model, vocab, raw, config.tokenizer.maxTokens);
}

export function formatClassifyResult(r: ClassifyResult, color: TerminalColor): string {
  const lines = [`${r.label} (probability ${r.probability.toFixed(3)})`];
  if (r.evidence)
    return [
      ...lines,
      '',
      'words that weighed most (W_spam − W_ham; > 0 pushes towards spam):',
      ...r.evidence.map(
        (e) => `  ${e.spamMinusHam >= 0 ? '+' : '−'}${Math.abs(e.spamMinusHam).toFixed(3)}  ${e.token}`,
      ),
    ].join('\n');
  if (!r.weights) return [...lines, '(this model has no attention to show: train with --pool attention)'].join('\n');
  lines.push(
    '',
    'most attended words:',
    ...r.top.map((w) => `  ${w.weight.toFixed(3)}  ${w.token}  (token ${w.position + 1})`),
    '',
    `the message as the model read it, shaded by attention (darkest = most, ${r.tokens.length} tokens):`,
    shadeTokens(r.tokens, r.weights, { color }),
  );
  return lines.join('\n');
}

interface ExperimentCli extends SharedCli {
  pools: Pooling[];
  bow: boolean;
  lr: number;
  bowLr: number;
}

function parsePools(v: string): Pooling[] {
  const pools = v.split(',').map((s) => s.trim());
  for (const p of pools)
    if (!(POOLINGS as readonly string[]).includes(p))
      throw new InvalidArgumentError(`--pools takes a comma list of ${POOLINGS.join(', ')}, received '${p}'`);
  return pools as Pooling[];
}

function experimentCommand(o: ExperimentCli): string {
  return [
    'attend experiment classify',
    `--pools ${o.pools.join(',')}`,
    o.bow ? '' : '--no-bow',
    `--encoder ${o.encoder} --embed ${o.embed} --dropout ${o.dropout}`,
    `--max-tokens ${o.maxTokens} --vocab-size ${o.vocabSize} --min-count ${o.minCount}`,
    `--epochs ${o.epochs} --batch-size ${o.batchSize} --lr ${o.lr} --bow-lr ${o.bowLr}`,
    `--optimizer ${o.optimizer} --schedule ${o.schedule} --clip ${o.clip} --weight-decay ${o.weightDecay}`,
    o.timeBudget !== undefined ? `--time-budget ${o.timeBudget}` : '',
    o.maxSteps !== undefined ? `--max-steps ${o.maxSteps}` : '',
    `--patience ${o.patience} --seed ${o.seed}`,
  ]
    .filter(Boolean)
    .join(' ');
}

/** Called once by main.ts. `train` and `experiment` are found on the program (main.ts and experiment.ts make them). */
export function registerClassifyCommands(program: Command): void {
  const version = program.version() ?? '0.0.0';
  const sub = (name: string, description: string) =>
    program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);

  sharedOptions(
    sub('train', 'train a model (see the subcommands)')
      .command('classify')
      .description(
        'spam or not, on the SpamAssassin corpus: embedding → pooling (attention, as source article 004) → dense',
      ),
    { epochs: 10, patience: 3 },
  )
    .addOption(
      new Option('--pool <kind>', 'how the tokens become one vector').choices([...POOLINGS]).default('attention'),
    )
    .addOption(
      new Option('--model <kind>', 'classifier: the pooled model; bow: bag-of-words logistic regression')
        .choices(['classifier', 'bow'])
        .default('classifier'),
    )
    .option('--lr <x>', `learning rate (default ${DEFAULT_LR.classifier}, bow ${DEFAULT_LR.bow})`, positive('--lr'))
    .option('--out <dir>', 'run directory (default runs/classify-POOL)')
    .option('--resume', 'continue the run in --out from its last checkpoint', false)
    .option('--force', 'overwrite a run already in --out', false)
    .action((o: TrainClassifyCli) => trainClassify(o, version));

  program
    .command('classify')
    .description('spam or ham? with the most attended words and the message shaded by attention')
    .argument('<run>', 'a run of attend train classify (directory or .safetensors)')
    .argument('<file>', 'the message, as an .eml file (headers, blank line, body)')
    .option('--json', 'print { label, probability, tokens, weights, top } as JSON', false)
    .action((run: string, file: string, o: { json: boolean }) => {
      const raw = decodeCharset(readFileChecked(file, MAX_MESSAGE_BYTES), 'utf-8');
      const r = classifyMessage(run, raw);
      console.log(o.json ? JSON.stringify(r) : formatClassifyResult(r, terminalColor()));
    });

  sharedOptions(
    sub('experiment', 'measure the claims of the articles (spec §3)')
      .command('classify')
      .description('spam: every pooling and the bag-of-words baseline on one split, one table (source article 004)'),
    { epochs: 8, patience: 2 },
  )
    .option('--pools <list>', `comma list of ${POOLINGS.join(', ')}`, parsePools, [...POOLINGS])
    .option('--no-bow', 'leave out the bag-of-words baseline')
    .option('--lr <x>', 'learning rate of the pooled models', positive('--lr'), DEFAULT_LR.classifier)
    .option('--bow-lr <x>', 'learning rate of bag-of-words', positive('--bow-lr'), DEFAULT_LR.bow)
    .action(async (o: ExperimentCli) => {
      // progress on stderr even with --json: a long run should show it is alive, and stdout stays one JSON
      const say = (line: string) => console.error(line);
      const data = await loadData({ maxTokens: o.maxTokens, minCount: o.minCount, vocabSize: o.vocabSize }, say);
      const { lr: _, ...fit } = fitOptions(o, o.lr);
      const result = runSpamExperiment(
        data,
        {
          poolings: o.pools,
          encoder: o.encoder,
          bow: o.bow,
          embed: o.embed,
          dropout: o.dropout,
          lr: o.lr,
          bowLr: o.bowLr,
          fit,
          onProgress: say,
        },
        experimentCommand(o),
      );
      console.log(o.json ? JSON.stringify(result) : formatSpamTable(result));
    });
}
