// Plays the browser workspace (entryjs) against a running server, with either socket.io-client
// 2.5.0 (the deployed client, Engine.IO 3) or 4.x, behind one small API: connect with the query
// entryjs sends, an optional Origin header, send messages with or without acknowledgement, and
// collect every `message` the server emits.

import type { LookupAddress, LookupOptions } from 'node:dns';
import type { Agent as HttpsAgent } from 'node:https';
import { Agent } from 'node:https';
import { io as ioV4 } from 'socket.io-client';
import ioV2 from 'socket.io-client-v2';

export type ClientVersion = 'v2' | 'v4';
export const CLIENT_VERSIONS: readonly ClientVersion[] = ['v2', 'v4'];

export interface BrowserOptions {
  /** socket.io-client major version to use. */
  version: ClientVersion;
  /** e.g. `http://127.0.0.1:23518` or `https://hw.playentry.org:23518`. */
  url: string;
  /** roomId query parameter; omitted when undefined. */
  roomId?: string;
  /** Whether to send `client=true` (default true, as entryjs does). */
  client?: boolean;
  /** Extra query parameters. */
  query?: Record<string, string>;
  /** Transport used from the start (default websocket, as the deployed client in practice). */
  transport?: 'websocket' | 'polling';
  /** Origin header to send; undefined sends none (a local non-browser program). */
  origin?: string;
  /** Other extra headers. */
  headers?: Record<string, string>;
  /** TLS agent (with `ca` and a `lookup`), see {@link tlsAgent}. */
  agent?: HttpsAgent;
  /** Trusted CA PEM for TLS (verification always stays on). */
  ca?: string;
  /** Label for error messages. */
  name?: string;
}

/** The subset of a socket.io client socket both versions share. */
export interface AnySocket {
  readonly connected: boolean;
  on(event: string, listener: (...args: never[]) => void): unknown;
  emit(event: string, ...args: unknown[]): unknown;
  close(): unknown;
  removeAllListeners(): unknown;
}

/**
 * Opens one socket.io connection as the workspace does (no automatic reconnection: callers that
 * reconnect open a new one): the query entryjs sends (`client=true` unless `client: false`, the
 * roomId), the Origin and other headers, the transport, TLS settings.
 *
 * @example
 * const socket = openBrowserSocket({ version: 'v2', url: 'http://127.0.0.1:23518', roomId: '0a1b2c3d4e' });
 */
export function openBrowserSocket(options: BrowserOptions): AnySocket {
  const query: Record<string, string> = {};
  if (options.client ?? true) query.client = 'true';
  if (options.roomId !== undefined) query.roomId = options.roomId;
  Object.assign(query, options.query);
  const extraHeaders: Record<string, string> = { ...options.headers };
  if (options.origin !== undefined) extraHeaders.Origin = options.origin;
  const common = {
    forceNew: true,
    reconnection: false,
    timeout: 5000,
    transports: [options.transport ?? 'websocket'],
    upgrade: false,
    query,
    extraHeaders,
    ...(options.agent ? { agent: options.agent } : {}),
    ...(options.ca ? { ca: options.ca } : {}),
  };
  return options.version === 'v2'
    ? (ioV2(options.url, common) as unknown as AnySocket)
    : (ioV4(options.url, common as never) as unknown as AnySocket);
}

let counter = 0;

/** A random 10-hex-digit roomId like the ones entryjs keeps in localStorage. */
export { randomRoomId } from './util';

/**
 * An https.Agent that trusts `ca` (and nothing else) and resolves every name to 127.0.0.1, so a
 * client can connect to `https://hw.playentry.org:<port>` with full certificate verification.
 */
export function tlsAgent(ca: string): HttpsAgent {
  type LookupCallback = (error: Error | null, address: string | LookupAddress[], family?: number) => void;
  // Node 20 connects with autoSelectFamily, which asks for all addresses ({ all: true }).
  const lookup = (
    _hostname: string,
    options: LookupOptions | LookupCallback,
    callback?: LookupCallback,
  ): void => {
    const cb = typeof options === 'function' ? options : callback;
    if (!cb) return;
    if (typeof options === 'object' && options.all === true) cb(null, [{ address: '127.0.0.1', family: 4 }]);
    else cb(null, '127.0.0.1', 4);
  };
  return new Agent({ ca, lookup: lookup as never, keepAlive: false });
}

export interface WaitOptions {
  timeoutMs?: number;
  /** Only consider messages at or after this index of `received`. */
  from?: number;
}

export class BrowserClient {
  readonly name: string;
  readonly version: ClientVersion;
  readonly roomId: string | undefined;
  /** Payloads of every `message` event received, in order. */
  readonly received: unknown[] = [];
  /** Names of every event received (v4 via onAny; v2 only the ones listened to). */
  readonly events: string[] = [];
  /** Every connect_error seen. */
  readonly connectErrors: Error[] = [];
  /** Every disconnect reason seen. */
  readonly disconnects: string[] = [];
  readonly socket: AnySocket;
  private readonly waiters = new Set<() => void>();
  private connectCount = 0;

  constructor(options: BrowserOptions) {
    counter += 1;
    this.version = options.version;
    this.roomId = options.roomId;
    this.name = options.name ?? `browser-${options.version}-${counter}`;
    this.socket = openBrowserSocket(options);
    if (options.version === 'v4') {
      const v4 = this.socket as unknown as { onAny(fn: (event: string) => void): void };
      v4.onAny((event: string) => {
        this.events.push(event);
        this.wake();
      });
    }
    this.socket.on('message', (payload: unknown) => {
      this.received.push(payload);
      this.wake();
    });
    // v2 has no onAny; record the events the contract says must never arrive.
    if (options.version === 'v2') {
      for (const event of ['mode', 'matchTarget']) {
        this.socket.on(event, () => {
          this.events.push(event);
          this.wake();
        });
      }
    }
    this.socket.on('connect', () => {
      this.connectCount += 1;
      this.wake();
    });
    this.socket.on('connect_error', (error: unknown) => {
      this.connectErrors.push(error instanceof Error ? error : new Error(String(error)));
      this.wake();
    });
    this.socket.on('error', (error: unknown) => {
      this.connectErrors.push(error instanceof Error ? error : new Error(String(error)));
      this.wake();
    });
    this.socket.on('disconnect', (reason: string) => {
      this.disconnects.push(String(reason));
      this.wake();
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  private wake(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** Resolves when `check` returns a value other than undefined; rejects after the timeout. */
  private until<T>(what: string, check: () => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = (): void => {
        let result: T | undefined;
        try {
          result = check();
        } catch (error) {
          cleanup();
          reject(error);
          return;
        }
        if (result !== undefined) {
          cleanup();
          resolve(result);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `${this.name}: timed out after ${timeoutMs} ms waiting for ${what}; ` +
              `connected=${this.connected} errors=[${this.connectErrors.map((e) => e.message).join('; ')}] ` +
              `disconnects=[${this.disconnects.join(', ')}] received=${JSON.stringify(this.received).slice(0, 500)}`,
          ),
        );
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(attempt);
      };
      this.waiters.add(attempt);
      attempt();
    });
  }

  /** Waits for the socket.io connection; rejects on connect_error or timeout. */
  waitConnected(timeoutMs = 5000): Promise<void> {
    const errorsBefore = this.connectErrors.length;
    return this.until(
      'connect',
      () => {
        if (this.connectCount > 0 && this.connected) return true;
        const error = this.connectErrors[errorsBefore];
        if (error) throw new Error(`${this.name}: connect failed: ${error.message}`);
        return undefined;
      },
      timeoutMs,
    ).then(() => undefined);
  }

  /** Waits for a connect_error (or a disconnect before connecting); rejects if it connects instead. */
  waitRefused(timeoutMs = 5000): Promise<Error> {
    return this.until(
      'a refused connection',
      () => {
        if (this.connectCount > 0)
          throw new Error(`${this.name}: connected, but the server should have refused it`);
        const error = this.connectErrors[0];
        if (error) return error;
        return undefined;
      },
      timeoutMs,
    );
  }

  /** Waits until the server side disconnects (or the client closed). */
  waitDisconnected(timeoutMs = 5000): Promise<string> {
    return this.until('disconnect', () => this.disconnects[0], timeoutMs);
  }

  /** Waits for a received `message` matching `predicate`; returns its index in `received`. */
  waitForMessage(
    predicate: (payload: unknown) => boolean,
    { timeoutMs = 5000, from = 0 }: WaitOptions = {},
  ): Promise<number> {
    return this.until(
      'a matching message',
      () => {
        for (let i = from; i < this.received.length; i += 1) if (predicate(this.received[i])) return i;
        return undefined;
      },
      timeoutMs,
    );
  }

  /** Sends a `message` as entryjs does (no acknowledgement). */
  send(payload: unknown): void {
    this.socket.emit('message', payload);
  }

  /** Sends a `message` with an acknowledgement callback and resolves with the ack's argument. */
  sendWithAck(payload: unknown, timeoutMs = 5000): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `${this.name}: no acknowledgement within ${timeoutMs} ms for ${JSON.stringify(payload)}`,
            ),
          ),
        timeoutMs,
      );
      this.socket.emit('message', payload, (answer: unknown) => {
        clearTimeout(timer);
        resolve(answer);
      });
    });
  }

  /** Emits any event (malformed-input tests). */
  emit(event: string, ...args: unknown[]): void {
    this.socket.emit(event, ...args);
  }

  close(): void {
    this.socket.close();
  }
}

/** Creates a browser client and waits until it is connected. */
export async function connectBrowser(options: BrowserOptions, timeoutMs = 5000): Promise<BrowserClient> {
  const browser = new BrowserClient(options);
  try {
    await browser.waitConnected(timeoutMs);
  } catch (error) {
    browser.close();
    throw error;
  }
  return browser;
}

/** Keeps track of clients so `after` hooks can close whatever a test left open. */
export class BrowserPool {
  private readonly clients: BrowserClient[] = [];

  add(client: BrowserClient): BrowserClient {
    this.clients.push(client);
    return client;
  }

  async connect(options: BrowserOptions, timeoutMs = 5000): Promise<BrowserClient> {
    return this.add(await connectBrowser(options, timeoutMs));
  }

  create(options: BrowserOptions): BrowserClient {
    return this.add(new BrowserClient(options));
  }

  closeAll(): void {
    for (const client of this.clients.splice(0)) client.close();
  }
}

/** Structural deep equality for JSON-like values (for message predicates). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
