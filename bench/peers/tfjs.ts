/**
 * TensorFlow.js peer of `npm run bench` (bench/run.ts), run in its own process:
 *   node --import tsx bench/peers/tfjs.ts wasm|cpu  < request.json
 * Reads the request (bench/cases.ts, PeerRequest) from stdin and prints JSON lines: { info } first,
 * then { key, result } per case as it finishes (bench/peers.ts keeps them if the process is killed). tfjs has no fused attention and no trainable
 * multi-head attention layer in tfjs-core, so attention is the explicit formula and the block
 * is written here with tfjs-core ops (its gradients through tf.variableGrads, via optimizer.minimize).
 * tfjs kernels run synchronously on both backends, so no dataSync is needed to finish a run.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { type BlockShape, type PeerRequest, attentionFlops } from '../cases.js';
import { type Outcome, isTiming, measure } from '../timing.js';

// tfjs-core's Node build leaves the gradients out (the @tensorflow/tfjs union package registers them).
// Its ES build registers them, but imports without file extensions, which Node's ESM loader refuses;
// loaded through require (tsx compiles it), they land in the same global registry and engine.
createRequire(import.meta.url)('@tensorflow/tfjs-core/dist/register_all_gradients.js');

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function attention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, scale: number): tf.Tensor {
  return tf.matMul(tf.softmax(tf.mul(tf.matMul(q, k, false, true), scale)), v);
}

function layerNorm(x: tf.Tensor2D, g: tf.Variable, b: tf.Variable): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), g), b);
}

/** The pre-LN encoder layer of PyTorch's nn.TransformerEncoderLayer(norm_first=True, dropout=0), in tfjs-core ops. */
function blockStep(s: BlockShape): () => void {
  const { B, T, dModel: E, nhead: H, ff } = s;
  const dh = E / H;
  const init = (shape: number[], fanIn: number) =>
    tf.variable(tf.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn)));
  const w = {
    inW: init([E, 3 * E], E),
    inB: tf.variable(tf.zeros([3 * E])),
    outW: init([E, E], E),
    outB: tf.variable(tf.zeros([E])),
    g1: tf.variable(tf.ones([E])),
    b1: tf.variable(tf.zeros([E])),
    g2: tf.variable(tf.ones([E])),
    b2: tf.variable(tf.zeros([E])),
    w1: init([E, ff], E),
    c1: tf.variable(tf.zeros([ff])),
    w2: init([ff, E], ff),
    c2: tf.variable(tf.zeros([E])),
  };
  const x = tf.randomNormal([B * T, E]) as tf.Tensor2D;
  const target = tf.randomNormal([B * T, E]) as tf.Tensor2D;
  const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, H, dh]), [0, 2, 1, 3]);
  const loss = (): tf.Scalar => {
    const h = layerNorm(x, w.g1, w.b1);
    const qkv = tf.add(tf.matMul(h, w.inW), w.inB);
    const [q, k, v] = tf.split(qkv, 3, 1);
    const o = attention(heads(q), heads(k), heads(v), 1 / Math.sqrt(dh)); // [B, H, T, dh]
    const merged = tf.reshape(tf.transpose(o, [0, 2, 1, 3]), [B * T, E]);
    const x1 = tf.add(x, tf.add(tf.matMul(merged, w.outW), w.outB));
    const h2 = layerNorm(x1 as tf.Tensor2D, w.g2, w.b2);
    const f = tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(h2, w.w1), w.c1)), w.w2), w.c2);
    const y = tf.add(x1, f);
    return tf.mean(tf.square(tf.sub(y, target)));
  };
  const opt = tf.train.adam(1e-3);
  const vars = Object.values(w);
  return () => {
    opt.minimize(loss, false, vars);
  };
}

const emit = (obj: unknown) => process.stdout.write(JSON.stringify(obj) + '\n');

async function main(): Promise<void> {
  const backend = process.argv[2] === 'cpu' ? 'cpu' : 'wasm';
  const req = JSON.parse(await readStdin()) as PeerRequest;
  await tf.setBackend(backend);
  await tf.ready();
  const info: Record<string, unknown> = { available: true, backend: tf.getBackend(), version: tf.version_core };
  if (backend === 'wasm') {
    info.threads = tfwasm.getThreadsCount();
    info.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    info.multithreadSupport = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  } else {
    info.threads = 1;
  }
  emit({ info });
  const budget = req.budget;
  const last = new Map<string, { ms: number; flops: number }>(); // predicts a slow case from the smaller one

  for (const n of req.gemm) {
    const a = tf.randomNormal([n, n]);
    const b = tf.randomNormal([n, n]);
    emit({ key: `gemm:${n}`, result: await measure(() => tf.tidy(() => tf.matMul(a, b)).dispose(), budget) });
    tf.dispose([a, b]);
  }

  for (const c of req.attention) {
    const shape = [c.B, c.H, c.T, c.d];
    const [q, k, v, dy] = [0, 1, 2, 3].map(() => tf.randomNormal(shape));
    const scale = 1 / Math.sqrt(c.d);
    const run = c.backward
      ? () =>
          tf.dispose(tf.grads((a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) => attention(a, b, d, scale))([q, k, v], dy))
      : () => tf.tidy(() => attention(q, k, v, scale)).dispose();
    const flops = attentionFlops(c, c.backward);
    const prev = last.get(String(c.backward));
    const result = await measure(run, budget, prev ? (prev.ms * flops) / prev.flops : undefined);
    if (isTiming(result)) last.set(String(c.backward), { ms: result.median, flops });
    emit({ key: c.key, result });
    tf.dispose([q, k, v, dy]);
  }

  if (req.block) {
    let result: Outcome;
    try {
      result = await measure(blockStep(req.block), budget);
    } catch (e) {
      result = { error: (e as Error).message.split('\n')[0] };
    }
    emit({ key: req.block.key, result });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    emit({ info: { available: false, reason: String(e) } });
    process.exit(0);
  },
);
