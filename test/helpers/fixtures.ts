// Shared set-up for the integration suites: start a server on a free port, open it, and check
// that routing between a browser and the parent still works.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import {
  type BrowserClient,
  BrowserPool,
  type ClientVersion,
  jsonEqual,
  randomRoomId,
} from '../../harness/browser-client';
import { freePort, type ServerProcess, spawnServer } from '../../harness/server-process';
import type { ParentMessage } from '../../src/ipc/messages';

export interface Started {
  server: ServerProcess;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  pool: BrowserPool;
  /** Closes every browser and stops the process. */
  stop(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  /** Value of the `open` message; `false` to skip opening. Default 'production'. */
  open?: ParentMessage<'open'>['value'] | false;
  name?: string;
  /** Collect the program's output in `server.output` instead of inheriting it. */
  captureOutput?: boolean;
}

/**
 * The start/stop of a suite: starts a server before the suite's tests (node:test `before`) and
 * stops it after them (`after`). The returned object reads through to the started server, so the
 * suite uses it as it would the result of {@link startServer}.
 *
 * @example
 * describe('origins', () => {
 *   const started = startServerForSuite({ name: 'origins' });
 *   it('answers', async () => assert.equal((await request({ port: started.port })).status, 200));
 * });
 */
export function startServerForSuite(options: StartOptions = {}): Started {
  let current: Started | undefined;
  before(async () => {
    current = await startServer(options);
  });
  after(async () => {
    await current?.stop();
  });
  return new Proxy({} as Started, {
    get(_target, key) {
      if (!current) throw new Error(`the suite's server is not started (reading ${String(key)})`);
      const value: unknown = Reflect.get(current, key);
      return typeof value === 'function' ? value.bind(current) : value;
    },
  });
}

/** Spawns the program on a free port (as Entry HW would) and opens it. */
export async function startServer(options: StartOptions = {}): Promise<Started> {
  const port = await freePort();
  const server = spawnServer({
    port,
    env: options.env,
    name: options.name,
    captureOutput: options.captureOutput,
  });
  const pool = new BrowserPool();
  const started: Started = {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    pool,
    async stop() {
      pool.closeAll();
      await server.stop();
    },
  };
  try {
    if (options.open !== false) {
      const mode = await server.open(options.open ?? 'production');
      assert.equal(mode, 2, 'the only instance on its port must become the host (runningModeChanged 2)');
    }
  } catch (error) {
    await started.stop();
    throw error;
  }
  return started;
}

let sequence = 0;

/**
 * Proves the server still routes in both directions: `browser` → parent `data`, and parent
 * `send` → `browser` `message` `{ data }`.
 */
export async function assertRoundTrip(
  server: ServerProcess,
  browser: BrowserClient,
  timeoutMs = 5000,
): Promise<void> {
  sequence += 1;
  const up = { data: JSON.stringify({ probe: sequence, from: browser.name }), type: 'utf8' };
  const from = server.messages.length;
  browser.send(up);
  await server.waitFor('data', (m) => jsonEqual(m.value, up), { from, timeoutMs });
  const down = { probe: sequence, to: browser.name };
  const mark = browser.received.length;
  server.send({ key: 'send', value: down });
  await browser.waitForMessage((p) => jsonEqual(p, { data: down }), { from: mark, timeoutMs });
}

/** Connects a fresh browser (no Origin, websocket) and checks a round trip; closes it afterwards. */
export async function assertStillRouting(started: Started, version: ClientVersion = 'v2'): Promise<void> {
  assert.ok(started.server.alive, `${started.server.name} is no longer running`);
  const browser = await started.pool.connect({ version, url: started.url, roomId: randomRoomId() });
  try {
    await assertRoundTrip(started.server, browser);
  } finally {
    browser.close();
  }
}

export { sleep } from '../../harness/util';
