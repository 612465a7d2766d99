import { attention } from '../attention/attention.js';
import * as F from '../ops/index.js';
import { type Generator, defaultGenerator } from '../tensor/random.js';
import { fmt } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { Linear, parameter } from './layers.js';
import { Module } from './module.js';

export interface MultiheadAttentionOptions {
  /** Key input size (default embedDim). */
  kdim?: number;
  /** Value input size (default embedDim). */
  vdim?: number;
  bias?: boolean;
  /** Dropout on the attention weights. */
  dropout?: number;
  /** Fewer key/value heads than query heads: grouped-query (1 = multi-query) attention. */
  numKeyValueHeads?: number;
  generator?: Generator;
  dtype?: 'float32' | 'float64';
}

export interface MultiheadForwardOptions {
  /** [B, m], true = padding (PyTorch's meaning). */
  keyPaddingMask?: Tensor | null;
  /** bool, TRUE = MAY ATTEND (the library's convention; PyTorch's nn.MultiheadAttention uses the opposite), or float (added); broadcastable to [B, h, n, m]. */
  attnMask?: Tensor | null;
  /** Return the attention weights (default true). */
  needWeights?: boolean;
  /** Average the weights over heads [B, n, m] (default) or return them per head [B, h, n, m]. */
  averageAttnWeights?: boolean;
  isCausal?: boolean;
  /** Incremental decoding: projected keys and values of earlier steps, extended in place. */
  cache?: KeyValueCache;
}

/** Projected keys and values [B, h_kv, t, d_head] of the steps decoded so far. */
export interface KeyValueCache {
  key: Tensor | null;
  value: Tensor | null;
}

/**
 * Multi-head attention (Vaswani et al. 2017 §3.2.2), torch.nn.MultiheadAttention's parameters:
 *   head_i = Attention(Q W_i^Q, K W_i^K, V W_i^V);  MultiHead = Concat(head_1..h) W^O
 * state_dict: `in_proj_weight` [3E, E] and `in_proj_bias` [3E] when kdim = vdim = E, else
 * `q_proj_weight` [E, E], `k_proj_weight` [E, kdim], `v_proj_weight` [E, vdim] (and
 * `in_proj_bias`); `out_proj.weight` [E, E], `out_proj.bias` [E]. With grouped-query heads
 * (numKeyValueHeads < numHeads, not in PyTorch) the separate projections are used and the
 * key/value ones have numKeyValueHeads · d_head rows.
 * Inputs are batch first: query [B, n, E], key [B, m, kdim], value [B, m, vdim].
 */
export class MultiheadAttention extends Module {
  in_proj_weight: Tensor | null = null;
  q_proj_weight: Tensor | null = null;
  k_proj_weight: Tensor | null = null;
  v_proj_weight: Tensor | null = null;
  in_proj_bias: Tensor | null = null;
  out_proj: Linear;

  readonly kdim: number;
  readonly vdim: number;
  readonly headDim: number;
  readonly numKeyValueHeads: number;
  readonly dropout: number;
  readonly generator: Generator;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    options: MultiheadAttentionOptions = {},
  ) {
    super();
    if (!Number.isInteger(numHeads) || numHeads < 1 || embedDim % numHeads !== 0) {
      throw new Error(`MultiheadAttention: embedDim (${embedDim}) must be divisible by numHeads (${numHeads})`);
    }
    this.kdim = options.kdim ?? embedDim;
    this.vdim = options.vdim ?? embedDim;
    this.headDim = embedDim / numHeads;
    this.numKeyValueHeads = options.numKeyValueHeads ?? numHeads;
    if (
      !Number.isInteger(this.numKeyValueHeads) ||
      this.numKeyValueHeads < 1 ||
      numHeads % this.numKeyValueHeads !== 0
    ) {
      throw new Error(
        `MultiheadAttention: numKeyValueHeads (${this.numKeyValueHeads}) must divide numHeads (${numHeads})`,
      );
    }
    this.dropout = options.dropout ?? 0;
    this.generator = options.generator ?? defaultGenerator;
    const gen = { generator: this.generator, dtype: options.dtype };
    const E = embedDim;
    const kvRows = this.numKeyValueHeads * this.headDim;
    // xavier_uniform_ as torch's _reset_parameters: bound = √(6 / (fan_in + fan_out))
    const xavier = (rows: number, cols: number) => {
      const bound = Math.sqrt(6 / (rows + cols));
      return parameter(F.rand([rows, cols], { low: -bound, high: bound, ...gen }));
    };
    if (this.kdim === E && this.vdim === E && kvRows === E) {
      this.in_proj_weight = xavier(3 * E, E);
    } else {
      this.q_proj_weight = xavier(E, E);
      this.k_proj_weight = xavier(kvRows, this.kdim);
      this.v_proj_weight = xavier(kvRows, this.vdim);
    }
    if (options.bias !== false) this.in_proj_bias = parameter(F.zeros([E + 2 * kvRows], { dtype: options.dtype }));
    this.out_proj = new Linear(E, E, { bias: options.bias !== false, ...gen });
    if (this.out_proj.bias) this.out_proj.bias.data.fill(0);
  }

  /** An empty key/value cache for incremental decoding. */
  createCache(): KeyValueCache {
    return { key: null, value: null };
  }

  forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    options: MultiheadForwardOptions = {},
  ): { output: Tensor; weights: Tensor | null } {
    const E = this.embedDim;
    const h = this.numHeads;
    const hkv = this.numKeyValueHeads;
    const d = this.headDim;
    const kvRows = hkv * d;
    for (const [name, t, size] of [
      ['query', query, E],
      ['key', key, this.kdim],
      ['value', value, this.vdim],
    ] as const) {
      if (t.ndim !== 3 || t.shape[2] !== size) {
        throw new Error(
          `MultiheadAttention: ${name} must be [B, len, ${size}] (batch first), received ${fmt(t.shape)}`,
        );
      }
    }
    const [B, n] = query.shape;
    const m = key.shape[1];
    if (key.shape[0] !== B || value.shape[0] !== B || value.shape[1] !== m) {
      throw new Error(
        `MultiheadAttention: query ${fmt(query.shape)}, key ${fmt(key.shape)} and value ${fmt(value.shape)} disagree on B or the key length`,
      );
    }
    const bias = this.in_proj_bias;
    const bq = bias ? F.slice(bias, 0, 0, E) : null;
    const bk = bias ? F.slice(bias, 0, E, E + kvRows) : null;
    const bv = bias ? F.slice(bias, 0, E + kvRows) : null;
    const w = this.in_proj_weight;
    const wq = w ? F.slice(w, 0, 0, E) : this.q_proj_weight!;
    const wk = w ? F.slice(w, 0, E, 2 * E) : this.k_proj_weight!;
    const wv = w ? F.slice(w, 0, 2 * E) : this.v_proj_weight!;

    const heads = (x: Tensor, len: number, count: number) => F.transpose(F.reshape(x, [B, len, count, d]), 1, 2); // [B, count, len, d]
    const q = heads(F.linear(query, wq, bq), n, h); // [B, h, n, d]
    let k = heads(F.linear(key, wk, bk), m, hkv); // [B, hkv, m, d]
    let v = heads(F.linear(value, wv, bv), m, hkv); // [B, hkv, m, d]
    let offset = 0;
    const cache = options.cache;
    if (cache) {
      if (cache.key && cache.value) {
        offset = cache.key.shape[2];
        k = F.concat([cache.key, k], 2); // [B, hkv, t + m, d]
        v = F.concat([cache.value, v], 2);
      }
      cache.key = k.detach();
      cache.value = v.detach();
    }
    if (hkv !== h) {
      // grouped-query: each key/value head serves h / hkv query heads
      const rep = (x: Tensor) =>
        F.reshape(F.expand(F.unsqueeze(x, 2), [B, hkv, h / hkv, x.shape[2], d]), [B, h, x.shape[2], d]);
      k = rep(k); // [B, h, m', d]
      v = rep(v);
    }
    let keyPaddingMask = options.keyPaddingMask ?? null;
    if (keyPaddingMask && offset > 0) {
      // the cached steps were not padding
      keyPaddingMask = F.concat([F.zeros([B, offset], { dtype: 'bool' }), keyPaddingMask], 1);
    }
    const needWeights = options.needWeights !== false;
    const r = attention(q, k, v, {
      needWeights,
      keyPaddingMask,
      attnMask: options.attnMask ?? null,
      causal: options.isCausal ? { offset } : false,
      dropout: this.dropout,
      training: this.training,
      generator: this.generator,
    }); // output [B, h, n, d], weights [B, h, n, m'] (null through the fused kernel)
    const merged = F.reshape(F.transpose(r.output, 1, 2), [B, n, E]); // [B, n, E]
    const output = this.out_proj.forward(merged); // [B, n, E]
    if (!needWeights || !r.weights) return { output, weights: null };
    const weights = options.averageAttnWeights === false ? r.weights : F.mean(r.weights, 1); // [B, h, n, m] or [B, n, m]
    return { output, weights };
  }
}
