export { PAD, BOS, EOS } from './types.js';
export type { EncoderDecoder, Seq2SeqOutput, DecodeState, StepOutput } from './types.js';
export { generate, selectRows } from './decode.js';
export type { GenerateOptions, Hypothesis } from './decode.js';
export { PlainSeq2Seq, Bahdanau, Luong } from './rnn-models.js';
export type { RnnSeq2SeqConfig, LuongConfig } from './rnn-models.js';
export { TransformerSeq2Seq } from './transformer-model.js';
export type { TransformerSeq2SeqConfig } from './transformer-model.js';
