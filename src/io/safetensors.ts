/**
 * The safetensors format (https://github.com/huggingface/safetensors), read and written
 * from bytes: no files here, so this runs in the browser too.
 *
 *   [8 bytes] N, u64 little-endian
 *   [N bytes] UTF-8 JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str}}
 *   [rest]    the byte buffer; offsets are relative to its start, values little-endian, row-major
 *
 * The reader treats every file as hostile and applies the reference's rules
 * (safetensors/src/tensor.rs): header ≤ 100 MB and inside the file, valid UTF-8 starting with
 * '{', entries that tile the buffer exactly (sorted by offset: contiguous from 0, no hole, no
 * overlap, ending at the last byte), each entry's byte length = numel × dtype size. Beyond the
 * reference it also rejects duplicate keys (JSON.parse would silently keep the last). Nothing
 * proportional to a claimed size is allocated before that claim is checked against the real
 * byte count.
 */
import { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';

/** Every dtype name of the format, with its size in bytes, in the reference's enum order (its writer sorts by it). */
const DTYPE_SIZES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};
/** The dtypes we read, and the tensor dtype each becomes. */
const READ_AS: Record<string, DType> = {
  BOOL: 'bool',
  U8: 'int32',
  I8: 'int32',
  I16: 'int32',
  U16: 'int32',
  I32: 'int32',
  U32: 'int32',
  I64: 'int32',
  U64: 'int32',
  F16: 'float32',
  BF16: 'float32',
  F32: 'float32',
  F64: 'float64',
};
const DTYPE_RANK = Object.fromEntries(Object.keys(DTYPE_SIZES).map((k, i) => [k, i]));
const WRITE_AS: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32', bool: 'BOOL' };

/** The reference's limit (MAX_HEADER_SIZE): a larger header is refused before it is read. */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';
/** Nesting allowed in the JSON header: the format uses 3 (header → entry → shape). */
const MAX_JSON_DEPTH = 16;

export interface SafetensorsEntry {
  name: string;
  /** The format's dtype name (F32, BF16, I64, ...). */
  dtype: string;
  shape: number[];
  /** [begin, end) in the byte buffer, which starts at byte `8 + headerBytes` of the file. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** In file order (by offset). */
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** N, the JSON header's length in bytes (padding included). */
  headerBytes: number;
}

export interface DecodeSafetensorsOptions {
  /** Refuse a larger JSON header (default and maximum: 100 MB, the reference's limit). */
  maxHeaderBytes?: number;
}

export interface InspectSafetensorsOptions extends DecodeSafetensorsOptions {
  /**
   * The whole file's size, when `bytes` holds only its beginning (at least 8 + N bytes): lets a
   * caller check a large file's header without reading its tensors.
   */
  fileSize?: number;
}

// ---------------------------------------------------------------- writing

/**
 * The safetensors bytes of `tensors`, laid out as the reference writer does: tensors sorted by
 * dtype (F64, F32, I32, BOOL) then by name, so every tensor starts aligned to its element size; the
 * JSON header padded with spaces to a multiple of 8 bytes.
 */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const fn = 'encodeSafetensors';
  if (typeof tensors !== 'object' || tensors === null) {
    throw new Error(`${fn}: tensors must be an object of name → Tensor, received ${describe(tensors)}`);
  }
  const names = Object.keys(tensors);
  for (const name of names) {
    const t = tensors[name];
    if (!(t instanceof Tensor)) throw new Error(`${fn}: tensors["${name}"] must be a Tensor, received ${describe(t)}`);
    if (name === METADATA_KEY) throw new Error(`${fn}: "${METADATA_KEY}" is reserved and cannot name a tensor`);
    checkWellFormed(fn, 'tensor name', name);
  }
  const meta: [string, string][] = [];
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null) {
      throw new Error(`${fn}: metadata must be an object of string → string, received ${describe(metadata)}`);
    }
    for (const key of Object.keys(metadata).sort(compareCodePoints)) {
      const value = metadata[key];
      if (typeof value !== 'string') {
        throw new Error(`${fn}: metadata["${key}"] must be a string, received ${describe(value)}`);
      }
      checkWellFormed(fn, 'metadata key', key);
      checkWellFormed(fn, `metadata["${key}"]`, value);
      meta.push([key, value]);
    }
  }
  const size = (name: string) => DTYPE_SIZES[WRITE_AS[tensors[name].dtype]];
  const rank = (name: string) => DTYPE_RANK[WRITE_AS[tensors[name].dtype]];
  names.sort((a, b) => rank(b) - rank(a) || compareCodePoints(a, b));

  const parts: string[] = [];
  if (meta.length > 0) {
    parts.push(
      `${JSON.stringify(METADATA_KEY)}:{${meta.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)}}`,
    );
  }
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const end = offset + t.size * size(name);
    const info = `{"dtype":"${WRITE_AS[t.dtype]}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${end}]}`;
    parts.push(`${JSON.stringify(name)}:${info}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerBytes = json.length + ((8 - (json.length % 8)) % 8); // the reference pads to 8 with spaces
  if (headerBytes > SAFETENSORS_MAX_HEADER_BYTES) {
    throw new Error(
      `${fn}: the JSON header would be ${headerBytes} bytes, expected at most ${SAFETENSORS_MAX_HEADER_BYTES} (readers refuse more)`,
    );
  }

  const out = new Uint8Array(8 + headerBytes + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerBytes, true); // N < 2^32 here: the high word stays 0
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerBytes);
  let at = 8 + headerBytes;
  for (const name of names) {
    at = writeData(out, view, at, tensors[name]);
  }
  return out;
}

function writeData(out: Uint8Array, view: DataView, at: number, t: Tensor): number {
  const data = t.data;
  if (t.dtype === 'bool') {
    // a bool tensor's bytes could hold any value; the format allows only 0 and 1
    for (let i = 0; i < data.length; i++) out[at + i] = data[i] !== 0 ? 1 : 0;
    return at + data.length;
  }
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at); // bit-exact, NaN payloads too
    return at + data.byteLength;
  }
  const step = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < data.length; i++, at += step) {
    if (t.dtype === 'float32') view.setFloat32(at, data[i], true);
    else if (t.dtype === 'float64') view.setFloat64(at, data[i], true);
    else view.setInt32(at, data[i], true);
  }
  return at;
}

// ---------------------------------------------------------------- reading

/**
 * The tensors and metadata of a safetensors file. Values are copied out of `bytes` (never
 * aliased). F16 and BF16 become float32; I64, U64, U32 (range-checked), I16, U16, I8 and U8
 * become int32; BOOL becomes bool. Throws an Error naming the problem, where it is and the
 * expected and received values on any malformed input.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  options: DecodeSafetensorsOptions = {},
): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const fn = 'decodeSafetensors';
  const header = parseHeader(fn, bytes, bytes?.length, options);
  const start = 8 + header.headerBytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tensors: Record<string, Tensor> = {};
  for (const entry of header.entries) {
    const data = readData(fn, bytes, view, start, entry);
    define(tensors, entry.name, new Tensor(data, entry.shape));
  }
  return { tensors, metadata: header.metadata };
}

/** The header of a safetensors file (names, dtypes, shapes, offsets, metadata), fully validated. */
export function inspectSafetensors(bytes: Uint8Array, options: InspectSafetensorsOptions = {}): SafetensorsHeader {
  const fn = 'inspectSafetensors';
  const fileSize = options.fileSize ?? bytes?.length;
  if (!Number.isSafeInteger(fileSize) || fileSize < (bytes?.length ?? 0)) {
    throw new Error(
      `${fn}: options.fileSize must be an integer ≥ bytes.length (${bytes?.length}), received ${describe(options.fileSize)}`,
    );
  }
  return parseHeader(fn, bytes, fileSize, options);
}

function parseHeader(
  fn: string,
  bytes: Uint8Array,
  fileSize: number,
  options: DecodeSafetensorsOptions,
): SafetensorsHeader {
  if (!(bytes instanceof Uint8Array)) throw new Error(`${fn}: bytes must be a Uint8Array, received ${describe(bytes)}`);
  const limit = options.maxHeaderBytes ?? SAFETENSORS_MAX_HEADER_BYTES;
  if (!Number.isSafeInteger(limit) || limit < 2 || limit > SAFETENSORS_MAX_HEADER_BYTES) {
    throw new Error(
      `${fn}: options.maxHeaderBytes must be an integer in [2, ${SAFETENSORS_MAX_HEADER_BYTES}], received ${describe(limit)}`,
    );
  }
  if (bytes.length < 8) {
    throw new Error(`${fn}: the file is ${bytes.length} bytes, expected at least 8 (the header length, u64)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const high = view.getUint32(4, true);
  const low = view.getUint32(0, true);
  const claimed = high * 2 ** 32 + low; // may round above 2^53, but then it is far above the limit anyway
  if (claimed > limit) {
    const exact = (BigInt(high) << 32n) | BigInt(low);
    throw new Error(`${fn}: header length (bytes 0-7) is ${exact}, expected at most ${limit}`);
  }
  const n = claimed;
  if (8 + n > bytes.length) {
    const where = fileSize === bytes.length ? 'file' : 'bytes given';
    throw new Error(
      `${fn}: header length (bytes 0-7) is ${n}, but the ${where} holds only ${bytes.length - 8} after it`,
    );
  }
  let text: string;
  try {
    // ignoreBOM keeps a byte-order mark in the text, so it fails the '{' check below as in the reference
    const raw = bytes.subarray(8, 8 + n);
    // TextDecoder refuses views of shared memory (browsers): decode a private copy of those
    const input = raw.buffer instanceof ArrayBuffer ? raw : copyBytes(raw, 0, raw.length);
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
  } catch {
    throw new Error(`${fn}: the JSON header (bytes 8-${8 + n}) is not valid UTF-8`);
  }
  if (text[0] !== '{') {
    throw new Error(`${fn}: the JSON header must start with '{' (byte 8), received ${describeChar(text)}`);
  }
  // a safetensors header nests 3 deep; 100 MB of '{"a":' would cost JSON.parse gigabytes
  const shape = scanJson(text, MAX_JSON_DEPTH);
  if (shape.tooDeepAt >= 0) {
    throw new Error(
      `${fn}: the JSON header nests deeper than ${MAX_JSON_DEPTH} levels (at header character ${shape.tooDeepAt}); a safetensors header needs 3`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${fn}: the JSON header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`${fn}: the JSON header must be an object, received ${describe(json)}`);
  }
  // JSON.parse keeps the last of repeated keys, so the parsed objects hold fewer keys than the
  // text names exactly when some key repeats; only then find which one (the slower scan)
  if (countKeys(json) !== shape.keys) {
    const duplicate = findDuplicateKey(text);
    const where = !duplicate
      ? ''
      : duplicate.parent === null
        ? ' at the top level'
        : ` in the entry "${duplicate.parent}"`;
    const which = duplicate ? ` "${duplicate.key}"${where} (header character ${duplicate.at})` : '';
    throw new Error(`${fn}: the JSON header repeats the key${which}; keys must be unique`);
  }

  const bufferSize = fileSize - 8 - n;
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === METADATA_KEY) readMetadata(fn, value, metadata);
    else entries.push(readEntry(fn, name, value, bufferSize));
  }
  // the reference sorts by offsets too: the JSON may list entries in any order
  entries.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let end = 0;
  let previous: string | null = null;
  for (const { name, dataOffsets } of entries) {
    const [b, e] = dataOffsets;
    if (b !== end) {
      const what =
        b < end ? `overlaps "${previous}", which ends at ${end}` : `leaves a hole: the previous tensor ends at ${end}`;
      throw new Error(`${fn}: tensor "${name}" data_offsets [${b}, ${e}] ${what}; expected it to begin at ${end}`);
    }
    end = e;
    previous = name;
  }
  if (end !== bufferSize) {
    throw new Error(
      `${fn}: the tensors cover ${end} bytes of the data buffer but it has ${bufferSize} ` +
        `(file offset ${8 + n + end}: trailing bytes not described by the header)`,
    );
  }
  return { entries, metadata, headerBytes: n };
}

function readMetadata(fn: string, value: unknown, out: Record<string, string>): void {
  if (value === null) return; // the reference's Option<HashMap>: null means none
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${fn}: "${METADATA_KEY}" must be an object of string → string, received ${describe(value)}`);
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string')
      throw new Error(`${fn}: ${METADATA_KEY}["${k}"] must be a string, received ${describe(v)}`);
    define(out, k, v);
  }
}

function readEntry(fn: string, name: string, value: unknown, bufferSize: number): SafetensorsEntry {
  const where = `${fn}: tensor "${name}"`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${where} must be an object {dtype, shape, data_offsets}, received ${describe(value)}`);
  }
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(dtype in DTYPE_SIZES)) {
    throw new Error(
      `${where}: dtype must be one of ${Object.keys(DTYPE_SIZES).join(', ')}, received ${describe(dtype)}`,
    );
  }
  if (!(dtype in READ_AS)) {
    throw new Error(`${where}: dtype ${dtype} is not supported; expected one of ${Object.keys(READ_AS).join(', ')}`);
  }
  if (!Array.isArray(shape) || !shape.every(isSize)) {
    throw new Error(`${where}: shape must be an array of non-negative integers, received ${describe(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isSize)) {
    throw new Error(
      `${where}: data_offsets must be [begin, end], non-negative integers, received ${describe(offsets)}`,
    );
  }
  const [b, e] = offsets as number[];
  if (b > e) throw new Error(`${where}: data_offsets [${b}, ${e}] end before they begin`);
  if (e > bufferSize) {
    throw new Error(`${where}: data_offsets [${b}, ${e}] end beyond the data buffer, which has ${bufferSize} bytes`);
  }
  // the reference's checked product, in order: [2^40, 2^40, 0] overflows, [0, 2^40, 2^40] is empty.
  // Each factor and the running product stay below 2^53, so a product past the limit is never
  // rounded back under it.
  let numel = 1;
  for (const d of shape as number[]) {
    numel *= d;
    if (numel > Number.MAX_SAFE_INTEGER) {
      throw new Error(`${where}: shape [${shape.join(', ')}] has more than 2^53 elements`);
    }
  }
  const size = DTYPE_SIZES[dtype];
  if (numel * size !== e - b) {
    throw new Error(
      `${where}: shape [${shape.join(', ')}] of ${dtype} needs ${numel * size} bytes, but data_offsets [${b}, ${e}] hold ${e - b}`,
    );
  }
  return { name, dtype, shape: shape as number[], dataOffsets: [b, e] };
}

function readData(
  fn: string,
  bytes: Uint8Array,
  view: DataView,
  start: number,
  entry: SafetensorsEntry,
): Float32Array | Float64Array | Int32Array | Uint8Array {
  const { name, dtype } = entry;
  const begin = start + entry.dataOffsets[0];
  const end = start + entry.dataOffsets[1];
  const count = (end - begin) / DTYPE_SIZES[dtype];
  const copy = () => copyBytes(bytes, begin, end).buffer;
  switch (dtype) {
    case 'F32':
      if (LITTLE_ENDIAN) return new Float32Array(copy());
      return fill(new Float32Array(count), (i) => view.getFloat32(begin + 4 * i, true));
    case 'F64':
      if (LITTLE_ENDIAN) return new Float64Array(copy());
      return fill(new Float64Array(count), (i) => view.getFloat64(begin + 8 * i, true));
    case 'I32':
      if (LITTLE_ENDIAN) return new Int32Array(copy());
      return fill(new Int32Array(count), (i) => view.getInt32(begin + 4 * i, true));
    case 'F16':
      return fill(new Float32Array(count), (i) => halfToFloat(view.getUint16(begin + 2 * i, true)));
    case 'BF16': {
      // bfloat16 is the top half of a float32: shift its bits into place
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(begin + 2 * i, true) << 16;
      return out;
    }
    case 'U8':
      return Int32Array.from(bytes.subarray(begin, end));
    case 'I8':
      return fill(new Int32Array(count), (i) => view.getInt8(begin + i));
    case 'I16':
      return fill(new Int32Array(count), (i) => view.getInt16(begin + 2 * i, true));
    case 'U16':
      return fill(new Int32Array(count), (i) => view.getUint16(begin + 2 * i, true));
    case 'U32':
      return fill(new Int32Array(count), (i) => {
        const v = view.getUint32(begin + 4 * i, true);
        if (v > 0x7fffffff) throw outOfRange(fn, name, dtype, i, BigInt(v));
        return v;
      });
    case 'I64':
    case 'U64':
      return fill(new Int32Array(count), (i) => {
        const low = view.getUint32(begin + 8 * i, true);
        const high = view.getInt32(begin + 8 * i + 4, true);
        // in int32 range iff the high word is the sign extension of the low word
        const fits = (high === 0 && low <= 0x7fffffff) || (dtype === 'I64' && high === -1 && low > 0x7fffffff);
        if (!fits) {
          const v = dtype === 'I64' ? view.getBigInt64(begin + 8 * i, true) : view.getBigUint64(begin + 8 * i, true);
          throw outOfRange(fn, name, dtype, i, v);
        }
        return low | 0;
      });
    case 'BOOL':
      return fill(new Uint8Array(count), (i) => {
        const v = bytes[begin + i];
        if (v > 1) {
          throw new Error(
            `${fn}: tensor "${name}" (BOOL) element ${i} (file offset ${begin + i}) must be 0 or 1, received ${v}`,
          );
        }
        return v;
      });
  }
  throw new Error(`${fn}: tensor "${name}": dtype ${dtype} has no reader`); // unreachable: readEntry checked READ_AS
}

function outOfRange(fn: string, name: string, dtype: string, i: number, v: bigint): Error {
  return new Error(
    `${fn}: tensor "${name}" (${dtype}) element ${i} is ${v}, outside the int32 range [-2147483648, 2147483647] it is read into`,
  );
}

function fill<A extends Float32Array | Float64Array | Int32Array | Uint8Array>(out: A, at: (i: number) => number): A {
  for (let i = 0; i < out.length; i++) out[i] = at(i);
  return out;
}

/** IEEE 754 binary16 bits → number (exact in float32). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/**
 * One pass over JSON text, safe on any text: where brackets outside strings first nest deeper
 * than `limit` (or -1), and how many object keys it names (the colons outside strings).
 */
function scanJson(text: string, limit: number): { tooDeepAt: number; keys: number } {
  let depth = 0;
  let keys = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x3a) {
      keys++;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return { tooDeepAt: i, keys };
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return { tooDeepAt: -1, keys };
}

/** Own keys of every object in a parsed JSON value (nested at most MAX_JSON_DEPTH deep). */
function countKeys(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const v of value) n += countKeys(v);
    return n;
  }
  // for-in allocates nothing (Object.values would build an array per object)
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const v = (value as Record<string, unknown>)[key];
    n += typeof v === 'object' && v !== null ? 1 + countKeys(v) : 1;
  }
  return n;
}

/**
 * The first key repeated within one JSON object, at any depth. `text` must be valid JSON
 * (JSON.parse accepted it) nested at most MAX_JSON_DEPTH deep, so strings, brackets and commas
 * are all this needs to track. Allocation per key is one string: a header of a million
 * tensors must not cost a million Sets.
 */
function findDuplicateKey(text: string): { key: string; parent: string | null; at: number } | null {
  // one frame per open container, reused: its keys so far and the key it is the value of
  const frames = Array.from({ length: MAX_JSON_DEPTH + 1 }, () => new KeyList());
  let depth = -1;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let j = i + 1;
      let escaped = false;
      for (; j < text.length && text.charCodeAt(j) !== 0x22; j++) {
        if (text.charCodeAt(j) === 0x5c) {
          escaped = true;
          j++; // skip the escaped character, which may be a quote
        }
      }
      if (expectKey) {
        // decode escapes only where there are some: "a" and "\u0061" must collide
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        const frame = frames[depth];
        if (!frame.add(key)) return { key, parent: frame.name, at: i };
        expectKey = false;
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      const parent = depth >= 0 ? frames[depth] : null;
      frames[++depth].reset(c === 0x7b, parent ? (parent.isObject ? parent.last : parent.name) : null);
      expectKey = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      expectKey = false;
    } else if (c === 0x2c) {
      expectKey = frames[depth].isObject;
    }
  }
  return null;
}

/** The keys of one JSON object: a short list (entries have 3) until it grows, then a Set. */
class KeyList {
  isObject = false;
  name: string | null = null;
  last: string | null = null;
  private list: string[] = [];
  private set: Set<string> | null = null;

  reset(isObject: boolean, name: string | null): void {
    this.isObject = isObject;
    this.name = name;
    this.last = null;
    this.list.length = 0;
    this.set = null;
  }

  /** False if `key` was already there. */
  add(key: string): boolean {
    this.last = key;
    if (this.set) return this.set.size !== this.set.add(key).size;
    if (this.list.includes(key)) return false;
    this.list.push(key);
    if (this.list.length > 16) this.set = new Set(this.list);
    return true;
  }
}

// ---------------------------------------------------------------- helpers

/**
 * bytes[begin, end) in a fresh, aligned buffer of its own: never alias the caller's bytes.
 * NOTE: not `bytes.slice()`: on a Node Buffer, slice() is a view of the same memory, and its
 * `.buffer` is the whole (often pooled) allocation.
 */
function copyBytes(bytes: Uint8Array, begin: number, end: number): Uint8Array {
  const out = new Uint8Array(end - begin);
  out.set(bytes.subarray(begin, end));
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isSize(d: unknown): d is number {
  return typeof d === 'number' && Number.isSafeInteger(d) && d >= 0;
}

/** Set a key as an own property, even "__proto__" (plain assignment would change the prototype). */
function define<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** Order by Unicode code point, i.e. by UTF-8 bytes as the reference (Rust strings) sorts. */
function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** A lone surrogate cannot be written as UTF-8: it would silently become U+FFFD. */
function checkWellFormed(fn: string, what: string, s: string): void {
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)) {
    throw new Error(`${fn}: ${what} ${JSON.stringify(s)} has a lone UTF-16 surrogate; expected well-formed Unicode`);
  }
}

function describeChar(text: string): string {
  if (text.length === 0) return 'an empty header';
  const c = text.codePointAt(0)!;
  return `U+${c.toString(16).toUpperCase().padStart(4, '0')} ${JSON.stringify(String.fromCodePoint(c))}`;
}

function describe(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && v.constructor && v.constructor !== Object) {
    return `a ${v.constructor.name}`;
  }
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
