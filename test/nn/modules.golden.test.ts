// Modules against PyTorch (tools/golden/gen_modules.py): same state_dict, same inputs →
// same output, same attention weights, same gradient for every input and parameter (float64).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { add, type DType, mul, nn, sum, tensor, type Tensor } from '../../src/index.js';

const TOL = { rtol: 1e-9, atol: 1e-11 }; // float64 on both sides; only summation order differs

interface T {
  shape: number[];
  data: (number | boolean)[];
  dtype: string;
}
interface Case {
  name: string;
  module: string;
  config: Record<string, unknown>;
  state: Record<string, T>;
  inputs: Record<string, T>;
  extraInputs: Record<string, T>;
  forwardOptions: Record<string, unknown>;
  output: T;
  weights: T | null;
  upstream: T;
  extras: Record<string, { value: T; upstream: T }>;
  grads: { inputs: Record<string, T>; params: Record<string, T> };
}
const { cases } = JSON.parse(readFileSync(new URL('../fixtures/golden/modules.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};

const DTYPES: Record<string, DType> = { float64: 'float64', float32: 'float32', bool: 'bool', int64: 'int32' };
const load = (x: T, requiresGrad = false) =>
  tensor(x.data as number[], x.shape, {
    dtype: DTYPES[x.dtype],
    requiresGrad: requiresGrad && x.dtype.startsWith('float'),
  });

function close(what: string, got: Tensor, want: T): void {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  want.data.forEach((w, i) => {
    const g = got.data[i];
    assert.ok(
      Math.abs(g - (w as number)) <= TOL.atol + TOL.rtol * Math.abs(w as number),
      `${what}[${i}]: ours ${g}, torch ${w}`,
    );
  });
}

type Runner = (
  c: Case,
  inputs: Record<string, Tensor>,
) => { module: nn.Module; output: Tensor; weights: Tensor | null; extras?: Record<string, Tensor> };

const stateOf = (c: Case) => Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, load(v)]));

const RUNNERS: Record<string, Runner> = {
  MultiheadAttention: (c, inputs) => {
    const cfg = c.config as { embedDim: number; numHeads: number; kdim?: number; vdim?: number; bias?: boolean };
    const module = new nn.MultiheadAttention(cfg.embedDim, cfg.numHeads, { ...cfg, dtype: 'float64' });
    module.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, load(v)])));
    const fw: Record<string, unknown> = { ...c.forwardOptions };
    for (const [k, v] of Object.entries(fw))
      if (typeof v === 'string' && v in c.extraInputs) fw[k] = load(c.extraInputs[v]);
    const r = module.forward(inputs.query, inputs.key, inputs.value, fw);
    return { module, output: r.output, weights: r.weights };
  },
  GRU: (c, inputs) => {
    const cfg = c.config as unknown as { inputSize: number; hiddenSize: number } & nn.RNNOptions;
    const module = new nn.GRU(cfg.inputSize, cfg.hiddenSize, { ...cfg, dtype: 'float64' });
    module.loadStateDict(stateOf(c));
    const r = module.forward(inputs.input, inputs.h0, c.forwardOptions as nn.RNNForwardOptions);
    return { module, output: r.output, weights: null, extras: { hN: r.hN } };
  },
  LSTM: (c, inputs) => {
    const cfg = c.config as unknown as { inputSize: number; hiddenSize: number } & nn.RNNOptions;
    const module = new nn.LSTM(cfg.inputSize, cfg.hiddenSize, { ...cfg, dtype: 'float64' });
    module.loadStateDict(stateOf(c));
    const r = module.forward(inputs.input, inputs.h0, inputs.c0, c.forwardOptions as nn.RNNForwardOptions);
    return { module, output: r.output, weights: null, extras: { hN: r.hN, cN: r.cN } };
  },
  GRUCell: (c, inputs) => {
    const module = new nn.GRUCell(3, 4, { dtype: 'float64' });
    module.loadStateDict(stateOf(c));
    return { module, output: module.forward(inputs.x, inputs.h), weights: null };
  },
  LSTMCell: (c, inputs) => {
    const module = new nn.LSTMCell(3, 4, { dtype: 'float64' });
    module.loadStateDict(stateOf(c));
    const [h, cc] = module.forward(inputs.x, inputs.h, inputs.c);
    return { module, output: h, weights: null, extras: { c: cc } };
  },
  Conv2d: (c, inputs) => {
    const { inChannels, outChannels, kernelSize, ...o } = c.config as { inChannels: number; outChannels: number; kernelSize: [number, number] } & Record<string, unknown>; // prettier-ignore
    const module = new nn.Conv2d(inChannels, outChannels, kernelSize, { ...o, dtype: 'float64' });
    module.loadStateDict(stateOf(c));
    return { module, output: module.forward(inputs.input), weights: null };
  },
  TransformerEncoderLayer: (c, inputs) => {
    const { dModel, nhead, ...o } = c.config as unknown as {
      dModel: number;
      nhead: number;
    } & nn.TransformerLayerOptions;
    const module = new nn.TransformerEncoderLayer(dModel, nhead, { ...o, dtype: 'float64' });
    module.loadStateDict(stateOf(c));
    return { module, output: module.forward(inputs.src, options(c)), weights: null };
  },
  TransformerDecoderLayer: (c, inputs) => {
    const { dModel, nhead, ...o } = c.config as unknown as {
      dModel: number;
      nhead: number;
    } & nn.TransformerLayerOptions;
    const module = new nn.TransformerDecoderLayer(dModel, nhead, { ...o, dtype: 'float64' });
    module.loadStateDict(stateOf(c));
    return { module, output: module.forward(inputs.tgt, inputs.memory, options(c)), weights: null };
  },
  Transformer: (c, inputs) => {
    const module = new nn.Transformer({ ...(c.config as nn.TransformerOptions), dtype: 'float64' });
    module.loadStateDict(stateOf(c));
    return { module, output: module.forward(inputs.src, inputs.tgt, { tgt: options(c) }), weights: null };
  },
};

/** Forward options with tensor-valued entries looked up in the case's extra inputs. */
function options(c: Case): Record<string, unknown> {
  const fw: Record<string, unknown> = { ...c.forwardOptions };
  for (const [k, v] of Object.entries(fw))
    if (typeof v === 'string' && v in c.extraInputs) fw[k] = load(c.extraInputs[v]);
  return fw;
}

for (const c of cases) {
  test(`${c.name} matches PyTorch (output, weights, every gradient)`, () => {
    const run = RUNNERS[c.module];
    assert.ok(run, `no runner for module ${c.module}`);
    const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, load(v, true)]));
    const { module, output, weights, extras } = run(c, inputs);
    close('output', output, c.output);
    if (c.weights) close('weights', weights!, c.weights);
    // backpropagate Σ output·upstream + Σ extra·its upstream, as the script did
    let loss = sum(mul(output, load(c.upstream)));
    for (const [k, e] of Object.entries(c.extras)) {
      assert.ok(extras?.[k], `the module returned no ${k}`);
      close(k, extras[k], e.value);
      loss = add(loss, sum(mul(extras[k], load(e.upstream))));
    }
    loss.backward();
    for (const [k, want] of Object.entries(c.grads.inputs)) close(`grad of input ${k}`, inputs[k].grad!, want);
    const params = Object.fromEntries(module.namedParameters());
    assert.deepEqual(Object.keys(params).sort(), Object.keys(c.grads.params).sort(), 'parameter names');
    for (const [k, want] of Object.entries(c.grads.params)) close(`grad of ${k}`, params[k].grad!, want);
  });
}
