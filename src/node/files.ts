/**
 * Files that are either entirely old or entirely new: a crash, a full disk or a killed process
 * while saving a checkpoint must not leave a half-written file where a good one was.
 *
 * The recipe (as in write-file-atomic, or SQLite's journal): write a temp file in the same
 * directory (rename is atomic only within one file system), fsync it so its bytes are on disk
 * before its name is, rename it over the target, then fsync the directory so the rename itself
 * survives a power cut.
 */
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

export interface WriteFileAtomicOptions {
  /** Permissions of a new file (default 0o666, less the umask); an existing target keeps its own. */
  mode?: number;
}

/**
 * Write `data` to `path` atomically: readers see the old content or the new, never a mix.
 * On any error the temp file is removed, the target is untouched, and the error is rethrown
 * with the path in its message (the original as `cause`).
 */
export function writeFileAtomicSync(
  path: string,
  data: Uint8Array | string,
  options: WriteFileAtomicOptions = {},
): void {
  const fn = 'writeFileAtomicSync';
  if (typeof path !== 'string' || path === '') throw new Error(`${fn}: path must be a non-empty string, received ${String(path)}`); // prettier-ignore
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
    throw new Error(`${fn}: data must be a Uint8Array or a string, received ${typeof data}`);
  }
  const dir = dirname(path);
  // unique per process and call: two writers of one target never share a temp
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | null = null;
  let renamed = false;
  try {
    const kept = existingMode(path);
    const mode = kept ?? options.mode ?? 0o666;
    fd = fs.openSync(temp, 'wx', mode); // 'wx': fail rather than follow a planted file or symlink
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let written = 0;
    while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
    if (kept !== null) fs.fchmodSync(fd, kept); // open's mode is filtered by the umask
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(temp, path);
    renamed = true;
    fsyncDirectory(dir);
  } catch (e) {
    if (fd !== null) closeQuietly(fd);
    if (!renamed) removeQuietly(temp);
    const err = e as Error;
    throw new Error(`${fn}: could not write ${path}: ${err.message}`, { cause: err });
  }
}

/**
 * The bytes of the file at `path`, refusing (before reading) a file larger than `maxBytes`.
 * Errors name the path: missing file, a directory, too large, unreadable.
 */
export function readFileChecked(path: string, maxBytes = Number.MAX_SAFE_INTEGER): Uint8Array {
  const fn = 'readFileChecked';
  if (!(Number.isSafeInteger(maxBytes) && maxBytes >= 0)) {
    throw new Error(`${fn}: maxBytes must be a non-negative integer, received ${maxBytes}`);
  }
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.message;
    throw new Error(`${fn}: cannot open ${path}: ${why}`, { cause: err });
  }
  try {
    const stat = fs.fstatSync(fd); // of the file opened, not whatever the name points to by now
    if (!stat.isFile()) throw new Error(`${fn}: ${path} is not a regular file`);
    if (stat.size > maxBytes) throw new Error(`${fn}: ${path} is ${stat.size} bytes, expected at most ${maxBytes}`);
    const out = new Uint8Array(stat.size);
    const read = readFully(fn, path, fd, out);
    // another process writing in place (not atomically) shows as a size change: refuse a torn read
    if (read !== out.length || readFully(fn, path, fd, new Uint8Array(1), read) !== 0) {
      throw new Error(`${fn}: ${path} changed size while being read (${stat.size} bytes when opened)`);
    }
    return out;
  } finally {
    closeQuietly(fd);
  }
}

/**
 * The first `length` bytes of the file at `path` (fewer if it is shorter) and its size:
 * enough to read a header without loading the rest.
 */
export function readFileHead(path: string, length: number): { bytes: Uint8Array; size: number } {
  const fn = 'readFileHead';
  if (!(Number.isSafeInteger(length) && length >= 0)) {
    throw new Error(`${fn}: length must be a non-negative integer, received ${length}`);
  }
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    throw new Error(`${fn}: cannot open ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new Error(`${fn}: ${path} is not a regular file`);
    const out = new Uint8Array(Math.min(length, stat.size));
    const read = readFully(fn, path, fd, out);
    return { bytes: read === out.length ? out : out.slice(0, read), size: stat.size };
  } finally {
    closeQuietly(fd);
  }
}

/** Read into all of `into` from file position `position` on, stopping early only at the end of the file. */
function readFully(fn: string, path: string, fd: number, into: Uint8Array, position = 0): number {
  let read = 0;
  while (read < into.length) {
    let n: number;
    try {
      n = fs.readSync(fd, into, read, into.length - read, position + read);
    } catch (e) {
      throw new Error(`${fn}: cannot read ${path}: ${(e as Error).message}`, { cause: e });
    }
    if (n === 0) break;
    read += n;
  }
  return read;
}

function existingMode(path: string): number | null {
  try {
    return fs.statSync(path).mode & 0o7777;
  } catch {
    return null;
  }
}

/** Make a rename durable. Some platforms cannot open or sync a directory (Windows): skip there. */
function fsyncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'EBADF') throw e;
  } finally {
    closeQuietly(fd);
  }
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // already failing or done: the first error is the one to report
  }
}

function removeQuietly(path: string): void {
  try {
    fs.unlinkSync(path);
  } catch {
    // never created, or already gone
  }
}
