// safetensors from bytes: the reference writer's exact bytes, round trips, conversions of every
// dtype we read, and one hostile file per validation rule (each error names what, where, and
// the expected and received values).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tensor, tensor } from '../../src/index.js';
import { decodeSafetensors, encodeSafetensors, halfToFloat, inspectSafetensors } from '../../src/io/index.js';

const enc = new TextEncoder();

/** A file from a header (object or raw JSON text) and data bytes, with N written as given or as the text's length. */
function file(header: object | string, data: ArrayLike<number> = [], n?: bigint): Uint8Array {
  const json = enc.encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, n ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(Array.from(data), 8 + json.length);
  return out;
}

const f32 = (...v: number[]) => new Tensor(new Float32Array(v), [v.length]);

test('the bytes are the reference writer’s (safetensors/src/tensor.rs tests)', () => {
  const le = (...v: number[]) => Array.from(new Uint8Array(new Float32Array(v).buffer));
  const attn0 = new Tensor(new Float32Array([0, 1, 2, 3, 4, 5]), [1, 2, 3]);
  const json = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
  assert.equal(json.length, 64); // already a multiple of 8: no padding
  assert.deepEqual(Array.from(encodeSafetensors({ 'attn.0': attn0 })), [
    ...[64, 0, 0, 0, 0, 0, 0, 0],
    ...enc.encode(json),
    ...le(0, 1, 2, 3, 4, 5),
  ]);
  // "attn0" is one byte shorter, so 7 spaces pad the header to 72
  const aligned = encodeSafetensors({ attn0: new Tensor(new Float32Array([0, 1, 2, 3, 4, 5]), [1, 1, 2, 3]) });
  assert.deepEqual(Array.from(aligned.subarray(0, 8)), [72, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(new TextDecoder().decode(aligned.subarray(73, 80)), '       ');
  assert.deepEqual(Array.from(encodeSafetensors({})), [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
  assert.deepEqual(
    Array.from(encodeSafetensors({}, { framework: 'pt' })),
    Array.from(file('{"__metadata__":{"framework":"pt"}}     ')),
  );
});

test('round trip of every dtype we write, with metadata; tensors sorted by size then name, each aligned', () => {
  const tensors = {
    b: new Tensor(new Uint8Array([1, 0, 1]), [3]),
    z: new Tensor(new Float64Array([Math.PI, -0, Infinity, -1e-300]), [2, 2]),
    a: new Tensor(new Float32Array([NaN, -0, 1.5, 3e38, 1e-45, -2]), [3, 2]),
    i: new Tensor(new Int32Array([-2147483648, 2147483647, 0]), [3, 1]),
    scalar: new Tensor(new Float32Array([7]), []),
    empty: new Tensor(new Float32Array(0), [2, 0, 3]),
  };
  const bytes = encodeSafetensors(tensors, { format: 'pt', note: 'ü 😀 "quoted"' });
  const { tensors: back, metadata } = decodeSafetensors(bytes);
  assert.deepEqual(metadata, { format: 'pt', note: 'ü 😀 "quoted"' });
  assert.deepEqual(Object.keys(back).sort(), Object.keys(tensors).sort());
  for (const [name, t] of Object.entries(tensors)) {
    assert.equal(back[name].dtype, t.dtype, name);
    assert.deepEqual(back[name].shape, t.shape, name);
    assert.ok(Object.is(back[name].data[0], t.data[0]) || t.size === 0, name);
    assert.deepEqual(Array.from(back[name].data), Array.from(t.data), name); // deepEqual: -0 and NaN exact
  }
  const header = inspectSafetensors(bytes);
  assert.equal(header.headerBytes % 8, 0);
  assert.deepEqual(
    header.entries.map((e) => e.name),
    ['z', 'a', 'empty', 'scalar', 'i', 'b'],
  );
  for (const e of header.entries) assert.equal(e.dataOffsets[0] % { F64: 8, F32: 4, I32: 4, BOOL: 1 }[e.dtype]!, 0);
  assert.equal(encodeSafetensors(back, metadata).length, bytes.length);
  assert.deepEqual(encodeSafetensors(back, metadata), bytes);
});

test('a tensor viewing part of a larger array writes only its own elements', () => {
  const whole = new Float64Array([9, 1, 2, 3, 9]);
  const t = new Tensor(whole.subarray(1, 4), [3]);
  assert.deepEqual(Array.from(decodeSafetensors(encodeSafetensors({ t })).tensors.t.data), [1, 2, 3]);
});

test('bytes in shared memory decode like any others', () => {
  const bytes = encodeSafetensors({ w: f32(1, 2) }, { k: 'v' });
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
  shared.set(bytes);
  const { tensors, metadata } = decodeSafetensors(shared);
  assert.deepEqual(Array.from(tensors.w.data), [1, 2]);
  assert.deepEqual(metadata, { k: 'v' });
  assert.ok(tensors.w.data.buffer instanceof ArrayBuffer);
});

test('a bool tensor holding bytes other than 0/1 is written as 0/1', () => {
  const t = new Tensor(new Uint8Array([0, 2, 255]), [3]);
  assert.deepEqual(Array.from(decodeSafetensors(encodeSafetensors({ t })).tensors.t.data), [0, 1, 1]);
});

test('decoding copies: later changes to the bytes do not reach the tensors; unaligned offsets read', () => {
  const bytes = encodeSafetensors({ w: f32(1, 2, 3) });
  const shifted = new Uint8Array(bytes.length + 3);
  shifted.set(bytes, 3);
  const view = shifted.subarray(3); // byteOffset 3: the float data is not 4-aligned in memory
  const { w } = decodeSafetensors(view).tensors;
  assert.deepEqual(Array.from(w.data), [1, 2, 3]);
  shifted.fill(0);
  assert.deepEqual(Array.from(w.data), [1, 2, 3]);
  assert.notEqual(w.data.buffer, shifted.buffer);
});

test('dtypes read with conversion: F16, BF16, I64, U64, U32, I16, U16, I8, U8, BOOL', () => {
  const data: number[] = [];
  const entries: Record<string, object> = {};
  const add = (name: string, dtype: string, shape: number[], bytes: number[]) => {
    entries[name] = { dtype, shape, data_offsets: [data.length, data.length + bytes.length] };
    data.push(...bytes);
  };
  const u16 = (...v: number[]) => v.flatMap((x) => [x & 0xff, x >> 8]);
  add('f16', 'F16', [6], u16(0x3c00, 0xc000, 0x0001, 0x7c00, 0x8000, 0x7bff)); // 1, -2, 2^-24, inf, -0, 65504
  add('f16nan', 'F16', [1], u16(0x7e00));
  add('bf16', 'BF16', [3], u16(0x3f80, 0xc0a0, 0x0001)); // 1, -5, smallest subnormal
  const i64 = new BigInt64Array([-2147483648n, 2147483647n, -1n, 0n]);
  add('i64', 'I64', [2, 2], Array.from(new Uint8Array(i64.buffer)));
  add('u64', 'U64', [1], Array.from(new Uint8Array(new BigUint64Array([2147483647n]).buffer)));
  add('u32', 'U32', [1], [0xff, 0xff, 0xff, 0x7f]);
  add('i16', 'I16', [2], u16(0x8000, 0x7fff));
  add('u16', 'U16', [1], u16(0xffff));
  add('i8', 'I8', [2], [0x80, 0x7f]);
  add('u8', 'U8', [2], [0, 255]);
  add('bool', 'BOOL', [2], [1, 0]);
  const { tensors: t } = decodeSafetensors(file(entries, data));
  assert.deepEqual(Array.from(t.f16.data), [1, -2, 2 ** -24, Infinity, -0, 65504]);
  assert.ok(Number.isNaN(t.f16nan.data[0]));
  assert.deepEqual(Array.from(t.bf16.data), [1, -5, new Float32Array(new Uint32Array([0x10000]).buffer)[0]]);
  assert.deepEqual(Array.from(t.i64.data), [-2147483648, 2147483647, -1, 0]);
  assert.deepEqual(t.i64.shape, [2, 2]);
  assert.deepEqual(Array.from(t.u64.data), [2147483647]);
  assert.deepEqual(Array.from(t.u32.data), [2147483647]);
  assert.deepEqual(Array.from(t.i16.data), [-32768, 32767]);
  assert.deepEqual(Array.from(t.u16.data), [65535]);
  assert.deepEqual(Array.from(t.i8.data), [-128, 127]);
  assert.deepEqual(Array.from(t.u8.data), [0, 255]);
  assert.deepEqual(
    Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.dtype])),
    Object.fromEntries(
      Object.keys(t).map((k) => [k, k === 'bool' ? 'bool' : k.startsWith('f') || k === 'bf16' ? 'float32' : 'int32']),
    ),
  );
});

test('halfToFloat agrees with Float32 for every finite half (spot checks of the formula)', () => {
  assert.equal(halfToFloat(0x3555), 0.333251953125);
  assert.equal(halfToFloat(0x0400), 2 ** -14); // smallest normal
  assert.equal(halfToFloat(0x03ff), 1023 * 2 ** -24); // largest subnormal
  assert.equal(halfToFloat(0xfc00), -Infinity);
});

test('values outside int32 and BOOL bytes other than 0/1 are errors naming the tensor and element', () => {
  const i64 = (v: bigint) => Array.from(new Uint8Array(new BigInt64Array([0n, v]).buffer));
  const header = (dtype: string, bytes: number) => ({ big: { dtype, shape: [2], data_offsets: [0, bytes] } });
  assert.throws(
    () => decodeSafetensors(file(header('I64', 16), i64(2147483648n))),
    /tensor "big" \(I64\) element 1 is 2147483648, outside the int32 range/,
  );
  assert.throws(
    () => decodeSafetensors(file(header('I64', 16), i64(-2147483649n))),
    /element 1 is -2147483649, outside/,
  );
  assert.throws(() => decodeSafetensors(file(header('U64', 16), i64(-1n))), /element 1 is 18446744073709551615/);
  assert.throws(
    () => decodeSafetensors(file(header('U32', 8), [0, 0, 0, 0, 0, 0, 0, 0x80])),
    /element 1 is 2147483648/,
  );
  assert.throws(
    () => decodeSafetensors(file(header('BOOL', 2), [1, 2])),
    /tensor "big" \(BOOL\) element 1 \(file offset \d+\) must be 0 or 1, received 2/,
  );
});

test('"__proto__" names a tensor like any other key, without touching the prototype', () => {
  const raw = file('{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', [0, 0, 128, 63]);
  const { tensors } = decodeSafetensors(raw);
  assert.equal(Object.getPrototypeOf(tensors), Object.prototype);
  assert.deepEqual(Object.keys(tensors), ['__proto__']);
  assert.equal(Object.getOwnPropertyDescriptor(tensors, '__proto__')!.value.data[0], 1);
});

test('headers padded with trailing whitespace decode; metadata null is none', () => {
  const bytes = file('{"__metadata__":null,"x":{"dtype":"U8","shape":[],"data_offsets":[0,1]}} \n\t ', [9]);
  const { tensors, metadata } = decodeSafetensors(bytes);
  assert.deepEqual(metadata, {});
  assert.equal(tensors.x.item(), 9);
});

const entry = (dtype: string, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });

// [what, file, the error it must raise]
const HOSTILE: [string, Uint8Array, RegExp][] = [
  ['shorter than 8 bytes', new Uint8Array(5), /the file is 5 bytes, expected at least 8/],
  [
    'header length beyond 100 MB',
    file('{}', [], 2n ** 63n + 5n),
    /header length \(bytes 0-7\) is 9223372036854775813, expected at most 100000000/,
  ],
  ['header length beyond the file', file('{}', [], 100n), /header length \(bytes 0-7\) is 100, but the file holds only 2/],
  ['header not UTF-8', (() => { const f = file('{"ab":1}'); f[10] = 0xff; return f; })(), /not valid UTF-8/], // prettier-ignore
  ['header with a BOM', file('\ufeff{}'), /must start with '\{' \(byte 8\), received U\+FEFF/],
  ['header starting with a space', file(' {}'), /must start with '\{' \(byte 8\), received U\+0020 " "/],
  ['header not JSON', file('{"a":'), /the JSON header is not valid JSON/],
  ['header nested a million deep', file('{"a":'.repeat(1e6) + '1' + '}'.repeat(1e6)), /nests deeper than 16 levels \(at header character 80\)/],
  ['unterminated string in the header', file('{"a'), /not valid JSON/],
  ['empty header', file(''), /must start with '\{' \(byte 8\), received an empty header/],
  ['entry not an object', file({ w: [1] }), /tensor "w" must be an object \{dtype, shape, data_offsets\}, received \[1\]/],
  ['unknown dtype', file({ w: entry('F128', [1], [0, 16]) }, new Array(16).fill(0)), /tensor "w": dtype must be one of BOOL, .*received "F128"/],
  ['unsupported dtype', file({ w: entry('F8_E4M3', [1], [0, 1]) }, [0]), /dtype F8_E4M3 is not supported; expected one of/],
  ['dtype missing', file({ w: { shape: [1], data_offsets: [0, 4] } }, [0, 0, 0, 0]), /dtype must be one of .* received undefined/],
  ['negative dimension', file({ w: entry('F32', [-1], [0, 0]) }), /shape must be an array of non-negative integers, received \[-1\]/],
  ['fractional dimension', file({ w: entry('F32', [1.5], [0, 0]) }), /received \[1.5\]/],
  ['string dimension', file({ w: entry('F32', ['2'], [0, 8]) }, new Array(8).fill(0)), /received \["2"\]/],
  ['shape not an array', file({ w: entry('F32', 4, [0, 16]) }), /shape must be an array .* received 4/],
  ['shape overflowing 2^53', file({ w: entry('F32', [2 ** 40, 2 ** 40, 0], [0, 0]) }), /has more than 2\^53 elements/],
  ['shape bigger than the data', file({ w: entry('F32', [2 ** 26, 3], [0, 4]) }, [0, 0, 0, 0]), /needs 805306368 bytes, but data_offsets \[0, 4\] hold 4/],
  ['data length ≠ numel × size', file({ w: entry('F32', [2], [0, 4]) }, [0, 0, 0, 0]), /tensor "w": shape \[2\] of F32 needs 8 bytes, but data_offsets \[0, 4\] hold 4/],
  ['offsets with one number', file({ w: entry('F32', [1], [4]) }, [0, 0, 0, 0]), /data_offsets must be \[begin, end\].* received \[4\]/],
  ['offsets reversed', file({ w: entry('F32', [0], [4, 0]) }, [0, 0, 0, 0]), /data_offsets \[4, 0\] end before they begin/],
  ['offsets beyond the buffer', file({ w: entry('F32', [2], [0, 8]) }, [0, 0, 0, 0]), /data_offsets \[0, 8\] end beyond the data buffer, which has 4 bytes/],
  [
    'a hole between tensors',
    file({ a: entry('U8', [1], [0, 1]), b: entry('U8', [1], [2, 3]) }, [0, 0, 0]),
    /tensor "b" data_offsets \[2, 3\] leaves a hole: the previous tensor ends at 1; expected it to begin at 1/,
  ],
  [
    'overlapping tensors',
    file({ a: entry('U8', [2], [0, 2]), b: entry('U8', [2], [1, 3]) }, [0, 0, 0]),
    /tensor "b" data_offsets \[1, 3\] overlaps "a", which ends at 2; expected it to begin at 2/,
  ],
  [
    'two tensors on the same bytes',
    file({ a: entry('U8', [2], [0, 2]), b: entry('U8', [2], [0, 2]) }, [0, 0]),
    /data_offsets \[0, 2\] overlaps/,
  ],
  ['a hole at the start', file({ a: entry('U8', [1], [1, 2]) }, [0, 0]), /leaves a hole/],
  [
    'trailing bytes',
    file({ a: entry('U8', [1], [0, 1]) }, [0, 7, 7]),
    /the tensors cover 1 bytes of the data buffer but it has 3 \(file offset \d+: trailing bytes/,
  ],
  ['data but no tensors', file({}, [1]), /cover 0 bytes of the data buffer but it has 1/],
  ['duplicate tensor name', file('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', [0, 0]), /repeats the key "a" at the top level \(header character \d+\); keys must be unique/],
  ['duplicate name through an escape', file('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"\\u0061":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', [0, 0]), /repeats the key "a" at the top level/],
  ['duplicate field in an entry', file('{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"dtype":"F32"}}', [0]), /repeats the key "dtype" in the entry "w"/],
  ['duplicate metadata key', file('{"__metadata__":{"k":"1","k":"2"}}'), /repeats the key "k" in the entry "__metadata__"/],
  ['metadata not an object', file({ __metadata__: ['x'] }), /"__metadata__" must be an object of string → string, received \["x"\]/],
  ['metadata value not a string', file({ __metadata__: { k: 1 } }), /__metadata__\["k"\] must be a string, received 1/],
]; // prettier-ignore

for (const [what, bytes, error] of HOSTILE) {
  test(`hostile file: ${what}`, () => {
    assert.throws(
      () => decodeSafetensors(bytes),
      (e: unknown) => {
        assert.ok(e instanceof Error && e.constructor === Error, `an Error, received ${String(e)}`);
        assert.match(e.message, /^decodeSafetensors: /);
        assert.match(e.message, error);
        return true;
      },
    );
  });
}

test('a header within the file but above options.maxHeaderBytes is refused before parsing', () => {
  const bytes = encodeSafetensors({ w: f32(1) });
  assert.throws(
    () => decodeSafetensors(bytes, { maxHeaderBytes: 16 }),
    /header length \(bytes 0-7\) is \d+, expected at most 16/,
  );
  assert.throws(
    () => decodeSafetensors(bytes, { maxHeaderBytes: 2e8 }),
    /options.maxHeaderBytes must be an integer in \[2, 100000000\]/,
  );
  assert.throws(() => decodeSafetensors('abc' as unknown as Uint8Array), /bytes must be a Uint8Array, received "abc"/);
});

test('inspectSafetensors reads the header from the beginning of a file given its size', () => {
  const bytes = encodeSafetensors(
    { w: new Tensor(new Float32Array(6), [2, 3]), m: new Tensor(new Uint8Array(2), [2]) },
    { a: 'b' },
  );
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const prefix = bytes.slice(0, 8 + n);
  const header = inspectSafetensors(prefix, { fileSize: bytes.length });
  assert.deepEqual(header, {
    entries: [
      { name: 'w', dtype: 'F32', shape: [2, 3], dataOffsets: [0, 24] },
      { name: 'm', dtype: 'BOOL', shape: [2], dataOffsets: [24, 26] },
    ],
    metadata: { a: 'b' },
    headerBytes: n,
  });
  assert.throws(
    () => inspectSafetensors(prefix),
    /tensor "w": data_offsets \[0, 24\] end beyond the data buffer, which has 0 bytes/,
  );
  assert.throws(() => inspectSafetensors(prefix, { fileSize: bytes.length + 1 }), /but it has 27/);
  assert.throws(
    () => inspectSafetensors(prefix, { fileSize: 3 }),
    /options.fileSize must be an integer ≥ bytes.length/,
  );
});

test('encoding errors name the argument and the received value', () => {
  assert.throws(() => encodeSafetensors({ w: [1, 2] as unknown as Tensor }), /encodeSafetensors: tensors\["w"\] must be a Tensor, received \[1,2\]/);
  assert.throws(() => encodeSafetensors({ __metadata__: f32(1) }), /"__metadata__" is reserved/);
  assert.throws(() => encodeSafetensors({}, { k: 3 as unknown as string }), /metadata\["k"\] must be a string, received 3/);
  assert.throws(() => encodeSafetensors({ ['a\ud800']: f32(1) }), /tensor name "a\\ud800" has a lone UTF-16 surrogate/);
  assert.throws(() => encodeSafetensors(null as unknown as Record<string, Tensor>), /tensors must be an object .* received null/);
}); // prettier-ignore

test('decodeSafetensors reads a Node Buffer (whose slice() is a view) at any byte offset', () => {
  const tensors = {
    a: tensor([1.5, -2, 3]),
    b: tensor(new Int32Array([7, 8]), [1, 2]),
    c: tensor(new Float64Array([0.25])),
  };
  const bytes = encodeSafetensors(tensors);
  // a Buffer that starts 3 bytes into a larger allocation, as readFileSync's pooled buffers may
  const whole = Buffer.alloc(bytes.length + 3, 9);
  whole.set(bytes, 3);
  const buffer = whole.subarray(3);
  assert.equal(buffer.byteOffset, 3);
  const back = decodeSafetensors(buffer).tensors;
  assert.deepEqual(back.a.toArray(), [1.5, -2, 3]);
  assert.deepEqual(back.b.toArray(), [[7, 8]]);
  assert.deepEqual(back.c.toArray(), [0.25]);
  // the decoded tensors own their memory: changing the file's bytes changes nothing
  buffer.fill(0);
  assert.deepEqual(back.a.toArray(), [1.5, -2, 3]);
});
