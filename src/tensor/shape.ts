/** Shape arithmetic. Every error names the op, the argument, and the shapes involved. */
export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C-contiguous) strides. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function fmt(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** NumPy broadcasting: align from the right; each pair of sizes must match or one be 1. */
export function broadcastShapes(op: string, a: Shape, b: Shape, names = ['a', 'b']): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(
        `${op}: cannot broadcast ${names[0]} of shape ${fmt(a)} with ${names[1]} of shape ${fmt(b)} ` +
          `(axis ${i - n}: ${da} vs ${db})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Strides that read a tensor of shape `from` as if it had the (broadcast) shape `to`:
 * 0 on every axis that is broadcast.
 */
export function broadcastStrides(from: Shape, to: Shape): number[] {
  const s = stridesOf(from);
  const out = new Array<number>(to.length).fill(0);
  const off = to.length - from.length;
  for (let i = 0; i < from.length; i++) out[off + i] = from[i] === 1 && to[off + i] !== 1 ? 0 : s[i];
  return out;
}

/**
 * Resolve a possibly negative axis; error names the op and the rank.
 * A 0-d tensor is taken as having one 1-long axis, so 0 and −1 both name it (PyTorch's
 * maybe_wrap_dim with wrap_scalar): reducing a 0-d tensor over axis 0 or −1 is allowed.
 */
export function normAxis(op: string, axis: number, rank: number, arg = 'axis'): number {
  const r = Math.max(rank, 1);
  if (!Number.isInteger(axis) || axis < -r || axis >= r) {
    throw new Error(`${op}: ${arg} must be an integer in [${-r}, ${r - 1}], received ${axis}`);
  }
  return axis < 0 ? axis + r : axis;
}

export function checkShape(op: string, shape: Shape, arg = 'shape'): number[] {
  if (!Array.isArray(shape)) throw new Error(`${op}: ${arg} must be an array of sizes, received ${String(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0)
      throw new Error(`${op}: ${arg} must hold non-negative integers, received ${fmt(shape)}`);
  }
  return [...shape];
}
