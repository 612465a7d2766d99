/**
 * The IDX format of LeCun's MNIST files (and Fashion-MNIST, which copies it):
 *
 *   bytes 0–1   0x00 0x00           magic
 *   byte  2     type code           0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
 *   byte  3     number of dimensions (1 … 255)
 *   then        one big-endian uint32 per dimension
 *   then        the values, big-endian, row-major: exactly Π dims × element size bytes
 *
 * Pure (no Node): the caller gunzips and reads the file (src/node/fashion-mnist.ts). Every
 * file is treated as hostile: the header is checked against the byte length before anything
 * is allocated, and a truncated file or one with trailing bytes is refused.
 */

export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxTensor {
  type: IdxType;
  /** One entry per dimension, e.g. [60000, 28, 28]. */
  shape: number[];
  /** Row-major values in native byte order. */
  data: IdxArray;
}

const TYPES: Record<number, { type: IdxType; bytes: number }> = {
  0x08: { type: 'uint8', bytes: 1 },
  0x09: { type: 'int8', bytes: 1 },
  0x0b: { type: 'int16', bytes: 2 },
  0x0c: { type: 'int32', bytes: 4 },
  0x0d: { type: 'float32', bytes: 4 },
  0x0e: { type: 'float64', bytes: 8 },
};

const hex = (b: number) => `0x${b.toString(16).padStart(2, '0')}`;

/** Parse the bytes of an (already gunzipped) IDX file. `what` names the file in errors. */
export function parseIdx(bytes: Uint8Array, what = 'IDX data'): IdxTensor {
  const fail = (msg: string): never => {
    throw new Error(`parseIdx: ${what}: ${msg}`);
  };
  if (!(bytes instanceof Uint8Array)) fail(`expected a Uint8Array, received ${typeof bytes}`);
  if (bytes.length < 4) fail(`expected at least a 4-byte header, received ${bytes.length} bytes`);
  if (bytes[0] !== 0 || bytes[1] !== 0)
    fail(
      `bad magic: expected 0x00 0x00, received ${hex(bytes[0])} ${hex(bytes[1])} (not an IDX file, or still gzipped?)`,
    );
  const kind = TYPES[bytes[2]];
  if (!kind) fail(`unknown type code ${hex(bytes[2])}: expected one of ${Object.keys(TYPES).map((k) => hex(Number(k))).join(', ')}`); // prettier-ignore
  const ndim = bytes[3];
  if (ndim === 0) fail('the number of dimensions is 0: expected at least 1');
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes)
    fail(`the header declares ${ndim} dimensions (${headerBytes} header bytes), but the data holds only ${bytes.length} bytes`); // prettier-ignore
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: ndim }, (_, d) => view.getUint32(4 + 4 * d, false));
  // a lying header could claim 2^32 × 2^32 × … values: stop multiplying once past the bytes we
  // have, before the product loses precision (a zero anywhere makes it 0 whatever the rest)
  const body = bytes.length - headerBytes;
  let count = shape.includes(0) ? 0 : 1;
  let capped = false;
  for (const size of shape) {
    if (count * kind.bytes > body) capped = true;
    else count *= size;
  }
  const expected = count * kind.bytes;
  if (expected !== body)
    fail(
      `the header declares shape [${shape.join(', ')}] of ${kind.type} (${capped ? `more than ${body}` : expected} ` +
        `bytes of values), but ${body} bytes follow the header` +
        (expected > body ? ' (truncated file?)' : ' (trailing bytes)'),
    );
  return { type: kind.type, shape, data: readValues(view, headerBytes, count, kind.type) };
}

/** The values from `offset`, converted from big-endian to native order. */
function readValues(view: DataView, offset: number, n: number, type: IdxType): IdxArray {
  switch (type) {
    case 'uint8':
      return new Uint8Array(view.buffer, view.byteOffset + offset, n).slice();
    case 'int8':
      return new Int8Array(view.buffer, view.byteOffset + offset, n).slice();
    case 'int16':
      return Int16Array.from({ length: n }, (_, i) => view.getInt16(offset + 2 * i, false));
    case 'int32':
      return Int32Array.from({ length: n }, (_, i) => view.getInt32(offset + 4 * i, false));
    case 'float32':
      return Float32Array.from({ length: n }, (_, i) => view.getFloat32(offset + 4 * i, false));
    case 'float64':
      return Float64Array.from({ length: n }, (_, i) => view.getFloat64(offset + 8 * i, false));
  }
}

/** Encode values as an IDX file (tests write their own small files with this). */
export function encodeIdx(t: IdxTensor): Uint8Array {
  const code = Number(Object.entries(TYPES).find(([, k]) => k.type === t.type)?.[0]);
  if (!Number.isFinite(code)) throw new Error(`encodeIdx: unknown type '${String(t.type)}'`);
  const n = t.shape.reduce((p, d) => p * d, 1);
  if (t.shape.length < 1 || t.shape.length > 255 || t.data.length !== n)
    throw new Error(`encodeIdx: shape [${t.shape.join(', ')}] needs ${n} values, received ${t.data.length}`);
  const size = TYPES[code].bytes;
  const out = new Uint8Array(4 + 4 * t.shape.length + n * size);
  const view = new DataView(out.buffer);
  out[2] = code;
  out[3] = t.shape.length;
  t.shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const o = 4 + 4 * t.shape.length;
  for (let i = 0; i < n; i++) {
    const v = t.data[i];
    if (t.type === 'uint8') view.setUint8(o + i, v);
    else if (t.type === 'int8') view.setInt8(o + i, v);
    else if (t.type === 'int16') view.setInt16(o + 2 * i, v, false);
    else if (t.type === 'int32') view.setInt32(o + 4 * i, v, false);
    else if (t.type === 'float32') view.setFloat32(o + 4 * i, v, false);
    else view.setFloat64(o + 8 * i, v, false);
  }
  return out;
}
