import { type Kernels, kernels, setKernels } from '../src/index.js';
import { referenceKernels } from '../src/kernels/reference/index.js';
import { createNativeKernels, nativeUnavailableReason } from '../src/node/native.js';

/**
 * The attend backends the bench can run. The reference backend is always there; the
 * WebAssembly backends (src/kernels/wasm, src/node/threads.ts) are found by dynamic imports
 * wrapped in try/catch, so the bench runs before they exist and picks them up once they land.
 */
export interface AttendBackend {
  /** Column label, e.g. "attend reference", "attend wasm ×2". */
  label: string;
  /** kernels().name once installed. */
  kernelName: string;
  /** Threads the backend computes on. */
  threads: number;
  /** The kernels it implements itself (setKernels takes the rest from the reference backend). */
  implemented: string[];
  install(): void;
  dispose(): Promise<void>;
  /** How the thread pool was used (workers started, jobs they ran), when the backend tells. */
  stats?: () => string;
}

type Loaded = Kernels & { dispose?: () => unknown; terminate?: () => unknown; close?: () => unknown };

// Paths held in variables: TypeScript does not resolve them, so the bench type-checks before the modules exist.
const WASM_MODULES = ['../src/kernels/wasm/index.js', '../src/kernels/wasm/wasm.js'];
const THREAD_MODULES = ['../src/node/threads.js', '../src/node/index.js'];

type Fn = (...a: unknown[]) => unknown;

/** The first of `paths` that loads and exports a function `name`: its exports, or null. */
async function findModule(paths: readonly string[], name: string): Promise<Record<string, unknown> | null> {
  for (const p of paths) {
    try {
      const mod = (await import(p)) as Record<string, unknown>;
      if (typeof mod[name] === 'function') return mod;
    } catch {
      // not there (yet)
    }
  }
  return null;
}

async function findExport(paths: readonly string[], name: string): Promise<Fn | null> {
  return ((await findModule(paths, name))?.[name] as Fn | undefined) ?? null;
}

async function release(k: Loaded): Promise<void> {
  for (const f of [k.dispose, k.terminate, k.close]) {
    if (typeof f === 'function') {
      try {
        await f.call(k);
      } catch {
        // best effort
      }
      return;
    }
  }
}

function wrap(
  label: string,
  k: Loaded,
  threads: number,
  owned: boolean,
  extra: Partial<Pick<AttendBackend, 'dispose' | 'stats'>> = {},
): AttendBackend {
  return {
    label,
    kernelName: k.name,
    threads,
    implemented: Object.keys(k).filter((key) => typeof (k as unknown as Record<string, unknown>)[key] === 'function'),
    install: () => setKernels(k),
    dispose: async () => {
      if (owned) await release(k);
    },
    ...extra,
  };
}

/**
 * Every backend available now, in order: reference, wasm 1 thread, wasm N threads, and the
 * backend kernels() starts with if it is none of those. `defaultName` is kernels().name at start.
 */
export async function attendBackends(
  threads: number,
  log: (s: string) => void,
): Promise<{ backends: AttendBackend[]; defaultName: string; restore: () => void }> {
  const initial = kernels() as Loaded; // the registry's default (chosen at the first call)
  const restore = () => setKernels(initial);
  const list: AttendBackend[] = [wrap('attend reference', referenceKernels as Loaded, 1, false)];
  const createWasm = await findExport(WASM_MODULES, 'createWasmKernels');
  if (createWasm) {
    try {
      const k = (await createWasm()) as Loaded | null;
      if (k) list.push(wrap('attend wasm ×1', k, 1, true));
      else log('attend wasm: createWasmKernels() returned null (no WebAssembly SIMD here)');
    } catch (e) {
      log(`attend wasm: createWasmKernels() failed: ${(e as Error).message}`);
    }
  } else {
    log('attend wasm: not available yet (no createWasmKernels in src/kernels/wasm)');
  }

  let threaded: Loaded | null = null; // the native column borrows whatever the addon lacks
  const threadMod = await findModule(THREAD_MODULES, 'createThreadedWasmKernels');
  if (threadMod) {
    const create = threadMod.createThreadedWasmKernels as Fn;
    try {
      // createThreadedWasmKernels({ threads }) → kernels or null
      const k = (await create({ threads })) as Loaded | null;
      if (!k) throw new Error('returned null (no WebAssembly SIMD or shared memory)');
      threaded = k;
      // its workers start asynchronously; until they have, calls run on the main thread alone
      if (typeof threadMod.threadsReady === 'function') await (threadMod.threadsReady as Fn)();
      const close = threadMod.closeThreads as Fn | undefined;
      const poolStats = threadMod.threadPoolStats as
        (() => { threads: number; workersReady: number; workerJobs: number }) | undefined;
      const t = poolStats ? poolStats().threads || threads : threads;
      list.push(
        wrap(`attend wasm ×${t}`, k, t, true, {
          dispose: async () => {
            if (close) await close();
          },
          stats: poolStats
            ? () => {
                const s = poolStats();
                return `${s.workersReady} worker(s) started, ${s.workerJobs} jobs run on workers`;
              }
            : undefined,
        }),
      );
    } catch (e) {
      log(`attend wasm threads: createThreadedWasmKernels() failed: ${(e as Error).message}`);
    }
  } else {
    log('attend wasm threads: not available yet (no createThreadedWasmKernels in src/node/threads.ts)');
  }
  // what the CLI trains with in Node (installNodeKernels): the addon's GEMM, row and fused attention kernels, the rest from WebAssembly
  const native = createNativeKernels({ threads });
  if (native) {
    const name = threaded ? `${native.name}+${threaded.name}` : native.name;
    list.push(
      wrap(`attend native ×${native.threads}`, { ...(threaded ?? {}), ...native, name } as Loaded, threads, false),
    );
  } else {
    log(`attend native: not available (${nativeUnavailableReason()})`);
  }
  if (!list.some((b) => b.kernelName === initial.name)) {
    list.push(wrap(`attend ${initial.name}`, initial, 1, false));
  }
  return { backends: list, defaultName: initial.name, restore };
}
