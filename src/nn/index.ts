// The `nn` namespace: layers with PyTorch's names and state_dict keys.
export { Module, ModuleList } from './module.js';
export { Linear, Embedding, LayerNorm, Dropout, parameter, uniform } from './layers.js';
export type { InitOptions } from './layers.js';
export { MultiheadAttention } from './multihead.js';
export type { MultiheadAttentionOptions, MultiheadForwardOptions, KeyValueCache } from './multihead.js';
export { GRU, LSTM, GRUCell, LSTMCell, gruStep, lstmStep } from './rnn.js';
export type { RNNOptions, RNNForwardOptions } from './rnn.js';
export {
  TransformerEncoderLayer,
  TransformerDecoderLayer,
  TransformerEncoder,
  TransformerDecoder,
  Transformer,
  SinusoidalPositionalEncoding,
  LearnedPositionalEncoding,
} from './transformer.js';
export type {
  TransformerLayerOptions,
  EncoderForwardOptions,
  DecoderForwardOptions,
  TransformerOptions,
} from './transformer.js';
export {
  AdditiveAttention,
  GeneralAttention,
  LocationAttention,
  CosineAttention,
  LocalAttention,
  AttentionPooling,
} from './attention-layers.js';
export type { AttentionCallOptions } from './attention-layers.js';
export { Conv2d } from './conv.js';
