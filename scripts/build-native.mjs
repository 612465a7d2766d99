// Builds the native kernels (native/*.cc) into build/attend_native.node, for Node only.
//
// Why g++ directly and not node-gyp: the addon uses only N-API (node_api.h), which is ABI-stable,
// so it needs no per-version build logic, and node-gyp would try to download Node's headers, which
// these machines cannot (no network beyond the npm and Debian registries). One compiler command,
// with the headers Node ships (or Debian's /usr/include/node), is the smallest thing that works.
//
// This script never fails the install: when there is no compiler, no headers, or the compile
// fails, it prints one warning line and exits 0; the package then runs on WebAssembly.
// ATTEND_NATIVE_BUILD=0 skips the build; CXX picks the compiler (default g++).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const sourceDir = join(root, 'native');
const output = join(root, 'build', 'attend_native.node');

function warn(reason) {
  console.warn(`attend: native kernels not built (${reason}); Node will use the WebAssembly kernels.`);
  process.exit(0);
}

/** The folder with node_api.h: next to this Node binary, in its configured prefix, or Debian's. */
function nodeIncludeDir() {
  const prefix = process.config?.variables?.node_prefix;
  const candidates = [
    process.env.ATTEND_NODE_INCLUDE,
    join(dirname(process.execPath), '..', 'include', 'node'),
    prefix && join(prefix, 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ];
  return candidates.find((dir) => dir && existsSync(join(dir, 'node_api.h')));
}

if (process.env.ATTEND_NATIVE_BUILD === '0') process.exit(0);
if (process.arch !== 'x64' && process.arch !== 'arm64') warn(`unsupported architecture ${process.arch}`);

let sources = [];
try {
  sources = readdirSync(sourceDir)
    .filter((f) => f.endsWith('.cc'))
    .map((f) => join(sourceDir, f));
} catch {
  warn('no native/ folder');
}
const headers = readdirSync(sourceDir)
  .filter((f) => f.endsWith('.h'))
  .map((f) => join(sourceDir, f));
const newest = Math.max(...[...sources, ...headers, new URL(import.meta.url).pathname].map((f) => statSync(f).mtimeMs));
if (existsSync(output) && statSync(output).mtimeMs > newest) process.exit(0); // up to date

const include = nodeIncludeDir();
if (!include) warn("Node's headers (node_api.h) not found; set ATTEND_NODE_INCLUDE");
const cxx = process.env.CXX || 'g++';
// No -march: the AVX2 and AVX-512 code is chosen at run time (target attributes), so the binary
// runs on any CPU of the architecture. -fno-math-errno lets sqrt and exp stay inline.
const flags = ['-O3', '-std=c++17', '-shared', '-fPIC', '-pthread', '-fvisibility=hidden', '-fno-math-errno'];
const temporary = `${output}.${process.pid}.tmp`;
try {
  mkdirSync(dirname(output), { recursive: true });
  execFileSync(cxx, [...flags, `-I${include}`, ...sources, '-o', temporary], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 600_000, // a compiler that hangs must not hang the install
  });
  renameSync(temporary, output); // whole or not at all: a half-written addon would crash the loader
} catch (error) {
  rmSync(temporary, { force: true });
  rmSync(output, { force: true }); // a stale addon from older sources must not load
  const stderr = String(error.stderr ?? '').trim();
  const first = stderr.split('\n').find((line) => /error/i.test(line)) ?? stderr.split('\n')[0];
  warn(
    error.code === 'ENOENT'
      ? `no C++ compiler: ${cxx} not found`
      : error.signal
        ? `${cxx} stopped (${error.signal}) after 10 minutes`
        : `${cxx} failed: ${first || error.message}`,
  );
}
