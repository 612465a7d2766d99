// Fuzzing the IDX reader (fast-check, a fresh seed each run: a failure prints the seed and path
// to replay it). Valid files round-trip; damaged, random or lying files either parse to a
// consistent tensor or throw our own Error — never a RangeError from a typed array or DataView.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type IdxType, encodeIdx, parseIdx } from '../../src/data/idx.js';

const TYPES: IdxType[] = ['uint8', 'int8', 'int16', 'int32', 'float32', 'float64'];
const SIZE: Record<IdxType, number> = { uint8: 1, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8 };
const RANGE: Record<IdxType, [number, number]> = {
  uint8: [0, 255],
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  float32: [-1e6, 1e6],
  float64: [-1e6, 1e6],
};

const file = fc
  .tuple(fc.constantFrom(...TYPES), fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 }))
  .chain(([type, shape]) => {
    const n = shape.reduce((p, d) => p * d, 1);
    const [min, max] = RANGE[type];
    const value = type.startsWith('float')
      ? fc.integer({ min: min * 4, max: max * 4 }).map((x) => x / 4) // exact in float32 too
      : fc.integer({ min, max });
    return fc.array(value, { minLength: n, maxLength: n }).map((data) => ({ type, shape, data }));
  });

function parseOrReject(bytes: Uint8Array): void {
  let t;
  try {
    t = parseIdx(bytes);
  } catch (e) {
    if (!(e instanceof Error) || e.constructor !== Error || !e.message.startsWith('parseIdx: '))
      throw new Error(`expected our own Error, received ${e instanceof Error ? `${e.constructor.name}: ${e.stack}` : String(e)}`); // prettier-ignore
    return;
  }
  // whatever parsed is self-consistent: the values fill the shape and the bytes exactly
  const n = t.shape.reduce((p, d) => p * d, 1);
  assert.equal(t.data.length, n);
  assert.equal(bytes.length, 4 + 4 * t.shape.length + n * SIZE[t.type]);
}

test('fuzz: valid IDX files round-trip value for value', () => {
  fc.assert(
    fc.property(file, (f) => {
      const data = { uint8: Uint8Array, int8: Int8Array, int16: Int16Array, int32: Int32Array, float32: Float32Array, float64: Float64Array }[f.type].from(f.data); // prettier-ignore
      const back = parseIdx(encodeIdx({ type: f.type, shape: f.shape, data }));
      assert.deepEqual(back.shape, f.shape);
      assert.deepEqual([...back.data], f.data);
    }),
    { numRuns: 800 },
  );
});

test('fuzz: valid files with bytes flipped, cut or appended parse consistently or fail with our error', () => {
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('append' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 9 }) }),
  );
  fc.assert(
    fc.property(file, fc.array(mutation, { minLength: 1, maxLength: 3 }), (f, ms) => {
      // encodeIdx writes each value with the file's type, so any array of the values will do
      const values = f.type.startsWith('float') ? Float64Array.from(f.data) : Int32Array.from(f.data);
      let bytes = encodeIdx({ type: f.type, shape: f.shape, data: values });
      for (const m of ms) {
        if (m.kind === 'flip' && bytes.length) {
          bytes = bytes.slice();
          bytes[m.at % bytes.length] = m.value;
        } else if (m.kind === 'cut') bytes = bytes.slice(0, m.at % (bytes.length + 1));
        else if (m.kind === 'append') bytes = Uint8Array.from([...bytes, ...m.extra]);
      }
      parseOrReject(bytes);
    }),
    { numRuns: 2000 },
  );
});

test('fuzz: random bytes and random headers never escape as anything but our error', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (b) => parseOrReject(b)),
    { numRuns: 1500 },
  );
  const lyingHeader = fc
    .tuple(
      fc.constantFrom(0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e, 0x00, 0x0a, 0xff),
      fc.array(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant(0xffffffff), fc.nat()), { maxLength: 6 }),
      fc.uint8Array({ maxLength: 48 }),
    )
    .map(([code, dims, body]) => {
      const out = new Uint8Array(4 + 4 * dims.length + body.length);
      const view = new DataView(out.buffer);
      out[2] = code;
      out[3] = dims.length;
      dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
      out.set(body, 4 + 4 * dims.length);
      return out;
    });
  fc.assert(
    fc.property(lyingHeader, (b) => parseOrReject(b)),
    { numRuns: 2500 },
  );
});
