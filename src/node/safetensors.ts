/**
 * safetensors files on disk: saved atomically (a crash mid-save leaves the previous checkpoint),
 * loaded with every check of src/io/safetensors.ts.
 */
import {
  SAFETENSORS_MAX_HEADER_BYTES,
  decodeSafetensors,
  encodeSafetensors,
  inspectSafetensors,
} from '../io/safetensors.js';
import type { DecodeSafetensorsOptions, SafetensorsHeader } from '../io/safetensors.js';
import type { Tensor } from '../tensor/tensor.js';
import { readFileChecked, readFileHead, writeFileAtomicSync } from './files.js';

/** Write `tensors` (e.g. a module's stateDict()) and string metadata to `path`, atomically. */
export function saveSafetensors(
  path: string,
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomicSync(path, encodeSafetensors(tensors, metadata));
}

/**
 * The tensors and the `__metadata__` strings of a safetensors file (a path, or its bytes):
 * `model.loadStateDict(loadSafetensors(path).tensors)`.
 */
export function loadSafetensors(
  pathOrBytes: string | Uint8Array,
  options?: DecodeSafetensorsOptions,
): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  if (typeof pathOrBytes !== 'string') return decodeSafetensors(pathOrBytes, options);
  const bytes = readFileChecked(pathOrBytes);
  try {
    return decodeSafetensors(bytes, options);
  } catch (e) {
    throw new Error(`${(e as Error).message} (in ${pathOrBytes})`, { cause: e });
  }
}

/** The header of a safetensors file, reading only its first 8 + N bytes however large the file. */
export function inspectSafetensorsFile(path: string, options?: DecodeSafetensorsOptions): SafetensorsHeader {
  const head = readFileHead(path, 8);
  try {
    const n = head.bytes.length === 8 ? new DataView(head.bytes.buffer).getBigUint64(0, true) : 0n;
    // an oversized N is refused by inspectSafetensors before anything that large is read
    const want = n <= BigInt(options?.maxHeaderBytes ?? SAFETENSORS_MAX_HEADER_BYTES) ? 8 + Number(n) : 8;
    const { bytes, size } = readFileHead(path, want);
    return inspectSafetensors(bytes, { ...options, fileSize: size });
  } catch (e) {
    throw new Error(`${(e as Error).message} (in ${path})`, { cause: e });
  }
}

/** The same as loadSafetensors (kept for the name it had first). */
export const loadSafetensorsWithMetadata = loadSafetensors;
