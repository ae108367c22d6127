// The core scenarios every shipped executable must pass where it runs, whatever starts it: the
// parent is parent-relay.cjs run by a Node of the executable's platform (ParentRunner), the
// browsers are socket.io-client 2.5.0 and 4.x in this test process. Used by test/wine (win-x86
// under Wine, with a Windows node.exe as the parent) and test/executable/native.test.ts (this
// platform's Node as the parent: the bundle, the Linux executable, or on a native runner the
// Windows and macOS executables, through ENTRY_HW_TEST_BIN).
//
//  - open: the only instance on its port is the host (runningModeChanged 2, cloudModeChanged 0);
//  - messages both ways with both clients, `connection` and `close <roomId>` to the parent;
//  - addRoomId sent late, as Entry HW does when its link is opened while it runs;
//  - encrypt/decrypt with the program's passphrase, compatible with crypto-js;
//  - wss verified against the program's certificate (when the suite gives its root);
//  - the parent closes the IPC channel: the program exits with code 0;
//  - the parent app quits: the program exits and frees the port;
//  - a second instance joins as a peer, each room reaches only its own parent, both ways;
//  - failover: the host's parent quits, the peer takes over and its room works again.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import CryptoJS from 'crypto-js';
import { connectBrowser, jsonEqual, randomRoomId, tlsAgent } from '../../harness/browser-client';
import { freePort } from '../../harness/server-process';
import { until } from '../../harness/util';
import { request } from '../helpers/http';
import { type ParentRunner, type ProgramUnderTest, RelayedParent } from './relayed-parent';

export interface ScenarioSetup {
  runner: ParentRunner;
  program: ProgramUnderTest;
  /** The passphrase the program encrypts with (embedded, or set in `env`). */
  passphrase: string;
  /** The root that verifies the program's certificate, when it serves wss. */
  tlsRootPem?: string;
  /** Environment for every instance. */
  env?: Record<string, string | undefined>;
  /** Where each instance's log goes (one file per instance). */
  logDir: string;
}

let counter = 0;

/** Starts one instance with the relay as its parent. */
async function startInstance(setup: ScenarioSetup, port: number, label: string): Promise<RelayedParent> {
  counter += 1;
  return RelayedParent.start({
    runner: setup.runner,
    program: setup.program,
    port,
    name: `${label}-${counter}`,
    logDir: setup.logDir,
    env: setup.env,
  });
}

/** Whether something accepts connections on 127.0.0.1:`port`. */
async function portServed(port: number): Promise<boolean> {
  return request({ port, path: '/status' }).then(
    () => true,
    () => false,
  );
}

/** Whether this process can bind 127.0.0.1:`port` (nobody holds it). */
async function portFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A browser round trip: the browser's message reaches `parent` as `data`, the parent's `send` reaches it. */
async function roundTrip(
  parent: RelayedParent,
  browser: Awaited<ReturnType<typeof connectBrowser>>,
  tag: string,
): Promise<{ up: unknown; down: unknown }> {
  const up = {
    data: JSON.stringify({ tag, from: browser.name, n: randomBytes(4).toString('hex') }),
    type: 'utf8',
  };
  const from = parent.messages.length;
  browser.send(up);
  await parent.waitFor('data', (m) => jsonEqual(m.value, up), { from, timeoutMs: 10_000 });
  const down = { tag, to: browser.name, a0: 512, n: randomBytes(4).toString('hex') };
  const mark = browser.received.length;
  parent.send({ key: 'send', value: down });
  await browser.waitForMessage((p) => jsonEqual(p, { data: down }), { from: mark, timeoutMs: 10_000 });
  return { up, down };
}

/**
 * Registers the scenarios under `describe(label)`. `setup` is read when they start (the suite may
 * build the executable in its own `before`); `skip` skips them all with a reason.
 *
 * @example
 * describeExecutableScenarios('win-x86 under Wine', () => setup, { skip });
 */
export function describeExecutableScenarios(
  label: string,
  setup: () => ScenarioSetup,
  options: { skip?: string } = {},
): void {
  describe(label, { skip: options.skip }, () => {
    describe('one instance', () => {
      let port: number;
      let parent: RelayedParent;
      /** The roomId its parent sent late: from then on the only room it serves (docs/PROTOCOL.md §4). */
      let ownRoomId: string | undefined;
      before(async () => {
        port = await freePort();
        parent = await startInstance(setup(), port, 'single');
      });
      after(async () => {
        await parent?.stop();
      });

      it('open: the only instance on its port becomes the host, and /status says so', async () => {
        assert.equal(await parent.open('production'), 2, parent.describe());
        assert.equal((await parent.waitFor('cloudModeChanged')).value, 0);
        const status = JSON.parse((await request({ port, path: '/status' })).body) as Record<string, unknown>;
        assert.equal(status.name, 'entry-hw-server');
        assert.equal(status.runningMode, 2);
        assert.equal(status.cloudMode, 0);
      });

      for (const version of ['v2', 'v4'] as const) {
        it(`messages both ways with socket.io-client ${version === 'v2' ? '2.5.0' : '4.x'}; connection and close reach the parent`, async () => {
          const roomId = randomRoomId();
          const from = parent.messages.length;
          const browser = await connectBrowser({ version, url: `http://127.0.0.1:${port}`, roomId }, 10_000);
          try {
            await parent.waitFor('connection', (m) => (m.value as { roomId?: string })?.roomId === roomId, {
              from,
            });
            await roundTrip(parent, browser, `single-${version}`);
          } finally {
            browser.close();
          }
          await parent.waitFor('close', (m) => m.value === roomId, { from });
        });
      }

      it('addRoomId sent late (the link opened while Entry HW runs): that room, and only that room, is served', async () => {
        const roomId = randomRoomId();
        ownRoomId = roomId;
        parent.send({ key: 'addRoomId', value: roomId });
        const browser = await connectBrowser(
          { version: 'v2', url: `http://127.0.0.1:${port}`, roomId },
          10_000,
        );
        const other = await connectBrowser(
          { version: 'v4', url: `http://127.0.0.1:${port}`, roomId: randomRoomId() },
          10_000,
        );
        try {
          await roundTrip(parent, browser, 'late-room');
          const from = parent.messages.length;
          other.send({ data: JSON.stringify({ tag: 'other-room' }), type: 'utf8' });
          await roundTrip(parent, browser, 'late-room-again');
          assert.equal(
            parent.messages
              .slice(from)
              .filter((m) => m.key === 'data' && JSON.stringify(m.value).includes('other-room')).length,
            0,
            "another room's tab must not reach a parent that has a roomId",
          );
        } finally {
          browser.close();
          other.close();
        }
      });

      it("encrypt and decrypt with the program's passphrase, as crypto-js does", async () => {
        const { passphrase } = setup();
        const text = `student ${randomBytes(4).toString('hex')} — 한글`;
        let from = parent.messages.length;
        parent.sendRaw({ key: 'encrypt', value: text, id: 'enc-1' });
        const encrypted = await parent.waitFor('encrypt', (m) => m.id === 'enc-1', { from });
        assert.match(String(encrypted.value), /^U2FsdGVkX1/);
        assert.equal(
          CryptoJS.AES.decrypt(String(encrypted.value), passphrase).toString(CryptoJS.enc.Utf8),
          text,
        );
        from = parent.messages.length;
        parent.sendRaw({ key: 'decrypt', value: CryptoJS.AES.encrypt(text, passphrase).toString(), id: 7 });
        const decrypted = await parent.waitFor('decrypt', (m) => m.id === 7, { from });
        assert.equal(decrypted.value, text);
      });

      it('wss to hw.playentry.org, verified against the certificate it serves', async (t) => {
        const { tlsRootPem } = setup();
        if (!tlsRootPem) return t.skip('the program serves no certificate in this suite');
        for (const version of ['v2', 'v4'] as const) {
          const agent = tlsAgent(tlsRootPem);
          const browser = await connectBrowser(
            {
              version,
              url: `https://hw.playentry.org:${port}`,
              roomId: ownRoomId ?? randomRoomId(),
              agent,
              ca: tlsRootPem,
            },
            10_000,
          );
          try {
            await roundTrip(parent, browser, `wss-${version}`);
          } finally {
            browser.close();
            agent.destroy();
          }
        }
      });
    });

    describe('the parent leaving', () => {
      it('the parent closes the IPC channel: the program exits with code 0', async () => {
        const port = await freePort();
        const parent = await startInstance(setup(), port, 'channel');
        try {
          assert.equal(await parent.open(), 2, parent.describe());
          parent.closeChannel();
          await parent.until('the program to exit', () => parent.exit !== undefined, 15_000);
          assert.deepEqual(parent.exit, { code: 0, signal: null }, parent.describe());
          assert.equal(await portFree(port), true, 'the port is still held');
        } finally {
          await parent.stop();
        }
      });

      it('the parent app quits: the program exits and frees the port', async () => {
        const port = await freePort();
        const parent = await startInstance(setup(), port, 'quit');
        try {
          assert.equal(await parent.open(), 2, parent.describe());
          await parent.quit();
          // The relay cannot report the exit any more: the program's own last words and the port say it.
          await until(() => parent.output().includes('exiting: the parent app went away'), {
            timeoutMs: 15_000,
            describe: () => 'the program to say it exits because its parent went away',
            explain: () => parent.describe(),
          });
          await until(async () => !(await portServed(port)) && (await portFree(port)), {
            timeoutMs: 15_000,
            describe: () => `port ${port} to be free`,
            explain: () => parent.describe(),
          });
        } finally {
          await parent.stop();
        }
      });
    });

    describe('two instances on one port (cloud PC)', () => {
      let port: number;
      let host: RelayedParent;
      let peer: RelayedParent;
      const rooms = { host: randomRoomId(), peer: randomRoomId() };
      before(async () => {
        port = await freePort();
        host = await startInstance(setup(), port, 'host');
        assert.equal(await host.open(), 2, host.describe());
        peer = await startInstance(setup(), port, 'peer');
      });
      after(async () => {
        await Promise.all([host?.stop(), peer?.stop()]);
      });

      it('a second instance joins as a peer; each room reaches only its own parent, both ways', async () => {
        const hostFrom = host.messages.length;
        assert.equal(await peer.open(), 3, peer.describe());
        assert.equal((await peer.waitFor('cloudModeChanged')).value, 1);
        await host.waitFor('cloudModeChanged', (m) => m.value === 1, { from: hostFrom });
        // Entry HW sends addRoomId only when its link is opened while it runs: after open.
        host.send({ key: 'addRoomId', value: rooms.host });
        peer.send({ key: 'addRoomId', value: rooms.peer });
        const peerFrom = peer.messages.length;
        const url = `http://127.0.0.1:${port}`;
        const hostBrowser = await connectBrowser(
          { version: 'v2', url, roomId: rooms.host, name: 'host-room' },
          10_000,
        );
        const peerBrowser = await connectBrowser(
          { version: 'v4', url, roomId: rooms.peer, name: 'peer-room' },
          10_000,
        );
        try {
          // The peer's parent hears of its room's browser once its claim is in place.
          await peer.waitFor('connection', () => true, { from: peerFrom, timeoutMs: 10_000 });
          const toHost = await roundTrip(host, hostBrowser, 'host-room');
          const toPeer = await roundTrip(peer, peerBrowser, 'peer-room');
          assert.equal(
            peer.messages.some((m) => m.key === 'data' && jsonEqual(m.value, toHost.up)),
            false,
            "the host room's browser reached the peer's parent",
          );
          assert.equal(
            host.messages.some((m) => m.key === 'data' && jsonEqual(m.value, toPeer.up)),
            false,
            "the peer room's browser reached the host's parent",
          );
          assert.equal(
            hostBrowser.received.some((p) => jsonEqual(p, { data: toPeer.down })),
            false,
            "the peer's send reached the host room's browser",
          );
          assert.equal(
            peerBrowser.received.some((p) => jsonEqual(p, { data: toHost.down })),
            false,
            "the host's send reached the peer room's browser",
          );
        } finally {
          hostBrowser.close();
          peerBrowser.close();
        }
      });

      it("failover: the host's parent quits; the peer takes over and its room works again", async () => {
        const from = peer.messages.length;
        await host.quit();
        assert.equal(
          (await peer.waitFor('runningModeChanged', () => true, { from, timeoutMs: 20_000 })).value,
          2,
        );
        const browser = await until(
          () =>
            connectBrowser(
              { version: 'v2', url: `http://127.0.0.1:${port}`, roomId: rooms.peer, name: 'peer-room-after' },
              3000,
            ).catch(() => undefined),
          {
            timeoutMs: 15_000,
            describe: () => 'a browser to reach the new host',
            explain: () => peer.describe(),
          },
        );
        try {
          await roundTrip(peer, browser, 'after-failover');
        } finally {
          browser.close();
        }
        assert.ok(host.output().includes('exiting: the parent app went away'), host.describe());
      });
    });
  });
}
