/**
 * `attend serve RUN_OR_CHECKPOINT`: a local page that runs the run's model in the browser.
 *
 * The page shows what the run's task allows: a g2p run pronounces words, a classify run (spam)
 * reads a pasted message, a caption run captions test scenes the server makes at start.
 *
 * How the weights reach the page: the page fetches /api/config.json (the model spec and
 * vocabularies) and /api/weights.safetensors (the run's best weights, byte for byte), decodes
 * them with the same package's browser-safe core in a Web Worker, and decodes words there with
 * its WebAssembly kernels. The server computes nothing; it only hands out fixed files.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';
import { loadRunConfig, resolveRun } from './run-dir.js';
import { SERVED_SCENES, scenesJson } from './serve-scenes.js';
import { startServer, type RunningServer } from './serve-server.js';

/** The tasks the page knows. */
export const SERVED_TASKS = ['g2p', 'classify', 'caption'] as const;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** dist/web of this checkout: two levels above src/cli (tsx) or three above dist/src/cli (built). */
export function defaultWebRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'web');
  }
  throw new Error('serve: cannot find the attend package root above ' + fileURLToPath(import.meta.url));
}

export async function serveRun(
  runOrCheckpoint: string,
  o: { port: number; host: string; webRoot?: string; dataDir?: string },
): Promise<RunningServer> {
  const { dir, weights } = resolveRun(runOrCheckpoint);
  // RunConfig types the seq2seq tasks only; classify and caption runs store their own task name
  const task: string = loadRunConfig(dir).task;
  if (!(SERVED_TASKS as readonly string[]).includes(task))
    throw new Error(`serve: the page shows ${SERVED_TASKS.join(', ')} runs; '${dir}' is a ${task} run`);
  // a caption run's page captions test scenes: made here once (a missing Fashion-MNIST says how to install it)
  const generated =
    task === 'caption' ? new Map([['/api/scenes.json', scenesJson(o.dataDir, SERVED_SCENES)]]) : undefined;
  if (!LOOPBACK.has(o.host))
    console.warn(
      `attend: warning: --host ${o.host} makes the page and the run's weights reachable from other machines ` +
        `(there is no authentication); pages are served only to Host ${o.host}:<port> and localhost`,
    );
  try {
    return await startServer({
      runDir: dir,
      weights,
      webRoot: o.webRoot ?? defaultWebRoot(),
      host: o.host,
      port: o.port,
      generated,
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new Error(`serve: port ${o.port} on ${o.host} is in use: pick another with --port N (0 = any free port)`);
    throw e;
  }
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`--port must be an integer from 0 to 65535, received '${v}'`);
  return n;
}

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description(
      'a local web page that runs a g2p, classify or caption run in the browser: its predictions, its attention, its training curves',
    )
    .argument('<run>', 'run directory or .safetensors checkpoint')
    .option('--port <n>', 'port (0 = any free port)', port, 8123)
    .option('--host <address>', 'address to bind (other than loopback: reachable from the network)', '127.0.0.1')
    .option('--data-dir <dir>', 'caption runs: the Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist)')
    .action(async (run: string, o: { port: number; host: string; dataDir?: string }) => {
      const s = await serveRun(run, o);
      console.log(`attend: serving ${run} at ${s.url}  (Ctrl-C to stop)`);
      console.log('  the page fetches config.json and the safetensors weights and runs the model in your browser');
      const stop = () => void s.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
