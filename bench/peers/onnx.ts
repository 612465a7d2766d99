/**
 * ONNX Runtime peer of `npm run bench` (bench/run.ts), run in its own process:
 *   node --import tsx bench/peers/onnx.ts  < request.json
 * Same protocol as peers/tfjs.ts: reads the request (bench/cases.ts, PeerRequest) from stdin and
 * prints JSON lines, { info } first, then { key, result } per case.
 *
 * onnxruntime-node is not a dependency of attend: it lives in bench/peers/onnx/ (its own
 * package.json and lock), installed there by bench/peers.ts on first use. It is loaded from that
 * folder by path, so attend's typecheck never needs it. It is inference only: the fwd+bwd rows are
 * reported as not measured.
 *
 * The graph is the explicit formula, built here as ONNX protobuf bytes (a few message types, no
 * protobuf library needed): O = Softmax(MatMul(Q, Transpose(K)) · scale) · V, opset 17. ONNX
 * Runtime's graph optimiser may fuse what it recognises; that is its own business, as PyTorch's SDPA.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type PeerRequest, attentionFlops } from '../cases.js';
import { isTiming, measure } from '../timing.js';

/** The parts of onnxruntime-node used here (its types live in a folder attend's tsc does not see). */
interface Ort {
  env: { versions: { common: string } };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => unknown;
  InferenceSession: {
    create(
      model: Uint8Array,
      options: { intraOpNumThreads: number; interOpNumThreads: number; graphOptimizationLevel: string },
    ): Promise<{ run(feeds: Record<string, unknown>): Promise<Record<string, { data: Float32Array }>> }>;
  };
}

/** Threads of ONNX Runtime's intra-op pool: the machine's two cores, as PyTorch's BLAS gets. */
const THREADS = 2;

// --- a minimal protobuf writer: varints and length-delimited fields (floats go packed) ---

type Bytes = number[];

function varint(out: Bytes, value: number): void {
  let v = BigInt(value);
  if (v < 0n) v += 1n << 64n; // negative int64: two's complement, ten bytes
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
}

const WIRE_VARINT = 0;
const WIRE_LEN = 2;

function key(out: Bytes, field: number, wire: number): void {
  varint(out, (field << 3) | wire);
}
function int(out: Bytes, field: number, value: number): void {
  key(out, field, WIRE_VARINT);
  varint(out, value);
}
function bytes(out: Bytes, field: number, body: Bytes | Uint8Array): void {
  key(out, field, WIRE_LEN);
  varint(out, body.length);
  for (const b of body) out.push(b);
}
function str(out: Bytes, field: number, text: string): void {
  bytes(out, field, new TextEncoder().encode(text));
}
function msg(build: (out: Bytes) => void): Bytes {
  const out: Bytes = [];
  build(out);
  return out;
}

// --- ONNX messages (field numbers from onnx/onnx.proto3) ---

const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR_INT = 2;
const ATTR_INTS = 7;

/** ValueInfoProto of a float tensor with a fixed shape. */
function valueInfo(name: string, dims: number[]): Bytes {
  return msg((o) => {
    str(o, 1, name);
    bytes(
      o,
      2, // type: TypeProto
      msg((t) =>
        bytes(
          t,
          1, // tensor_type: TypeProto.Tensor
          msg((tt) => {
            int(tt, 1, FLOAT); // elem_type
            bytes(
              tt,
              2, // shape: TensorShapeProto
              msg((s) =>
                dims.forEach((d) =>
                  bytes(
                    s,
                    1,
                    msg((dim) => int(dim, 1, d)),
                  ),
                ),
              ), // dim { dim_value }
            );
          }),
        ),
      ),
    );
  });
}

/** NodeProto with int / ints attributes. */
function node(op: string, inputs: string[], outputs: string[], attrs: Record<string, number | number[]> = {}): Bytes {
  return msg((o) => {
    inputs.forEach((x) => str(o, 1, x));
    outputs.forEach((x) => str(o, 2, x));
    str(o, 3, `${op}_${outputs[0]}`);
    str(o, 4, op);
    for (const [name, value] of Object.entries(attrs)) {
      bytes(
        o,
        5, // attribute: AttributeProto
        msg((a) => {
          str(a, 1, name);
          if (Array.isArray(value))
            value.forEach((v) => int(a, 8, v)); // ints
          else int(a, 3, value); // i
          int(a, 20, Array.isArray(value) ? ATTR_INTS : ATTR_INT); // type
        }),
      );
    }
  });
}

/** A scalar float initializer (TensorProto with float_data). */
function scalar(name: string, value: number): Bytes {
  return msg((o) => {
    int(o, 2, FLOAT); // data_type; no dims: a scalar
    const f = new Uint8Array(new Float32Array([value]).buffer);
    bytes(o, 4, f); // float_data, packed (one fixed32)
    str(o, 8, name);
  });
}

/** The ModelProto of attention over q, k, v [B, H, T, d] → o [B, H, T, d]. */
export function attentionModel(B: number, H: number, T: number, d: number): Uint8Array {
  const shape = [B, H, T, d];
  const graph = msg((g) => {
    bytes(g, 1, node('Transpose', ['k'], ['kt'], { perm: [0, 1, 3, 2] })); // [B, H, d, T]
    bytes(g, 1, node('MatMul', ['q', 'kt'], ['scores'])); // [B, H, T, T]
    bytes(g, 1, node('Mul', ['scores', 'scale'], ['scaled']));
    bytes(g, 1, node('Softmax', ['scaled'], ['weights'], { axis: -1 }));
    bytes(g, 1, node('MatMul', ['weights', 'v'], ['o'])); // [B, H, T, d]
    str(g, 2, 'attention');
    bytes(g, 5, scalar('scale', 1 / Math.sqrt(d)));
    for (const name of ['q', 'k', 'v']) bytes(g, 11, valueInfo(name, shape));
    bytes(g, 12, valueInfo('o', shape));
  });
  const model = msg((m) => {
    int(m, 1, 8); // ir_version 8 (ONNX 1.10+)
    str(m, 2, 'attend-bench');
    bytes(m, 7, graph);
    bytes(
      m,
      8,
      msg((op) => int(op, 2, 17)),
    ); // opset_import: default domain, version 17
  });
  return Uint8Array.from(model);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const emit = (obj: unknown) => process.stdout.write(JSON.stringify(obj) + '\n');

/** A seeded stream of normal-ish floats (sum of uniforms): the inputs only need to be ordinary numbers. */
function randomInput(length: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

async function main(): Promise<void> {
  const req = JSON.parse(await readStdin()) as PeerRequest;
  const folder = fileURLToPath(new URL('./onnx/', import.meta.url));
  const ort = createRequire(folder)('onnxruntime-node') as Ort;
  emit({ info: { available: true, version: ort.env.versions.common, threads: THREADS } });
  const budget = req.budget;
  const last: { ms: number; flops: number }[] = [];
  for (const c of req.attention) {
    if (c.backward) {
      emit({ key: c.key, result: { skipped: 'inference only (onnxruntime-node has no training)' } });
      continue;
    }
    const session = await ort.InferenceSession.create(attentionModel(c.B, c.H, c.T, c.d), {
      intraOpNumThreads: THREADS,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    const dims = [c.B, c.H, c.T, c.d];
    const size = c.B * c.H * c.T * c.d;
    const feeds = {
      q: new ort.Tensor('float32', randomInput(size, 1), dims),
      k: new ort.Tensor('float32', randomInput(size, 2), dims),
      v: new ort.Tensor('float32', randomInput(size, 3), dims),
    };
    const flops = attentionFlops(c, false);
    const prev = last[0];
    const result = await measure(() => session.run(feeds), budget, prev ? (prev.ms * flops) / prev.flops : undefined);
    if (isTiming(result)) last[0] = { ms: result.median, flops };
    emit({ key: c.key, result });
  }
}

// run as a script (the bench), not when imported (a check of the graph)
if (process.argv[1] === fileURLToPath(import.meta.url))
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      emit({ info: { available: false, reason: String(e).split('\n')[0] } });
      process.exit(0);
    },
  );
