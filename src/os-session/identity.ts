// Who an OS session is, as a small value every instance on one machine can compare and send: the
// user id on Linux and macOS, the Windows session id on Windows (docs/SESSIONS.md §1). Also the
// strict parser for the form a peer sends over the wire, and the answer a lookup gives.
import { asRecord, type WireRecord } from '../util/wire';

/** The largest id accepted: `uid_t` and a Windows session id are 32-bit, and all ones means "none". */
export const MAX_SESSION_NUMBER = 0xfffffffe;

/** One OS session. Two instances compare equal only on the same platform and the same number. */
export type SessionIdentity =
  | { readonly platform: 'linux'; readonly uid: number }
  | { readonly platform: 'darwin'; readonly uid: number }
  | { readonly platform: 'win32'; readonly sessionId: number };

/** Why a lookup gives no identity. Each means "do not pair"; none is a guess. */
export type UnknownReason =
  /** No mechanism on this platform. */
  | 'unsupported'
  /** The connection's ends are not both loopback addresses (or not known). */
  | 'not-loopback'
  /** The server's socket closed before or during the lookup, so its port may have been reused. */
  | 'closed'
  /** The OS table holds no live row for the far end (gone, or not visible to this user). */
  | 'not-found'
  /** A row was found but its owner cannot be told (an unmapped uid, a process already gone). */
  | 'unresolved'
  /** Rows with different owners matched. */
  | 'ambiguous'
  /** The lookup took longer than its bound. */
  | 'timeout'
  /** The table could not be read or a command failed (exit code, unreadable output). */
  | 'failed';

/** What a lookup answers. `detail` is for a log line and holds no text from outside. */
export type SessionAnswer =
  | { readonly known: true; readonly session: SessionIdentity }
  | { readonly known: false; readonly reason: UnknownReason; readonly detail?: string };

/** A known answer. */
export function knownSession(session: SessionIdentity): SessionAnswer {
  return { known: true, session };
}

/** An unknown answer with its reason. */
export function unknownSession(reason: UnknownReason, detail?: string): SessionAnswer {
  return detail === undefined ? { known: false, reason } : { known: false, reason, detail };
}

/**
 * Whether two identities are the same OS session. An absent identity equals nothing, not even
 * another absent one: "unknown" never pairs.
 *
 * @example
 * sameSession({ platform: 'linux', uid: 1001 }, { platform: 'linux', uid: 1001 }); // true
 * sameSession(undefined, undefined); // false
 */
export function sameSession(a: SessionIdentity | undefined, b: SessionIdentity | undefined): boolean {
  if (a === undefined || b === undefined || a.platform !== b.platform) return false;
  return a.platform === 'win32'
    ? b.platform === 'win32' && a.sessionId === b.sessionId
    : b.platform !== 'win32' && a.uid === b.uid;
}

/** The identity of a known answer, else undefined. */
export function sessionOf(answer: SessionAnswer): SessionIdentity | undefined {
  return answer.known ? answer.session : undefined;
}

/**
 * Reads an identity sent over the wire (a peer's report). Strict: a plain object with exactly
 * `platform` and its one number field, an integer from 0 to {@link MAX_SESSION_NUMBER}; anything
 * else (extra keys, strings, fractions, arrays, a prototype other than Object's) is undefined.
 *
 * @example
 * parseSessionIdentity({ platform: 'win32', sessionId: 3 }); // { platform: 'win32', sessionId: 3 }
 * parseSessionIdentity({ platform: 'win32', sessionId: '3' }); // undefined
 */
export function parseSessionIdentity(value: unknown): SessionIdentity | undefined {
  const record = asRecord(value);
  if (record === undefined) return undefined;
  const proto = Object.getPrototypeOf(record);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const keys = Object.keys(record);
  if (keys.length !== 2 || Object.getOwnPropertySymbols(record).length > 0) return undefined;
  const platform = record.platform;
  if (platform === 'linux' || platform === 'darwin') {
    const uid = sessionNumber(record, 'uid');
    return uid === undefined ? undefined : { platform, uid };
  }
  if (platform === 'win32') {
    const sessionId = sessionNumber(record, 'sessionId');
    return sessionId === undefined ? undefined : { platform, sessionId };
  }
  return undefined;
}

function sessionNumber(record: WireRecord, key: string): number | undefined {
  if (!Object.hasOwn(record, key)) return undefined;
  const n = record[key];
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_SESSION_NUMBER) return undefined;
  return n === 0 ? 0 : n; // -0 becomes 0
}

/**
 * A short description for log lines and diagnostics: a number, never a user name.
 *
 * @example
 * describeSession({ platform: 'win32', sessionId: 3 }); // 'Windows session 3'
 */
export function describeSession(session: SessionIdentity): string {
  return session.platform === 'win32' ? `Windows session ${session.sessionId}` : `uid ${session.uid}`;
}

/** A short description of an answer for a log line. */
export function describeAnswer(answer: SessionAnswer): string {
  if (answer.known) return describeSession(answer.session);
  return answer.detail ? `unknown (${answer.reason}: ${answer.detail})` : `unknown (${answer.reason})`;
}
