/**
 * The random stream behind every draw (xoshiro128**, Blackman & Vigna 2018) as a kernel over its
 * four-word state, and the dropout mask drawn from it. The Generator (src/tensor/random.ts) holds
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

/** Random bits for keepMask, drawn a block at a time into one reused buffer. */
const BLOCK = 4096;
const blockBits = new Uint32Array(BLOCK);
const blockSigned = new Int32Array(blockBits.buffer);

/**
 * A dropout mask: keep[i] = 1 where element i is kept, with probability 1 − p. One 32-bit draw
 * per element, in order, dropped when below p·2³², so P(drop) = p to within 2⁻³².
 */
export function keepMask(keep: Uint8Array, state: Uint32Array, p: number): void {
  // NOTE: compared as int32 (u − 2³¹ against p·2³² − 2³¹): a uint32 above 2³¹ read from a
  // Uint32Array is no small integer to V8, and the comparison then costs several times more.
  const threshold = p * 4294967296 - 2147483648;
  const n = keep.length;
  for (let start = 0; start < n; start += BLOCK) {
    const len = Math.min(BLOCK, n - start);
    xoshiroFill(len === BLOCK ? blockBits : blockBits.subarray(0, len), state);
    // u − 2³¹ by flipping the sign bit; +(·) makes 0/1 without a branch that mispredicts p of the time
    for (let j = 0; j < len; j++) keep[start + j] = +((blockSigned[j] ^ -2147483648) >= threshold);
  }
}
