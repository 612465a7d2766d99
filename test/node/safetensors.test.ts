// safetensors files: fixtures written by an independent Python implementation
// (tools/golden/gen_safetensors.py, PyTorch 1.13), a PyTorch MultiheadAttention's weights loaded
// into ours, and module round trips through real files.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Generator, Tensor, nn, randn } from '../../src/index.js';
import { encodeSafetensors, inspectSafetensors } from '../../src/io/index.js';
import {
  inspectSafetensorsFile,
  loadSafetensors,
  loadSafetensorsWithMetadata,
  saveSafetensors,
} from '../../src/node/index.js';

const fixture = (name: string) => new URL(`../fixtures/safetensors/${name}`, import.meta.url).pathname;
// float32 on both sides; only the order of summation differs
const TOL = 1e-5;

function assertClose(what: string, got: Tensor, want: Tensor): void {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  let worst = 0;
  for (let i = 0; i < got.size; i++) worst = Math.max(worst, Math.abs(got.data[i] - want.data[i]));
  assert.ok(worst <= TOL, `${what}: max |ours - torch| = ${worst}, expected ≤ ${TOL}`);
}

test('every dtype of a file written by hand in Python, at unaligned offsets, reads back its known values', () => {
  const { tensors: t, metadata } = loadSafetensorsWithMetadata(fixture('dtypes.safetensors'));
  assert.deepEqual(metadata, { note: 'written by hand: struct + json', unicode: 'éè ✓' });
  const values = (x: Tensor) => Array.from(x.data);
  assert.deepEqual(values(t.bool), [1, 0, 1]);
  assert.equal(t.bool.dtype, 'bool');
  assert.deepEqual(values(t.f64), [Math.PI, -1e-300, 2 ** 60]);
  assert.equal(t.f64.dtype, 'float64');
  assert.deepEqual(values(t.f32), [1.5, -2.25, Infinity, -0, 3.4028234663852886e38, Math.fround(1e-45)]);
  assert.deepEqual(t.f32.shape, [2, 3]);
  assert.deepEqual(values(t.f16), [1, -2, 65504, 2 ** -24, 0.333251953125, -Infinity]);
  assert.deepEqual(t.f16.shape, [3, 2]);
  assert.equal(t.f16.dtype, 'float32');
  assert.deepEqual(values(t.bf16), [1, -5, 3.140625, 0.0078125]);
  assert.deepEqual(values(t.i64), [-2147483648, 2147483647, -1, 0, 42, 7]);
  assert.equal(t.i64.dtype, 'int32');
  assert.deepEqual(values(t.i32), [-7, 0, 123456789]);
  assert.deepEqual(values(t.i16), [-32768, 32767]);
  assert.deepEqual(values(t.i8), [-128, 127, 0]);
  assert.deepEqual(values(t.u8), [0, 1, 255, 128]);
  assert.deepEqual(t.empty.shape, [0, 3]);
  assert.equal(t.scalar.item(), 2.5);
  assert.deepEqual(t.scalar.shape, []);
  // the fixture really is laid out unaligned, with JSON keys in another order than the data
  const header = inspectSafetensorsFile(fixture('dtypes.safetensors'));
  assert.notEqual(header.headerBytes % 8, 0);
  assert.equal(header.entries.find((e) => e.name === 'f64')!.dataOffsets[0], 3);
});

test('torch.nn.MultiheadAttention weights load into ours and give PyTorch’s output (1e-5)', () => {
  const t = loadSafetensors(fixture('torch_mha.safetensors')).tensors;
  const state = Object.fromEntries(Object.entries(t).filter(([k]) => !/^(input|output)\./.test(k)));
  assert.deepEqual(Object.keys(state).sort(), ['in_proj_bias', 'in_proj_weight', 'out_proj.bias', 'out_proj.weight']);
  const mha = new nn.MultiheadAttention(8, 2, { generator: new Generator(0) });
  mha.loadStateDict(state);
  mha.eval();
  const q = t['input.query']; // [2, 3, 8]
  const kv = t['input.key']; // [2, 5, 8]
  const { output, weights } = mha.forward(q, kv, kv);
  assertClose('attn_output', output, t['output.attn_output']);
  assertClose('attn_output_weights', weights!, t['output.attn_output_weights']);
  // a different model would not pass: the check can fail
  const other = new nn.MultiheadAttention(8, 2, { generator: new Generator(1) });
  assert.throws(() => assertClose('untrained', other.forward(q, kv, kv).output, t['output.attn_output']));
});

test('our writer reproduces the reference layout of the Python-written file byte for byte', () => {
  const bytes = new Uint8Array(fs.readFileSync(fixture('torch_mha.safetensors')));
  const { tensors, metadata } = loadSafetensorsWithMetadata(bytes);
  assert.deepEqual(encodeSafetensors(tensors, metadata), bytes);
  assert.deepEqual(inspectSafetensorsFile(fixture('torch_mha.safetensors')), inspectSafetensors(bytes));
});

test('a module’s stateDict saved to a file loads into a fresh module with identical parameters', () => {
  const dir = fs.mkdtempSync(join(tmpdir(), 'attend-st-'));
  try {
    const gen = new Generator(7);
    const linear = new nn.Linear(5, 3, { generator: gen });
    const path = join(dir, 'linear.safetensors');
    saveSafetensors(path, linear.stateDict(), { epoch: '3' });
    assert.deepEqual(fs.readdirSync(dir), ['linear.safetensors']);
    const fresh = new nn.Linear(5, 3, { generator: new Generator(8) });
    assert.notDeepEqual(Array.from(fresh.weight.data), Array.from(linear.weight.data));
    fresh.loadStateDict(loadSafetensors(path).tensors);
    assert.deepEqual(Array.from(fresh.weight.data), Array.from(linear.weight.data));
    assert.deepEqual(Array.from(fresh.bias!.data), Array.from(linear.bias!.data));
    const x = randn([4, 5], { generator: gen });
    assert.deepEqual(Array.from(fresh.forward(x).data), Array.from(linear.forward(x).data));
    assert.deepEqual(loadSafetensorsWithMetadata(path).metadata, { epoch: '3' });
    // bytes work as well as a path
    assert.deepEqual(Object.keys(loadSafetensors(new Uint8Array(fs.readFileSync(path))).tensors).sort(), [
      'bias',
      'weight',
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('errors from a damaged file name the file', () => {
  const dir = fs.mkdtempSync(join(tmpdir(), 'attend-st-'));
  try {
    const path = join(dir, 'cut.safetensors');
    const bytes = encodeSafetensors({ w: new Tensor(new Float32Array(4), [4]) });
    fs.writeFileSync(path, bytes.subarray(0, bytes.length - 1));
    assert.throws(() => loadSafetensors(path), /decodeSafetensors: tensor "w": data_offsets \[0, 16\] end beyond the data buffer, which has 15 bytes \(in .*cut\.safetensors\)/); // prettier-ignore
    assert.throws(() => inspectSafetensorsFile(path), /inspectSafetensors: .* \(in .*cut\.safetensors\)/);
    assert.throws(() => loadSafetensors(join(dir, 'missing.safetensors')), /readFileChecked: cannot open .*missing/);
    fs.writeFileSync(path, new Uint8Array([255, 255, 255, 255, 255, 255, 255, 255, 123]));
    assert.throws(
      () => inspectSafetensorsFile(path),
      /header length \(bytes 0-7\) is 18446744073709551615, expected at most/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
