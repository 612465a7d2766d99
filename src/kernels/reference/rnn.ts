import type { FloatArray } from '../types.js';

/**
 * The recurrent cells' elementwise parts (src/ops/rnn.ts is the op, with the equations); the
 * matrix products W_i x + b_i and W_h h + b_h come in as xp and hp, rows × (gates·H).
 *
 * GRU, gates r, z, n:  r = σ(x_r + h_r)  z = σ(x_z + h_z)  n = tanh(x_n + r ⊙ h_n)  h' = n + z ⊙ (h − n)
 */
export function gruForward(
  out: FloatArray,
  r: FloatArray,
  z: FloatArray,
  n: FloatArray,
  xp: FloatArray,
  hp: FloatArray,
  h: FloatArray,
  rows: number,
  H: number,
): void {
  for (let b = 0; b < rows; b++) {
    const g = b * 3 * H;
    for (let j = 0; j < H; j++) {
      const i = b * H + j;
      const rv = sigmoid(xp[g + j] + hp[g + j]);
      const zv = sigmoid(xp[g + H + j] + hp[g + H + j]);
      const nv = Math.tanh(xp[g + 2 * H + j] + rv * hp[g + 2 * H + j]);
      r[i] = rv;
      z[i] = zv;
      n[i] = nv;
      out[i] = nv + zv * (h[i] - nv); // (1 − z) n + z h, as n + z (h − n)
    }
  }
}

/**
 * Its gradient from dy = ∂L/∂h': dx to xp (the pre-activations [dr, dz, dn]), dhp to hp (the same
 * but dn ⊙ r for h_n), dh to h. Every element of the three is written.
 */
export function gruBackward(
  dx: FloatArray,
  dhp: FloatArray,
  dh: FloatArray,
  dy: FloatArray,
  r: FloatArray,
  z: FloatArray,
  n: FloatArray,
  hp: FloatArray,
  h: FloatArray,
  rows: number,
  H: number,
): void {
  for (let b = 0; b < rows; b++) {
    const g = b * 3 * H;
    for (let j = 0; j < H; j++) {
      const i = b * H + j;
      const rv = r[i];
      const zv = z[i];
      const nv = n[i];
      const d = dy[i];
      dh[i] = d * zv; // h' = … + z ⊙ h
      const dn = d * (1 - zv) * (1 - nv * nv); // through (1 − z) n and tanh
      const dz = d * (h[i] - nv) * zv * (1 - zv); // through z (h − n) and σ
      const dr = dn * hp[g + 2 * H + j] * rv * (1 - rv); // through r ⊙ h_n and σ
      dx[g + j] = dr;
      dhp[g + j] = dr;
      dx[g + H + j] = dz;
      dhp[g + H + j] = dz;
      dx[g + 2 * H + j] = dn;
      dhp[g + 2 * H + j] = dn * rv;
    }
  }
}

/**
 * LSTM, gates i, f, g, o (act holds them activated, in xp's layout; tc = tanh(c')):
 *   i = σ(·)  f = σ(·)  g = tanh(·)  o = σ(·)   c' = f ⊙ c + i ⊙ g   h' = o ⊙ tanh(c')
 */
export function lstmForward(
  c2: FloatArray,
  h2: FloatArray,
  act: FloatArray,
  tc: FloatArray,
  xp: FloatArray,
  hp: FloatArray,
  c: FloatArray,
  rows: number,
  H: number,
): void {
  for (let b = 0; b < rows; b++) {
    for (let j = 0; j < H; j++) {
      const at = b * 4 * H + j; // gate i of element (b, j); f, g, o follow H apart
      const i = (act[at] = sigmoid(xp[at] + hp[at]));
      const f = (act[at + H] = sigmoid(xp[at + H] + hp[at + H]));
      const g = (act[at + 2 * H] = Math.tanh(xp[at + 2 * H] + hp[at + 2 * H]));
      const o = (act[at + 3 * H] = sigmoid(xp[at + 3 * H] + hp[at + 3 * H]));
      const k = b * H + j;
      c2[k] = f * c[k] + i * g;
      tc[k] = Math.tanh(c2[k]);
      h2[k] = o * tc[k];
    }
  }
}

/**
 * The LSTM step's gradient through c' = f ⊙ c + i ⊙ g, from dy = ∂L/∂c': to the pre-activations
 * of i, f and g (o's written 0) in dgates, xp's layout, and to c. Every element of both is written.
 */
export function lstmCellBackward(
  dgates: FloatArray,
  dc: FloatArray,
  dy: FloatArray,
  act: FloatArray,
  c: FloatArray,
  rows: number,
  H: number,
): void {
  for (let b = 0; b < rows; b++) {
    for (let j = 0; j < H; j++) {
      const at = b * 4 * H + j;
      const i = act[at];
      const f = act[at + H];
      const g = act[at + 2 * H];
      const k = b * H + j;
      const d = dy[k];
      dgates[at] = d * g * i * (1 - i); // through i ⊙ g and σ
      dgates[at + H] = d * c[k] * f * (1 - f); // through f ⊙ c and σ
      dgates[at + 2 * H] = d * i * (1 - g * g); // through i ⊙ g and tanh
      dgates[at + 3 * H] = 0;
      dc[k] = d * f;
    }
  }
}

/**
 * Its gradient through h' = o ⊙ tanh(c'), from dy = ∂L/∂h': to o's pre-activation (i, f, g
 * written 0) and to c', with tc = tanh(c'). Every element of both is written.
 */
export function lstmHiddenBackward(
  dgates: FloatArray,
  dc2: FloatArray,
  dy: FloatArray,
  act: FloatArray,
  tc: FloatArray,
  rows: number,
  H: number,
): void {
  for (let b = 0; b < rows; b++) {
    for (let j = 0; j < H; j++) {
      const at = b * 4 * H + j;
      const o = act[at + 3 * H];
      const k = b * H + j;
      const t = tc[k];
      const d = dy[k];
      dgates[at] = 0;
      dgates[at + H] = 0;
      dgates[at + 2 * H] = 0;
      dgates[at + 3 * H] = d * t * o * (1 - o); // through o ⊙ tanh(c') and σ
      dc2[k] = d * o * (1 - t * t); // through tanh
    }
  }
}

/** σ(v), two branches so exp() never overflows. */
function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}
