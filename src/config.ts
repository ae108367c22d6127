// Run-time settings read from the environment, with the embedded defaults the app relies on.
// Entry HW passes no arguments, so everything here has a sensible default.

/** The compat port the browser workspace connects to. */
export const DEFAULT_PORT = 23518;
/** Loopback only: the server must never be reachable from the network. */
export const LISTEN_HOST = '127.0.0.1';
/** The port's TCP server: sockets wait paused until their first byte says TLS or plain. */
export const TCP_SERVER_OPTIONS = { pauseOnConnect: true, noDelay: true } as const;
/** Largest accepted socket.io message from a client, in bytes: 100 MB, as the original (compat). */
export const MAX_PAYLOAD_BYTES = 100_000_000;
/**
 * Largest message from a connection without an Origin (a peer, a local program; issue 20): a
 * peer forwards its Entry HW's device data (a few hundred bytes a frame) and small reports.
 */
export const MAX_LOCAL_PAYLOAD_BYTES = 4 * 1024 * 1024;
/**
 * Bytes of client messages in flight (being received, parsed, handed on) across all connections
 * beyond which a new large message is refused and its sender closed (issue 20). One 100 MB
 * message always fits.
 */
export const INFLIGHT_BUDGET_BYTES = 128 * 1024 * 1024;
/** A message up to this size is never refused for the in-flight budget, only counted. */
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
}

/** Splits a comma-separated list, dropping blanks. */
export function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/**
 * Reads the settings from an environment; an invalid port falls back to the default with a warning.
 *
 * @example
 * readEnvironment({ ENTRY_HW_PORT: '30000' }).port // 30000
 */
export function readEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  warn: (message: string) => void = () => {},
): EnvironmentSettings {
  let port = DEFAULT_PORT;
  if (env.ENTRY_HW_PORT !== undefined && env.ENTRY_HW_PORT !== '') {
    const parsed = Number(env.ENTRY_HW_PORT);
    if (Number.isInteger(parsed) && parsed > 0 && parsed < 65536) port = parsed;
    else
      warn(
        `ignoring ENTRY_HW_PORT=${JSON.stringify(env.ENTRY_HW_PORT)}: not a port number; using ${DEFAULT_PORT}`,
      );
  }
  return {
    port,
    certDir: env.ENTRY_HW_CERT_DIR || undefined,
    passphrase: env.ENTRY_HW_SECRET || undefined,
    allowedOrigins: splitList(env.ENTRY_HW_ALLOWED_ORIGINS),
  };
}

/** Limits of the listener against half-open sockets and floods (docs/PROTOCOL.md §3). */
export interface ListenerLimits {
  /** ENTRY_HW_HEADERS_TIMEOUT_MS: a connection must complete its first request headers within this. */
  headersTimeoutMs: number;
  /** ENTRY_HW_MAX_CONNECTIONS: open connections beyond this are closed at once. */
  maxConnections: number;
}

export const DEFAULT_LISTENER_LIMITS: ListenerLimits = { headersTimeoutMs: 10_000, maxConnections: 1000 };

function positiveInteger(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : fallback;
}

/**
 * Reads the listener limits; unset or invalid values fall back to the defaults.
 *
 * @example
 * readListenerLimits({ ENTRY_HW_HEADERS_TIMEOUT_MS: '500' }) // { headersTimeoutMs: 500, maxConnections: 1000 }
 */
export function readListenerLimits(env: NodeJS.ProcessEnv = process.env): ListenerLimits {
  return {
    headersTimeoutMs: positiveInteger(
      env.ENTRY_HW_HEADERS_TIMEOUT_MS,
      DEFAULT_LISTENER_LIMITS.headersTimeoutMs,
    ),
    maxConnections: positiveInteger(env.ENTRY_HW_MAX_CONNECTIONS, DEFAULT_LISTENER_LIMITS.maxConnections),
  };
}

/** Default interval of the executable's periodic full collection (src/util/periodic-collection.ts). */
export const DEFAULT_GC_INTERVAL_MS = 60_000;

/**
 * ENTRY_HW_GC_INTERVAL_MS: the periodic full collection's interval; `0` turns it off, unset or
 * invalid values give the default.
 *
 * @example
 * readGcInterval({ ENTRY_HW_GC_INTERVAL_MS: '0' }); // 0
 * readGcInterval({});                                // 60000
 */
export function readGcInterval(env: NodeJS.ProcessEnv = process.env): number {
  if (env.ENTRY_HW_GC_INTERVAL_MS === '0') return 0;
  return positiveInteger(env.ENTRY_HW_GC_INTERVAL_MS, DEFAULT_GC_INTERVAL_MS);
}
