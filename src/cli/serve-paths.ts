/**
 * Request checks of `attend serve`, as pure functions (tested one by one): which URL paths are
 * refused before any lookup, and which Host headers are accepted.
 *
 * The server never maps a URL onto the file system: it answers only the fixed routes of a table
 * built at start. These checks refuse the classic traversal spellings anyway, with 400, so a
 * probe gets a clear answer and a future route cannot reopen the hole.
 */

export type PathCheck = { ok: true; path: string } | { ok: false; reason: string };

/**
 * The decoded path of a raw request target (`req.url`, before any normalisation: Node's URL
 * parser would resolve `..` and hide the attempt), or why it is refused.
 */
export function checkRequestPath(rawUrl: string): PathCheck {
  const target = rawUrl.split('?', 1)[0].split('#', 1)[0];
  if (!target.startsWith('/')) return { ok: false, reason: 'the path must start with /' };
  if (target.startsWith('//')) return { ok: false, reason: 'absolute or network paths are refused' };
  // encoded separators and NUL: a file name never needs them
  if (/\\|%5c|%2f|%00/i.test(target)) return { ok: false, reason: 'encoded separators and backslashes are refused' };
  let path: string;
  try {
    path = decodeURIComponent(target);
  } catch {
    return { ok: false, reason: 'malformed percent-encoding' };
  }
  // what is still percent-encoded after one decoding was encoded twice (%252e → %2e)
  if (/%[0-9a-f]{2}/i.test(path)) return { ok: false, reason: 'double percent-encoding is refused' };
  if (path.includes('\0') || path.includes('\\')) return { ok: false, reason: 'NUL and backslashes are refused' };
  if (path.split('/').some((segment) => segment === '..' || segment === '.'))
    return { ok: false, reason: 'dot segments are refused' };
  if (/^\/[a-z]:/i.test(path) || path.includes(':'))
    return { ok: false, reason: 'drive letters and colons are refused' };
  return { ok: true, path };
}

/** `host` as it appears in a Host header: IPv6 literals in brackets. */
export function hostForHeader(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * Host header values accepted: the loopback names and the bound host, each with the bound
 * port. Anything else is refused: a DNS-rebinding page reaches the server under its own name.
 */
export function allowedHosts(boundHost: string, port: number): Set<string> {
  const names = ['localhost', '127.0.0.1', '[::1]', hostForHeader(boundHost)];
  return new Set(names.map((n) => `${n.toLowerCase()}:${port}`));
}

export function isAllowedHost(header: string | undefined, allowed: ReadonlySet<string>): boolean {
  return header !== undefined && allowed.has(header.trim().toLowerCase());
}
