// Fuzzing the safetensors reader (fast-check, a fresh seed each run: a failure prints the seed
// and path to replay it). Valid files must round-trip bit for bit; damaged, random or
// adversarially structured files must either decode to well-formed tensors or throw a plain
// Error from our own checks — never a TypeError or RangeError leaking out of a typed-array
// constructor, a DataView read or JSON handling, and never hang.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type DType, Tensor } from '../../src/index.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/index.js';

const RUNS = { roundTrip: 1500, layouts: 1500, mutations: 3500, randomBytes: 1500, headers: 2500, duplicates: 1000 }; // 11,500 cases

const wellFormed = (s: string) => !/[\uD800-\uDFFF]/.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
const name = fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => wellFormed(s) && s !== '__metadata__');
const shape = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 });
const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

/** A tensor of any of our dtypes with arbitrary bit patterns (NaN payloads, -0, subnormals). */
const tensorArb = fc.tuple(fc.constantFrom<DType>('float32', 'float64', 'int32', 'bool'), shape).chain(([dtype, s]) => {
  const n = s.reduce((p, d) => p * d, 1);
  const bytes = dtype === 'bool' ? fc.uint8Array({ min: 0, max: 1, minLength: n, maxLength: n }) : fc.uint8Array({ minLength: n * BYTES[dtype], maxLength: n * BYTES[dtype] }); // prettier-ignore
  return bytes.map((b) => {
    const buf = b.slice().buffer;
    const data = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array }[dtype];
    return new Tensor(new data(buf), s);
  });
});
const dict = fc.dictionary(name, tensorArb, { maxKeys: 5 });
const metadataArb = fc.option(fc.dictionary(name, fc.string({ unit: 'binary', maxLength: 8 }).filter(wellFormed), { maxKeys: 3 }), { nil: undefined }); // prettier-ignore

const bytesOf = (t: Tensor) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

/** Decode, accepting only success with well-formed tensors or one of our own Errors. */
function decodeOrReject(bytes: Uint8Array): void {
  let result;
  try {
    result = decodeSafetensors(bytes);
  } catch (e) {
    if (!(e instanceof Error) || e.constructor !== Error || !e.message.startsWith('decodeSafetensors: ')) {
      throw new Error(`expected our own Error, received ${e instanceof Error ? `${e.constructor.name}: ${e.stack}` : String(e)}`); // prettier-ignore
    }
    return;
  }
  for (const [key, t] of Object.entries(result.tensors)) {
    assert.equal(
      t.data.length,
      t.shape.reduce((p, d) => p * d, 1),
      key,
    );
    if (t.dtype === 'bool')
      assert.ok(
        t.data.every((v) => v <= 1),
        key,
      );
  }
  for (const v of Object.values(result.metadata)) assert.equal(typeof v, 'string');
  // whatever decoded is writable and reads back the same
  const again = decodeSafetensors(encodeSafetensors(result.tensors, result.metadata));
  assert.deepEqual(Object.keys(again.tensors).sort(), Object.keys(result.tensors).sort());
}

test(`valid files round-trip bit for bit (${RUNS.roundTrip} cases)`, () => {
  fc.assert(
    fc.property(dict, metadataArb, (tensors, metadata) => {
      const bytes = encodeSafetensors(tensors, metadata);
      const back = decodeSafetensors(bytes);
      assert.deepEqual(back.metadata, { ...metadata }); // fc.dictionary's objects have no prototype
      assert.deepEqual(Object.keys(back.tensors).sort(), Object.keys(tensors).sort());
      for (const [key, t] of Object.entries(tensors)) {
        const b = back.tensors[key];
        assert.equal(b.dtype, t.dtype);
        assert.deepEqual(b.shape, t.shape);
        assert.deepEqual(bytesOf(b), bytesOf(t));
      }
      assert.deepEqual(encodeSafetensors(back.tensors, back.metadata), bytes);
    }),
    { numRuns: RUNS.roundTrip },
  );
});

// Files other writers could produce: any supported dtype, entries listed in any order, data in
// another order, headers padded or not (so data lands at any alignment).
const SIZES: Record<string, number> = {
  F32: 4,
  F64: 8,
  F16: 2,
  BF16: 2,
  I32: 4,
  I16: 2,
  U16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};
const layoutArb = fc.record({
  entries: fc.uniqueArray(
    fc.record({ name, dtype: fc.constantFrom(...Object.keys(SIZES)), shape, seed: fc.integer() }),
    { selector: (e) => e.name, maxLength: 5 },
  ),
  jsonOrder: fc.func(fc.integer()),
  padding: fc.integer({ min: 0, max: 9 }),
});

test(`files laid out in any order, at any alignment, decode to the bytes written (${RUNS.layouts} cases)`, () => {
  fc.assert(
    fc.property(layoutArb, ({ entries, jsonOrder, padding }) => {
      const data: number[] = [];
      const header: Record<string, unknown> = {};
      for (const e of entries) {
        const n = e.shape.reduce((p, d) => p * d, 1) * SIZES[e.dtype];
        const offsets = [data.length, data.length + n];
        for (let i = 0; i < n; i++) data.push(e.dtype === 'BOOL' ? (e.seed + i) & 1 : (e.seed * 31 + i * 7) & 0xff);
        // defineProperty: assigning "__proto__" (a name the fuzzer finds) would set the prototype
        Object.defineProperty(header, e.name, {
          value: { dtype: e.dtype, shape: e.shape, data_offsets: offsets },
          enumerable: true,
        });
      }
      const keys = Object.keys(header).sort((a, b) => jsonOrder(a) - jsonOrder(b));
      const json = `{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(header[k])}`).join(',')}}`;
      const text = new TextEncoder().encode(json + ' '.repeat(padding));
      const bytes = new Uint8Array(8 + text.length + data.length);
      new DataView(bytes.buffer).setUint32(0, text.length, true);
      bytes.set(text, 8);
      bytes.set(data, 8 + text.length);
      const { tensors } = decodeSafetensors(bytes);
      assert.equal(Object.keys(tensors).length, entries.length);
      for (const e of entries) {
        const t = tensors[e.name];
        assert.deepEqual(t.shape, e.shape);
        if (e.dtype === 'F32' || e.dtype === 'I32' || e.dtype === 'F64' || e.dtype === 'BOOL') {
          const [b, end] = (header[e.name] as { data_offsets: number[] }).data_offsets;
          assert.deepEqual(bytesOf(t), new Uint8Array(data.slice(b, end)));
        }
      }
    }),
    { numRuns: RUNS.layouts },
  );
});

// Damage to a valid file: bytes replaced (often by JSON punctuation and digits, to get past the
// parser into the validation), truncated, inserted, deleted, or the length field rewritten.
const JSONISH = [...'0123456789-.,:[]{}" e'].map((c) => c.charCodeAt(0));
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.oneof(fc.constantFrom(...JSONISH), fc.nat(255)) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 4 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('length' as const), value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
); // prettier-ignore
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const at = 'at' in m ? m.at % (bytes.length + 1) : 0;
  switch (m.kind) {
    case 'set': {
      const out = bytes.slice();
      if (at < out.length) out[at] = m.byte;
      return out;
    }
    case 'truncate':
      return bytes.slice(0, at);
    case 'insert':
      return new Uint8Array([...bytes.subarray(0, at), ...m.bytes, ...bytes.subarray(at)]);
    case 'delete':
      return new Uint8Array([...bytes.subarray(0, at), ...bytes.subarray(at + m.count)]);
    case 'length': {
      const out = bytes.length >= 8 ? bytes.slice() : new Uint8Array(8);
      new DataView(out.buffer).setBigUint64(0, m.value, true);
      return out;
    }
  }
}

test(`damaged files decode to valid tensors or throw our Error (${RUNS.mutations} cases)`, () => {
  fc.assert(
    fc.property(dict, metadataArb, fc.array(mutation, { minLength: 1, maxLength: 4 }), (tensors, metadata, ms) => {
      decodeOrReject(ms.reduce(mutate, encodeSafetensors(tensors, metadata)));
    }),
    { numRuns: RUNS.mutations },
  );
});

test(`random bytes, with or without a plausible length prefix, throw our Error (${RUNS.randomBytes} cases)`, () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (tail, prefixed) => {
      if (!prefixed) return decodeOrReject(tail);
      const bytes = new Uint8Array(9 + tail.length);
      new DataView(bytes.buffer).setUint32(0, Math.min(tail.length + 1, 1 + (tail[0] ?? 0)), true);
      bytes[8] = 0x7b; // '{'
      bytes.set(tail, 9);
      decodeOrReject(bytes);
    }),
    { numRuns: RUNS.randomBytes },
  );
});

// Well-formed JSON with adversarial values: wrong types, negative, fractional, huge or
// overflowing shapes and offsets, odd dtypes, duplicate-looking keys, metadata of any kind.
const hostileNumber = fc.oneof(
  fc.integer({ min: -3, max: 40 }),
  fc.constantFrom(2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e300, -0, 0.5, Number.MAX_SAFE_INTEGER),
);
const hostileValue = fc.oneof(hostileNumber, fc.string({ maxLength: 3 }), fc.constant(null), fc.boolean());
const hostileEntry = fc.oneof(
  fc.record(
    {
      dtype: fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'I64', 'U64', 'U32', 'BOOL', 'U8', 'F8_E4M3', 'f32', ''), hostileValue),
      shape: fc.oneof(fc.array(hostileNumber, { maxLength: 4 }), hostileValue),
      data_offsets: fc.oneof(fc.array(hostileNumber, { maxLength: 3 }), hostileValue),
    },
    { requiredKeys: [] },
  ),
  fc.anything({ maxDepth: 2 }),
); // prettier-ignore
const hostileHeader = fc.record({
  entries: fc.dictionary(fc.oneof(name, fc.constant('__metadata__')), hostileEntry, { maxKeys: 4 }),
  metadata: fc.option(fc.oneof(fc.dictionary(name, hostileValue, { maxKeys: 2 }), hostileValue)),
  data: fc.uint8Array({ maxLength: 48 }),
});

test(`headers with adversarial values decode validly or throw our Error (${RUNS.headers} cases)`, () => {
  fc.assert(
    fc.property(hostileHeader, ({ entries, metadata, data }) => {
      const header = metadata === null ? entries : { ...entries, __metadata__: metadata };
      const text = new TextEncoder().encode(JSON.stringify(header));
      const bytes = new Uint8Array(8 + text.length + data.length);
      new DataView(bytes.buffer).setUint32(0, text.length, true);
      bytes.set(text, 8);
      bytes.set(data, 8 + text.length);
      decodeOrReject(bytes);
    }),
    { numRuns: RUNS.headers },
  );
});

// Repeated keys, which JSON.parse would silently collapse: names from a tiny alphabet, each
// written raw or with \u escapes, at the top level or as a repeated field inside an entry.
const escapedKey = (k: string, escape: boolean) =>
  escape ? `"${[...k].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"` : JSON.stringify(k);
const duplicateCase = fc.record({
  names: fc.array(fc.record({ name: fc.constantFrom('a', 'b', 'ab', 'ba'), escape: fc.boolean() }), { maxLength: 5 }),
  repeatField: fc.option(fc.constantFrom('dtype', 'shape', 'data_offsets')),
});

test(`repeated keys are found however they are spelled (${RUNS.duplicates} cases)`, () => {
  fc.assert(
    fc.property(duplicateCase, ({ names, repeatField }) => {
      const fields = (i: number) => {
        const base = `"dtype":"U8","shape":[1],"data_offsets":[${i},${i + 1}]`;
        const extra = { dtype: '"dtype":"U8"', shape: '"shape":[1]', data_offsets: `"data_offsets":[${i},${i + 1}]` };
        return i === 0 && repeatField ? `${base},${extra[repeatField]}` : base;
      };
      const json = `{${names.map((n, i) => `${escapedKey(n.name, n.escape)}:{${fields(i)}}`).join(',')}}`;
      const text = new TextEncoder().encode(json);
      const bytes = new Uint8Array(8 + text.length + names.length);
      new DataView(bytes.buffer).setUint32(0, text.length, true);
      bytes.set(text, 8);
      const repeated =
        new Set(names.map((n) => n.name)).size < names.length || (repeatField !== null && names.length > 0);
      if (repeated) assert.throws(() => decodeSafetensors(bytes), /repeats the key "[a-z_]+" .*keys must be unique/);
      else assert.equal(Object.keys(decodeSafetensors(bytes).tensors).length, names.length);
    }),
    { numRuns: RUNS.duplicates },
  );
});
