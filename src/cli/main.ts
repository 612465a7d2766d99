#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { runDemo } from './demo.js';

function int(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError(`${name} must be a non-negative integer, received '${v}'`);
    return n;
  };
}

const program = new Command()
  .name('attend')
  .description('Attention mechanisms for TypeScript: train, run and look inside attention models.')
  .showHelpAfterError();

program
  .command('demo')
  .description('train a one-layer attention model to reverse digit sequences and show its attention map')
  .option('--steps <n>', 'training steps', int('--steps'), 200)
  .option('--seed <n>', 'random seed', int('--seed'), 0)
  .option('--json', 'print one JSON object instead of text', false)
  .action((o: { steps: number; seed: number; json: boolean }) => {
    process.exitCode = runDemo(o);
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`attend: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
