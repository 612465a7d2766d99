// Every op, one import. Each op's forward and backward live together in its file.
export * from './creation.js';
export * from './elementwise.js';
export * from './reduce.js';
export * from './shape.js';
export * from './linalg.js';
export * from './indexing.js';
export * from './nn.js';
export * from './conv.js';
export * from './sdpa.js';
export * from './rnn.js';
export * from './additive.js';
