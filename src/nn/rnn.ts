import * as F from '../ops/index.js';
import { type Generator, defaultGenerator } from '../tensor/random.js';
import { fmt } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { uniform } from './layers.js';
import { Module } from './module.js';

export interface RNNOptions {
  numLayers?: number;
  bidirectional?: boolean;
  bias?: boolean;
  /** Dropout on the outputs of every layer but the last (train mode only), as PyTorch. */
  dropout?: number;
  /** Inputs [B, T, in] (default true) or [T, B, in]. */
  batchFirst?: boolean;
  generator?: Generator;
  dtype?: 'float32' | 'float64';
}

export interface RNNForwardOptions {
  /**
   * True length of each sequence in a padded batch. Steps past a sequence's length leave its
   * state unchanged and output zeros, and the reverse direction starts at its last real step:
   * what PyTorch gives for a packed sequence.
   */
  lengths?: readonly number[];
}

/**
 * The shared machinery of GRU and LSTM (torch.nn.GRU / torch.nn.LSTM): layers × directions
 * of a cell, PyTorch's parameter names (`weight_ih_l{k}[_reverse]`, `weight_hh_…`,
 * `bias_ih_…`, `bias_hh_…`, gates stacked in PyTorch's order), U(−1/√H, 1/√H) initialisation.
 */
abstract class RecurrentBase extends Module {
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly batchFirst: boolean;
  readonly dropoutP: number;
  readonly generator: Generator;
  protected abstract readonly gates: number;

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: RNNOptions,
    gates: number,
  ) {
    super();
    const name = this.constructor.name;
    for (const [arg, v] of [
      ['inputSize', inputSize],
      ['hiddenSize', hiddenSize],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`${name}: ${arg} must be a positive integer, received ${v}`);
    }
    this.numLayers = options.numLayers ?? 1;
    this.bidirectional = options.bidirectional ?? false;
    this.batchFirst = options.batchFirst ?? true;
    this.dropoutP = options.dropout ?? 0;
    this.generator = options.generator ?? defaultGenerator;
    const bound = 1 / Math.sqrt(hiddenSize);
    const init = { generator: this.generator, dtype: options.dtype };
    const self = this as unknown as Record<string, Tensor>;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const inSize = layer === 0 ? inputSize : hiddenSize * this.directions;
      for (const suffix of this.bidirectional ? ['', '_reverse'] : ['']) {
        self[`weight_ih_l${layer}${suffix}`] = uniform([gates * hiddenSize, inSize], bound, init);
        self[`weight_hh_l${layer}${suffix}`] = uniform([gates * hiddenSize, hiddenSize], bound, init);
        if (options.bias !== false) {
          self[`bias_ih_l${layer}${suffix}`] = uniform([gates * hiddenSize], bound, init);
          self[`bias_hh_l${layer}${suffix}`] = uniform([gates * hiddenSize], bound, init);
        }
      }
    }
  }

  get directions(): number {
    return this.bidirectional ? 2 : 1;
  }

  protected weights(layer: number, reverse: boolean) {
    const s = `l${layer}${reverse ? '_reverse' : ''}`;
    const self = this as unknown as Record<string, Tensor | undefined>;
    return {
      wih: self[`weight_ih_${s}`]!,
      whh: self[`weight_hh_${s}`]!,
      bih: self[`bias_ih_${s}`] ?? null,
      bhh: self[`bias_hh_${s}`] ?? null,
    };
  }

  /** One step of the cell: x-projection of this step [B, G·H], state → new state. */
  protected abstract cell(xProj: Tensor, state: Tensor[], whh: Tensor, bhh: Tensor | null): Tensor[];

  /** Run all layers and directions. states0: per (layer, direction) the initial state tensors [B, H]. */
  protected run(
    input: Tensor,
    initial: Tensor[][] | null,
    lengths: readonly number[] | undefined,
  ): { output: Tensor; finals: Tensor[][] } {
    const name = this.constructor.name;
    if (input.ndim !== 3 || input.shape[2] !== this.inputSize) {
      throw new Error(
        `${name}: input must be ${this.batchFirst ? '[B, T' : '[T, B'}, ${this.inputSize}], received ${fmt(input.shape)}`,
      );
    }
    let x = this.batchFirst ? input : F.transpose(input, 0, 1); // [B, T, in]
    const [B, T] = x.shape;
    if (lengths && (lengths.length !== B || lengths.some((l) => !Number.isInteger(l) || l < 1 || l > T))) {
      throw new Error(`${name}: lengths must hold ${B} integers in [1, ${T}], received [${lengths.join(', ')}]`);
    }
    const finals: Tensor[][] = [];
    const valid = lengths
      ? (t: number) =>
          F.tensor(
            lengths.map((l) => t < l),
            [B, 1],
            { dtype: 'bool' },
          )
      : null;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outs: Tensor[] = [];
      for (let dir = 0; dir < this.directions; dir++) {
        const { wih, whh, bih, bhh } = this.weights(layer, dir === 1);
        const xProj = F.linear(x, wih, bih); // all steps at once: [B, T, G·H]
        let state = initial ? initial[layer * this.directions + dir] : this.zeroState(B, x.dtype);
        const steps: Tensor[] = new Array(T);
        for (let s = 0; s < T; s++) {
          const t = dir === 0 ? s : T - 1 - s;
          const next = this.cell(F.select(xProj, 1, t), state, whh, bhh); // [B, H] each
          if (valid && lengths!.some((l) => t >= l)) {
            // some sequence has ended: it keeps its state and outputs zeros (else `where` is the identity)
            const v = valid(t);
            state = next.map((n, i) => F.where(v, n, state[i]));
            steps[t] = F.where(v, next[0], 0);
          } else {
            state = next;
            steps[t] = next[0];
          }
        }
        finals.push(state);
        outs.push(F.stack(steps, 1)); // [B, T, H]
      }
      x = outs.length === 1 ? outs[0] : F.concat(outs, 2); // [B, T, D·H]
      if (layer < this.numLayers - 1) x = F.dropout(x, this.dropoutP, this.training, this.generator);
    }
    return { output: this.batchFirst ? x : F.transpose(x, 0, 1), finals };
  }

  protected abstract zeroState(B: number, dtype: 'float32' | 'float64' | 'int32' | 'bool'): Tensor[];

  /** [L·D, B, H] → per (layer, direction) [B, H]. */
  protected unstack(name: string, h: Tensor, B: number): Tensor[] {
    const want = [this.numLayers * this.directions, B, this.hiddenSize];
    if (h.ndim !== 3 || h.shape.some((d, i) => d !== want[i])) {
      throw new Error(
        `${this.constructor.name}: ${name} must be ${fmt(want)} (layers·directions, B, H), received ${fmt(h.shape)}`,
      );
    }
    return Array.from({ length: want[0] }, (_, i) => F.select(h, 0, i));
  }

  protected batchOf(input: Tensor): number {
    return input.shape[this.batchFirst ? 0 : 1];
  }
}

/**
 * GRU (Cho et al. 2014), torch.nn.GRU's equations, gates stacked r, z, n:
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr)     z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))     h' = (1 − z) ⊙ n + z ⊙ h
 */
export class GRU extends RecurrentBase {
  protected readonly gates = 3;
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super(inputSize, hiddenSize, options, 3);
  }

  /** input [B, T, in] → output [B, T, D·H], hN [L·D, B, H]. */
  forward(input: Tensor, h0?: Tensor | null, options: RNNForwardOptions = {}): { output: Tensor; hN: Tensor } {
    const B = this.batchOf(input);
    const initial = h0 ? this.unstack('h0', h0, B).map((h) => [h]) : null;
    const { output, finals } = this.run(input, initial, options.lengths);
    return {
      output,
      hN: F.stack(
        finals.map((s) => s[0]),
        0,
      ),
    };
  }

  protected cell(xProj: Tensor, [h]: Tensor[], whh: Tensor, bhh: Tensor | null): Tensor[] {
    return [gruStep(xProj, h, whh, bhh)];
  }

  protected zeroState(B: number, dtype: 'float32' | 'float64'): Tensor[] {
    return [F.zeros([B, this.hiddenSize], { dtype })];
  }
}

/**
 * LSTM (Hochreiter & Schmidhuber 1997), torch.nn.LSTM's equations, gates stacked i, f, g, o:
 *   i = σ(·), f = σ(·), g = tanh(·), o = σ(·) of W_i· x + b_i· + W_h· h + b_h·
 *   c' = f ⊙ c + i ⊙ g     h' = o ⊙ tanh(c')
 */
export class LSTM extends RecurrentBase {
  protected readonly gates = 4;
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super(inputSize, hiddenSize, options, 4);
  }

  /** input [B, T, in], optional (h0, c0) [L·D, B, H] → output [B, T, D·H], hN, cN [L·D, B, H]. */
  forward(
    input: Tensor,
    h0?: Tensor | null,
    c0?: Tensor | null,
    options: RNNForwardOptions = {},
  ): { output: Tensor; hN: Tensor; cN: Tensor } {
    const B = this.batchOf(input);
    let initial: Tensor[][] | null = null;
    if (h0 || c0) {
      const hs = h0 ? this.unstack('h0', h0, B) : null;
      const cs = c0 ? this.unstack('c0', c0, B) : null;
      const z = F.zeros([B, this.hiddenSize], { dtype: input.dtype });
      initial = Array.from({ length: this.numLayers * this.directions }, (_, i) => [hs ? hs[i] : z, cs ? cs[i] : z]);
    }
    const { output, finals } = this.run(input, initial, options.lengths);
    return {
      output,
      hN: F.stack(
        finals.map((s) => s[0]),
        0,
      ),
      cN: F.stack(
        finals.map((s) => s[1]),
        0,
      ),
    };
  }

  protected cell(xProj: Tensor, [h, c]: Tensor[], whh: Tensor, bhh: Tensor | null): Tensor[] {
    return lstmStep(xProj, h, c, whh, bhh);
  }

  protected zeroState(B: number, dtype: 'float32' | 'float64'): Tensor[] {
    return [F.zeros([B, this.hiddenSize], { dtype }), F.zeros([B, this.hiddenSize], { dtype })];
  }
}

/** One GRU step from the input projection xProj = W_i x + b_i [B, 3H] and the state h [B, H]. */
export function gruStep(xProj: Tensor, h: Tensor, whh: Tensor, bhh: Tensor | null): Tensor {
  return F.gruCell(xProj, F.linear(h, whh, bhh), h); // gates r, z, n: see ops/rnn.ts
}

/** One LSTM step from xProj = W_i x + b_i [B, 4H] and the state (h, c) → [h', c']. */
export function lstmStep(xProj: Tensor, h: Tensor, c: Tensor, whh: Tensor, bhh: Tensor | null): [Tensor, Tensor] {
  return F.lstmCell(xProj, F.linear(h, whh, bhh), c); // gates i, f, g, o: see ops/rnn.ts
}

/** torch.nn.GRUCell: one step; `weight_ih` [3H, in], `weight_hh` [3H, H], `bias_ih`, `bias_hh` [3H]. */
export class GRUCell extends Module {
  weight_ih: Tensor;
  weight_hh: Tensor;
  bias_ih: Tensor | null;
  bias_hh: Tensor | null;
  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: { bias?: boolean; generator?: Generator; dtype?: 'float32' | 'float64' } = {},
  ) {
    super();
    const bound = 1 / Math.sqrt(hiddenSize);
    this.weight_ih = uniform([3 * hiddenSize, inputSize], bound, options);
    this.weight_hh = uniform([3 * hiddenSize, hiddenSize], bound, options);
    this.bias_ih = options.bias === false ? null : uniform([3 * hiddenSize], bound, options);
    this.bias_hh = options.bias === false ? null : uniform([3 * hiddenSize], bound, options);
  }
  /** x [B, in], h [B, H] → h' [B, H]. */
  forward(x: Tensor, h: Tensor): Tensor {
    return gruStep(F.linear(x, this.weight_ih, this.bias_ih), h, this.weight_hh, this.bias_hh);
  }
}

/** torch.nn.LSTMCell: one step; gates i, f, g, o stacked in `weight_ih` [4H, in] etc. */
export class LSTMCell extends Module {
  weight_ih: Tensor;
  weight_hh: Tensor;
  bias_ih: Tensor | null;
  bias_hh: Tensor | null;
  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: { bias?: boolean; generator?: Generator; dtype?: 'float32' | 'float64' } = {},
  ) {
    super();
    const bound = 1 / Math.sqrt(hiddenSize);
    this.weight_ih = uniform([4 * hiddenSize, inputSize], bound, options);
    this.weight_hh = uniform([4 * hiddenSize, hiddenSize], bound, options);
    this.bias_ih = options.bias === false ? null : uniform([4 * hiddenSize], bound, options);
    this.bias_hh = options.bias === false ? null : uniform([4 * hiddenSize], bound, options);
  }
  /** x [B, in], (h, c) [B, H] → [h', c']. */
  forward(x: Tensor, h: Tensor, c: Tensor): [Tensor, Tensor] {
    return lstmStep(F.linear(x, this.weight_ih, this.bias_ih), h, c, this.weight_hh, this.bias_hh);
  }
}
