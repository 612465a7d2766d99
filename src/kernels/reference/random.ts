/**
 * The random stream behind every draw (xoshiro128**, Blackman & Vigna 2018) as a kernel over its
 * four-word state, and the dropout mask keyed by it (Threefry-2x32, counter-based). The Generator (src/tensor/random.ts) holds
 * the state; a fast backend must produce the same bits, so a seeded run is the same on every one.
 */

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** out[i] = the next xoshiro128** output, i < out.length; `state` (4 words) advances in place. */
export function xoshiroFill(out: Uint32Array, state: Uint32Array): void {
  let s0 = state[0];
  let s1 = state[1];
  let s2 = state[2];
  let s3 = state[3];
  for (let i = 0; i < out.length; i++) {
    out[i] = Math.imul(rotl(Math.imul(s1, 5), 7), 9); // the store wraps to 32 bits
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
  }
  state[0] = s0;
  state[1] = s1;
  state[2] = s2;
  state[3] = s3;
}

/** Threefry-2x32's key-schedule parity (Random123's SKEIN_KS_PARITY32). */
const PARITY = 0x1bd11bda;

/**
 * Threefry-2x32-20 (Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3"; the
 * counter-based generator of Random123 and of JAX): out[at], out[at + 1] = the two words of block
 * (c0, c1) under key (k0, k1). Twenty rounds of x0 += x1; x1 = rotl(x1, R) ^ x0, with the
 * rotations R of Random123's R_32x2 (13, 15, 26, 6, 17, 29, 16, 24, and again), and the key
 * schedule (k0, k1, k2 = PARITY ^ k0 ^ k1) injected after every fourth round. Written out round
 * by round: a loop with table lookups ran 10 times slower in V8. Each block depends on the key and
 * its counter only, so a fast backend computes blocks in any order, many at a time, and gets the
 * same bits.
 */
// prettier-ignore
export function threefry2x32(out: Uint32Array, at: number, k0: number, k1: number, c0: number, c1: number): void {
  const k2 = PARITY ^ k0 ^ k1;
  let x0 = (c0 + k0) | 0;
  let x1 = (c1 + k1) | 0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 13) | (x1 >>> 19)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 15) | (x1 >>> 17)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 26) | (x1 >>> 6)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 6) | (x1 >>> 26)) ^ x0;
  x0 = (x0 + k1) | 0; x1 = (x1 + k2 + 1) | 0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 17) | (x1 >>> 15)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 29) | (x1 >>> 3)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 16) | (x1 >>> 16)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 24) | (x1 >>> 8)) ^ x0;
  x0 = (x0 + k2) | 0; x1 = (x1 + k0 + 2) | 0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 13) | (x1 >>> 19)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 15) | (x1 >>> 17)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 26) | (x1 >>> 6)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 6) | (x1 >>> 26)) ^ x0;
  x0 = (x0 + k0) | 0; x1 = (x1 + k1 + 3) | 0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 17) | (x1 >>> 15)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 29) | (x1 >>> 3)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 16) | (x1 >>> 16)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 24) | (x1 >>> 8)) ^ x0;
  x0 = (x0 + k1) | 0; x1 = (x1 + k2 + 4) | 0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 13) | (x1 >>> 19)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 15) | (x1 >>> 17)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 26) | (x1 >>> 6)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 6) | (x1 >>> 26)) ^ x0;
  x0 = (x0 + k2) | 0; x1 = (x1 + k0 + 5) | 0;
  out[at] = x0;
  out[at + 1] = x1;
}

/** The key of one mask, two words of the stream. */
const maskKey = new Uint32Array(2);
/** Random bits for keepMask, drawn a block at a time into one reused buffer. */
const BLOCK = 4096;
const blockBits = new Uint32Array(BLOCK);
const blockSigned = new Int32Array(blockBits.buffer);

/**
 * A dropout mask: keep[i] = 1 where element i is kept, with probability 1 − p. The mask takes two
 * words of the xoshiro stream as a key (so `state` advances by 2 whatever n is), and element i
 * gets word i mod 2 of Threefry block (⌊i/2⌋, 0) under that key, dropped when below p·2³²: so
 * P(drop) = p to within 2⁻³². Counter-based, as PyTorch's (Philox) and JAX's (Threefry) dropout
 * masks are: the elements are independent of each other's order, so the native kernel draws 16
 * blocks at a time in vector registers, where one xoshiro stream is a chain of dependent steps.
 */
export function keepMask(keep: Uint8Array, state: Uint32Array, p: number): void {
  xoshiroFill(maskKey, state);
  const k0 = maskKey[0] | 0;
  const k1 = maskKey[1] | 0;
  // NOTE: compared as int32 (u − 2³¹ against p·2³² − 2³¹): a uint32 above 2³¹ read from a
  // Uint32Array is no small integer to V8, and the comparison then costs several times more.
  const threshold = p * 4294967296 - 2147483648;
  const n = keep.length;
  for (let start = 0; start < n; start += BLOCK) {
    const len = Math.min(BLOCK, n - start);
    for (let j = 0; j < len; j += 2) threefry2x32(blockBits, j, k0, k1, (start + j) / 2, 0);
    // u − 2³¹ by flipping the sign bit; +(·) makes 0/1 without a branch that mispredicts p of the time
    for (let j = 0; j < len; j++) keep[start + j] = +((blockSigned[j] ^ -2147483648) >= threshold);
  }
}
