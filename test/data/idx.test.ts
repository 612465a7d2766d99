// The IDX reader (src/data/idx.ts): values read back from hand-written big-endian bytes, and a
// clear error for every way a header can lie about the bytes that follow.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeIdx, parseIdx } from '../../src/data/idx.js';

const header = (code: number, dims: number[]) => {
  const out = [0, 0, code, dims.length];
  for (const d of dims) out.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return out;
};

test('parseIdx reads uint8 images as MNIST lays them out: [N, H, W], row-major', () => {
  const bytes = new Uint8Array([...header(0x08, [2, 2, 3]), 0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
  const t = parseIdx(bytes);
  assert.equal(t.type, 'uint8');
  assert.deepEqual(t.shape, [2, 2, 3]);
  assert.deepEqual([...t.data], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
});

test('parseIdx converts big-endian int16, int32, float32 and float64 to native values', () => {
  // int16 0x0102 = 258 and 0xFFFE = −2; int32 0x00010000 = 65536 and 0xFFFFFFFF = −1
  assert.deepEqual([...parseIdx(new Uint8Array([...header(0x0b, [2]), 0x01, 0x02, 0xff, 0xfe])).data], [258, -2]);
  assert.deepEqual(
    [...parseIdx(new Uint8Array([...header(0x0c, [2]), 0, 1, 0, 0, 0xff, 0xff, 0xff, 0xff])).data],
    [65536, -1],
  );
  // float32 1.5 = 0x3FC00000; float64 −2.25 = 0xC002000000000000
  assert.deepEqual([...parseIdx(new Uint8Array([...header(0x0d, [1]), 0x3f, 0xc0, 0, 0])).data], [1.5]);
  assert.deepEqual([...parseIdx(new Uint8Array([...header(0x0e, [1]), 0xc0, 0x02, 0, 0, 0, 0, 0, 0])).data], [-2.25]);
  // int8 0xFF = −1
  assert.deepEqual([...parseIdx(new Uint8Array([...header(0x09, [2]), 0xff, 0x05])).data], [-1, 5]);
});

test('encodeIdx writes what parseIdx reads, for every type', () => {
  const cases = [
    { type: 'uint8', data: Uint8Array.from([0, 7, 255]) },
    { type: 'int8', data: Int8Array.from([-128, 0, 127]) },
    { type: 'int16', data: Int16Array.from([-32768, 1, 32767]) },
    { type: 'int32', data: Int32Array.from([-(2 ** 31), 3, 2 ** 31 - 1]) },
    { type: 'float32', data: Float32Array.from([-0.5, 0, 3.25]) },
    { type: 'float64', data: Float64Array.from([Math.PI, -1e300, 5e-324]) },
  ] as const;
  for (const c of cases) {
    const back = parseIdx(encodeIdx({ type: c.type, shape: [3], data: c.data }));
    assert.equal(back.type, c.type);
    assert.deepEqual([...back.data], [...c.data], c.type);
  }
  // and the header bytes are MNIST's: 00 00 08 03, then big-endian sizes
  const mnistLike = encodeIdx({ type: 'uint8', shape: [1, 28, 28], data: new Uint8Array(784) });
  assert.deepEqual([...mnistLike.subarray(0, 16)], header(0x08, [1, 28, 28]));
  assert.equal(mnistLike.length, 16 + 784);
});

test('parseIdx names the problem: magic, type code, dimensions, truncation, trailing bytes, lying sizes', () => {
  const reject = (bytes: number[], pattern: RegExp) =>
    assert.throws(
      () => parseIdx(new Uint8Array(bytes), 'f.idx'),
      (e: Error) => e.message.startsWith('parseIdx: f.idx: ') && pattern.test(e.message),
    );
  reject([0, 0, 8], /at least a 4-byte header, received 3 bytes/);
  reject([0x1f, 0x8b, 8, 0], /bad magic: expected 0x00 0x00, received 0x1f 0x8b .*gzipped/);
  reject([0, 0, 0x0a, 1, 0, 0, 0, 1, 0], /unknown type code 0x0a/);
  reject([0, 0, 8, 0], /number of dimensions is 0/);
  reject([0, 0, 8, 3, 0, 0, 0, 1], /declares 3 dimensions \(16 header bytes\), but the data holds only 8 bytes/);
  reject([...header(0x08, [2, 3]), 1, 2, 3, 4, 5], /shape \[2, 3\] of uint8 \(6 bytes of values\), but 5 bytes follow the header \(truncated file\?\)/); // prettier-ignore
  reject([...header(0x08, [2]), 1, 2, 3], /shape \[2\] .* but 3 bytes follow the header \(trailing bytes\)/);
  reject([...header(0x0c, [1]), 1, 2, 3], /shape \[1\] of int32 \(more than 3 bytes/);
  // a header claiming 4 billion × 4 billion images is refused before anything is allocated
  reject(
    [...header(0x08, [0xffffffff, 0xffffffff, 28]), 1, 2, 3],
    /shape \[4294967295, 4294967295, 28\] of uint8 \(more than 3 bytes/,
  );
});

test('parseIdx accepts a zero-sized dimension with no values, and refuses any value after it', () => {
  assert.deepEqual(parseIdx(new Uint8Array(header(0x08, [0, 28, 28]))).shape, [0, 28, 28]);
  assert.throws(() => parseIdx(new Uint8Array([...header(0x08, [0, 28]), 9])), /trailing bytes/);
});
