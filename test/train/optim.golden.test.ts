// The optimisers against torch.optim trajectories (tools/golden/gen_optim.py), in float64.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Adam, AdamW, SGD, tensor, type Optimizer, type Tensor } from '../../src/index.js';

const TOL = 1e-12; // float64 arithmetic in the same order as PyTorch's

interface Golden {
  shape: number[];
  p0: number[];
  grads: number[][];
  cases: { name: string; optimizer: string; options: Record<string, unknown>; trajectory: number[][] }[];
}
const golden = JSON.parse(readFileSync(new URL('../fixtures/golden/optim.json', import.meta.url), 'utf8')) as Golden;

function make(kind: string, p: Tensor, o: Record<string, unknown>): Optimizer {
  const common = {
    lr: o.lr as number,
    betas: o.betas as [number, number] | undefined,
    eps: o.eps as number | undefined,
    weightDecay: o.weight_decay as number | undefined,
  };
  if (kind === 'SGD') {
    return new SGD([p], {
      lr: o.lr as number,
      momentum: o.momentum as number | undefined,
      dampening: o.dampening as number | undefined,
      nesterov: o.nesterov as boolean | undefined,
      weightDecay: o.weight_decay as number | undefined,
    });
  }
  const clean = Object.fromEntries(Object.entries(common).filter(([, v]) => v !== undefined));
  return kind === 'Adam' ? new Adam([p], clean) : new AdamW([p], clean);
}

for (const c of golden.cases) {
  test(`optimizer ${c.name} follows torch.optim.${c.optimizer}`, () => {
    const p = tensor(golden.p0, golden.shape, { dtype: 'float64', requiresGrad: true });
    const opt = make(c.optimizer, p, c.options);
    c.trajectory.forEach((want, step) => {
      p.grad = tensor(golden.grads[step], golden.shape, { dtype: 'float64' });
      opt.step();
      want.forEach((w, i) => {
        assert.ok(
          Math.abs(p.data[i] - w) <= TOL * (1 + Math.abs(w)),
          `step ${step + 1}, element ${i}: ${p.data[i]} vs torch ${w}`,
        );
      });
    });
  });
}

test('optimizer state round-trips: a restored optimizer continues identically', () => {
  const run = (restoreAt: number | null) => {
    const p = tensor(golden.p0, golden.shape, { dtype: 'float64', requiresGrad: true });
    let opt = new Adam([p], { lr: 0.01 });
    golden.grads.forEach((g, step) => {
      if (step === restoreAt) {
        const state = JSON.parse(JSON.stringify(opt.stateDict()));
        opt = new Adam([p], { lr: 0.01 });
        opt.loadStateDict(state);
      }
      p.grad = tensor(g, golden.shape, { dtype: 'float64' });
      opt.step();
    });
    return Array.from(p.data);
  };
  assert.deepEqual(run(2), run(null));
});

test('optimizer errors name the problem', () => {
  const p = tensor([1, 2], undefined, { requiresGrad: true });
  assert.throws(() => new Adam([tensor([1])]), /Adam: params\[0\] does not require grad/);
  assert.throws(() => new Adam([p], { betas: [1, 0.9] }), /betas must be in \[0, 1\)/);
  assert.throws(
    () => new Adam([p]).loadStateDict({ step: 1, buffers: { exp_avg: [[1, 2, 3]], exp_avg_sq: [[]] } }),
    /exp_avg\[0\] has 3 values, the parameter has 2/,
  );
});
