// Shared AssemblyScript helpers for the WebAssembly kernels (not an entry: the name starts with `_`).
//
// Every kernel module imports its memory (env.memory) and never uses AssemblyScript's own heap:
// the JavaScript side (src/kernels/wasm/loader.ts) hands out addresses above the entry's `heapBase()`.

/**
 * Helpers on four float32 lanes, as static methods: AssemblyScript warns when a module-level
 * function exchanging v128 is exported (even only to other files), and inlines these always.
 */
export class Vec {
  /**
   * a·b + c on four floats. With relaxed SIMD it is one fused multiply-add (one rounding); without,
   * a multiply then an add (two roundings): the variants differ in the last bit, never more.
   */
  @inline static madd(a: v128, b: v128, c: v128): v128 {
    if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
    return f32x4.add(f32x4.mul(a, b), c);
  }

  /** Horizontal sum of four floats. */
  @inline static sum(v: v128): f32 {
    const s = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
    const t = f32x4.add(s, v128.shuffle<f32>(s, s, 1, 0, 3, 2));
    return f32x4.extract_lane(t, 0);
  }

  /** Horizontal maximum of four floats. */
  @inline static max(v: v128): f32 {
    const s = f32x4.max(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
    const t = f32x4.max(s, v128.shuffle<f32>(s, s, 1, 0, 3, 2));
    return f32x4.extract_lane(t, 0);
  }

  /**
   * exp on four floats, Cephes expf: exp(x) = 2^n · exp(r), n = round(x·log2 e), r = x − n·ln 2
   * (ln 2 split in two constants so that n·C1 is exact), exp(r) for |r| ≤ ln2/2 by a degree-7
   * polynomial. Relative error ≤ 1 ulp measured (test/kernels/wasm.test.ts) over the float range.
   * NOTE: below −87.3 the result would be subnormal; such lanes (and −Infinity, a masked score)
   * give exactly 0. Above 88.72 the result is +Infinity; NaN stays NaN.
   */
  @inline static exp(x: v128): v128 {
    const c = EXP_CONSTANTS;
    // pmin/pmax (one instruction each, unlike min/max) keep a NaN x: it is the first operand
    const xc = f32x4.pmin(f32x4.pmax(x, v128.load(c, 0)), v128.load(c, 16));
    // n = round(x·log2 e) by adding 1.5·2²³ (the addition rounds); t's bits − the constant's bits = n
    const t = Vec.madd(xc, v128.load(c, 32), v128.load(c, 48));
    const n = f32x4.sub(t, v128.load(c, 48));
    let r = Vec.madd(n, v128.load(c, 64), xc); // x − n·C1
    r = Vec.madd(n, v128.load(c, 80), r); // − n·C2
    // the polynomial by Estrin's scheme (three independent pairs, then two steps): a shorter
    // dependency chain than Horner's, so more rows' exps overlap in the out-of-order window
    const r2 = f32x4.mul(r, r);
    const q45 = Vec.madd(v128.load(c, 96), r, v128.load(c, 112)); // c5·r + c4
    const q23 = Vec.madd(v128.load(c, 128), r, v128.load(c, 144)); // c3·r + c2
    const q01 = Vec.madd(v128.load(c, 160), r, v128.load(c, 176)); // c1·r + c0
    const q = Vec.madd(Vec.madd(q45, r2, q23), r2, q01);
    const p = Vec.madd(q, r2, f32x4.add(r, v128.load(c, 192))); // exp(r) ≈ 1 + r + r²·q(r)
    // 2^n from exponent bits, (n + 127) << 23; n ∈ [−126, 128] and 2^128 is no float, so in two
    // factors 2^n1 · 2^n2, n1 = n >> 1, n2 = n − n1 ∈ [−63, 64]
    const ni = i32x4.sub(t, v128.load(c, 48));
    const n1 = i32x4.shr_s(ni, 1);
    const bias = v128.load(EXP_BIAS);
    const y = f32x4.mul(
      f32x4.mul(p, i32x4.shl(i32x4.add(n1, bias), 23)),
      i32x4.shl(i32x4.add(i32x4.sub(ni, n1), bias), 23),
    );
    const underflow = f32x4.lt(x, v128.load(c, 0));
    const overflow = f32x4.gt(x, v128.load(c, 16));
    return v128.or(v128.andnot(y, v128.or(underflow, overflow)), v128.and(overflow, v128.load(c, 208)));
  }
}

// The constants of Vec.exp, each four times: a v128 load at a constant address is one
// instruction, while V8 (Node 20) rebuilds a v128.const inside the loop at every use.
// prettier-ignore
const EXP_CONSTANTS = memory.data<f32>([
  -87.33654, -87.33654, -87.33654, -87.33654, //              0: below: exp underflows to 0
  88.72283, 88.72283, 88.72283, 88.72283, //                 16: above: +Infinity
  1.44269504088896341, 1.44269504088896341, 1.44269504088896341, 1.44269504088896341, // 32: log2 e
  12582912, 12582912, 12582912, 12582912, //                 48: 1.5·2²³, rounds to an integer
  -0.693359375, -0.693359375, -0.693359375, -0.693359375, // 64: −C1
  2.12194440e-4, 2.12194440e-4, 2.12194440e-4, 2.12194440e-4, // 80: −C2 (C1 + C2 = ln 2)
  1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4, // 96: c5
  1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3, // 112: c4
  8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3, // 128: c3
  4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2, // 144: c2
  1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1, // 160: c1
  5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1, // 176: c0
  1, 1, 1, 1, //                                             192
  Infinity, Infinity, Infinity, Infinity, //                 208
], 16);
/** The float exponent bias, four times, as int32. */
const EXP_BIAS = memory.data<i32>([127, 127, 127, 127], 16);
