/**
 * A tiny g2p run directory for the serve tests, made in seconds: a handful of words, a small
 * model trained for a few dozen steps (so its greedy outputs are decisive, not coin flips of an
 * untrained model), and the files `attend train` / `attend eval` write: config.json,
 * best.safetensors, log.jsonl, eval.json.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Adam,
  Generator,
  createModel,
  data,
  metrics,
  predictSequences,
  seq2seqLoss,
  type ModelSpec,
} from '../../src/index.js';
import { saveWeights, writeJson } from '../../src/cli/run-dir.js';

export const TINY_WORDS: [string, string][] = [
  ['cat', 'K AE1 T'],
  ['bat', 'B AE1 T'],
  ['tab', 'T AE1 B'],
  ['cab', 'K AE1 B'],
  ['act', 'AE1 K T'],
  ['tack', 'T AE1 K'],
  ['back', 'B AE1 K'],
  ['attack', 'AH0 T AE1 K'],
];

export function tinySpec(kind: ModelSpec['kind'], srcVocab: number, tgtVocab: number): ModelSpec {
  if (kind === 'transformer')
    return {
      kind,
      srcVocab,
      tgtVocab,
      dModel: 32,
      nhead: 2,
      encoderLayers: 2,
      decoderLayers: 2,
      dimFeedforward: 64,
      dropout: 0,
      normFirst: true,
      maxLength: 64,
    };
  if (kind === 'luong')
    return {
      kind,
      srcVocab,
      tgtVocab,
      embed: 16,
      hidden: 32,
      layers: 1,
      dropout: 0,
      score: 'general',
      window: 'local-m',
      D: 1,
    };
  return { kind, srcVocab, tgtVocab, embed: 16, hidden: 32, layers: 1, dropout: 0 };
}

/** Make the run; returns its directory. */
export function makeTinyRun(kind: ModelSpec['kind'] = 'transformer', steps = 60): string {
  const dir = mkdtempSync(join(tmpdir(), 'attend-serve-run-'));
  const sources = TINY_WORDS.map(([w]) => [...w]);
  const targets = TINY_WORDS.map(([, p]) => p.split(' '));
  const srcVocab = data.Vocab.fromTokens(sources.flat());
  const tgtVocab = data.Vocab.fromTokens(targets.flat());
  const spec = tinySpec(kind, srcVocab.size, tgtVocab.size);
  const model = createModel(spec, new Generator(7));
  const batch = data.padBatch(sources.map((s, i) => ({ src: srcVocab.encode(s), tgt: tgtVocab.encode(targets[i]) })));
  const optimizer = new Adam(model.parameters(), { lr: 1e-2 });
  const log: string[] = [];
  model.train();
  for (let step = 1; step <= steps; step++) {
    optimizer.zeroGrad();
    const loss = seq2seqLoss(model.forward(batch.src, batch.srcPad, batch.tgtIn).logits, batch.tgtOut);
    loss.backward();
    optimizer.step();
    if (step % 10 === 0) log.push(JSON.stringify({ type: 'step', step, epoch: 0, loss: loss.item() }));
  }
  model.eval();
  const predictions = predictSequences(model, sources, srcVocab, tgtVocab).map((p) => p.tokens);
  const scores = metrics.scoreG2P(
    predictions,
    targets.map((t) => [t]),
    sources.map((s) => s.length),
  );
  log.push(
    JSON.stringify({
      type: 'eval',
      step: steps,
      epoch: 0,
      score: scores.wer,
      metrics: { wer: scores.wer, per: scores.per },
    }),
  );
  log.push('{"type":"step","step":'); // a torn last line, as a run still training may leave
  writeJson(join(dir, 'config.json'), {
    task: 'g2p',
    model: spec,
    srcVocab: srcVocab.toJSON(),
    tgtVocab: tgtVocab.toJSON(),
    tokenizer: { source: 'chars', target: 'phonemes' },
    train: { steps },
    data: { words: TINY_WORDS.length },
    attendVersion: 'test',
    createdAt: new Date(0).toISOString(),
  });
  saveWeights(join(dir, 'best.safetensors'), model);
  writeFileSync(join(dir, 'log.jsonl'), log.join('\n'));
  writeJson(join(dir, 'eval.json'), { split: 'test', beam: 1, scores });
  return dir;
}
