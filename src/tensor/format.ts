import type { Tensor } from './tensor.js';

const MAX_EDGE = 3; // like PyTorch: long axes print their first and last 3 entries

/** PyTorch-like printing: `tensor([[1.0000, 2.0000], …], dtype=float64, requiresGrad=true)`. */
export function formatTensor(t: Tensor): string {
  const { shape, data, dtype } = t;
  const isF = dtype === 'float32' || dtype === 'float64';
  const one = (v: number): string => {
    if (dtype === 'bool') return v ? 'true' : 'false';
    if (!isF) return String(v);
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    const a = Math.abs(v);
    return a !== 0 && (a >= 1e5 || a < 1e-4) ? v.toExponential(4) : v.toFixed(4);
  };
  const strides: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i];
  }
  const rec = (dim: number, off: number, indent: string): string => {
    if (dim === shape.length) return one(data[off]);
    const n = shape[dim];
    const idx = n > 2 * MAX_EDGE ? [0, 1, 2, -1, n - 3, n - 2, n - 1] : [...Array(n).keys()];
    const parts = idx.map((i) => (i < 0 ? '...' : rec(dim + 1, off + i * strides[dim], indent + ' ')));
    const sep = dim === shape.length - 1 ? ', ' : ',\n' + indent + ' ';
    return '[' + parts.join(sep) + ']';
  };
  const extras: string[] = [];
  if (shape.length > 1 || data.length > 2 * MAX_EDGE) extras.push(`shape=[${shape.join(', ')}]`);
  if (dtype !== 'float32') extras.push(`dtype=${dtype}`);
  if (t.requiresGrad) extras.push(t.gradFn ? `gradFn=${t.gradFn.name}` : 'requiresGrad=true');
  return `tensor(${rec(0, 0, '       ')}${extras.length ? ', ' + extras.join(', ') : ''})`;
}
