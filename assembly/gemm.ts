// Float32 GEMM in WebAssembly SIMD, blocked as in BLIS (Van Zee & van de Geijn 2015):
//
//   for jc (NC columns of C)        B block kc×nc packed once, lives in L2/L3
//     for pc (KC of the inner dim)
//       for ic (MC rows of C)       A block mc×kc packed once, lives in L2
//         for jr (NR columns)       one B micro-panel (kc×NR, 8 KiB) stays in L1 …
//           for ir (MR rows)        … while the A micro-panels stream past it
//             C[ir:ir+MR, jr:jr+NR] += Apanel · Bpanel        (the micro-kernel, all in registers)
//
// Packing reads A and B through (row stride, column stride), so transposes cost nothing in the
// kernel. Panels are zero-padded to MR/NR, so only the final store of an edge tile is partial.
// Addresses and sizes are in elements (floats) unless the name ends in `Bytes`.
import { Vec } from './_simd';

const MR = 4; // rows of the micro-tile: four broadcast A values …
const NR = 8; // … times two vectors of B: 8 accumulators, 2 B vectors, 1 A = 11 of 16 xmm registers
const KC = 256; // depth of a block: an A micro-panel is 4 KiB, a B micro-panel 8 KiB (L1 = 32 KiB)
const MC = 128; // rows of a packed A block: 128 KiB (L2 = 1 MiB)
const NC = 2048; // columns of a packed B block: 2 MiB (L3)

/** First free byte after the static data: the loader's arena starts here. */
export function heapBase(): usize {
  return __heap_base;
}

function roundUp(x: i32, to: i32): i32 {
  return ((x + to - 1) / to) * to;
}

/** Bytes of scratch one call of `gemm` needs (one per thread): the packed A and B blocks and an edge tile. */
export function gemmScratchBytes(m: i32, n: i32, k: i32): i32 {
  const kc = min(k, KC);
  return (kc * (roundUp(min(m, MC), MR) + roundUp(min(n, NC), NR)) + MR * NR) * 4;
}

/**
 * C (all batches) for the block C[b0:b1][i0:i1, j0:j1]; threads split the work by these ranges.
 * A[b](i, p) = a[b·strideA + i·rsA + p·csA]; B[b](p, j) = bm[b·strideB + p·rsB + j·csB]; C[b] dense m×n.
 * accumulate: C += A·B, otherwise C = A·B.
 */
export function gemm(
  c: usize,
  a: usize,
  bm: usize,
  m: i32,
  n: i32,
  k: i32,
  strideA: i32,
  rsA: i32,
  csA: i32,
  strideB: i32,
  rsB: i32,
  csB: i32,
  accumulate: bool,
  scratch: usize,
  b0: i32,
  b1: i32,
  i0: i32,
  i1: i32,
  j0: i32,
  j1: i32,
): void {
  const kcMax = min(k, KC);
  const packA = scratch;
  const packB = packA + <usize>(kcMax * roundUp(min(m, MC), MR)) * 4;
  const tile = packB + <usize>(kcMax * roundUp(min(n, NC), NR)) * 4;
  if (k <= 0) {
    // an empty inner dimension: C = 0 (or unchanged when accumulating), as the reference's empty sum
    if (!accumulate) {
      for (let b = b0; b < b1; b++) {
        for (let i = i0; i < i1; i++) memory.fill(c + (<usize>(b * m + i) * n + j0) * 4, 0, <usize>(j1 - j0) * 4);
      }
    }
    return;
  }
  for (let b = b0; b < b1; b++) {
    const ab = a + <usize>b * strideA * 4;
    const bb = bm + <usize>b * strideB * 4;
    const cb = c + <usize>b * m * n * 4;
    for (let jc = j0; jc < j1; jc += NC) {
      const nc = min(NC, j1 - jc);
      for (let pc = 0; pc < k; pc += KC) {
        const kc = min(KC, k - pc);
        packPanels(packB, bb, csB, rsB, jc, nc, pc, kc, NR);
        const add = accumulate || pc > 0;
        for (let ic = i0; ic < i1; ic += MC) {
          const mc = min(MC, i1 - ic);
          packPanels(packA, ab, rsA, csA, ic, mc, pc, kc, MR);
          macroKernel(cb + (<usize>ic * n + jc) * 4, n, packA, packB, mc, nc, kc, add, tile);
        }
      }
    }
  }
}

/**
 * C[0:mc, 0:nc] (row length n, at c) (+)= the packed A block (mc×kc) · the packed B block (kc×nc):
 * every micro-tile, each B micro-panel held in L1 while the A micro-panels stream past it.
 */
function macroKernel(
  c: usize,
  n: i32,
  packA: usize,
  packB: usize,
  mc: i32,
  nc: i32,
  kc: i32,
  add: bool,
  tile: usize,
): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const pb = packB + <usize>(jr * kc) * 4;
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = min(MR, mc - ir);
      const pa = packA + <usize>(ir * kc) * 4;
      const ct = c + (<usize>ir * n + jr) * 4;
      if (mr == MR && nr == NR) {
        micro4x8(ct, <usize>n * 4, pa, pb, kc, add);
      } else {
        micro4x8(tile, NR * 4, pa, pb, kc, false);
        storeEdge(ct, n, tile, mr, nr, add);
      }
    }
  }
}

// Threads sharing one packed B (BLIS's parallel ic loop). `gemm` above, split by blocks of C, has
// every thread pack all of the other operand and fixes each thread's share in advance, so the
// call lasts as long as its slowest thread. Here the threads first pack B once between them
// (`packB`, by column units), then claim units of C's rows one at a time (`gemmRows`): a thread
// that runs slower (another process on its core) simply claims fewer units.

/** Bytes of a whole packed B (k×n): every depth slab, as `packB` lays it out. */
export function packedBBytes(n: i32, k: i32): i32 {
  return k * roundUp(n, NR) * 4;
}

/** Bytes of scratch one thread of `gemmRows` needs: its packed A block and an edge tile. */
export function gemmRowsScratchBytes(unitRows: i32, k: i32): i32 {
  return (min(k, KC) * roundUp(unitRows, MR) + MR * NR) * 4;
}

/**
 * Packs columns [u·unitCols, (u+1)·unitCols) of B(p, j) = bm[p·rsB + j·csB] (unitCols a multiple
 * of NR), every depth slab: slab pc (depth pc..pc+kc) starts at float pc·roundUp(n, NR), and in
 * it the micro-panel of columns j..j+NR at float j·kc: each slab is the block `gemm` packs.
 */
export function packB(dst: usize, bm: usize, n: i32, k: i32, rsB: i32, csB: i32, unitCols: i32, u: i32): void {
  const j0 = u * unitCols;
  const nc = min(unitCols, n - j0);
  const nPad = roundUp(n, NR);
  for (let pc = 0; pc < k; pc += KC) {
    const kc = min(KC, k - pc);
    packPanels(dst + <usize>(pc * nPad + j0 * kc) * 4, bm, csB, rsB, j0, nc, pc, kc, NR);
  }
}

/**
 * Rows [u·unitRows, (u+1)·unitRows) of C (m×n, dense) (+)= A·B, A(i, p) = a[i·rsA + p·csA], B packed
 * whole by `packB` at packedB. unitRows ≤ MC, a multiple of MR; k > 0.
 */
export function gemmRows(
  c: usize,
  a: usize,
  packedB: usize,
  m: i32,
  n: i32,
  k: i32,
  rsA: i32,
  csA: i32,
  accumulate: bool,
  scratch: usize,
  unitRows: i32,
  u: i32,
): void {
  const i0 = u * unitRows;
  const mc = min(unitRows, m - i0);
  const nPad = roundUp(n, NR);
  const packA = scratch;
  const tile = packA + <usize>(min(k, KC) * roundUp(unitRows, MR)) * 4;
  for (let pc = 0; pc < k; pc += KC) {
    const kc = min(KC, k - pc);
    packPanels(packA, a, rsA, csA, i0, mc, pc, kc, MR);
    macroKernel(
      c + <usize>(i0 * n) * 4,
      n,
      packA,
      packedB + <usize>(pc * nPad) * 4,
      mc,
      n,
      kc,
      accumulate || pc > 0,
      tile,
    );
  }
}

/**
 * Packs rows [r0, r0+rn) × depth [p0, p0+pn) of a matrix X(r, p) = x[r·rs + p·ps] into panels of
 * `w` rows: panel q holds, for each depth p, the w values X(r0+q·w .. +w, p) contiguously (zeros
 * past rn). The same routine packs A (rows of C, w = MR) and B (columns of C, w = NR, with B's
 * column stride as rs).
 */
function packPanels(dst: usize, x: usize, rs: i32, ps: i32, r0: i32, rn: i32, p0: i32, pn: i32, w: i32): void {
  for (let q = 0; q < rn; q += w) {
    const rows = min(w, rn - q);
    const panel = dst + <usize>(q * pn) * 4;
    const src = x + (<usize>(r0 + q) * rs + <usize>p0 * ps) * 4;
    if (rows == w && rs == 1) {
      // the w values of one depth are contiguous in memory: vector copies
      for (let p = 0; p < pn; p++) {
        const s = src + <usize>p * ps * 4;
        const d = panel + <usize>(p * w) * 4;
        for (let t = 0; t < w; t += 4) v128.store(d + t * 4, v128.load(s + t * 4));
      }
    } else if (rows == w && ps == 1) {
      // each row is contiguous along the depth: transpose 4×4 blocks with shuffles
      let p = 0;
      for (; p + 4 <= pn; p += 4) {
        for (let t = 0; t < w; t += 4) {
          const s = src + (<usize>t * rs + p) * 4;
          transpose4(panel + <usize>(p * w + t) * 4, <usize>w * 4, s, <usize>rs * 4);
        }
      }
      for (; p < pn; p++) {
        for (let t = 0; t < w; t++) {
          store<f32>(panel + <usize>(p * w + t) * 4, load<f32>(src + (<usize>t * rs + p) * 4));
        }
      }
    } else {
      for (let p = 0; p < pn; p++) {
        for (let t = 0; t < w; t++) {
          const v = t < rows ? load<f32>(src + (<usize>t * rs + <usize>p * ps) * 4) : 0;
          store<f32>(panel + <usize>(p * w + t) * 4, v);
        }
      }
    }
  }
}

/** Reads a 4×4 block (rows `srcStride` bytes apart) and writes its transpose (rows `dstStride` apart). */
function transpose4(dst: usize, dstStride: usize, src: usize, srcStride: usize): void {
  const r0 = v128.load(src);
  const r1 = v128.load(src + srcStride);
  const r2 = v128.load(src + 2 * srcStride);
  const r3 = v128.load(src + 3 * srcStride);
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5); // r0[0] r1[0] r0[1] r1[1]
  const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5)); // column 0: r0[0] r1[0] r2[0] r3[0]
  v128.store(dst + dstStride, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * dstStride, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * dstStride, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

/**
 * The micro-kernel: the 4×8 tile at c (rows ldcBytes apart) = (add ? tile : 0) + Σ_p a[p]ᵀ·b[p],
 * a a packed A micro-panel (4 floats per p), b a packed B micro-panel (8 floats per p).
 * Every accumulator is a local so that V8 keeps all of them in registers.
 */
function micro4x8(c: usize, ldcBytes: usize, a: usize, b: usize, kc: i32, add: bool): void {
  let c00 = f32x4.splat(0);
  let c01 = c00;
  let c10 = c00;
  let c11 = c00;
  let c20 = c00;
  let c21 = c00;
  let c30 = c00;
  let c31 = c00;
  // NOTE: two depth steps per iteration (a mid-loop exit takes an odd kc) and a pointer compare
  // instead of a counter: the loop is bound by instruction count (without relaxed SIMD, mul and
  // add are two instructions) and V8 adds a stack check to every iteration. Unrolling further
  // made V8 (Node 20) hoist the loads and spill accumulators; measured +8% for two, loss for four.
  const end = a + <usize>kc * MR * 4;
  while (a < end) {
    let b0 = v128.load(b);
    let b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    c00 = Vec.madd(av, b0, c00);
    c01 = Vec.madd(av, b1, c01);
    av = v128.load32_splat(a, 4);
    c10 = Vec.madd(av, b0, c10);
    c11 = Vec.madd(av, b1, c11);
    av = v128.load32_splat(a, 8);
    c20 = Vec.madd(av, b0, c20);
    c21 = Vec.madd(av, b1, c21);
    av = v128.load32_splat(a, 12);
    c30 = Vec.madd(av, b0, c30);
    c31 = Vec.madd(av, b1, c31);
    if (a + MR * 4 >= end) break;
    b0 = v128.load(b, NR * 4);
    b1 = v128.load(b, NR * 4 + 16);
    av = v128.load32_splat(a, 16);
    c00 = Vec.madd(av, b0, c00);
    c01 = Vec.madd(av, b1, c01);
    av = v128.load32_splat(a, 20);
    c10 = Vec.madd(av, b0, c10);
    c11 = Vec.madd(av, b1, c11);
    av = v128.load32_splat(a, 24);
    c20 = Vec.madd(av, b0, c20);
    c21 = Vec.madd(av, b1, c21);
    av = v128.load32_splat(a, 28);
    c30 = Vec.madd(av, b0, c30);
    c31 = Vec.madd(av, b1, c31);
    a += 2 * MR * 4;
    b += 2 * NR * 4;
  }
  if (add) {
    c00 = f32x4.add(c00, v128.load(c));
    c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(c + ldcBytes));
    c11 = f32x4.add(c11, v128.load(c + ldcBytes, 16));
    c20 = f32x4.add(c20, v128.load(c + 2 * ldcBytes));
    c21 = f32x4.add(c21, v128.load(c + 2 * ldcBytes, 16));
    c30 = f32x4.add(c30, v128.load(c + 3 * ldcBytes));
    c31 = f32x4.add(c31, v128.load(c + 3 * ldcBytes, 16));
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c + ldcBytes, c10);
  v128.store(c + ldcBytes, c11, 16);
  v128.store(c + 2 * ldcBytes, c20);
  v128.store(c + 2 * ldcBytes, c21, 16);
  v128.store(c + 3 * ldcBytes, c30);
  v128.store(c + 3 * ldcBytes, c31, 16);
}

/** Copies the valid mr×nr corner of an edge tile (NR floats per row) into C (row length n). */
function storeEdge(c: usize, n: i32, tile: usize, mr: i32, nr: i32, add: bool): void {
  for (let r = 0; r < mr; r++) {
    for (let t = 0; t < nr; t++) {
      const dst = c + (<usize>r * n + t) * 4;
      const v = load<f32>(tile + <usize>(r * NR + t) * 4);
      store<f32>(dst, add ? load<f32>(dst) + v : v);
    }
  }
}
