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
   * polynomial. Relative error ≤ 2 ulp (≈ 1.2e-7) over the float range.
   * NOTE: below −87.3 the result would be subnormal and 2^n cannot be built from the exponent
   * bits; such lanes (and −Infinity, a masked score) give exactly 0, as Math.exp rounds them to
   * float32. Above 88.7 the result is +Infinity.
   */
  @inline static exp(x: v128): v128 {
    const underflow = f32x4.lt(x, f32x4.splat(-87.33654));
    const overflow = f32x4.gt(x, f32x4.splat(88.72283));
    const xc = f32x4.max(f32x4.min(x, f32x4.splat(88.72283)), f32x4.splat(-87.33654));
    const n = f32x4.nearest(f32x4.mul(xc, f32x4.splat(1.44269504088896341)));
    let r = f32x4.sub(xc, f32x4.mul(n, f32x4.splat(0.693359375)));
    r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.1219444e-4)));
    let p = f32x4.splat(1.98756915e-4);
    p = Vec.madd(p, r, f32x4.splat(1.3981999507e-3));
    p = Vec.madd(p, r, f32x4.splat(8.3334519073e-3));
    p = Vec.madd(p, r, f32x4.splat(4.1665795894e-2));
    p = Vec.madd(p, r, f32x4.splat(1.6666665459e-1));
    p = Vec.madd(p, r, f32x4.splat(5.0000001201e-1));
    p = Vec.madd(p, f32x4.mul(r, r), f32x4.add(r, f32x4.splat(1)));
    // 2^n built from exponent bits: (n + 127) << 23. The clamp allows n ∈ [−126, 128] and 2^128 is
    // not a float, so scale twice by 2^n1 · 2^n2 with n1 = n >> 1, n2 = n − n1, both in [−63, 64].
    const ni = i32x4.trunc_sat_f32x4_s(n);
    const n1 = i32x4.shr_s(ni, 1);
    const n2 = i32x4.sub(ni, n1);
    const bias = i32x4.splat(127);
    const y = f32x4.mul(f32x4.mul(p, i32x4.shl(i32x4.add(n1, bias), 23)), i32x4.shl(i32x4.add(n2, bias), 23));
    return v128.bitselect(f32x4.splat(Infinity), v128.andnot(y, underflow), overflow);
  }
}
