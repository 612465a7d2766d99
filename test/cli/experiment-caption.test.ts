// `attend experiment caption` (src/cli/experiment-caption.ts): the variance arithmetic on
// hand-worked values, then end to end on small Fashion-MNIST-shaped files of noise.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { evalCaption } from '../../src/cli/caption-run.js';
import {
  captionExperiment,
  captionGradientStats,
  formatCaptionExperiment,
  varianceOf,
} from '../../src/cli/experiment-caption.js';
import { makeTinyCaptionRun, writeTinyFashionMnist } from '../serve/tiny-task-runs.js';

const data = writeTinyFashionMnist();
const scratch = [data];
after(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A 4-step caption run of the given kind (its directory's parent is removed after the tests). */
function tinyRun(attention: 'soft' | 'hard'): string {
  const dir = makeTinyCaptionRun(data, 4, attention);
  scratch.push(dirname(dir));
  return dir;
}

test('varianceOf: relative variance and mean cosine on hand-worked gradients', () => {
  // [1,0] and [3,0]: ḡ = [2,0], ‖g−ḡ‖² = 1 each, ‖ḡ‖² = 4 → 1/4; both point along ḡ → cos 1
  const a = varianceOf([Float64Array.of(1, 0), Float64Array.of(3, 0)]);
  assert.ok(Math.abs(a.relativeVariance - 0.25) < 1e-15);
  assert.ok(Math.abs(a.meanCosine - 1) < 1e-15);
  // [1,0] and [0,1]: ḡ = [½,½], ‖g−ḡ‖² = ½ each, ‖ḡ‖² = ½ → 1; cos = ½ / √½ = √½
  const b = varianceOf([Float64Array.of(1, 0), Float64Array.of(0, 1)]);
  assert.ok(Math.abs(b.relativeVariance - 1) < 1e-15);
  assert.ok(Math.abs(b.meanCosine - Math.SQRT1_2) < 1e-15);
  // identical gradients: no variance
  assert.equal(varianceOf([Float64Array.of(2, -1), Float64Array.of(2, -1)]).relativeVariance, 0);
});

test('experiment caption: soft without dropout has zero gradient variance, hard sampling has some; rows carry the eval', () => {
  const soft = tinyRun('soft');
  const hard = tinyRun('hard');
  // Without dropout the soft model's gradient has no randomness left: the variance must be 0.
  for (const dir of [soft, hard]) {
    const path = join(dir, 'config.json');
    const config = JSON.parse(readFileSync(path, 'utf8'));
    config.model.dropout = 0;
    if (dir === hard) Object.assign(config.train, { expectedWarmup: 100, rewardWeight: 0.5 }); // named in its row
    if (dir === soft) Object.assign(config.train, { encoderFrom: '/runs/soft-1', freezeEncoder: true }); // and these
    writeFileSync(path, JSON.stringify(config));
  }
  const o = { samples: 4, batchSize: 3, dataDir: data };
  const s = captionGradientStats(soft, o);
  const h = captionGradientStats(hard, o);
  assert.equal(s.relativeVariance, 0, `soft relative variance ${s.relativeVariance}`);
  assert.ok(Math.abs(s.meanCosine - 1) < 1e-9, `soft cos ${s.meanCosine}`);
  assert.ok(h.relativeVariance > 1e-6, `hard relative variance ${h.relativeVariance}`);
  assert.ok(h.meanCosine < 1 - 1e-9 && h.meanCosine > -1, `hard cos ${h.meanCosine}`);
  // the gate: a mean of σ(·) over real steps, in (0, 1); a run without attention has none
  assert.ok(s.meanGate! > 0 && s.meanGate! < 1 && h.meanGate! > 0 && h.meanGate! < 1, `${s.meanGate} ${h.meanGate}`);
  const again = captionGradientStats(hard, o); // seeded: the same figures twice
  assert.deepEqual([again.relativeVariance, again.meanCosine], [h.relativeVariance, h.meanCosine]);

  for (const dir of [soft, hard]) evalCaption(dir, { scenes: 5, beam: 1, dataDir: data });
  const rows = captionExperiment([soft, hard], o);
  assert.deepEqual(
    rows.map((r) => [r.attention, r.expectedProb, r.seed, r.steps]),
    [
      ['soft', 0, 5, 4],
      ['hard', 0.5, 5, 4],
    ],
  );
  const evaluation = JSON.parse(readFileSync(join(hard, 'eval-caption.json'), 'utf8'));
  assert.equal(rows[1].test.exactMatch, evaluation.scores.exactMatch);
  assert.equal(rows[1].test.attentionInBox, evaluation.scores.attentionInBox);
  assert.equal(rows[1].gradients.relativeVariance, h.relativeVariance);
  assert.ok(rows.every((r) => r.msPerStep > 0 && r.trainingSeconds > 0));
  const table = formatCaptionExperiment(rows, 'attend experiment caption …');
  assert.match(table, /\| hard \(expected-location p 0\.5, warmup 100, λ_r 0\.5\) \| 5 \| 4 \|/);
  assert.match(table, /\| soft \(CNN of soft-1, frozen\) \| 5 \| 4 \|/);
});

test('experiment caption: a run without eval-caption.json is refused with the command to run', () => {
  const dir = tinyRun('soft');
  assert.throws(
    () => captionExperiment([dir], { samples: 2, batchSize: 3, dataDir: data }),
    /no eval-caption\.json: run attend eval-caption/,
  );
  assert.throws(() => captionGradientStats(dir, { samples: 1, batchSize: 3, dataDir: data }), /--samples must be ≥ 2, received 1/); // prettier-ignore
});
