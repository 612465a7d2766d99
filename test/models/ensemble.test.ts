// The ensemble decoder (src/models/seq2seq/ensemble.ts): its distribution is the mean of its
// members' (checked against the members run one by one, in double precision), step by step and
// teacher-forced alike, and beam search over it finds the exact best sequence of that mean.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BOS,
  EOS,
  type EncoderDecoder,
  Ensemble,
  Generator,
  PAD,
  Tensor,
  createModel,
  defaultSpec,
  fromData,
  generate,
  noGrad,
} from '../../src/index.js';

const V = 9;

function member(kind: 'bahdanau' | 'transformer', seed: number): EncoderDecoder {
  const model = createModel({ ...defaultSpec(kind, V, V, 'small'), dropout: 0 }, new Generator(seed));
  model.eval();
  return model;
}

/** Two sources (the second padded) and a teacher-forced target prefix. */
function batch() {
  const src = new Tensor(Int32Array.from([4, 5, 6, 7, 8, 5, PAD, PAD]), [2, 4]);
  const srcPad = fromData(Uint8Array.from([0, 0, 0, 0, 0, 0, 1, 1]), [2, 4], 'bool');
  const tgtIn = new Tensor(Int32Array.from([BOS, 7, 6, BOS, 5, 8]), [2, 3]);
  return { src, srcPad, tgtIn };
}

/** log of the mean of the members' probabilities, in double precision. */
const logMeanExp = (logProbs: number[]) => Math.log(logProbs.reduce((s, lp) => s + Math.exp(lp), 0) / logProbs.length);

const logSoftmaxRow = (row: ArrayLike<number>) => {
  const m = Math.max(...Array.from(row));
  const lse = m + Math.log(Array.from(row).reduce((s, x) => s + Math.exp(x - m), 0));
  return Array.from(row, (x) => x - lse);
};

test('an ensemble predicts the mean of its members’ distributions, teacher-forced and step by step', () => {
  const members = [member('bahdanau', 3), member('transformer', 4), member('bahdanau', 5)];
  const ensemble = new Ensemble(members);
  const { src, srcPad, tgtIn } = batch();
  noGrad(() => {
    const forced = ensemble.forward(src, srcPad, tgtIn).logits; // [2, 3, V]
    const each = members.map((m) => m.forward(src, srcPad, tgtIn).logits);
    let state = ensemble.start(src, srcPad);
    for (let t = 0; t < 3; t++) {
      const previous = new Tensor(Int32Array.from([tgtIn.data[t], tgtIn.data[3 + t]]), [2]);
      const out = ensemble.step(state, previous, t);
      state = out.state;
      for (let b = 0; b < 2; b++) {
        const at = (b * 3 + t) * V;
        const memberRows = each.map((l) => logSoftmaxRow(l.data.subarray(at, at + V)));
        const forcedRow = logSoftmaxRow(forced.data.subarray(at, at + V));
        for (let v = 0; v < V; v++) {
          const want = logMeanExp(memberRows.map((r) => r[v]));
          assert.ok(Math.abs(forcedRow[v] - want) < 2e-5, `forward b ${b} t ${t} v ${v}: ${forcedRow[v]} vs ${want}`);
          const stepped = out.logProbs.data[b * V + v];
          assert.ok(Math.abs(stepped - want) < 2e-5, `step b ${b} t ${t} v ${v}: ${stepped} vs ${want}`);
        }
      }
      assert.deepEqual(out.attention?.shape, [2, 4], 'the mean alignment over the source');
    }
  });
  assert.throws(() => new Ensemble([]), /Ensemble: needs at least one member, received 0/);
});

test('an ensemble of one is its member; beam search over an ensemble finds the exact best sequence of the mean', () => {
  const members = [member('bahdanau', 6), member('transformer', 7)];
  const src = new Tensor(Int32Array.from([5, 6]), [1, 2]);
  const srcPad = fromData(Uint8Array.from([0, 0]), [1, 2], 'bool');
  const [alone] = generate(members[0], src, srcPad, { beam: 3, maxLength: 4 });
  const [one] = generate(new Ensemble([members[0]]), src, srcPad, { beam: 3, maxLength: 4 });
  assert.deepEqual(one.tokens, alone.tokens);
  assert.equal(one.logProb, alone.logProb);

  // every sequence of at most 3 tokens ending in EOS, scored by stepping each member on its own
  const maxLength = 3;
  let best = { tokens: [] as number[], logProb: -Infinity };
  const walk = (prefix: number[], logProb: number) => {
    const rows = members.map((m) => {
      let state = m.start(src, srcPad);
      let out = null;
      for (let t = 0; t <= prefix.length; t++) {
        out = m.step(state, new Tensor(Int32Array.of(t === 0 ? BOS : prefix[t - 1]), [1]), t);
        state = out.state;
      }
      return Array.from(out!.logProbs.data);
    });
    for (let tok = 0; tok < V; tok++) {
      const score = logProb + logMeanExp(rows.map((r) => r[tok]));
      if (tok === EOS) {
        if (score > best.logProb) best = { tokens: prefix, logProb: score };
      } else if (prefix.length + 1 < maxLength) walk([...prefix, tok], score);
    }
  };
  noGrad(() => walk([], 0));
  const [found] = generate(new Ensemble(members), src, srcPad, { beam: V ** maxLength, maxLength, lengthPenalty: 0 });
  assert.deepEqual(found.tokens, best.tokens);
  assert.ok(Math.abs(found.logProb - best.logProb) < 1e-4, `${found.logProb} vs ${best.logProb}`);
});
