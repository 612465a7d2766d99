/**
 * The model as the page runs it: rebuilt from the run's config.json and safetensors bytes with
 * the same package the CLI uses (browser-safe core, WebAssembly kernels), so the page predicts
 * what `attend predict --beam 1` predicts. Shared by the page's worker and the Node tests.
 */
import {
  Generator,
  TransformerSeq2Seq,
  createModel,
  data,
  decodeSafetensors,
  mul,
  noGrad,
  predictSequences,
  type EncoderDecoder,
  type ModelSpec,
  type Tensor,
  type nn,
} from '../../src/index.js';

/** Longest word the page accepts: the Transformer's positions stop at maxLength (64 by default) and output runs to 2S + 10. */
export const MAX_WORD_LETTERS = 24;

export interface PageRunConfig {
  task: string;
  model: ModelSpec;
  srcVocab: data.VocabJSON;
  tgtVocab: data.VocabJSON;
}

export interface PageModel {
  spec: ModelSpec;
  model: EncoderDecoder & nn.Module;
  srcVocab: data.Vocab;
  tgtVocab: data.Vocab;
}

/** Attention of one prediction: weights[layer][head][t][s], t over output tokens, s over letters. */
export interface AttentionMaps {
  layers: number;
  heads: number;
  weights: number[][][][];
  /** What the CLI draws: the last layer averaged over heads (Transformer), or the single map. */
  averaged: number[][];
}

export interface Pronunciation {
  word: string;
  letters: string[];
  /** Letters the vocabulary does not know (read as <unk>). */
  unknownLetters: string[];
  phonemes: string[];
  /** null for the plain seq2seq model, which has no attention. */
  maps: AttentionMaps | null;
}

/** Rebuild the model of a run; `config` is the parsed config.json (checked here: it came over the network). */
export function loadPageModel(config: unknown, weights: Uint8Array): PageModel {
  const c = config as Partial<PageRunConfig> | null;
  if (!c || typeof c !== 'object' || !c.model || typeof c.model.kind !== 'string')
    throw new Error(
      `config.json: expected a run config with a model spec, received ${JSON.stringify(config)?.slice(0, 80)}`,
    );
  if (c.task !== 'g2p')
    throw new Error(`config.json: the page pronounces words, so task must be 'g2p', received '${c.task}'`);
  const srcVocab = data.Vocab.fromJSON(c.srcVocab!);
  const tgtVocab = data.Vocab.fromJSON(c.tgtVocab!);
  const model = createModel(c.model, new Generator(0));
  const { tensors } = decodeSafetensors(weights);
  model.loadStateDict(tensors);
  model.eval();
  return { spec: c.model, model, srcVocab, tgtVocab };
}

/** The letters of a word, as `attend predict` reads them; throws a clear error on bad input. */
export function lettersOf(word: string): string[] {
  const letters = [...word.trim().toLowerCase()];
  if (letters.length === 0) throw new Error('word: expected at least one letter, received an empty word');
  if (letters.length > MAX_WORD_LETTERS)
    throw new Error(`word: expected at most ${MAX_WORD_LETTERS} letters, received ${letters.length}`);
  return letters;
}

/** Greedy decoding (beam 1), then every layer's and head's map where the model has them. */
export function pronounce(m: PageModel, word: string): Pronunciation {
  const letters = lettersOf(word);
  const [p] = predictSequences(m.model, [letters], m.srcVocab, m.tgtVocab, { beam: 1 });
  const unknownLetters = [...new Set(letters.filter((l) => !m.srcVocab.has(l)))];
  let maps: AttentionMaps | null = null;
  if (p.attention) {
    const averaged = p.attention.slice(0, p.tokens.length);
    maps =
      m.model instanceof TransformerSeq2Seq
        ? transformerMaps(m, letters, p.tokens, averaged)
        : { layers: 1, heads: 1, weights: [[averaged]], averaged };
  }
  return { word, letters, unknownLetters, phonemes: p.tokens, maps };
}

/**
 * The Transformer decodes greedily with the whole prefix each step, so one teacher-forced pass
 * over BOS + the predicted phonemes reproduces every step's cross-attention, now for every
 * layer and head. (The model's own embed/encode are private; this is the same three lines,
 * and a test checks the last layer's head average against what decoding returned.)
 */
function transformerMaps(m: PageModel, letters: string[], phonemes: string[], averaged: number[][]): AttentionMaps {
  const model = m.model as TransformerSeq2Seq;
  const { src, srcPad, tgtIn } = data.padBatch([{ src: m.srcVocab.encode(letters), tgt: m.tgtVocab.encode(phonemes) }]);
  const scale = Math.sqrt(model.config.dModel);
  // eval mode: dropout is the identity, so embed = positions(emb(ids) · √d)
  const embed = (emb: nn.Embedding, ids: Tensor) => model.positions.forward(mul(emb.forward(ids), scale)); // [1, L, E]
  const cross: Tensor[] = noGrad(() => {
    const memory = model.encoder.forward(embed(model.src_embedding, src), { srcKeyPaddingMask: srcPad }); // [1, S, E]
    const maps: { self: Tensor; cross: Tensor }[] = [];
    model.decoder.forward(embed(model.tgt_embedding, tgtIn), memory, {
      tgtIsCausal: true,
      memoryKeyPaddingMask: srcPad,
      attentionMaps: maps,
    });
    return maps.map((x) => x.cross); // each [1, h, T, S], T = phonemes + 1 (the last row predicts EOS)
  });
  const T = phonemes.length;
  const S = letters.length;
  const weights = cross.map((w) => {
    const [, H, Tw, Sw] = w.shape;
    return Array.from({ length: H }, (_, h) =>
      Array.from({ length: T }, (_, t) => Array.from(w.data.subarray((h * Tw + t) * Sw, (h * Tw + t) * Sw + S))),
    );
  });
  return { layers: weights.length, heads: weights[0]?.length ?? 0, weights, averaged };
}
