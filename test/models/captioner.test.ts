// The Show-Attend-Tell captioner (src/models/captioner.ts, captioner-loss.ts): gradients of the
// new composition by finite differences (float64), padding that changes nothing, the REINFORCE
// term wired into hard attention, a deterministic eval mode, and a few scenes memorised.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReinforceBaseline } from '../../src/attention/reinforce.js';
import { type ImageSet, captionTensors, captionVocab, makeScenes, sceneImages } from '../../src/data/scenes.js';
import { Captioner, type CaptionerSpec, type CaptionAttention } from '../../src/models/captioner.js';
import { captionLoss } from '../../src/models/captioner-loss.js';
import { predictCaptions } from '../../src/models/captioner-eval.js';
import * as F from '../../src/ops/index.js';
import { Generator } from '../../src/tensor/random.js';
import { gradcheck } from '../../src/tensor/gradcheck.js';
import { Adam } from '../../src/train/optim.js';

const vocab = captionVocab();
const tiny = (attention: CaptionAttention): CaptionerSpec => ({
  kind: 'captioner',
  attention,
  vocabSize: vocab.size,
  channels: [2, 2, 2, 3],
  embed: 3,
  hidden: 4,
  attentionDim: 3,
  dropout: 0,
});
// 16×16 images: conv1 (stride 2) → 8×8, two pools → a 2×2 grid, L = 4
const images64 = (B: number, seed: number) => F.rand([B, 1, 16, 16], { generator: new Generator(seed), dtype: 'float64' }); // prettier-ignore
const captions = [['bag', 'boot', 'coat'], ['sandal']]; // the second row is padded for two steps

test('gridSize agrees with the encoder', () => {
  const model = new Captioner(tiny('soft'), new Generator(0));
  for (const [h, w] of [
    [16, 16],
    [64, 128],
    [28, 84],
    [33, 17],
  ]) {
    const { grid, annotations } = model.encode(F.zeros([1, 1, h, w]));
    assert.deepEqual(model.gridSize(h, w), grid, `${h}×${w}`);
    assert.deepEqual(annotations.shape, [1, grid[0] * grid[1], 3]);
  }
});

for (const attention of ['soft', 'none'] as const) {
  test(`${attention}: the loss's gradients match finite differences (float64), padding included`, () => {
    const model = new Captioner(tiny(attention), new Generator(3), 'float64').eval();
    const x = images64(2, 5);
    const { tgtIn, tgtOut } = captionTensors(captions, vocab);
    const loss = () => captionLoss(model.forward(x, null, tgtIn), tgtOut, { doublyStochastic: 0.5, reinforce: null }).loss; // prettier-ignore
    const named = Object.fromEntries(model.namedParameters());
    const picks = [
      'conv1.weight',
      'conv4.weight',
      'init_h.weight',
      'init_c.bias',
      'decode_step.weight_ih',
      'L_z.weight',
      'embedding.weight',
    ];
    if (attention === 'soft') picks.push('attention.W_q', 'attention.W_k', 'attention.v', 'f_beta.weight', 'f_beta.bias');
    else assert.ok(!Object.keys(named).some((k) => k.startsWith('attention.') || k.startsWith('f_beta')), 'none has no attention parameters'); // prettier-ignore
    const inputs = picks.map((k) => named[k]);
    const r = gradcheck(() => loss(), inputs, { atol: 1e-7, rtol: 1e-5 });
    assert.ok(r.ok, `worst: ${picks[r.worst!.input]}[${r.worst!.index}] analytic ${r.worst!.analytic}, numeric ${r.worst!.numeric}`); // prettier-ignore
    // and the input images' gradient (the whole encoder path)
    x.requiresGrad_();
    const rx = gradcheck(() => loss(), [x], { atol: 1e-7, rtol: 1e-5 });
    assert.ok(rx.ok, `images: ${JSON.stringify(rx.worst)}`);
  });
}

test('padding changes nothing: a short caption scores the same alone and in a padded batch', () => {
  const model = new Captioner(tiny('soft'), new Generator(4), 'float64').eval();
  const x = images64(2, 6);
  const both = captionTensors(captions, vocab);
  const outBoth = model.forward(x, null, both.tgtIn);
  const lossBoth = captionLoss(outBoth, both.tgtOut, { doublyStochastic: 1, reinforce: null });
  const alone = (b: number) => {
    const t = captionTensors([captions[b]], vocab);
    const out = model.forward(F.slice(x, 0, b, b + 1), null, t.tgtIn);
    return { out, loss: captionLoss(out, t.tgtOut, { doublyStochastic: 1, reinforce: null }) };
  };
  const [a0, a1] = [alone(0), alone(1)];
  // per-example −log p(y): identical
  assert.ok(Math.abs(lossBoth.nllPerExample[0] - a0.loss.nllPerExample[0]) < 1e-12);
  assert.ok(Math.abs(lossBoth.nllPerExample[1] - a1.loss.nllPerExample[0]) < 1e-12);
  // cross-entropy: the mean over the 4 + 2 real targets, not over the padded 2 × 4
  const ce = (a0.loss.nllPerExample[0] + a1.loss.nllPerExample[0]) / 6;
  assert.ok(Math.abs(lossBoth.crossEntropy - ce) < 1e-12, `${lossBoth.crossEntropy} vs ${ce}`);
  // doubly stochastic penalty: Σ_t runs over each row's real steps only, so the batch's is the mean of the rows'
  assert.ok(Math.abs(lossBoth.penalty - (a0.loss.penalty + a1.loss.penalty) / 2) < 1e-12);
  // and the short row's α at its real steps (word + EOS) are the same numbers
  const L = 4;
  for (let t = 0; t < 2; t++)
    for (let i = 0; i < L; i++)
      assert.ok(Math.abs(outBoth.alphas!.data[(4 + t) * L + i] - a1.out.alphas!.data[t * L + i]) < 1e-12);
});

test('the doubly stochastic penalty is λ Σ_i (1 − Σ_t α_ti)², worked from the returned α', () => {
  const model = new Captioner(tiny('soft'), new Generator(8), 'float64').eval();
  const { tgtIn, tgtOut } = captionTensors([['bag', 'boot']], vocab); // 3 real steps
  const out = model.forward(images64(1, 9), null, tgtIn);
  const a = out.alphas!.data; // [1, 3, 4]
  let want = 0;
  for (let i = 0; i < 4; i++) {
    const s = a[i] + a[4 + i] + a[8 + i];
    want += (1 - s) ** 2;
  }
  const got = captionLoss(out, tgtOut, { doublyStochastic: 0.25, reinforce: null }).penalty;
  assert.ok(Math.abs(got - 0.25 * want) < 1e-12, `${got} vs ${0.25 * want}`);
  // β = σ(f_β(h_{t−1})) lies in (0, 1)
  assert.ok(Array.from(out.betas!.data).every((b) => b > 0 && b < 1));
});

test('hard: only the REINFORCE term trains the attention scores; eval mode takes the argmax, deterministically', () => {
  const model = new Captioner(tiny('hard'), new Generator(2));
  const x = images64(2, 1).to('float32');
  const { tgtIn, tgtOut } = captionTensors(captions, vocab);
  const gradOf = (reinforce: ReinforceBaseline | null) => {
    model.zeroGrad();
    const out = model.forward(x, null, tgtIn);
    captionLoss(out, tgtOut, { doublyStochastic: 0, reinforce }).loss.backward();
    return (name: string) => Object.fromEntries(model.namedParameters())[name].grad;
  };
  // without the score-function term the sampled choice blocks every gradient to W_q, W_k and v …
  const plain = gradOf(null);
  for (const k of ['attention.W_q', 'attention.W_k', 'attention.v']) {
    const g = plain(k);
    assert.ok(!g || Array.from(g.data).every((v) => v === 0), `${k} moved without REINFORCE`);
  }
  assert.ok(
    Array.from(plain('f_beta.weight')!.data).some((v) => v !== 0),
    'β still learns from the loss',
  );
  // … with it they get one (the baseline starts at the batch mean, so two different rewards are needed: B = 2)
  const rl = gradOf(new ReinforceBaseline(0.9, 1, 0.01));
  for (const k of ['attention.W_q', 'attention.W_k', 'attention.v'])
    assert.ok(
      Array.from(rl(k)!.data).some((v) => v !== 0),
      `${k} has no gradient from REINFORCE`,
    );

  model.eval();
  const state = model.start(x);
  const s1 = model.step(state, F.tensor([1, 1], [2], { dtype: 'int32' }));
  const s2 = model.step(state, F.tensor([1, 1], [2], { dtype: 'int32' }));
  assert.deepEqual(Array.from(s1.logProbs.data), Array.from(s2.logProbs.data));
  const alpha = s1.alpha!.data;
  for (let b = 0; b < 2; b++) {
    const row = Array.from(alpha.subarray(b * 4, b * 4 + 4));
    assert.equal(s1.selected!.data[b], row.indexOf(Math.max(...row)));
  }
});

test('a few scenes are memorised in a few seconds (soft attention)', () => {
  const count = 20;
  const images = new Uint8Array(count * 784);
  const g = new Generator(11);
  for (let p = 0; p < images.length; p++) images[p] = Math.floor(g.uniform() * 256);
  const set: ImageSet = { images, labels: Uint8Array.from({ length: count }, (_, i) => i % 10), count, height: 28, width: 28 }; // prettier-ignore
  const scenes = makeScenes(set, 0, 0, 4, { rows: 1, cols: 3, slot: 28, minItems: 2, maxItems: 3 });
  const spec: CaptionerSpec = { ...tiny('soft'), channels: [4, 8, 8, 16], embed: 16, hidden: 32, attentionDim: 16 };
  const model = new Captioner(spec, new Generator(0));
  const opt = new Adam(model.parameters(), { lr: 0.01 });
  const x = sceneImages(scenes);
  const { tgtIn, tgtOut } = captionTensors(
    scenes.map((s) => s.caption),
    vocab,
  );
  const right = () => predictCaptions(model, scenes, vocab).filter((p, i) => p.words.join(' ') === scenes[i].caption.join(' ')).length; // prettier-ignore
  let step = 0;
  for (; step < 400 && (step % 25 !== 0 || right() < scenes.length); step++) {
    const l = captionLoss(model.forward(x, null, tgtIn), tgtOut, { doublyStochastic: 0.01, reinforce: null });
    opt.zeroGrad();
    l.loss.backward();
    opt.step();
  }
  assert.equal(right(), scenes.length, `after ${step} steps`);
});

test('hard with expectedProb 1 trains every image on the expected location: soft attention, no REINFORCE term', () => {
  const hard = new Captioner({ ...tiny('hard'), expectedProb: 1 }, new Generator(6), 'float64');
  const soft = new Captioner(tiny('soft'), new Generator(99), 'float64');
  soft.loadStateDict(hard.stateDict()); // the same parameters, by name
  const x = images64(2, 3);
  const { tgtIn } = captionTensors(captions, vocab);
  const h = hard.forward(x, null, tgtIn);
  const s = soft.forward(x, null, tgtIn);
  assert.deepEqual(Array.from(h.logits.data), Array.from(s.logits.data));
  assert.ok(
    Array.from(h.logProbs!.data).every((v) => v === 0),
    'log p(s) is 0 where no sample was used',
  );
  // eval mode ignores it: argmax, as before
  hard.eval();
  const e = hard.forward(x, null, tgtIn);
  assert.notDeepEqual(Array.from(e.logits.data), Array.from(s.logits.data));
});

test('hard with expectedProb 0.5: each image draws once per caption, and keeps its choice at every step', () => {
  const model = new Captioner({ ...tiny('hard'), expectedProb: 0.5 }, new Generator(12), 'float64');
  const B = 64;
  const state = model.start(images64(B, 4));
  const expected = Array.from(state.expected!.data);
  const uses = expected.filter(Boolean).length;
  assert.ok(uses > 16 && uses < 48, `${uses} of ${B} images use the expectation`);
  let st = state;
  for (let t = 0; t < 3; t++) {
    const out = model.step(st, F.tensor(new Array<number>(B).fill(1), [B], { dtype: 'int32' }));
    assert.deepEqual(Array.from(out.state.expected!.data), expected);
    // the images that sampled have a log-probability, the others none
    expected.forEach((e, b) => assert.equal(out.logProb!.data[b] === 0, e === 1, `image ${b}`));
    st = out.state;
  }
});

test('gate: false drops β: no f_beta parameters and no betas', () => {
  for (const attention of ['soft', 'hard'] as const) {
    const model = new Captioner({ ...tiny(attention), gate: false }, new Generator(3), 'float64');
    assert.ok(!model.namedParameters().some(([k]) => k.startsWith('f_beta')), attention);
    const { tgtIn } = captionTensors(captions, vocab);
    const out = model.forward(images64(2, 5), null, tgtIn);
    assert.equal(out.betas, null);
    assert.ok(out.alphas !== null);
  }
});
