/**
 * Seeded randomness. Algorithm: xoshiro128** (Blackman & Vigna 2018), 128 bits of state,
 * seeded from one 32-bit seed through splitmix32. Uniform floats take the top 24 bits
 * (float32-exact) joined with a second draw for float64 resolution; normals use the
 * Box–Muller transform (both values used, one cached); dropout masks are Threefry-2x32 blocks
 * keyed by two draws (`keepMask`). The full state is `getState()` /
 * `setState()`, so checkpoints can restore it exactly.
 */
import { kernels } from '../kernels/registry.js';
import { xoshiroFill } from '../kernels/reference/random.js';

export interface GeneratorState {
  s: [number, number, number, number];
  spare: number | null;
}

function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Generator {
  private s = new Uint32Array(4);
  private spare: number | null = null;

  constructor(seed = 0) {
    this.seed(seed);
  }

  seed(seed: number): this {
    if (!Number.isInteger(seed)) throw new Error(`Generator.seed: seed must be an integer, received ${seed}`);
    const sm = splitmix32(seed);
    for (let i = 0; i < 4; i++) this.s[i] = sm();
    this.spare = null;
    return this;
  }

  /** Next 32 random bits (xoshiro128**). */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /**
   * Fill `out` with the next out.length values of nextUint32(), the same stream, with the state
   * held in locals for the loop (a call per element is the cost of dropout masks otherwise).
   */
  fillUint32(out: Uint32Array): Uint32Array {
    xoshiroFill(out, this.s);
    return out;
  }

  /**
   * A dropout mask of n elements: 1 where one is kept, with probability 1 − p. Two draws of this
   * stream key a counter-based generator (Threefry-2x32, as in JAX); element i is its i-th word,
   * dropped when below p·2³², so P(drop) = p to within 2⁻³² (src/kernels/reference/random.ts).
   */
  keepMask(n: number, p: number): Uint8Array {
    const keep = new Uint8Array(n);
    kernels().keepMask(keep, this.s, p);
    return keep;
  }

  /** Uniform in [0, 1) with 53 bits of resolution. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  getState(): GeneratorState {
    return { s: [this.s[0], this.s[1], this.s[2], this.s[3]], spare: this.spare };
  }

  setState(state: GeneratorState): void {
    if (!state || !Array.isArray(state.s) || state.s.length !== 4 || state.s.some((x) => !Number.isInteger(x))) {
      throw new Error('Generator.setState: state.s must be four 32-bit integers');
    }
    for (let i = 0; i < 4; i++) this.s[i] = state.s[i] >>> 0;
    this.spare = state.spare ?? null;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The default generator used when no generator is passed. */
export const defaultGenerator = new Generator(0);

/** Seed the default generator (like torch.manual_seed). */
export function manualSeed(seed: number): void {
  defaultGenerator.seed(seed);
}
