// The IPC contract with the parent process (Entry HW), declared once as one typed map per
// direction, plus the guard that turns an untrusted incoming value into a typed message.
// Shared by the server (main.ts), the developer console and the tests. See docs/PROTOCOL.md §2.
import { asRecord } from '../util/wire';

/** Running mode constants (compat): the numbers Entry HW compares against. */
export const RunningMode = { server: 2, client: 3 } as const;
export type RunningModeValue = (typeof RunningMode)[keyof typeof RunningMode];

/** Cloud mode constants (compat). */
export const CloudMode = { singleServer: 0, cloud: 1 } as const;
export type CloudModeValue = (typeof CloudMode)[keyof typeof CloudMode];

/** Options object accepted by `open` (extension; every field optional). */
export interface OpenOptions {
  /** http(s) endpoint for usage telemetry (§7). Without it nothing is sent. */
  telemetryUrl?: string;
  /** entry-offline's version, reported with telemetry. */
  offlineVersion?: string;
  /** Extra browser origins to accept, e.g. `https://school.example`. `*` accepts all. */
  allowedOrigins?: string[];
}

/** Longest roomId accepted from the parent or a peer. */
export const MAX_ROOM_ID_LENGTH = 128;

/**
 * Messages the parent sends to the server, keyed by `key`; the property type is `value`.
 *
 * @example
 * child.send({ key: 'open', value: 'production' });
 * child.send({ key: 'addRoomId', value: '0a1b2c3d4e' });
 * child.send({ key: 'send', value: { company: 1, model: 1, a0: 512 } });
 * child.send({ key: 'encrypt', value: 'hello', id: 7 });
 */
export interface ParentToServerMessages {
  /** Start listening (host) or join the host (peer). A second `open` is a no-op. */
  open: string | OpenOptions | undefined;
  /** This instance's roomId (cloud PC mode). */
  addRoomId: string;
  /** Deliver `{ data: value }` to the browser(s) this instance serves. */
  send: unknown;
  /** Same as `send` with the legacy string `"disconnectHardware"`. */
  disconnectHardware: undefined;
  /** Telemetry: a device connected; value is the hardware id, e.g. `"520101"`. */
  connectHardwareSuccess: string;
  /** Telemetry: a device failed to connect. */
  connectHardwareFailed: undefined;
  /** Encrypt a string with the embedded passphrase (crypto-js format); replies `encrypt`. */
  encrypt: string;
  /** Decrypt a crypto-js passphrase ciphertext; replies `decrypt`. */
  decrypt: string;
}

/**
 * Which browser connected, carried by the `connection` message (extension; Entry HW ignores the
 * value). Only browsers this instance serves are told (docs/PROTOCOL.md §2); peers never are.
 */
export interface ConnectionInfo {
  kind: 'browser';
  roomId: string | undefined;
}

/** Codes of the `error` message (extension). */
export type ServerErrorCode =
  | 'PORT_HELD_BY_OTHER_PROGRAM'
  | 'CERT_EXPIRED'
  | 'CERT_EXPIRING_SOON'
  | 'LISTEN_FAILED'
  /** Cloud PC mode: another instance already serves this roomId, or it is the host's own room. */
  | 'ROOM_CLAIMED'
  /**
   * Cloud PC mode: this instance has no roomId, so the server cannot tell which Entry page is its
   * student's and serves none (docs/PROTOCOL.md §4). Pressing the hardware-connect button on the
   * Entry page again sends Entry HW the room number.
   */
  | 'ROOM_UNKNOWN'
  /** Cloud PC mode: the port's holder is an older entry-hw-server (v2) this version cannot join. */
  | 'HOST_IS_OLDER_VERSION'
  /** A bug escaped every guard; the server exits right after sending this (docs/ARCHITECTURE.md). */
  | 'INTERNAL_ERROR';

export interface ServerErrorInfo {
  code: ServerErrorCode;
  message: string;
}

/**
 * Messages the server sends to the parent, keyed by `key`; the property type is `value`.
 *
 * @example
 * child.on('message', (m) => {
 *   if (m.key === 'runningModeChanged' && m.value === RunningMode.server) console.log('I am the host');
 *   if (m.key === 'data') forwardToDevice(m.value);
 * });
 */
export interface ServerToParentMessages {
  /** 2 host, 3 peer: after `open` settles and on every change. */
  runningModeChanged: RunningModeValue;
  /** 0 single server, 1 cloud: after `open` settles and on every change. */
  cloudModeChanged: CloudModeValue;
  /** A browser's `message` payload routed to this instance, unchanged. */
  data: unknown;
  /** A socket connected to this host. */
  connection: ConnectionInfo | undefined;
  /** A socket left this host; value is its roomId, if it had one. */
  close: string | undefined;
  /** Reply to `encrypt` (see {@link CipherReply}). */
  encrypt: string;
  /** Reply to `decrypt` (see {@link CipherReply}). */
  decrypt: string;
  /** A condition the app should surface. */
  error: ServerErrorInfo;
}

export type ParentToServerKey = keyof ParentToServerMessages;
export type ServerToParentKey = keyof ServerToParentMessages;

/**
 * Server → parent messages the server object raises as events (every one but the cipher replies,
 * which the IPC adapter answers itself). The IPC hand-off forwards exactly these.
 */
export type ServerEventKey = Exclude<ServerToParentKey, 'encrypt' | 'decrypt'>;

/** The server object's events: one argument each, the value of the matching IPC message. */
export type ServerEvents = { [K in ServerEventKey]: [value: ServerToParentMessages[K]] };

/**
 * Every {@link ServerEventKey}, checked complete by the compiler (a key added to
 * {@link ServerToParentMessages} and missing here fails to compile).
 *
 * @example
 * for (const key of SERVER_EVENT_KEYS) server.on(key, (value) => sink.send({ key, value }));
 */
export const SERVER_EVENT_KEYS = Object.values({
  runningModeChanged: 'runningModeChanged',
  cloudModeChanged: 'cloudModeChanged',
  data: 'data',
  connection: 'connection',
  close: 'close',
  error: 'error',
} as const satisfies { [K in ServerEventKey]: K });

/** One parent → server message; `id` is echoed by `encrypt`/`decrypt` replies. */
export type ParentMessage<K extends ParentToServerKey = ParentToServerKey> = {
  [P in K]: { key: P; value: ParentToServerMessages[P]; id?: string | number };
}[K];

/** One server → parent message. `id` and `error` appear only on `encrypt`/`decrypt` replies. */
export type ServerMessage<K extends ServerToParentKey = ServerToParentKey> = {
  [P in K]: { key: P; value: ServerToParentMessages[P]; id?: string | number; error?: string };
}[K];

/** The shape of an `encrypt`/`decrypt` reply. */
export type CipherReply = ServerMessage<'encrypt' | 'decrypt'>;

/** Result of {@link parseParentMessage}. */
export type ParsedParentInput =
  | { kind: 'message'; message: ParentMessage }
  | { kind: 'exit' }
  | { kind: 'invalid'; reason: string; key?: string; id?: string | number };

const KNOWN_KEYS: ReadonlySet<string> = new Set<ParentToServerKey>([
  'open',
  'addRoomId',
  'send',
  'disconnectHardware',
  'connectHardwareSuccess',
  'connectHardwareFailed',
  'encrypt',
  'decrypt',
]);

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return value.length > 40 ? `a string of ${value.length} chars` : JSON.stringify(value);
  return `a ${typeof value}`;
}

/** True for a non-empty roomId of at most {@link MAX_ROOM_ID_LENGTH} characters, without control characters. */
export function isValidRoomId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_ROOM_ID_LENGTH &&
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is rejected
    !/[\u0000-\u001f\u007f]/.test(value)
  );
}

/** Checks the value for keys whose value has a required shape; undefined when it is fine. */
function valueProblem(key: ParentToServerKey, value: unknown): string | undefined {
  switch (key) {
    case 'addRoomId':
      return isValidRoomId(value)
        ? undefined
        : `roomId must be a string of 1..${MAX_ROOM_ID_LENGTH} printable chars, got ${describe(value)}`;
    case 'encrypt':
    case 'decrypt':
      return typeof value === 'string' ? undefined : `value must be a string, got ${describe(value)}`;
    case 'open':
      if (value === undefined || value === null || typeof value === 'string') return undefined;
      if (typeof value === 'object' && !Array.isArray(value)) return undefined;
      return `value must be a mode, a URL or an options object, got ${describe(value)}`;
    default:
      return undefined;
  }
}

/**
 * Turns whatever arrived on the IPC channel into a typed message, the bare `"exit"` command,
 * or a reason to ignore it. Never throws.
 *
 * @example
 * parseParentMessage({ key: 'send', value: 1 });  // { kind: 'message', message: { key: 'send', value: 1 } }
 * parseParentMessage('exit');                      // { kind: 'exit' }
 * parseParentMessage(null);                        // { kind: 'invalid', reason: 'expected { key, value }, got null' }
 */
export function parseParentMessage(raw: unknown): ParsedParentInput {
  if (raw === 'exit') return { kind: 'exit' };
  const record = asRecord(raw);
  if (record === undefined) {
    return { kind: 'invalid', reason: `expected { key, value }, got ${describe(raw)}` };
  }
  const { key, value } = record;
  const id = typeof record.id === 'string' || typeof record.id === 'number' ? record.id : undefined;
  if (typeof key !== 'string') {
    return { kind: 'invalid', reason: `message has no string key (key is ${describe(key)})` };
  }
  if (!KNOWN_KEYS.has(key)) {
    return { kind: 'invalid', reason: `unknown key ${describe(key)}`, key };
  }
  const problem = valueProblem(key as ParentToServerKey, value);
  if (problem !== undefined) return { kind: 'invalid', reason: `${key}: ${problem}`, key, id };
  const message = { key, value: value ?? undefined, ...(id === undefined ? {} : { id }) } as ParentMessage;
  return { kind: 'message', message };
}
