import type { Module } from '../../nn/module.js';
import type { Generator } from '../../tensor/random.js';
import { Bahdanau, Luong, PlainSeq2Seq } from './rnn-models.js';
import { TransformerSeq2Seq } from './transformer-model.js';
import type { EncoderDecoder } from './types.js';

export const MODEL_KINDS = ['transformer', 'bahdanau', 'luong', 'seq2seq'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/**
 * Everything needed to rebuild a model before loading its weights: saved in a run's
 * config.json, so `eval`, `predict` and the web page construct the same architecture.
 */
export type ModelSpec =
  | {
      kind: 'transformer';
      srcVocab: number;
      tgtVocab: number;
      dModel: number;
      nhead: number;
      encoderLayers: number;
      decoderLayers: number;
      dimFeedforward: number;
      dropout: number;
      normFirst: boolean;
      maxLength: number;
    }
  | {
      kind: 'bahdanau' | 'seq2seq';
      srcVocab: number;
      tgtVocab: number;
      embed: number;
      hidden: number;
      layers: number;
      dropout: number;
    }
  | {
      kind: 'luong';
      srcVocab: number;
      tgtVocab: number;
      embed: number;
      hidden: number;
      layers: number;
      dropout: number;
      score: 'dot' | 'general' | 'concat';
      window: 'global' | 'local-m' | 'local-p';
      D: number;
    };

export const MODEL_SIZES = ['small', 'base', 'large'] as const;
export type ModelSize = (typeof MODEL_SIZES)[number];

/**
 * Default sizes. 'base' learns G2P well in tens of minutes on two CPU cores; 'small' (about a
 * sixth of the computation) is for runs of a few minutes, such as `npm start`; 'large' (about
 * twice the computation of 'base') is for runs of hours, such as the two-hour recipe.
 */
export function defaultSpec(kind: ModelKind, srcVocab: number, tgtVocab: number, size: ModelSize = 'base'): ModelSpec {
  if (size === 'small') return shrink(defaultSpec(kind, srcVocab, tgtVocab, 'base'));
  if (size === 'large') return grow(defaultSpec(kind, srcVocab, tgtVocab, 'base'));
  switch (kind) {
    case 'transformer':
      return {
        kind,
        srcVocab,
        tgtVocab,
        dModel: 128,
        nhead: 4,
        encoderLayers: 3,
        decoderLayers: 3,
        dimFeedforward: 512,
        dropout: 0.1,
        normFirst: true,
        maxLength: 64,
      };
    case 'luong':
      return {
        kind,
        srcVocab,
        tgtVocab,
        embed: 64,
        hidden: 192,
        layers: 2,
        dropout: 0.1,
        score: 'general',
        window: 'global',
        D: 3,
      };
    case 'bahdanau':
      return { kind, srcVocab, tgtVocab, embed: 64, hidden: 192, layers: 1, dropout: 0.1 };
    case 'seq2seq':
      return { kind, srcVocab, tgtVocab, embed: 64, hidden: 192, layers: 2, dropout: 0.1 };
  }
  throw new Error(`model: kind must be one of ${MODEL_KINDS.join(', ')}, received '${String(kind)}'`);
}

function grow(spec: ModelSpec): ModelSpec {
  if (spec.kind === 'transformer') return { ...spec, dModel: 192, dimFeedforward: 768 };
  return { ...spec, embed: 96, hidden: 256 };
}

function shrink(spec: ModelSpec): ModelSpec {
  if (spec.kind === 'transformer')
    return { ...spec, dModel: 64, nhead: 4, encoderLayers: 2, decoderLayers: 2, dimFeedforward: 256 };
  return { ...spec, embed: 32, hidden: 96 };
}

export function createModel(spec: ModelSpec, generator: Generator): EncoderDecoder & Module {
  switch (spec.kind) {
    case 'transformer':
      return new TransformerSeq2Seq({ ...spec, generator });
    case 'bahdanau':
      return new Bahdanau({ ...spec, generator });
    case 'seq2seq':
      return new PlainSeq2Seq({ ...spec, generator });
    case 'luong':
      return new Luong({ ...spec, generator });
  }
  throw new Error(
    `model: kind must be one of ${MODEL_KINDS.join(', ')}, received '${String((spec as { kind: unknown }).kind)}'`,
  );
}
