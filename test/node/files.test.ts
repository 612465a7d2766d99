// Atomic writes: the target holds the old bytes or the new, never a mix, and no temp file is
// left behind, even when a step fails half-way (faults injected into node:fs, and real ones).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, mock, test } from 'node:test';
import { readFileChecked, readFileHead, writeFileAtomicSync } from '../../src/node/files.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(join(tmpdir(), 'attend-files-'));
});
afterEach(() => {
  mock.restoreAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

const text = (p: string) => fs.readFileSync(p, 'utf8');

test('writes a new file and replaces an old one, leaving nothing else in the directory', () => {
  const p = join(dir, 'a.bin');
  writeFileAtomicSync(p, new Uint8Array([1, 2, 3]));
  assert.deepEqual([...fs.readFileSync(p)], [1, 2, 3]);
  writeFileAtomicSync(p, 'héllo'); // strings as UTF-8
  assert.equal(text(p), 'héllo');
  writeFileAtomicSync(p, new Uint8Array(0));
  assert.equal(fs.statSync(p).size, 0);
  assert.deepEqual(fs.readdirSync(dir), ['a.bin']);
});

test('a view into a larger buffer writes only its own bytes', () => {
  const p = join(dir, 'v.bin');
  const big = new Uint8Array([9, 9, 1, 2, 9]);
  writeFileAtomicSync(p, big.subarray(2, 4));
  assert.deepEqual([...fs.readFileSync(p)], [1, 2]);
});

test('an existing file keeps its permissions; a new one takes options.mode', () => {
  if (process.platform === 'win32') return; // no POSIX permission bits there
  const p = join(dir, 'private');
  fs.writeFileSync(p, 'old');
  fs.chmodSync(p, 0o600);
  writeFileAtomicSync(p, 'new');
  assert.equal(fs.statSync(p).mode & 0o777, 0o600);
  const q = join(dir, 'new');
  writeFileAtomicSync(q, 'x', { mode: 0o640 });
  assert.equal(fs.statSync(q).mode & 0o777, 0o640 & ~process.umask());
});

for (const step of ['writeSync', 'fsyncSync', 'renameSync'] as const) {
  test(`a failure in ${step} leaves the old file intact and removes the temp`, () => {
    const p = join(dir, 'model.safetensors');
    fs.writeFileSync(p, 'old content');
    const fault = Object.assign(new Error(`${step}: injected fault`), { code: 'EIO' });
    mock.method(fs, step, () => {
      throw fault;
    });
    assert.throws(
      () => writeFileAtomicSync(p, 'new content that must not appear'),
      (e: Error) => {
        assert.match(e.message, /^writeFileAtomicSync: could not write .*model\.safetensors: .*injected fault/);
        assert.equal(e.cause, fault);
        return true;
      },
    );
    mock.restoreAll();
    assert.equal(text(p), 'old content');
    assert.deepEqual(fs.readdirSync(dir), ['model.safetensors']);
  });
}

test('a short write is continued, not mistaken for the whole file', () => {
  const p = join(dir, 'short');
  const real = fs.writeSync;
  // the OS may write fewer bytes than asked: at most 2 per call here
  mock.method(fs, 'writeSync', (fd: number, b: Uint8Array, off: number, len: number) =>
    real(fd, b, off, Math.min(len, 2)),
  );
  writeFileAtomicSync(p, 'abcdefg');
  mock.restoreAll();
  assert.equal(text(p), 'abcdefg');
});

test('real failures: a missing directory, and a directory in the target’s place', () => {
  assert.throws(
    () => writeFileAtomicSync(join(dir, 'missing', 'x.bin'), 'data'),
    /^Error: writeFileAtomicSync: could not write .*missing[\\/]x\.bin: ENOENT/,
  );
  assert.deepEqual(fs.readdirSync(dir), []);
  const target = join(dir, 'occupied');
  fs.mkdirSync(target);
  fs.writeFileSync(join(target, 'keep'), 'kept');
  assert.throws(() => writeFileAtomicSync(target, 'data'), /could not write .*occupied: E(ISDIR|NOTEMPTY|EXIST|PERM)/);
  assert.deepEqual(fs.readdirSync(dir), ['occupied']);
  assert.equal(text(join(target, 'keep')), 'kept');
});

test('bad arguments name the argument and the received value', () => {
  assert.throws(() => writeFileAtomicSync('', 'x'), /path must be a non-empty string, received /);
  assert.throws(
    () => writeFileAtomicSync(join(dir, 'x'), 3 as unknown as string),
    /data must be a Uint8Array or a string, received number/,
  );
  assert.throws(() => readFileChecked(join(dir, 'x'), -1), /maxBytes must be a non-negative integer, received -1/);
});

test('readFileChecked reads a file, and refuses missing, directory and too large ones by path', () => {
  const p = join(dir, 'f');
  fs.writeFileSync(p, 'twelve bytes');
  assert.equal(new TextDecoder().decode(readFileChecked(p)), 'twelve bytes');
  assert.equal(readFileChecked(p, 12).length, 12);
  assert.throws(() => readFileChecked(p, 11), /readFileChecked: .*[\\/]f is 12 bytes, expected at most 11/);
  assert.throws(() => readFileChecked(join(dir, 'nope')), /readFileChecked: cannot open .*nope: no such file/);
  assert.throws(() => readFileChecked(dir), /readFileChecked: .* is not a regular file/);
  const empty = join(dir, 'empty');
  fs.writeFileSync(empty, '');
  assert.equal(readFileChecked(empty).length, 0);
});

test('readFileChecked refuses a file whose size changes while it is read', () => {
  const p = join(dir, 'growing');
  fs.writeFileSync(p, 'abcd');
  const real = fs.readSync;
  let appended = false;
  mock.method(fs, 'readSync', (...args: Parameters<typeof fs.readSync>) => {
    if (!appended) fs.appendFileSync(p, 'more'); // a writer appends after our fstat
    appended = true;
    return (real as (...a: unknown[]) => number)(...args);
  });
  assert.throws(() => readFileChecked(p), /growing changed size while being read \(4 bytes when opened\)/);
});

test('readFileHead reads only the beginning and reports the size', () => {
  const p = join(dir, 'h');
  fs.writeFileSync(p, 'header+body');
  assert.deepEqual(readFileHead(p, 6), { bytes: new TextEncoder().encode('header'), size: 11 });
  assert.equal(readFileHead(p, 100).bytes.length, 11);
  assert.throws(() => readFileHead(join(dir, 'nope'), 8), /readFileHead: cannot open .*nope/);
});
