/**
 * The captioning commands (issue #6, Show, Attend and Tell on Fashion-MNIST scenes):
 *   attend train caption --attention soft|hard|none   train into a run directory
 *   attend eval-caption RUN                           exact match, BLEU, attention in the named box
 *   attend caption RUN [IMAGE.png] --out-dir DIR      a caption and one overlay PNG per word
 * (`attend eval` belongs to G2P and translation; captions get their own eval command.)
 */
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { CAPTION_ATTENTION, type CaptionAttention } from '../models/captioner.js';
import { type CaptionTrainOptions, trainCaption } from './caption-train.js';
import { captionImage, evalCaption, formatCaptionEval } from './caption-run.js';
import { integer, nonNegative } from './parse.js';

/** The `attend` commands of this file register here. */
export function registerCaptionCommands(program: Command): void {
  const train =
    program.commands.find((c) => c.name() === 'train') ?? program.command('train').description('train a model');
  train
    .command('caption')
    .description(
      'Show, Attend and Tell: caption Fashion-MNIST scenes (2–4 clothing items) with soft, hard or no attention',
    )
    .addOption(new Option('--attention <kind>', 'attention').choices([...CAPTION_ATTENTION]).default('soft'))
    .option('--steps <n>', 'stop after this many optimiser steps (resumable)', integer('--steps', 1))
    .option('--time-budget <duration>', 'stop after this much training time, e.g. 5m, 90s (resumable)')
    .option('--batch-size <n>', 'scenes per batch', integer('--batch-size', 1), 32)
    .option('--lr <x>', 'Adam learning rate', nonNegative('--lr'), 2e-3)
    .option(
      '--lambda <x>',
      'weight of the doubly stochastic penalty λ Σ_i (1 − Σ_t α_ti)²',
      nonNegative('--lambda'),
      0.01,
    )
    .option(
      '--entropy-weight <x>',
      'hard attention: weight of the entropy bonus',
      nonNegative('--entropy-weight'),
      0.01,
    )
    .option(
      '--reward-weight <x>',
      'hard attention: weight λ_r of the REINFORCE term, λ_r (log p(y|s) − b) ∂log p(s)/∂W',
      nonNegative('--reward-weight'),
      1,
    )
    .option(
      '--expected-warmup <steps>',
      'hard attention: start every image on the expected location and lower the share linearly to --expected-prob over these steps',
      integer('--expected-warmup'),
      0,
    )
    .option(
      '--expected-prob <p>',
      'hard attention: share of images trained with the expected location Σ α a instead of a sample (default 0.5, as Xu et al.)',
      nonNegative('--expected-prob'),
    )
    .option(
      '--encoder-from <run>',
      'start the CNN (conv1 … conv4) from the weights of this caption run or .safetensors file',
    )
    .option(
      '--freeze-encoder',
      'keep the CNN fixed: no gradient, no optimiser step (with --encoder-from: a pretrained encoder, as Xu et al.)',
      false,
    )
    .option('--clip <norm>', 'clip gradients to this global norm (0 = off)', nonNegative('--clip'), 5)
    .option('--eval-every <n>', 'score the dev scenes and checkpoint every n steps', integer('--eval-every', 1), 200)
    .option('--dev-scenes <n>', 'dev scenes scored at each evaluation', integer('--dev-scenes', 1), 300)
    .option('--seed <n>', 'random seed: two runs with one seed are identical', integer('--seed', 0), 1)
    .option('--out <dir>', 'run directory (default runs/caption-ATTENTION)')
    .option('--data-dir <dir>', 'the Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist)')
    .option('--resume', 'continue the run in --out from its last checkpoint', false)
    .option('--force', 'overwrite a run already in --out', false)
    .option('--json', 'print one JSON summary instead of text', false)
    .action((o: Omit<CaptionTrainOptions, 'out'> & { out?: string; attention: CaptionAttention }) => {
      const s = trainCaption({ ...o, out: o.out ?? join('runs', `caption-${o.attention}`) }, program.version() ?? '');
      if (o.json) return console.log(JSON.stringify(s));
      const best = s.bestDev
        ? `; best dev exact match ${(100 * s.bestDev.exactMatch).toFixed(1)} %, BLEU ${s.bestDev.bleu.toFixed(1)} (step ${s.bestDev.step})`
        : '';
      console.log(
        `attend: stopped (${s.stopReason}) after ${s.steps} steps, ${s.seconds.toFixed(0)} s${best}\n` +
          `next: attend eval-caption ${s.out}   |   attend caption ${s.out} --test-scene 0 --out-dir ${join(s.out, 'overlays')}`,
      );
    });

  program
    .command('eval-caption')
    .description(
      'score a caption run on test scenes: exact match, BLEU, and how much attention lands on the named item',
    )
    .argument('<run>', 'run directory or .safetensors checkpoint')
    .option('--scenes <n>', 'test scenes to score', integer('--scenes', 1), 1000)
    .option('--beam <k>', 'beam width (1 = greedy)', integer('--beam', 1), 1)
    .option('--data-dir <dir>', 'the Fashion-MNIST IDX files')
    .option('--json', 'print the result as JSON', false)
    .action((run: string, o: { scenes: number; beam: number; dataDir?: string; json: boolean }) => {
      const r = evalCaption(run, o);
      console.log(o.json ? JSON.stringify(r) : formatCaptionEval(r));
    });

  program
    .command('caption')
    .description('caption an image with a caption run and write one attention overlay per word')
    .argument('<run>', 'run directory or .safetensors checkpoint')
    .argument('[image]', "a PNG of the training scenes' size (default: --test-scene)")
    .option('--test-scene <n>', 'caption test scene n instead (written as scene.png)', integer('--test-scene', 0))
    .option('--out-dir <dir>', 'where the overlays go', 'caption-overlays')
    .option('--beam <k>', 'beam width (1 = greedy)', integer('--beam', 1), 1)
    .option('--data-dir <dir>', 'the Fashion-MNIST IDX files')
    .option('--json', 'print the result as JSON', false)
    .action(
      (
        run: string,
        image: string | undefined,
        o: { testScene?: number; outDir: string; beam: number; dataDir?: string; json: boolean },
      ) => {
        const r = captionImage(run, image, o);
        console.log(
          o.json ? JSON.stringify(r) : [`${r.image}: ${r.caption}`, ...r.overlays.map((f) => `  ${f}`)].join('\n'),
        );
      },
    );
}
