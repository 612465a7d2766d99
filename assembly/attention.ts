// Fused scaled-dot-product attention in WebAssembly SIMD: FlashAttention (Dao et al. 2022) forward
// with an online softmax, and the backward of FlashAttention-2 that recomputes the probabilities
// from the saved log-sum-exp. Same definitions as src/kernels/reference/flash.ts (the oracle):
// q [G, n, d], k [G, m, d], v [G, m, dv], out [G, n, dv], lse [G, n]; group g belongs to batch
// floor(g / headsPerBatch); keyPadding [B, m] bytes (1 = padding, address 0 = none); query i sees
// keys j ≤ i + causalOffset (−1: every key). A query with no visible key: zero output, lse = −∞,
// zero gradients.
//
// Work goes by blocks of R = 4 query rows against tiles of up to BC keys. Every product is one
// register-blocked micro-kernel, C[4][N] (+)= A[4][K] · B[K][N], 4 rows × 8 columns at a time
// (the GEMM's 4×8 tile): scores = Q · Kᵀ, out += P · V, dP = dO · Vᵀ, dQ += dS · K. SIMD runs over
// keys or over the head size, never over d alone, so any d works. Per group the kernel keeps Kᵀ,
// a padded V (and, for the backward, Vᵀ, a padded K, dK and dV): extra memory O(m·(d + dv)) per
// group and thread, O(R·BC) for the tile: never n×m.
import { Vec } from './_simd';

export function heapBase(): usize {
  return __heap_base;
}

/** Query rows per block (the micro-kernel's rows). */
const R = 4;
/** Keys per tile: the 4×BC score tile (2 KiB) and a BC-row slice of Kᵀ and V stay in L1/L2. */
const BC = 128;

function pad8(x: i32): i32 {
  return (x + 7) & ~7;
}

// Where the per-group buffers of a call sit in its scratch (byte addresses). Module globals, not
// an object: the stub runtime would take an object's memory from the heap the caller hands out,
// and every thread has its own instance, so its own globals.
let kT: usize = 0; //   [d, mp]   Kᵀ in panels of 8 keys (packT), zero past m
let vP: usize = 0; //   [mp, dvp] V in panels of 8 columns (packN), zero past m and dv
let bias: usize = 0; // [mp]      0 for a visible key, −∞ for padding and for j ≥ m
let sT: usize = 0; //   [R, BC]   scores, then probabilities
let dpT: usize = 0; //  [R, BC]   dP, then dS (backward)
let qB: usize = 0; //   [R, dp]   the block's queries, zero-padded
let oB: usize = 0; //   [R, dvp]  the block's output accumulator (forward) or dO (backward)
let dqB: usize = 0; //  [R, dp]   the block's dQ (backward)
let st: usize = 0; //   [2R]      per block row: running max and sum (forward), Δ and lse (backward)
let vT: usize = 0; //   [dv, mp]  Vᵀ, packT (backward)
let kP: usize = 0; //   [mp, dp]  K, packN (backward)
let dkP: usize = 0; //  [mp, dp]  dK accumulator, packN layout (backward)
let dvP: usize = 0; //  [mp, dvp] dV accumulator, packN layout (backward)

/** Places the buffers from `scratch`; returns the first byte past them. */
function layout(scratch: usize, m: i32, d: i32, dv: i32, backward: bool): usize {
  const mp = <usize>pad8(m);
  const dp = <usize>pad8(d);
  const dvp = <usize>pad8(dv);
  const r = <usize>R;
  let at = (scratch + 63) & ~(<usize>63);
  kT = at;
  at += <usize>d * mp * 4;
  vP = at;
  at += mp * dvp * 4;
  bias = at;
  at += mp * 4;
  sT = at;
  at += r * BC * 4;
  dpT = at;
  at += r * BC * 4;
  qB = at;
  at += r * dp * 4;
  oB = at;
  at += r * dvp * 4;
  dqB = at;
  at += r * dp * 4;
  st = at;
  at += 2 * r * 4;
  if (backward) {
    vT = at;
    at += <usize>dv * mp * 4;
    kP = at;
    at += mp * dp * 4;
    dkP = at;
    at += mp * dp * 4;
    dvP = at;
    at += mp * dvp * 4;
  }
  return at;
}

/** Scratch bytes one thread needs for a call with these sizes (forward or backward). */
export function attentionScratchBytes(m: i32, d: i32, dv: i32, backward: i32): usize {
  return layout(0, m, d, dv, backward != 0) + 64;
}

function zero(at: usize, floats: usize): void {
  memory.fill(at, 0, floats * 4);
}

/**
 * Xᵀ in panels of 8 keys, for B = Xᵀ in mm4: X [m, K] row-major; element (p, j) of Xᵀ at
 * (j − j mod 8)·K + 8p + j mod 8. Keys past m are zero.
 */
function packT(dst: usize, x: usize, m: i32, K: i32): void {
  zero(dst, <usize>pad8(m) * K);
  let j = 0;
  if ((K & 3) == 0) {
    // four keys × four columns at a time: a 4×4 transpose in registers
    const l = <usize>K * 4;
    for (; j + 4 <= m; j += 4) {
      const row = x + <usize>j * K * 4;
      const to = dst + (<usize>(j & ~7) * K + (j & 7)) * 4;
      for (let p = 0; p < K; p += 4) {
        const at = row + <usize>p * 4;
        const a = v128.load(at);
        const b = v128.load(at + l);
        const c = v128.load(at + 2 * l);
        const d = v128.load(at + 3 * l);
        const t0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5); // a0 b0 a1 b1
        const t1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7); // a2 b2 a3 b3
        const t2 = v128.shuffle<f32>(c, d, 0, 4, 1, 5);
        const t3 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
        const o = to + <usize>p * 32;
        v128.store(o, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5)); // column p of the four keys
        v128.store(o, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 32);
        v128.store(o, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 64);
        v128.store(o, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 96);
      }
    }
  }
  for (; j < m; j++) {
    const row = x + <usize>j * K * 4;
    const to = dst + (<usize>(j & ~7) * K + (j & 7)) * 4;
    for (let p = 0; p < K; p++) store<f32>(to + <usize>p * 32, load<f32>(row + <usize>p * 4));
  }
}

/**
 * X in panels of 8 columns, for B = X in mm4 and C in rank4: X [m, N] row-major; element (j, c)
 * at (c − c mod 8)·mp + 8j + c mod 8, mp = m rounded up to 8. Zero past m and N.
 */
function packN(dst: usize, x: usize, m: i32, N: i32): void {
  const mp = <usize>pad8(m);
  zero(dst, mp * pad8(N));
  for (let j = 0; j < m; j++) {
    const row = x + <usize>j * N * 4;
    let c = 0;
    for (; c + 8 <= N; c += 8) {
      const to = dst + (<usize>c * mp + <usize>j * 8) * 4;
      v128.store(to, v128.load(row + <usize>c * 4));
      v128.store(to, v128.load(row + <usize>c * 4, 16), 16);
    }
    for (; c < N; c++)
      store<f32>(dst + (<usize>(c & ~7) * mp + <usize>j * 8 + (c & 7)) * 4, load<f32>(row + <usize>c * 4));
  }
}

/** The inverse of packN: rows [0, m) of a packed [mp, N] back to X [m, N]. */
function unpackN(x: usize, src: usize, m: i32, N: i32): void {
  const mp = <usize>pad8(m);
  for (let j = 0; j < m; j++) {
    const row = x + <usize>j * N * 4;
    for (let c = 0; c < N; c++)
      store<f32>(row + <usize>c * 4, load<f32>(src + (<usize>(c & ~7) * mp + <usize>j * 8 + (c & 7)) * 4));
  }
}

/** Copies rows [r0, r0 + count) of src [*, cols] into dst [R or more, ldd], zeros elsewhere in `rows` rows. */
function copyRows(dst: usize, ldd: i32, rows: i32, src: usize, cols: i32, r0: i32, count: i32): void {
  zero(dst, <usize>rows * ldd);
  for (let r = 0; r < count; r++) {
    memory.copy(dst + <usize>r * ldd * 4, src + <usize>(r0 + r) * cols * 4, <usize>cols * 4);
  }
}

/**
 * C[4][N] = A[4][K] · B[K][N] (+ C when add): A rows `lda` floats apart, C rows `ldc`; B in
 * panels of 8 columns (see packT, packN): row p of a panel 32 bytes after row p − 1, the next
 * panel `panel` bytes on. N a multiple of 8. Each 4×8 block of C lives in eight registers while K
 * runs, and B streams through memory in order: no stride of a whole row (4 KiB at m 1024 would
 * map every row to the same cache set).
 */
function mm4(c: usize, ldc: i32, a: usize, lda: i32, b: usize, panel: usize, K: i32, N: i32, add: bool): void {
  const la = <usize>lda * 4;
  const lc = <usize>ldc * 4;
  for (let j = 0; j < N; j += 8) {
    let c00 = f32x4.splat(0);
    let c01 = c00;
    let c10 = c00;
    let c11 = c00;
    let c20 = c00;
    let c21 = c00;
    let c30 = c00;
    let c31 = c00;
    let ap = a;
    let bp = b + <usize>(j >> 3) * panel;
    for (let p = 0; p < K; p++) {
      const b0 = v128.load(bp);
      const b1 = v128.load(bp, 16);
      let x = v128.load32_splat(ap);
      c00 = Vec.madd(x, b0, c00);
      c01 = Vec.madd(x, b1, c01);
      x = v128.load32_splat(ap + la);
      c10 = Vec.madd(x, b0, c10);
      c11 = Vec.madd(x, b1, c11);
      x = v128.load32_splat(ap + 2 * la);
      c20 = Vec.madd(x, b0, c20);
      c21 = Vec.madd(x, b1, c21);
      x = v128.load32_splat(ap + 3 * la);
      c30 = Vec.madd(x, b0, c30);
      c31 = Vec.madd(x, b1, c31);
      ap += 4;
      bp += 32;
    }
    const cp = c + <usize>j * 4;
    if (add) {
      c00 = f32x4.add(c00, v128.load(cp));
      c01 = f32x4.add(c01, v128.load(cp, 16));
      c10 = f32x4.add(c10, v128.load(cp + lc));
      c11 = f32x4.add(c11, v128.load(cp + lc, 16));
      c20 = f32x4.add(c20, v128.load(cp + 2 * lc));
      c21 = f32x4.add(c21, v128.load(cp + 2 * lc, 16));
      c30 = f32x4.add(c30, v128.load(cp + 3 * lc));
      c31 = f32x4.add(c31, v128.load(cp + 3 * lc, 16));
    }
    v128.store(cp, c00);
    v128.store(cp, c01, 16);
    v128.store(cp + lc, c10);
    v128.store(cp + lc, c11, 16);
    v128.store(cp + 2 * lc, c20);
    v128.store(cp + 2 * lc, c21, 16);
    v128.store(cp + 3 * lc, c30);
    v128.store(cp + 3 * lc, c31, 16);
  }
}

/**
 * C[W][N] += Pᵀ · X: for each of W rows j, C[j] += Σ_r P[r][j] · X[r], P [4, BC], X [4, ldx];
 * C in panels of 8 columns (packN's layout, `panel` bytes apart); N a multiple of 8. Four rows
 * of X (8 columns) stay in registers while j runs.
 */
function rank4(c: usize, panel: usize, p: usize, x: usize, ldx: i32, W: i32, N: i32): void {
  const lx = <usize>ldx * 4;
  for (let col = 0; col < N; col += 8) {
    const xp = x + <usize>col * 4;
    const x00 = v128.load(xp);
    const x01 = v128.load(xp, 16);
    const x10 = v128.load(xp + lx);
    const x11 = v128.load(xp + lx, 16);
    const x20 = v128.load(xp + 2 * lx);
    const x21 = v128.load(xp + 2 * lx, 16);
    const x30 = v128.load(xp + 3 * lx);
    const x31 = v128.load(xp + 3 * lx, 16);
    let cp = c + <usize>(col >> 3) * panel;
    for (let j = 0; j < W; j++) {
      const pj = p + <usize>j * 4;
      let y0 = v128.load(cp);
      let y1 = v128.load(cp, 16);
      let s = v128.load32_splat(pj);
      y0 = Vec.madd(s, x00, y0);
      y1 = Vec.madd(s, x01, y1);
      s = v128.load32_splat(pj, BC * 4);
      y0 = Vec.madd(s, x10, y0);
      y1 = Vec.madd(s, x11, y1);
      s = v128.load32_splat(pj, 2 * BC * 4);
      y0 = Vec.madd(s, x20, y0);
      y1 = Vec.madd(s, x21, y1);
      s = v128.load32_splat(pj, 3 * BC * 4);
      y0 = Vec.madd(s, x30, y0);
      y1 = Vec.madd(s, x31, y1);
      v128.store(cp, y0);
      v128.store(cp, y1, 16);
      cp += 32;
    }
  }
}

/** Per group: Kᵀ, padded V and the key bias (padding and j ≥ m → −∞). */
function prepareGroup(k: usize, v: usize, keyPadding: usize, b: i32, m: i32, d: i32, dv: i32, backward: bool): void {
  const mp = pad8(m);
  const dvp = pad8(dv);
  packT(kT, k, m, d);
  packN(vP, v, m, dv);
  for (let j = 0; j < mp; j++) {
    const hidden = j >= m || (keyPadding != 0 && load<u8>(keyPadding + <usize>b * m + j) != 0);
    store<f32>(bias + <usize>j * 4, hidden ? -Infinity : 0);
  }
  if (backward) {
    const dp = pad8(d);
    packT(vT, v, m, dv);
    packN(kP, k, m, d);
    zero(dkP, <usize>mp * dp);
    zero(dvP, <usize>mp * dvp);
  }
}

/**
 * Turns raw scores q·k of row r (W of them, from key j0) into scale·s + bias, −∞ past the row's
 * causal limit `lim` (keys j < lim visible).
 */
function maskRow(s: usize, bias: usize, j0: i32, W: i32, scale: f32, lim: i32): void {
  const sc = f32x4.splat(scale);
  const limv = i32x4.splat(lim);
  const ninf = f32x4.splat(-Infinity);
  let jv = i32x4(j0, j0 + 1, j0 + 2, j0 + 3);
  const four = i32x4.splat(4);
  for (let j = 0; j < W; j += 4) {
    const at = s + <usize>j * 4;
    const x = Vec.madd(v128.load(at), sc, v128.load(bias + <usize>(j0 + j) * 4));
    v128.store(at, v128.bitselect(x, ninf, i32x4.lt_s(jv, limv)));
    jv = i32x4.add(jv, four);
  }
}

/** Keys visible to query i: j < limit (the causal mask; m without one). */
function limit(i: i32, m: i32, causalOffset: i32): i32 {
  return causalOffset >= 0 ? min(m, i + causalOffset + 1) : m;
}

export function attentionForward(
  out: usize,
  lse: usize,
  q: usize,
  k: usize,
  v: usize,
  keyPadding: usize,
  n: i32,
  m: i32,
  d: i32,
  dv: i32,
  headsPerBatch: i32,
  scale: f32,
  causalOffset: i32,
  scratch: usize,
  row0: i32,
  row1: i32,
): void {
  layout(scratch, m, d, dv, false);
  const dp = pad8(d);
  const dvp = pad8(dv);
  const stats = st;
  let group = -1;
  // rows [row0, row1) of the G·n query rows, in blocks of R that never cross a group
  for (let row = row0; row < row1;) {
    const g = row / n;
    const i0 = row % n;
    const rows = min(R, min(n - i0, row1 - row));
    if (g != group) {
      group = g;
      prepareGroup(k + <usize>g * m * d * 4, v + <usize>g * m * dv * 4, keyPadding, g / headsPerBatch, m, d, dv, false);
    }
    copyRows(qB, dp, R, q + <usize>g * n * d * 4, d, i0, rows);
    zero(oB, R * dvp);
    for (let r = 0; r < R; r++) {
      store<f32>(stats + <usize>r * 4, -Infinity);
      store<f32>(stats + <usize>(R + r) * 4, 0);
    }
    const end = pad8(limit(i0 + rows - 1, m, causalOffset)); // no row of the block sees a key past this
    for (let j0 = 0; j0 < end; j0 += BC) {
      const W = min(BC, end - j0);
      mm4(sT, BC, qB, dp, kT + <usize>j0 * d * 4, <usize>d * 32, d, W, false); // S = Q Kᵀ   [4, W]
      for (let r = 0; r < R; r++) {
        const srow = sT + <usize>r * BC * 4;
        maskRow(srow, bias, j0, W, scale, limit(i0 + min(r, rows - 1), m, causalOffset));
        // online softmax (Milakov & Gimelshein 2018): rescale what was accumulated when the max grows
        let mv = f32x4.splat(-Infinity);
        for (let j = 0; j < W; j += 4) mv = f32x4.max(mv, v128.load(srow + <usize>j * 4));
        const old = load<f32>(stats + <usize>r * 4);
        const mx = max(old, Vec.max(mv));
        if (mx == -Infinity) {
          // NOTE: nothing visible yet: exp(−∞ − (−∞)) would be NaN; these keys weigh 0
          zero(srow, W);
          continue;
        }
        const mxv = f32x4.splat(mx);
        let sum = f32x4.splat(0);
        for (let j = 0; j < W; j += 4) {
          const e = Vec.exp(f32x4.sub(v128.load(srow + <usize>j * 4), mxv));
          v128.store(srow + <usize>j * 4, e);
          sum = f32x4.add(sum, e);
        }
        const alpha = f32x4.extract_lane(Vec.exp(f32x4.splat(old - mx)), 0); // 0 when old = −∞
        store<f32>(stats + <usize>r * 4, mx);
        store<f32>(stats + <usize>(R + r) * 4, load<f32>(stats + <usize>(R + r) * 4) * alpha + Vec.sum(sum));
        const orow = oB + <usize>r * dvp * 4;
        const av = f32x4.splat(alpha);
        for (let c = 0; c < dvp; c += 4) v128.store(orow + <usize>c * 4, f32x4.mul(v128.load(orow + <usize>c * 4), av));
      }
      mm4(oB, dvp, sT, BC, vP + <usize>j0 * 32, <usize>pad8(m) * 32, W, dvp, true); // O += P V   [4, dv]
    }
    for (let r = 0; r < rows; r++) {
      const l = load<f32>(stats + <usize>(R + r) * 4);
      const o = out + <usize>(row + r) * dv * 4;
      const orow = oB + <usize>r * dvp * 4;
      const inv: f32 = l > 0 ? 1 / l : 0; // a row with no visible key: zero output
      for (let c = 0; c < dv; c++) store<f32>(o + <usize>c * 4, load<f32>(orow + <usize>c * 4) * inv);
      const L0 = l > 0 ? <f32>(<f64>load<f32>(stats + <usize>r * 4) + Math.log(<f64>l)) : -Infinity;
      store<f32>(lse + <usize>(row + r) * 4, L0);
    }
    row += rows;
  }
}

/**
 * Gradients of attentionForward for groups [g0, g1) (dq, dk, dv of those groups overwritten):
 *   p_ij = exp(scale·q_i·k_j + mask − lse_i) ;  Δ_i = Σ_c dO_ic O_ic
 *   dV_j += p_ij dO_i ;  dp_ij = dO_i · v_j ;  ds_ij = p_ij (dp_ij − Δ_i) · scale
 *   dQ_i += ds_ij k_j ;  dK_j += ds_ij q_i
 * Split over groups only: dK and dV of a group sum over all its queries.
 */
export function attentionBackward(
  dq: usize,
  dk: usize,
  dvOut: usize,
  dout: usize,
  q: usize,
  k: usize,
  v: usize,
  out: usize,
  lse: usize,
  keyPadding: usize,
  n: i32,
  m: i32,
  d: i32,
  dv: i32,
  headsPerBatch: i32,
  scale: f32,
  causalOffset: i32,
  scratch: usize,
  g0: i32,
  g1: i32,
): void {
  layout(scratch, m, d, dv, true);
  const mp = pad8(m);
  const dp = pad8(d);
  const dvp = pad8(dv);
  const sc = f32x4.splat(scale);
  for (let g = g0; g < g1; g++) {
    prepareGroup(k + <usize>g * m * d * 4, v + <usize>g * m * dv * 4, keyPadding, g / headsPerBatch, m, d, dv, true);
    for (let i0 = 0; i0 < n; i0 += R) {
      const rows = min(R, n - i0);
      const row = g * n + i0;
      copyRows(qB, dp, R, q + <usize>g * n * d * 4, d, i0, rows);
      copyRows(oB, dvp, R, dout + <usize>g * n * dv * 4, dv, i0, rows); // dO of the block
      zero(dqB, R * dp);
      // Δ_r = dO_r · O_r; lse −∞ marks a row that sees no key (and rows past the block's end)
      let any = false;
      for (let r = 0; r < R; r++) {
        let s: f32 = 0;
        let L0: f32 = -Infinity;
        if (r < rows) L0 = load<f32>(lse + <usize>(row + r) * 4);
        if (L0 != -Infinity) {
          any = true;
          const o = out + <usize>(row + r) * dv * 4;
          const go = oB + <usize>r * dvp * 4;
          for (let c = 0; c < dv; c++) s += load<f32>(go + <usize>c * 4) * load<f32>(o + <usize>c * 4);
        }
        store<f32>(st + <usize>r * 4, s);
        store<f32>(st + <usize>(R + r) * 4, L0);
      }
      const end = any ? pad8(limit(i0 + rows - 1, m, causalOffset)) : 0;
      for (let j0 = 0; j0 < end; j0 += BC) {
        const W = min(BC, end - j0);
        mm4(sT, BC, qB, dp, kT + <usize>j0 * d * 4, <usize>d * 32, d, W, false); // S = Q Kᵀ     [4, W]
        mm4(dpT, BC, oB, dvp, vT + <usize>j0 * dv * 4, <usize>dv * 32, dv, W, false); // dP = dO Vᵀ  [4, W]
        for (let r = 0; r < R; r++) {
          const srow = sT + <usize>r * BC * 4;
          const dprow = dpT + <usize>r * BC * 4;
          const L0 = load<f32>(st + <usize>(R + r) * 4);
          if (L0 == -Infinity) {
            // NOTE: no visible key: p = 0 and ds = 0, never exp(−∞ + ∞) = NaN
            zero(srow, W);
            zero(dprow, W);
            continue;
          }
          maskRow(srow, bias, j0, W, scale, limit(i0 + r, m, causalOffset));
          const lv = f32x4.splat(L0);
          const delta = f32x4.splat(load<f32>(st + <usize>r * 4));
          for (let j = 0; j < W; j += 4) {
            const at = <usize>j * 4;
            const p = Vec.exp(f32x4.sub(v128.load(srow + at), lv)); // masked: exp(−∞) = 0
            v128.store(srow + at, p);
            v128.store(dprow + at, f32x4.mul(f32x4.mul(p, f32x4.sub(v128.load(dprow + at), delta)), sc));
          }
        }
        rank4(dvP + <usize>j0 * 32, <usize>mp * 32, sT, oB, dvp, W, dvp); // dV += Pᵀ dO   [W, dv]
        rank4(dkP + <usize>j0 * 32, <usize>mp * 32, dpT, qB, dp, W, dp); // dK += dSᵀ Q    [W, d]
        mm4(dqB, dp, dpT, BC, kP + <usize>j0 * 32, <usize>mp * 32, W, dp, true); // dQ += dS K  [4, d]
      }
      for (let r = 0; r < rows; r++) {
        memory.copy(dq + <usize>(row + r) * d * 4, dqB + <usize>r * dp * 4, <usize>d * 4);
      }
    }
    unpackN(dk + <usize>g * m * d * 4, dkP, m, d);
    unpackN(dvOut + <usize>g * m * dv * 4, dvP, m, dv);
  }
}
