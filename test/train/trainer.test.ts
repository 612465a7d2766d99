import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchIterator } from '../../src/data/batching.js';
import { reverseTask } from '../../src/data/synthetic.js';
import { Vocab } from '../../src/data/vocab.js';
import { Bahdanau } from '../../src/models/seq2seq/rnn-models.js';
import { tensor } from '../../src/ops/creation.js';
import { Generator } from '../../src/tensor/random.js';
import { packCheckpoint, unpackCheckpoint } from '../../src/train/checkpoint.js';
import { clipGradNorm } from '../../src/train/clip.js';
import { AdamW } from '../../src/train/optim.js';
import { learningRate } from '../../src/train/schedule.js';
import { type LogRecord, type TrainState, initialTrainState, train } from '../../src/train/trainer.js';

const examples = reverseTask({ n: 40, minLength: 2, maxLength: 5, alphabet: ['a', 'b', 'c', 'd'], seed: 3 });
const vocab = Vocab.fromTokens(examples.flatMap((e) => e.source));
const pairs = examples.map((e) => ({ src: vocab.encode(e.source), tgt: vocab.encode(e.target) }));

function setup(initSeed: number) {
  const generator = new Generator(initSeed);
  // dropout on, so the run depends on the generator's stream too
  const model = new Bahdanau({
    srcVocab: vocab.size,
    tgtVocab: vocab.size,
    embed: 8,
    hidden: 8,
    dropout: 0.2,
    generator,
  });
  const optimizer = new AdamW(model.parameters(), { lr: 0.01, weightDecay: 0.01 });
  const batches = new BatchIterator(pairs, { batchSize: 8, seed: 5 }); // 5 batches an epoch
  return { model, optimizer, generator, batches };
}

function run(s: ReturnType<typeof setup>, state: TrainState, maxSteps: number, records: LogRecord[] = [], lr = 0.01) {
  return train(
    {
      ...s,
      lr,
      schedule: { type: 'inverse-sqrt', warmup: 4 },
      epochs: 10,
      clipNorm: 1,
      labelSmoothing: 0.1,
      maxSteps,
      logEvery: 1,
      // evaluation draws from the model's generator; the trainer must restore the stream
      evaluate: () => ({ score: s.generator.uniform(), metrics: {} }),
      onLog: (r) => records.push(r),
    },
    state,
  );
}

test('a run stopped, checkpointed and resumed ends bit-identical to an uninterrupted run', () => {
  const straight = setup(1);
  run(straight, initialTrainState(straight.generator), 13); // crosses two epoch boundaries

  const first = setup(1);
  const mid = run(first, initialTrainState(first.generator), 7);
  assert.equal(mid.step, 7);
  assert.equal(mid.finished, false);
  const bytes = packCheckpoint(first.model, first.optimizer, mid);
  const copy = { model: bytes.model.slice(), optimizer: bytes.optimizer.slice(), state: bytes.state };

  const resumed = setup(999); // different initial weights and stream: all must come from the checkpoint
  const state = unpackCheckpoint(copy, resumed.model, resumed.optimizer);
  assert.deepEqual({ epoch: state.epoch, batchIndex: state.batchIndex }, { epoch: 1, batchIndex: 2 });
  run(resumed, state, 13);

  const a = straight.model.stateDict();
  const b = resumed.model.stateDict();
  for (const name of Object.keys(a)) assert.deepEqual(b[name].data, a[name].data, `parameter ${name} differs`);
  assert.deepEqual(resumed.optimizer.stateDict(), straight.optimizer.stateDict());
});

test('the training loss falls and the log records each step', () => {
  const s = setup(2);
  const records: LogRecord[] = [];
  const end = run(s, initialTrainState(s.generator), 50, records, 0.05);
  const steps = records.filter((r) => r.type === 'step');
  assert.equal(steps.length, 50);
  const mean = (xs: LogRecord[]) => xs.reduce((t, r) => t + (r.type === 'step' ? r.loss : 0), 0) / xs.length;
  assert.ok(
    mean(steps.slice(-10)) < 0.8 * mean(steps.slice(0, 10)),
    `${mean(steps.slice(0, 10))} → ${mean(steps.slice(-10))}`,
  );
  assert.equal(records.filter((r) => r.type === 'eval').length, 10); // 50 steps / 5 per epoch
  assert.deepEqual(records.at(-1), {
    type: 'stop',
    step: 50,
    epoch: 10,
    reason: 'epochs',
    elapsedMs: end.elapsedMs,
  });
});

test('early stopping ends the run after `patience` evaluations without improvement', () => {
  const s = setup(3);
  const records: LogRecord[] = [];
  let score = 1;
  const end = train(
    {
      ...s,
      lr: 0.01,
      schedule: { type: 'constant' },
      epochs: 50,
      patience: 2,
      evaluate: () => ({ score: (score += 1), metrics: {} }), // never improves after the first
      onLog: (r) => records.push(r),
    },
    initialTrainState(s.generator),
  );
  assert.equal(end.epoch, 3);
  assert.equal(end.bestEpoch, 0);
  assert.equal(end.finished, true);
  assert.equal(records.at(-1)?.type === 'stop' && records.at(-1)?.type, 'stop');
});

test('checkpoints refuse a state of another version or an optimiser of another kind', () => {
  const s = setup(4);
  const bytes = packCheckpoint(s.model, s.optimizer, initialTrainState(s.generator));
  const other = setup(4);
  assert.throws(
    () =>
      unpackCheckpoint(
        { ...bytes, state: bytes.state.replace('"version": 1', '"version": 7') },
        other.model,
        other.optimizer,
      ),
    /version must be 1, received 7/,
  );
  assert.throws(() => unpackCheckpoint({ ...bytes, state: '{' }, other.model, other.optimizer), /not valid JSON/);
  const later = packCheckpoint(s.model, s.optimizer, { ...initialTrainState(s.generator), step: 5 });
  assert.throws(
    () => unpackCheckpoint({ ...bytes, model: later.model }, other.model, other.optimizer),
    /model.safetensors is from step 5, state.json from step 0/,
  );
});

test('clipGradNorm scales by maxNorm / norm as torch.nn.utils.clip_grad_norm_', () => {
  const a = tensor([3, 0], undefined, { requiresGrad: true });
  const b = tensor([4], undefined, { requiresGrad: true });
  a.grad = tensor([3, 0]);
  b.grad = tensor([4]);
  const norm = clipGradNorm([a, b], 1);
  assert.equal(norm, 5);
  const scale = 1 / (5 + 1e-6);
  assert.ok(Math.abs(a.grad.data[0] - 3 * scale) < 1e-7 && Math.abs(b.grad.data[0] - 4 * scale) < 1e-7);
  const before = Array.from(a.grad.data);
  assert.ok(Math.abs(clipGradNorm([a, b], 10) - Math.hypot(a.grad.data[0], b.grad.data[0])) < 1e-6);
  assert.deepEqual(Array.from(a.grad.data), before); // under the bound: unchanged
  assert.throws(() => clipGradNorm([a], 0), /maxNorm must be > 0, received 0/);
});

test('schedules: inverse-sqrt peaks at the end of warmup, cosine reaches minLr, step decays', () => {
  const inv = { type: 'inverse-sqrt' as const, warmup: 100 };
  assert.equal(learningRate(inv, 1, 50), 0.5);
  assert.equal(learningRate(inv, 1, 100), 1);
  assert.equal(learningRate(inv, 1, 400), 0.5);
  const cos = { type: 'cosine' as const, warmup: 10, totalSteps: 110, minLr: 0.1 };
  assert.equal(learningRate(cos, 1, 5), 0.5);
  assert.ok(Math.abs(learningRate(cos, 1, 60) - 0.55) < 1e-12);
  assert.ok(Math.abs(learningRate(cos, 1, 110) - 0.1) < 1e-12);
  assert.ok(Math.abs(learningRate({ type: 'step', stepSize: 10, gamma: 0.5 }, 1, 25) - 0.25) < 1e-12);
  assert.throws(() => learningRate(inv, 1, 0), /step must be an integer >= 1, received 0/);
});
