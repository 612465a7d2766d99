// The dropout mask's Threefry-2x32-20 blocks in WebAssembly SIMD (src/kernels/reference/random.ts
// is the oracle and draws the key): keep[i] = word i mod 2 of block (⌊i/2⌋, 0) ≥ threshold. Four
// blocks a vector, two vectors at a time, the twenty rounds written out so that every rotation is
// a constant (a rotation by a variable made V8's code three times slower).

export function heapBase(): usize {
  return __heap_base;
}

/** Rotation of four 32-bit lanes (a static method: see Vec in _simd.ts). */
class Lanes {
  @inline static rotl(x: v128, r: i32): v128 {
    return v128.or(i32x4.shl(x, r), i32x4.shr_u(x, 32 - r));
  }
}

/**
 * keep (n bytes at `keep`) for key (k0, k1) and threshold = ⌈p·2³²⌉ (u ≥ p·2³² exactly when
 * u ≥ ⌈p·2³²⌉ for an integer u; p = 1 is handled by the caller). `words` is scratch for 16 words.
 */
export function keepMask(keep: usize, n: i32, k0: u32, k1: u32, threshold: u32, words: usize): void {
  const k2 = 0x1bd11bda ^ k0 ^ k1;
  const vk0 = i32x4.splat(k0);
  const vk1 = i32x4.splat(k1);
  const vk2 = i32x4.splat(k2);
  const vt = i32x4.splat(threshold);
  const one = i8x16.splat(1);
  for (let first = 0; 2 * first < n; first += 8) {
    // blocks first + lane (a0, b0) and first + 4 + lane (a1, b1); rounds x0 += x1, x1 = rotl(x1, R) ^ x0,
    // the key schedule (k0, k1, k2) injected after every fourth
    const c = i32x4.add(i32x4.splat(first), i32x4(0, 1, 2, 3));
    let a0 = i32x4.add(c, vk0);
    let a1 = i32x4.add(i32x4.add(c, i32x4.splat(4)), vk0);
    let b0 = vk1;
    let b1 = vk1;
    // prettier-ignore
    {
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); b0 = v128.xor(Lanes.rotl(b0, 13), a0); b1 = v128.xor(Lanes.rotl(b1, 13), a1);
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); b0 = v128.xor(Lanes.rotl(b0, 15), a0); b1 = v128.xor(Lanes.rotl(b1, 15), a1);
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); b0 = v128.xor(Lanes.rotl(b0, 26), a0); b1 = v128.xor(Lanes.rotl(b1, 26), a1);
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); b0 = v128.xor(Lanes.rotl(b0, 6), a0); b1 = v128.xor(Lanes.rotl(b1, 6), a1);
    a0 = i32x4.add(a0, vk1); a1 = i32x4.add(a1, vk1); b0 = i32x4.add(b0, i32x4.add(vk2, i32x4.splat(1))); b1 = i32x4.add(b1, i32x4.add(vk2, i32x4.splat(1)));
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); b0 = v128.xor(Lanes.rotl(b0, 17), a0); b1 = v128.xor(Lanes.rotl(b1, 17), a1);
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); b0 = v128.xor(Lanes.rotl(b0, 29), a0); b1 = v128.xor(Lanes.rotl(b1, 29), a1);
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); b0 = v128.xor(Lanes.rotl(b0, 16), a0); b1 = v128.xor(Lanes.rotl(b1, 16), a1);
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); b0 = v128.xor(Lanes.rotl(b0, 24), a0); b1 = v128.xor(Lanes.rotl(b1, 24), a1);
    a0 = i32x4.add(a0, vk2); a1 = i32x4.add(a1, vk2); b0 = i32x4.add(b0, i32x4.add(vk0, i32x4.splat(2))); b1 = i32x4.add(b1, i32x4.add(vk0, i32x4.splat(2)));
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); b0 = v128.xor(Lanes.rotl(b0, 13), a0); b1 = v128.xor(Lanes.rotl(b1, 13), a1);
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); b0 = v128.xor(Lanes.rotl(b0, 15), a0); b1 = v128.xor(Lanes.rotl(b1, 15), a1);
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); b0 = v128.xor(Lanes.rotl(b0, 26), a0); b1 = v128.xor(Lanes.rotl(b1, 26), a1);
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); b0 = v128.xor(Lanes.rotl(b0, 6), a0); b1 = v128.xor(Lanes.rotl(b1, 6), a1);
    a0 = i32x4.add(a0, vk0); a1 = i32x4.add(a1, vk0); b0 = i32x4.add(b0, i32x4.add(vk1, i32x4.splat(3))); b1 = i32x4.add(b1, i32x4.add(vk1, i32x4.splat(3)));
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); b0 = v128.xor(Lanes.rotl(b0, 17), a0); b1 = v128.xor(Lanes.rotl(b1, 17), a1);
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); b0 = v128.xor(Lanes.rotl(b0, 29), a0); b1 = v128.xor(Lanes.rotl(b1, 29), a1);
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); b0 = v128.xor(Lanes.rotl(b0, 16), a0); b1 = v128.xor(Lanes.rotl(b1, 16), a1);
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); b0 = v128.xor(Lanes.rotl(b0, 24), a0); b1 = v128.xor(Lanes.rotl(b1, 24), a1);
    a0 = i32x4.add(a0, vk1); a1 = i32x4.add(a1, vk1); b0 = i32x4.add(b0, i32x4.add(vk2, i32x4.splat(4))); b1 = i32x4.add(b1, i32x4.add(vk2, i32x4.splat(4)));
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); b0 = v128.xor(Lanes.rotl(b0, 13), a0); b1 = v128.xor(Lanes.rotl(b1, 13), a1);
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); b0 = v128.xor(Lanes.rotl(b0, 15), a0); b1 = v128.xor(Lanes.rotl(b1, 15), a1);
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); b0 = v128.xor(Lanes.rotl(b0, 26), a0); b1 = v128.xor(Lanes.rotl(b1, 26), a1);
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1); b0 = v128.xor(Lanes.rotl(b0, 6), a0); b1 = v128.xor(Lanes.rotl(b1, 6), a1);
    a0 = i32x4.add(a0, vk2); a1 = i32x4.add(a1, vk2); b0 = i32x4.add(b0, i32x4.add(vk0, i32x4.splat(5))); b1 = i32x4.add(b1, i32x4.add(vk0, i32x4.splat(5)));
    }
    // element order: word 0 and word 1 of each block in turn
    const w0 = v128.shuffle<u32>(a0, b0, 0, 4, 1, 5);
    const w1 = v128.shuffle<u32>(a0, b0, 2, 6, 3, 7);
    const w2 = v128.shuffle<u32>(a1, b1, 0, 4, 1, 5);
    const w3 = v128.shuffle<u32>(a1, b1, 2, 6, 3, 7);
    const at = 2 * first;
    if (at + 16 <= n) {
      // u ≥ t as unsigned: not (u < t); masks of −1 narrowed to bytes of −1, then 1
      const m0 = i16x8.narrow_i32x4_s(v128.not(i32x4.lt_u(w0, vt)), v128.not(i32x4.lt_u(w1, vt)));
      const m1 = i16x8.narrow_i32x4_s(v128.not(i32x4.lt_u(w2, vt)), v128.not(i32x4.lt_u(w3, vt)));
      v128.store(keep + at, v128.and(i8x16.narrow_i16x8_s(m0, m1), one));
    } else {
      v128.store(words, w0);
      v128.store(words + 16, w1);
      v128.store(words + 32, w2);
      v128.store(words + 48, w3);
      for (let i = 0; at + i < n; i++) store<u8>(keep + at + i, load<u32>(words + i * 4) >= threshold ? 1 : 0);
    }
  }
}
