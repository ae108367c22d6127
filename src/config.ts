// Run-time settings read from the environment, with the embedded defaults the app relies on.
// Entry HW passes no arguments, so everything here has a sensible default.
import { homedir, tmpdir, userInfo } from 'node:os';
import { logDirectory } from './util/log-location';

/** The compat port the browser workspace connects to. */
export const DEFAULT_PORT = 23518;
/** Loopback only: the server must never be reachable from the network. */
export const LISTEN_HOST = '127.0.0.1';
/** The port's TCP server: sockets wait paused until their first byte says TLS or plain. */
export const TCP_SERVER_OPTIONS = { pauseOnConnect: true, noDelay: true } as const;
/** Largest accepted socket.io message from a client, in bytes: 100 MB, as the original (compat). */
export const MAX_PAYLOAD_BYTES = 100_000_000;
/**
 * Largest message from a connection without an Origin (a peer, a local program): a
 * peer forwards its Entry HW's device data (a few hundred bytes a frame) and small reports.
 */
export const MAX_LOCAL_PAYLOAD_BYTES = 4 * 1024 * 1024;
/**
 * Bytes of client messages in flight (being received, parsed, handed on) across all connections
 * beyond which a new large message is refused and its sender closed. One 100 MB
 * message always fits.
 */
export const INFLIGHT_BUDGET_BYTES = 128 * 1024 * 1024;
/** A message up to this size is neither counted nor refused for the in-flight budget. */
export const SMALL_MESSAGE_BYTES = 64 * 1024;
/** Heartbeat of the original (compat): a silent browser is dropped about 6 s after its last packet. */
export const PING_INTERVAL_MS = 1000;
export const PING_TIMEOUT_MS = 5000;
/** Development passphrase for encrypt/decrypt when none is embedded or configured. */
export const DEV_PASSPHRASE = 'TEST_SECRET';

export interface EnvironmentSettings {
  /** ENTRY_HW_PORT: listening / joining port (tests use a free one). */
  port: number;
  /** ENTRY_HW_CERT_DIR: directory with hardware.key, cert.pem, ChainCA1.crt, RootCA.crt. */
  certDir: string | undefined;
  /** ENTRY_HW_SECRET: encrypt/decrypt passphrase override. */
  passphrase: string | undefined;
  /** ENTRY_HW_ALLOWED_ORIGINS: extra allowed browser origins, comma separated; `*` allows all. */
  allowedOrigins: string[];
  /**
   * ENTRY_HW_SESSION_PAIRING: `off` pairs no tab by OS session (only by the roomId Entry HW gives,
   * as before pairing existed): for a PC whose students share one OS account, or to rule pairing out.
   */
  sessionPairing: boolean;
}

/** Splits a comma-separated list, dropping blanks. */
export function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** A numeric setting's bounds: a value outside is clamped, with one warning at start. */
export interface SettingRange {
  min: number;
  max: number;
  fallback: number;
}

/** ENTRY_HW_HEADERS_TIMEOUT_MS: 0.1 s to 10 min (a timer cannot go beyond about 24 days). */
export const HEADERS_TIMEOUT_RANGE: SettingRange = { min: 100, max: 600_000, fallback: 10_000 };
/** ENTRY_HW_MAX_CONNECTIONS: enough for a classroom's tabs and peers, at most 10,000. */
export const MAX_CONNECTIONS_RANGE: SettingRange = { min: 10, max: 10_000, fallback: 1000 };
/** ENTRY_HW_GC_INTERVAL_MS (besides `0`, off): a full collection at most once a second. */
export const GC_INTERVAL_RANGE: SettingRange = { min: 1000, max: 86_400_000, fallback: 60_000 };

/**
 * Reads a whole-number setting within its range: unset gives the fallback; a value that is not a
 * positive whole number gives the fallback, one outside the range its nearest bound, each with a
 * reason.
 *
 * @example
 * boundedSetting('3000000000', HEADERS_TIMEOUT_RANGE) // { value: 600000, problem: 'above the most, 600000' }
 */
export function boundedSetting(
  raw: string | undefined,
  range: SettingRange,
): { value: number; problem?: string } {
  if (raw === undefined || raw === '') return { value: range.fallback };
  const parsed = Number(raw);
  if (!Number.isInteger(parsed) || parsed <= 0)
    return { value: range.fallback, problem: 'not a positive whole number' };
  if (parsed < range.min) return { value: range.min, problem: `below the least, ${range.min}` };
  if (parsed > range.max) return { value: range.max, problem: `above the most, ${range.max}` };
  return { value: parsed };
}

/**
 * Reads the settings from an environment, and says once, at start, what it had to change: an
 * invalid port falls back to the default; the listener's limits and the collection interval are
 * clamped to their ranges (the readers below clamp the same way, silently); an allowed-origins list
 * with `*` or `null` is legal but opens the server to many pages, which is said loudly.
 *
 * @example
 * readEnvironment({ ENTRY_HW_PORT: '30000' }).port // 30000
 */
export function readEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  warn: (message: string) => void = () => {},
): EnvironmentSettings {
  const settings: [string, SettingRange][] = [
    ['ENTRY_HW_HEADERS_TIMEOUT_MS', HEADERS_TIMEOUT_RANGE],
    ['ENTRY_HW_MAX_CONNECTIONS', MAX_CONNECTIONS_RANGE],
    ['ENTRY_HW_GC_INTERVAL_MS', GC_INTERVAL_RANGE],
  ];
  for (const [name, range] of settings) {
    if (name === 'ENTRY_HW_GC_INTERVAL_MS' && env[name] === '0') continue;
    const { value, problem } = boundedSetting(env[name], range);
    if (problem) warn(`${name}=${JSON.stringify(env[name]).slice(0, 40)} is ${problem}; using ${value}`);
  }
  const origins = splitList(env.ENTRY_HW_ALLOWED_ORIGINS);
  for (const wide of ['*', 'null'])
    if (origins.includes(wide))
      warn(
        `!!! ENTRY_HW_ALLOWED_ORIGINS contains ${JSON.stringify(wide)}: ${
          wide === '*' ? 'EVERY web page' : 'any sandboxed frame or data: page on any site'
        } may now drive this computer's devices and read their data; use it only to test !!!`,
      );
  let port = DEFAULT_PORT;
  if (env.ENTRY_HW_PORT !== undefined && env.ENTRY_HW_PORT !== '') {
    const parsed = Number(env.ENTRY_HW_PORT);
    if (Number.isInteger(parsed) && parsed > 0 && parsed < 65536) port = parsed;
    else
      warn(
        `ignoring ENTRY_HW_PORT=${JSON.stringify(env.ENTRY_HW_PORT)}: not a port number; using ${DEFAULT_PORT}`,
      );
  }
  const pairing = env.ENTRY_HW_SESSION_PAIRING;
  if (pairing !== undefined && pairing !== '' && pairing !== 'on' && pairing !== 'off')
    warn(
      `ignoring ENTRY_HW_SESSION_PAIRING=${JSON.stringify(pairing).slice(0, 40)}: not on or off; using on`,
    );
  return {
    port,
    certDir: env.ENTRY_HW_CERT_DIR || undefined,
    passphrase: env.ENTRY_HW_SECRET || undefined,
    allowedOrigins: origins,
    sessionPairing: pairing !== 'off',
  };
}

/** Limits of the listener against half-open sockets and floods (docs/PROTOCOL.md §3). */
export interface ListenerLimits {
  /** ENTRY_HW_HEADERS_TIMEOUT_MS: a connection must complete its first request headers within this. */
  headersTimeoutMs: number;
  /** ENTRY_HW_MAX_CONNECTIONS: open connections beyond this are closed at once. */
  maxConnections: number;
}

export const DEFAULT_LISTENER_LIMITS: ListenerLimits = {
  headersTimeoutMs: HEADERS_TIMEOUT_RANGE.fallback,
  maxConnections: MAX_CONNECTIONS_RANGE.fallback,
};

/**
 * Reads the listener limits, clamped to their ranges (readEnvironment warns about them at start).
 *
 * @example
 * readListenerLimits({ ENTRY_HW_HEADERS_TIMEOUT_MS: '500' }) // { headersTimeoutMs: 500, maxConnections: 1000 }
 * readListenerLimits({ ENTRY_HW_HEADERS_TIMEOUT_MS: '3000000000' }).headersTimeoutMs // 600000, not a 1 ms timer
 */
export function readListenerLimits(env: NodeJS.ProcessEnv = process.env): ListenerLimits {
  return {
    headersTimeoutMs: boundedSetting(env.ENTRY_HW_HEADERS_TIMEOUT_MS, HEADERS_TIMEOUT_RANGE).value,
    maxConnections: boundedSetting(env.ENTRY_HW_MAX_CONNECTIONS, MAX_CONNECTIONS_RANGE).value,
  };
}

/**
 * ENTRY_HW_ROOM_STATS=off: no per-room counting for the diagnostics page (bench:throughput
 * measures what it costs); anything else counts.
 *
 * @example
 * readRoomStats({ ENTRY_HW_ROOM_STATS: 'off' }) // false
 */
export function readRoomStats(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.ENTRY_HW_ROOM_STATS !== 'off';
}

/** Default interval of the executable's periodic full collection (src/util/periodic-collection.ts). */
export const DEFAULT_GC_INTERVAL_MS = GC_INTERVAL_RANGE.fallback;

/**
 * ENTRY_HW_GC_INTERVAL_MS: the periodic full collection's interval; `0` turns it off, unset or
 * invalid values give the default, others are clamped to GC_INTERVAL_RANGE (readEnvironment warns).
 *
 * @example
 * readGcInterval({ ENTRY_HW_GC_INTERVAL_MS: '0' }); // 0
 * readGcInterval({});                                // 60000
 * readGcInterval({ ENTRY_HW_GC_INTERVAL_MS: '1' });  // 1000, not a collection every millisecond
 */
export function readGcInterval(env: NodeJS.ProcessEnv = process.env): number {
  if (env.ENTRY_HW_GC_INTERVAL_MS === '0') return 0;
  return boundedSetting(env.ENTRY_HW_GC_INTERVAL_MS, GC_INTERVAL_RANGE).value;
}

/** A fact of the OS that may be missing (a service account without a home); '' when it is. */
function osFact(read: () => string): string {
  try {
    return read();
  } catch {
    return '';
  }
}

/**
 * ENTRY_HW_LOG_DIR: the folder of the log file (src/util/log-file.ts), undefined for `off`.
 * Unset, it is the user's own folder for logs (src/util/log-location.ts).
 *
 * @example
 * readLogDirectory({ ENTRY_HW_LOG_DIR: 'off' }) // undefined
 * readLogDirectory({})                          // '/home/kim/.local/state/entry-hw-server' on Linux
 */
export function readLogDirectory(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return logDirectory(env.ENTRY_HW_LOG_DIR, {
    platform: process.platform,
    env,
    home: osFact(homedir),
    tmp: osFact(tmpdir),
    user: osFact(() => userInfo().username),
  });
}

/**
 * Where Windows keeps its own programs (netstat, tasklist for the OS-session lookup): %SystemRoot%,
 * else %windir%, else C:\Windows. A location of the platform, not a setting of this server.
 *
 * @example
 * windowsDirectory({ SystemRoot: 'D:\\Windows' }); // 'D:\\Windows'
 */
export function windowsDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return env.SystemRoot ?? env.windir ?? 'C:\\Windows';
}
