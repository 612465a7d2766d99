/**
 * Loads the WebAssembly kernel modules that scripts/build-wasm.mjs embeds as base64, and hands
 * out their memory. Browser-safe: no Node API (base64 is decoded by hand, compilation is
 * synchronous — `new WebAssembly.Module` is allowed in Node and in browser workers, and the
 * modules are small).
 *
 * Every kernel module imports its memory (env.memory) and has no heap of its own: the caller
 * copies inputs into an `Arena` above the module's `heapBase()`, calls the kernel with byte
 * addresses, and copies the outputs back. One memory per loaded module.
 */

/** The three builds of one assembly/ entry (see scripts/build-wasm.mjs), base64. */
export interface WasmVariants {
  simd: string;
  simdShared: string;
  relaxedShared: string;
}

export interface InstantiateOptions {
  /** Shared memory (for worker threads): picks `relaxedShared` when relaxed SIMD validates, else `simdShared`. */
  shared?: boolean;
  /** Without `shared`: also try relaxed SIMD (it needs a shared memory, which then serves one thread). Default true. */
  relaxed?: boolean;
  /** Instantiate over this memory instead of a new one (another thread's instance of the same module). */
  memory?: WebAssembly.Memory;
}

export interface WasmModule<E> {
  exports: E;
  /** The compiled module: workers instantiate it again over the same (shared) memory. */
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Which build was loaded. */
  variant: keyof WasmVariants;
  /** First byte the module's static data does not use. */
  heapBase: number;
}

/** A 64 KiB WebAssembly page. */
const PAGE = 65536;
/** Largest memory of a shared build in pages (2 GiB): addresses stay below 2³¹, safe in an Int32Array. */
const MAX_SHARED_PAGES = 32768;

const compiled = new Map<string, WebAssembly.Module | null>();

/** Decodes base64 without Buffer or atob (neither is guaranteed everywhere the core runs). */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const value = new Uint8Array(128);
  for (let i = 0; i < alphabet.length; i++) value[alphabet.charCodeAt(i)] = i;
  let end = text.length;
  while (end > 0 && text[end - 1] === '=') end--;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let o = 0;
  let i = 0;
  // four characters carry three bytes (6 bits each)
  for (; i + 4 <= end; i += 4) {
    const v =
      (value[text.charCodeAt(i)] << 18) |
      (value[text.charCodeAt(i + 1)] << 12) |
      (value[text.charCodeAt(i + 2)] << 6) |
      value[text.charCodeAt(i + 3)];
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 255;
    out[o++] = v & 255;
  }
  if (end - i >= 2) {
    const v = (value[text.charCodeAt(i)] << 18) | (value[text.charCodeAt(i + 1)] << 12);
    out[o++] = v >> 16;
    if (end - i === 3) out[o++] = ((v | (value[text.charCodeAt(i + 2)] << 6)) >> 8) & 255;
  }
  return out;
}

/** Compiles (once) a variant, or null when this engine rejects it (no SIMD, no threads, no relaxed SIMD). */
function compile(base64: string): WebAssembly.Module | null {
  let module = compiled.get(base64);
  if (module !== undefined) return module;
  module = null;
  try {
    const bytes = decodeBase64(base64);
    if (WebAssembly.validate(bytes)) module = new WebAssembly.Module(bytes);
  } catch {
    module = null; // no WebAssembly at all, or a compile error: the caller falls back to JavaScript
  }
  compiled.set(base64, module);
  return module;
}

function canShare(): boolean {
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false; // a browser page that is not cross-origin isolated
  }
}

/**
 * Loads one kernel module: the best variant this engine validates, or null when none does
 * (no WebAssembly SIMD, or `shared` asked where shared memory is unavailable). Never throws.
 */
export function instantiate<E>(variants: WasmVariants, options: InstantiateOptions = {}): WasmModule<E> | null {
  const order: (keyof WasmVariants)[] = options.shared
    ? ['relaxedShared', 'simdShared']
    : options.relaxed === false || options.memory
      ? ['simd']
      : ['relaxedShared', 'simd'];
  for (const variant of order) {
    const shared = variant !== 'simd';
    if (shared && !options.memory && !canShare()) continue;
    const module = compile(variants[variant]);
    if (!module) continue;
    try {
      const memory =
        options.memory ??
        (shared
          ? new WebAssembly.Memory({ initial: 1, maximum: MAX_SHARED_PAGES, shared: true })
          : new WebAssembly.Memory({ initial: 1 }));
      const instance = new WebAssembly.Instance(module, { env: { memory, abort } });
      const exports = instance.exports as E & { heapBase?: () => number };
      const heapBase = exports.heapBase ? exports.heapBase() : 1024;
      return { exports, module, memory, variant, heapBase };
    } catch {
      continue; // e.g. the given memory does not match this variant's import
    }
  }
  return null;
}

/** AssemblyScript's abort hook; the modules are built with --noAssert, so only a real bug gets here. */
function abort(message: number, file: number, line: number, column: number): never {
  throw new Error(`WebAssembly kernel aborted at ${line}:${column} (message ${message}, file ${file})`);
}

/**
 * A bump allocator over a module's memory for the scratch of one call: `reset()`, then `alloc`
 * each array, then take the views (growing the memory detaches a non-shared buffer, so views
 * made before the last `alloc` may be stale).
 */
export class Arena {
  private top: number;
  /** The most bytes above `base` any call has held (to check that a kernel's memory stays O(T)). */
  peak = 0;

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly base: number,
  ) {
    this.top = base;
  }

  reset(): void {
    this.top = this.base;
  }

  /** Reserves `bytes` (64-byte aligned: a cache line) and returns the address. */
  alloc(bytes: number): number {
    const at = Math.ceil(this.top / 64) * 64;
    this.top = at + bytes;
    this.peak = Math.max(this.peak, this.top - this.base);
    const have = this.memory.buffer.byteLength;
    if (this.top > have) {
      try {
        this.memory.grow(Math.ceil((this.top - have) / PAGE));
      } catch {
        throw new RangeError(`wasm arena: cannot grow the memory to ${this.top} bytes (has ${have})`);
      }
    }
    return at;
  }

  /** Reserves `length` floats and, when given, copies `from` into them. */
  allocF32(length: number, from?: Float32Array): number {
    const at = this.alloc(length * 4);
    if (from)
      new Float32Array(this.memory.buffer, at, length).set(from.length > length ? from.subarray(0, length) : from);
    return at;
  }

  f32(at: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, length);
  }
}
