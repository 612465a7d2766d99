// Row-wise float32 kernels in WebAssembly SIMD: softmax, log-softmax and layer norm, forward and
// backward. Same formulas as src/kernels/reference/{softmax,layernorm}.ts (the oracle); each row
// runs four lanes at a time, then a scalar tail. Arguments are byte addresses (outputs, inputs,
// weights, sizes). Rows [r0, r1) only, so that threads can split the rows.
import { Vec } from './_simd';

export function heapBase(): usize {
  return __heap_base;
}

function exp1(x: f32): f32 {
  return f32x4.extract_lane(Vec.exp(f32x4.splat(x)), 0);
}

function rowMax(x: usize, cols: i32): f32 {
  let j = 0;
  let mv = f32x4.splat(-Infinity);
  for (; j + 4 <= cols; j += 4) mv = f32x4.max(mv, v128.load(x + j * 4));
  let m = Vec.max(mv);
  for (; j < cols; j++) m = max(m, load<f32>(x + j * 4));
  return m;
}

/** out = exp(x − shift); returns Σ out. */
function expShifted(out: usize, x: usize, cols: i32, shift: f32): f32 {
  const s = f32x4.splat(shift);
  let sv = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    const e = Vec.exp(f32x4.sub(v128.load(x + j * 4), s));
    if (out) v128.store(out + j * 4, e);
    sv = f32x4.add(sv, e);
  }
  let sum = Vec.sum(sv);
  for (; j < cols; j++) {
    const e = exp1(load<f32>(x + j * 4) - shift);
    if (out) store<f32>(out + j * 4, e);
    sum += e;
  }
  return sum;
}

function scale(out: usize, cols: i32, f: f32): void {
  const fv = f32x4.splat(f);
  let j = 0;
  for (; j + 4 <= cols; j += 4) v128.store(out + j * 4, f32x4.mul(v128.load(out + j * 4), fv));
  for (; j < cols; j++) store<f32>(out + j * 4, load<f32>(out + j * 4) * f);
}

function fill(out: usize, cols: i32, v: f32): void {
  for (let j = 0; j < cols; j++) store<f32>(out + j * 4, v);
}

/** Σ_j a_j·b_j, or Σ_j a_j when b is 0. */
function dot(a: usize, b: usize, cols: i32): f32 {
  let sv = f32x4.splat(0);
  let j = 0;
  if (b) for (; j + 4 <= cols; j += 4) sv = Vec.madd(v128.load(a + j * 4), v128.load(b + j * 4), sv);
  else for (; j + 4 <= cols; j += 4) sv = f32x4.add(sv, v128.load(a + j * 4));
  let s = Vec.sum(sv);
  for (; j < cols; j++) s += load<f32>(a + j * 4) * (b ? load<f32>(b + j * 4) : 1);
  return s;
}

export function softmaxForward(out: usize, x: usize, cols: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const o = <usize>r * cols * 4;
    const m = rowMax(x + o, cols);
    // NOTE: a fully masked row (all −Infinity) gets zeros, not NaN: the library's rule.
    if (m == -Infinity) {
      fill(out + o, cols, 0);
      continue;
    }
    scale(out + o, cols, 1 / expShifted(out + o, x + o, cols, m));
  }
}

export function softmaxBackward(dx: usize, dy: usize, y: usize, cols: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const o = <usize>r * cols * 4;
    // dx_j = y_j (dy_j − Σ_k dy_k y_k)
    const d = f32x4.splat(dot(dy + o, y + o, cols));
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const at = o + j * 4;
      v128.store(dx + at, f32x4.mul(v128.load(y + at), f32x4.sub(v128.load(dy + at), d)));
    }
    for (; j < cols; j++) {
      const at = o + j * 4;
      store<f32>(dx + at, load<f32>(y + at) * (load<f32>(dy + at) - f32x4.extract_lane(d, 0)));
    }
  }
}

export function logSoftmaxForward(out: usize, x: usize, cols: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const o = <usize>r * cols * 4;
    const m = rowMax(x + o, cols);
    // NOTE: every entry −Infinity: log-probabilities are −Infinity (PyTorch), no NaN.
    if (m == -Infinity) {
      fill(out + o, cols, -Infinity);
      continue;
    }
    // out = x − (max + log Σ exp(x − max)); the sum in float64 only for its log
    const lse = f32x4.splat(<f32>(<f64>m + Math.log(<f64>expShifted(0, x + o, cols, m))));
    let j = 0;
    for (; j + 4 <= cols; j += 4) v128.store(out + o + j * 4, f32x4.sub(v128.load(x + o + j * 4), lse));
    for (; j < cols; j++) store<f32>(out + o + j * 4, load<f32>(x + o + j * 4) - f32x4.extract_lane(lse, 0));
  }
}

export function logSoftmaxBackward(dx: usize, dy: usize, y: usize, cols: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const o = <usize>r * cols * 4;
    // dx_j = dy_j − exp(y_j) Σ_k dy_k
    const s = f32x4.splat(dot(dy + o, 0, cols));
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const at = o + j * 4;
      v128.store(dx + at, f32x4.sub(v128.load(dy + at), f32x4.mul(Vec.exp(v128.load(y + at)), s)));
    }
    for (; j < cols; j++) {
      const at = o + j * 4;
      store<f32>(dx + at, load<f32>(dy + at) - exp1(load<f32>(y + at)) * f32x4.extract_lane(s, 0));
    }
  }
}

/** weight and bias are 0 when absent (the arena never hands out address 0). */
export function layerNormForward(
  out: usize,
  mean: usize,
  rstd: usize,
  x: usize,
  weight: usize,
  bias: usize,
  cols: i32,
  eps: f32,
  r0: i32,
  r1: i32,
): void {
  for (let r = r0; r < r1; r++) {
    const o = <usize>r * cols * 4;
    const mu = dot(x + o, 0, cols) / <f32>cols;
    // two passes (Σ(x − μ)², not Σx² − μ²): no cancellation when |μ| ≫ σ
    const mv = f32x4.splat(mu);
    let vv = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const d = f32x4.sub(v128.load(x + o + j * 4), mv);
      vv = Vec.madd(d, d, vv);
    }
    let v = Vec.sum(vv);
    for (; j < cols; j++) {
      const d = load<f32>(x + o + j * 4) - mu;
      v += d * d;
    }
    const s = <f32>(1 / Math.sqrt(<f64>(v / <f32>cols) + <f64>eps)); // biased variance, as PyTorch
    store<f32>(mean + <usize>r * 4, mu);
    store<f32>(rstd + <usize>r * 4, s);
    const sv = f32x4.splat(s);
    j = 0;
    for (; j + 4 <= cols; j += 4) {
      let y = f32x4.mul(f32x4.sub(v128.load(x + o + j * 4), mv), sv); // x̂
      if (weight) y = f32x4.mul(y, v128.load(weight + j * 4));
      if (bias) y = f32x4.add(y, v128.load(bias + j * 4));
      v128.store(out + o + j * 4, y);
    }
    for (; j < cols; j++) {
      let y = (load<f32>(x + o + j * 4) - mu) * s;
      if (weight) y *= load<f32>(weight + j * 4);
      if (bias) y += load<f32>(bias + j * 4);
      store<f32>(out + o + j * 4, y);
    }
  }
}

/** dweight and dbias (0 when absent) are accumulated into, so threads must not share them. */
export function layerNormBackward(
  dx: usize,
  dweight: usize,
  dbias: usize,
  dy: usize,
  x: usize,
  mean: usize,
  rstd: usize,
  weight: usize,
  cols: i32,
  r0: i32,
  r1: i32,
): void {
  const one = f32x4.splat(1);
  for (let r = r0; r < r1; r++) {
    const o = <usize>r * cols * 4;
    const mu = f32x4.splat(load<f32>(mean + <usize>r * 4));
    const s = f32x4.splat(load<f32>(rstd + <usize>r * 4));
    // x̂_j = (x_j − μ)·rstd, g_j = dy_j·w_j:  dx_j = rstd · (g_j − mean(g) − x̂_j · mean(g ⊙ x̂))
    let gv = f32x4.splat(0);
    let gxv = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const g = f32x4.mul(v128.load(dy + o + j * 4), weight ? v128.load(weight + j * 4) : one);
      gv = f32x4.add(gv, g);
      gxv = Vec.madd(g, f32x4.mul(f32x4.sub(v128.load(x + o + j * 4), mu), s), gxv);
    }
    let gs = Vec.sum(gv);
    let gxs = Vec.sum(gxv);
    for (; j < cols; j++) {
      const g = load<f32>(dy + o + j * 4) * (weight ? load<f32>(weight + j * 4) : 1);
      gs += g;
      gxs += g * (load<f32>(x + o + j * 4) - f32x4.extract_lane(mu, 0)) * f32x4.extract_lane(s, 0);
    }
    const gMean = f32x4.splat(gs / <f32>cols);
    const gxMean = f32x4.splat(gxs / <f32>cols);
    j = 0;
    for (; j + 4 <= cols; j += 4) {
      const at = o + j * 4;
      const d = v128.load(dy + at);
      const xh = f32x4.mul(f32x4.sub(v128.load(x + at), mu), s);
      const g = f32x4.mul(d, weight ? v128.load(weight + j * 4) : one);
      v128.store(dx + at, f32x4.mul(s, f32x4.sub(f32x4.sub(g, gMean), f32x4.mul(xh, gxMean))));
      if (dweight) v128.store(dweight + j * 4, Vec.madd(d, xh, v128.load(dweight + j * 4)));
      if (dbias) v128.store(dbias + j * 4, f32x4.add(v128.load(dbias + j * 4), d));
    }
    for (; j < cols; j++) {
      const at = o + j * 4;
      const d = load<f32>(dy + at);
      const xh = (load<f32>(x + at) - f32x4.extract_lane(mu, 0)) * f32x4.extract_lane(s, 0);
      const g = d * (weight ? load<f32>(weight + j * 4) : 1);
      store<f32>(
        dx + at,
        f32x4.extract_lane(s, 0) * (g - f32x4.extract_lane(gMean, 0) - xh * f32x4.extract_lane(gxMean, 0)),
      );
      if (dweight) store<f32>(dweight + j * 4, load<f32>(dweight + j * 4) + d * xh);
      if (dbias) store<f32>(dbias + j * 4, load<f32>(dbias + j * 4) + d);
    }
  }
}
