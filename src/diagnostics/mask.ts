// Privacy and escaping for the diagnostics page and bundle: masks roomIds, removes what
// identifies a child or a PC (host name, user name, home path, MAC and non-loopback IP addresses)
// from free text, truncates attacker-supplied text, and escapes values for HTML and inline scripts.
import { homedir, hostname, userInfo } from 'node:os';

/** Longest text kept from one log line; the rest is cut and marked with `…`. */
export const MAX_TEXT_CHARS = 300;

/**
 * The first three characters of a roomId and `…`; never the whole id.
 *
 * @example
 * maskRoomId('0a1b2c3d4e') // '0a1…'
 * maskRoomId(undefined)    // null
 */
export function maskRoomId(roomId: string | undefined): string | null {
  if (roomId === undefined) return null;
  return `${Array.from(roomId).slice(0, 3).join('')}…`;
}

/**
 * Cuts `text` to `max` characters (by code point) and marks the cut with `…`.
 *
 * @example
 * truncate('abcdef', 4) // 'abc…'
 */
export function truncate(text: string, max = MAX_TEXT_CHARS): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes text for an HTML text node or a quoted attribute.
 *
 * @example
 * escapeHtml('<img src=x onerror="a()">') // '&lt;img src=x onerror=&quot;a()&quot;&gt;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] as string);
}

/**
 * JSON for a `<script>` element: `<`, `>`, `&` and the JS line separators are written as
 * `\uXXXX`, so no value can close the script or open a comment.
 *
 * @example
 * jsonForScript({ a: '</script>' }) // '{"a":"\\u003c/script\\u003e"}'
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** What identifies this PC and its user, to be removed from free text. */
export interface PrivateFacts {
  hostname: string;
  username: string;
  homedir: string;
  /** roomIds known right now (any shape an embedder uses, not only entryjs's 10 hex). */
  roomIds: readonly string[];
}

function safe<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/** The host name, user name and home directory of this process (empty when unknown). */
export function localPrivateFacts(): Omit<PrivateFacts, 'roomIds'> {
  return {
    hostname: safe(() => hostname(), ''),
    username: safe(() => userInfo().username, ''),
    homedir: safe(() => homedir(), ''),
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const MAC = /\b[0-9a-f]{2}(?:[:-][0-9a-f]{2}){5}\b/gi;
const IPV4 = /\b(\d{1,3})(?:\.\d{1,3}){3}\b/g;
// IPv6: eight full groups, or a compressed form with `::` (::1 and :: are kept). Times such as
// 12:34:56 have neither.
const IPV6 =
  /(?<![\w:])(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:)*[0-9a-f]{0,4}::(?:[0-9a-f]{1,4}:)*[0-9a-f]{0,4})(?:%\w+)?(?![\w:])/gi;
// entryjs roomIds (10 hex characters) and anything hex that long, e.g. in a log line about a room.
const HEX_TOKEN = /\b[0-9a-f]{10,}\b/gi;

/**
 * Removes personal and machine-identifying facts from a line of text: known roomIds and hex
 * tokens become masked, the home path `~`, the user and host names `<user>` / `<host>`, MAC
 * addresses `<mac>`, IP addresses other than loopback `<ip>`.
 *
 * @example
 * scrubText('no cert.pem in /home/kim/certs for 0a1b2c3d4e', { hostname: 'pc1', username: 'kim', homedir: '/home/kim', roomIds: [] })
 * // 'no cert.pem in ~/certs for 0a1…'
 */
export function scrubText(text: string, facts: PrivateFacts): string {
  let out = text;
  for (const roomId of [...facts.roomIds].sort((a, b) => b.length - a.length)) {
    if (roomId.length >= 3) out = out.split(roomId).join(maskRoomId(roomId) as string);
  }
  out = out.replace(HEX_TOKEN, (token) => maskRoomId(token) as string);
  if (facts.homedir.length > 1) out = out.split(facts.homedir).join('~');
  out = out.replace(/([A-Za-z]:\\Users\\|\/Users\/|\/home\/)[^\\/\s"'<>]+/g, '$1<user>');
  if (facts.username.length >= 2) {
    out = out.replace(new RegExp(`\\b${escapeRegExp(facts.username)}\\b`, 'gi'), '<user>');
  }
  if (facts.hostname.length >= 2) {
    out = out.replace(new RegExp(`\\b${escapeRegExp(facts.hostname)}\\b`, 'gi'), '<host>');
  }
  out = out.replace(MAC, '<mac>');
  out = out.replace(IPV4, (ip, first: string) => (first === '127' ? ip : '<ip>'));
  out = out.replace(IPV6, (ip) => (ip === '::1' || ip === '::' ? ip : '<ip>'));
  return out;
}
