import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatLocalCostTable,
  formatSpeedTable,
  localCostExperiment,
  speedExperiment,
} from '../../src/cli/experiment-cost.js';

test('experiment speed: every model within 5 % of the Transformer’s parameter count, tokens/s = tokens / median step', () => {
  const r = speedExperiment({
    models: ['transformer', 'bahdanau', 'luong', 'seq2seq'],
    dModel: 16,
    lengths: [4, 6],
    tokensPerBatch: 50,
    warmup: 0,
    steps: 1,
    seed: 1,
  });
  const target = r.rows[0].parameters;
  assert.equal(r.rows[0].model, 'transformer');
  for (const row of r.rows) {
    assert.ok(Math.abs(row.parameters - target) / target < 0.05, `${row.model}: ${row.parameters} vs ${target}`);
    // B = round(50 / (L + 1)) rows of L target tokens + EOS each: 10·5 = 50 at L 4, 7·7 = 49 at L 6
    assert.ok(Math.abs((row.tokensPerSecond[0] * row.msPerStep[0]) / 1000 - 50) < 1e-6);
    assert.ok(Math.abs((row.tokensPerSecond[1] * row.msPerStep[1]) / 1000 - 49) < 1e-6);
  }
  const bahdanau = r.rows[1];
  const ratio = (r.rows[0].tokensPerSecond[0] / bahdanau.tokensPerSecond[0]).toFixed(1);
  assert.ok(formatSpeedTable(r).includes(`(${ratio}×)`), 'the table gives the Transformer’s speed-up over each model');
  assert.match(r.command, /^attend experiment speed --models transformer,bahdanau,luong,seq2seq --d-model 16 /);
});

test('experiment local-cost: local-p holds B·n·(2D+1) weights against global B·n·S', () => {
  const r = localCostExperiment({ lengths: [8, 40], batch: 2, dim: 4, D: 2, warmup: 0, reps: 1, seed: 1 });
  assert.deepEqual(
    r.rows.map((row) => [row.length, row.globalWeights, row.localWeights]),
    [
      [8, 2 * 8 * 8, 2 * 8 * 5],
      [40, 2 * 40 * 40, 2 * 40 * 5],
    ],
  );
  for (const row of r.rows) assert.ok(row.globalMs > 0 && row.localMs > 0);
  assert.ok(formatLocalCostTable(r).includes('| 40 |'));
  assert.throws(() => localCostExperiment({ ...r.options, D: -1 }), /D must be an integer >= 0, received -1/);
  assert.throws(
    () =>
      speedExperiment({
        models: ['transformer'],
        dModel: 16,
        lengths: [0],
        tokensPerBatch: 8,
        warmup: 0,
        steps: 1,
        seed: 1,
      }),
    /lengths must be integers >= 1, received 0/,
  );
});
