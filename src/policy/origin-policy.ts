// Which web pages may open a socket to this server (docs/PROTOCOL.md §9). Any page on the internet
// can try to reach 127.0.0.1:23518, so browser requests are checked by their Origin header.
// Pure functions: no sockets, no logging.

/** Origins accepted without configuration, as patterns (see {@link originMatches}). Not `null`. */
export const DEFAULT_ALLOWED_ORIGINS: readonly string[] = [
  'https://playentry.org',
  'https://*.playentry.org',
  'http://localhost',
  'https://localhost',
  'http://127.0.0.1',
  'https://127.0.0.1',
  'file://',
];

interface ParsedPattern {
  scheme: string;
  host: string;
}

/** Reads a configured pattern `scheme://host[:port]` (host may start with `*.`); ports are ignored. */
function parsePattern(pattern: string): ParsedPattern | undefined {
  const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#@\\]+)\/?$/i.exec(pattern.trim());
  if (!match) return undefined;
  const authority = (match[2] as string).toLowerCase();
  const host = authority.startsWith('[')
    ? authority.replace(/(\])(:\d+)?$/, '$1')
    : authority.replace(/:\d+$/, '');
  return { scheme: (match[1] as string).toLowerCase(), host };
}

/**
 * Parses an Origin header the way a browser writes it. Returns scheme and host only when the
 * header text is exactly the serialised origin of what it parses to, so tricks such as
 * `https://evil.com#.playentry.org`, `https://evil.com?.playentry.org` or
 * `https://evil.com\.playentry.org` (which a URL parser reads as evil.com) parse to nothing.
 */
export function parseOriginHeader(origin: string): ParsedPattern | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return undefined;
  }
  if (url.origin === 'null' || url.origin !== origin) return undefined;
  return { scheme: url.protocol.slice(0, -1), host: url.hostname };
}

/**
 * True when `origin` matches `pattern`. Patterns are `*` (anything), `null`, `file://`, or
 * `scheme://host` where host may start with `*.` for subdomains; ports are not compared.
 * The origin must be canonical (see {@link parseOriginHeader}), except for a lower/upper case
 * difference, which {@link isOriginAllowed} refuses on its own.
 *
 * @example
 * originMatches('https://dev.playentry.org', 'https://*.playentry.org') // true
 * originMatches('https://playentry.org.evil.com', 'https://*.playentry.org') // false
 * originMatches('https://evil.com#.playentry.org', 'https://*.playentry.org') // false
 */
export function originMatches(origin: string, pattern: string): boolean {
  const p = pattern.trim().toLowerCase();
  if (p === '*') return true;
  if (p === 'null' || origin === 'null') return p === origin;
  if (p === 'file://' || p === 'file:///') return origin === 'file://';
  const want = parsePattern(p);
  const got = parseOriginHeader(origin.toLowerCase());
  if (!want || !got || want.scheme !== got.scheme) return false;
  if (want.host.startsWith('*.')) return got.host.endsWith(want.host.slice(1));
  return want.host === got.host;
}

/**
 * Decides whether an Origin header names a page allowed to talk to this server. Only exact,
 * canonical origins count (as browsers send them); `null` (sandboxed frames, `data:` URLs) only
 * when an embedder added it. A missing header is not an allowed origin: see
 * {@link checkSocketOrigin} for when a request without one is accepted.
 *
 * @example
 * isOriginAllowed('https://playentry.org', [])                         // true
 * isOriginAllowed('null', [])                                          // false
 * isOriginAllowed('https://school.example', ['https://school.example']) // true
 */
export function isOriginAllowed(origin: string | undefined, extraPatterns: readonly string[]): boolean {
  if (origin === undefined) return false;
  const patterns = [...DEFAULT_ALLOWED_ORIGINS, ...extraPatterns];
  if (patterns.some((pattern) => pattern.trim() === '*')) return true;
  if (origin !== 'null' && origin !== 'file://' && parseOriginHeader(origin) === undefined) return false;
  return patterns.some((pattern) => originMatches(origin, pattern));
}

export type SocketOriginCheck = { ok: true; local: boolean } | { ok: false; reason: string };

/**
 * The Origin rule for every request under the socket.io path. Without an Origin header only a
 * WebSocket upgrade is accepted (a local program: browsers always send Origin on a WebSocket
 * handshake, while a `<script>` or `<img>` polling request sends none). With one, it must be allowed.
 *
 * @example
 * checkSocketOrigin(undefined, true, [])                 // { ok: true, local: true }
 * checkSocketOrigin(undefined, false, []).ok             // false (polling needs an allowed Origin)
 * checkSocketOrigin('https://playentry.org', false, [])  // { ok: true, local: false }
 */
export function checkSocketOrigin(
  origin: string | undefined,
  websocket: boolean,
  extraPatterns: readonly string[],
): SocketOriginCheck {
  if (origin === undefined) {
    return websocket ? { ok: true, local: true } : { ok: false, reason: 'polling request without Origin' };
  }
  if (isOriginAllowed(origin, extraPatterns)) return { ok: true, local: false };
  return { ok: false, reason: 'origin is not allowed' };
}
