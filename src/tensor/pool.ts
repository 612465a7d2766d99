/**
 * Recycled tensor storage.
 *
 * JavaScript frees a typed array only when the garbage collector finds it unreachable, and V8
 * counts array storage as external memory: a training step that allocates ~100 MB of temporaries
 * sets off a full mark-compact about once a step (measured on the G2P Transformer: 1.5 per step,
 * a fifth of the step's time, and more on the cores the collector's threads share with the
 * kernels). PyTorch's caching allocator avoids this with reference counts; JavaScript has none,
 * so the storage comes back here only where its owner knows it is dead: the autograd pass hands
 * back every array it allocated except the leaves' new `.grad` (autograd.ts), and
 * `backward(grad, { releaseActivations: true })` also the activations of a graph its caller has
 * finished with (the trainer's step).
 *
 * Storage comes in size classes (4 per power of two, so at most 25 % is unused), and a request
 * takes a free buffer up to REACH classes larger, so that batches of different lengths reuse each
 * other's arrays. A reused array is zeroed, as a new one is (`allocateUninit` skips that). Only
 * arrays of at least MIN_BYTES are pooled: smaller ones live in V8's heap and cost little to
 * collect. The pool holds at most `capacity` bytes; past that, released arrays are left to the GC.
 */
import type { DType, TypedArray } from './dtype.js';

const MIN_BYTES = 4096;
/** How many size classes up `allocate` looks for a free buffer: 4 is up to twice the size. */
const REACH = 4;
let capacity = 512 * 2 ** 20;
let held = 0;
const free = new Map<number, ArrayBuffer[]>(); // size class (bytes) → released buffers
const inPool = new Set<ArrayBuffer>(); // the same buffers: a second release of one is ignored
let recording: Set<ArrayBuffer> | null = null;
let reused = 0;
let fresh = 0;

/** Poison released storage with NaN (tests): a use after release then shows, instead of reading another tensor's values. */
const poison = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
  ?.ATTEND_POOL_POISON;

const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

/** The smallest size class holding `bytes`: 2^k · {1, 1.25, 1.5, 1.75}, 64-byte aligned. */
export function sizeClass(bytes: number): number {
  if (bytes <= MIN_BYTES) return MIN_BYTES;
  const top = 2 ** Math.floor(Math.log2(bytes));
  const quarter = top / 4;
  return top + Math.ceil((bytes - top) / quarter) * quarter;
}

function view(dtype: DType, buffer: ArrayBuffer, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer, 0, size);
    case 'float64':
      return new Float64Array(buffer, 0, size);
    case 'int32':
      return new Int32Array(buffer, 0, size);
    case 'bool':
      return new Uint8Array(buffer, 0, size);
  }
}

/** A zeroed array of `size` elements, from the pool when it has one of the class. */
export function allocate(dtype: DType, size: number): TypedArray {
  return pooled(dtype, size, true);
}

/**
 * An array whose values are undefined (garbage, NaN in the tests), for a kernel that writes
 * every element: it spares the zeroing of a reused one.
 */
export function allocateUninit(dtype: DType, size: number): TypedArray {
  return pooled(dtype, size, false);
}

function pooled(dtype: DType, size: number, zero: boolean): TypedArray {
  const bytes = size * BYTES[dtype];
  if (bytes < MIN_BYTES) return view(dtype, new ArrayBuffer(bytes), size);
  let buffer = take(bytes);
  if (buffer) {
    reused++;
    if (zero) new Uint8Array(buffer, 0, bytes).fill(0);
  } else {
    fresh++;
    buffer = new ArrayBuffer(sizeClass(bytes));
  }
  recording?.add(buffer);
  return view(dtype, buffer, size);
}

/** A released buffer of `bytes`' class or up to REACH classes larger (batches vary in length). */
function take(bytes: number): ArrayBuffer | undefined {
  for (let cls = sizeClass(bytes), i = 0; i <= REACH; i++, cls = sizeClass(cls + 1)) {
    const buffer = free.get(cls)?.pop();
    if (buffer) {
      held -= cls;
      inPool.delete(buffer);
      return buffer;
    }
  }
  return undefined;
}

/** Return storage no one can reach any more. Only pooled-size buffers are kept, each once. */
export function recycle(buffers: Iterable<ArrayBuffer>): void {
  for (const buffer of buffers) {
    const cls = buffer.byteLength;
    if (cls < MIN_BYTES || sizeClass(cls) !== cls || held + cls > capacity || inPool.has(buffer)) continue;
    const list = free.get(cls) ?? [];
    if (poison) new Float32Array(buffer, 0, cls >> 2).fill(NaN);
    list.push(buffer);
    inPool.add(buffer);
    free.set(cls, list);
    held += cls;
  }
}

/**
 * Run `fn`, collecting the pooled buffers `allocate` hands out meanwhile (nested calls each see
 * their own and the outer one sees them too).
 */
export function recordAllocations<T>(fn: () => T): { result: T; allocated: Set<ArrayBuffer> } {
  const outer = recording;
  const allocated = new Set<ArrayBuffer>();
  recording = allocated;
  try {
    return { result: fn(), allocated };
  } finally {
    recording = outer;
    if (outer) for (const b of allocated) outer.add(b);
  }
}

/** Bytes held for reuse, the cap, and how many pooled allocations were reused or new (`setPoolCapacity(0)` turns reuse off). */
export function poolStats(): { held: number; capacity: number; reused: number; fresh: number } {
  return { held, capacity, reused, fresh };
}

export function setPoolCapacity(bytes: number): void {
  capacity = bytes;
  if (held > capacity) {
    free.clear();
    inPool.clear();
    held = 0;
  }
}
