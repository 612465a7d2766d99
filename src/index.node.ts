/**
 * attend for Node: everything in the browser-safe core (./index.ts) plus what needs Node:
 * files (atomic writes, safetensors on disk), PNG encoding, and worker threads.
 * `import ... from 'attend'` resolves here under Node (the package's "node" export condition).
 */
export * from './index.js';
export * from './node/index.js';
export { encodePng, decodePng, writePng } from './node/png.js';
export { loadFashionMnist, FASHION_MNIST_DIR } from './node/fashion-mnist.js';
export {
  createNativeKernels,
  installNodeKernels,
  nativeUnavailableReason,
  type NativeOptions,
  type NativeKernels,
} from './node/native.js';
