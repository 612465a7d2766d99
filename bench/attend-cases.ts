import * as F from '../src/index.js';
import { Adam, Generator, type Tensor, nn } from '../src/index.js';
import type { CaseSpec } from './cases.js';

/** attend's code for each case: `run` is the timed work, `setup` (untimed) runs before each run. */
export interface Runnable {
  run: () => unknown;
  setup?: () => void;
}

function gemmCase(n: number, gen: Generator): Runnable {
  const a = F.randn([n, n], { generator: gen });
  const b = F.randn([n, n], { generator: gen });
  return { run: () => F.matmul(a, b) };
}

/** softmax(q kᵀ/√d) v with the public ops, as a user writes it (the n×m weights are stored). */
export function composedAttention(q: Tensor, k: Tensor, v: Tensor): Tensor {
  const scale = 1 / Math.sqrt(q.shape[q.ndim - 1]);
  const scores = F.mul(F.matmul(q, F.transpose(k, -2, -1)), scale); // [B, h, T, T]
  return F.matmul(F.softmax(scores, -1), v); // [B, h, T, d]
}

function attentionCase(c: NonNullable<CaseSpec['attention']>, gen: Generator): Runnable {
  const shape = [c.B, c.H, c.T, c.d];
  const opts = { generator: gen, requiresGrad: c.backward };
  const q = F.randn(shape, opts);
  const k = F.randn(shape, opts);
  const v = F.randn(shape, opts);
  const dOut = F.randn(shape, { generator: gen });
  const forward = c.path === 'sdpa' ? () => F.scaledDotProductAttention(q, k, v) : () => composedAttention(q, k, v);
  if (!c.backward) return { run: () => F.noGrad(forward) };
  return {
    setup: () => {
      q.grad = k.grad = v.grad = null;
    },
    run: () => forward().backward(dOut),
  };
}

/**
 * One training step of a pre-LN Transformer encoder layer (dropout 0, relu) with Adam:
 * x → LN → MHA(self) → residual → LN → FF → residual, mean-square loss against a fixed target.
 */
function blockCase(b: NonNullable<CaseSpec['block']>, gen: Generator): Runnable {
  const layer = new nn.TransformerEncoderLayer(b.dModel, b.nhead, {
    dimFeedforward: b.ff,
    dropout: 0,
    activation: 'relu',
    normFirst: true,
    generator: gen,
  });
  const opt = new Adam(layer.parameters(), { lr: 1e-3 });
  const x = F.randn([b.B, b.T, b.dModel], { generator: gen });
  const target = F.randn([b.B, b.T, b.dModel], { generator: gen });
  return {
    run: () => {
      opt.zeroGrad();
      const loss = F.mse(layer.forward(x), target);
      loss.backward(undefined, { releaseActivations: true }); // a training step: PyTorch frees them too
      opt.step();
      return loss;
    },
  };
}

export function attendRunnable(c: CaseSpec): Runnable {
  const gen = new Generator(1234);
  if (c.gemm) return gemmCase(c.gemm.n, gen);
  if (c.attention) return attentionCase(c.attention, gen);
  if (c.block) return blockCase(c.block, gen);
  throw new Error(`bench: case ${c.id} has no attend code`);
}
