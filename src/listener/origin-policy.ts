// Which web pages may open a socket to this server (PROTOCOL.md §9). Any page on the internet
// can try to reach 127.0.0.1:23518, so browser handshakes are checked by their Origin header.
// Pure functions: no sockets, no logging.

/** Origins accepted without configuration, as patterns (see {@link originMatches}). */
export const DEFAULT_ALLOWED_ORIGINS: readonly string[] = [
  'https://playentry.org',
  'https://*.playentry.org',
  'http://localhost',
  'https://localhost',
  'http://127.0.0.1',
  'https://127.0.0.1',
  'file://',
  'null',
];

interface ParsedOrigin {
  scheme: string;
  host: string;
}

function parseOrigin(origin: string): ParsedOrigin | undefined {
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(origin.trim());
  if (!match) return undefined;
  const scheme = (match[1] as string).toLowerCase();
  const authority = (match[2] as string).replace(/\/+$/, '').toLowerCase();
  if (authority.includes('/') || authority.includes('@')) return undefined;
  // Drop the port: an allowed host is trusted on any port.
  const host = authority.startsWith('[')
    ? authority.replace(/(\])(:\d+)?$/, '$1')
    : authority.replace(/:\d+$/, '');
  return { scheme, host };
}

/**
 * True when `origin` matches `pattern`. Patterns are `*` (anything), `null`, `file://`, or
 * `scheme://host` where host may start with `*.` for subdomains; ports are not compared.
 *
 * @example
 * originMatches('https://dev.playentry.org', 'https://*.playentry.org') // true
 * originMatches('https://playentry.org.evil.com', 'https://*.playentry.org') // false
 */
export function originMatches(origin: string, pattern: string): boolean {
  const p = pattern.trim().toLowerCase();
  const o = origin.trim().toLowerCase();
  if (p === '*') return true;
  if (p === 'null' || o === 'null') return p === o;
  if (p === 'file://' || p === 'file:///') return o.startsWith('file://');
  const want = parseOrigin(p);
  const got = parseOrigin(o);
  if (!want || !got || want.scheme !== got.scheme) return false;
  if (want.host.startsWith('*.')) return got.host.endsWith(want.host.slice(1));
  return want.host === got.host;
}

/**
 * Decides whether a handshake's Origin header is acceptable. A missing header means a local
 * program that is not a browser (browsers always send Origin on WebSocket handshakes): allowed.
 *
 * @example
 * isOriginAllowed(undefined, [])                       // true
 * isOriginAllowed('https://evil.example', [])          // false
 * isOriginAllowed('https://school.example', ['https://school.example']) // true
 */
export function isOriginAllowed(origin: string | undefined, extraPatterns: readonly string[]): boolean {
  if (origin === undefined) return true;
  return [...DEFAULT_ALLOWED_ORIGINS, ...extraPatterns].some((pattern) => originMatches(origin, pattern));
}
