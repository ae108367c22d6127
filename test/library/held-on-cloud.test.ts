// In-process regression (issue 17, found by the routing model): what a host without a roomId held
// for a reloading tab while it was a single server is not handed to that tab once a second instance
// has joined (the host then serves no tab; docs/PROTOCOL.md §4).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import { EntryServer } from '../../src/server/entry-server';
import { createLogger } from '../../src/util/log';
import { freePort } from '../helpers/server-process';
import { sleep, until } from '../support/util';

function tab(port: number, roomId: string, received: unknown[]): Socket {
  const socket = io(`http://127.0.0.1:${port}`, {
    transports: ['websocket'],
    query: { client: 'true', roomId },
    reconnection: false,
    forceNew: true,
  });
  socket.on('message', (payload: unknown) => received.push(payload));
  return socket;
}

function connected(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.once('connect', () => resolve()));
}

test("a roomless host's held sends do not reach a reloading tab after another instance joined", async (t) => {
  const port = await freePort();
  const logger = createLogger({ silent: true });
  // Two students played by one OS user: pairing by OS session would read them as one student.
  const host = new EntryServer({ http: true, port, logger, sessionPairing: false });
  const peer = new EntryServer({ http: true, port, logger, sessionPairing: false });
  t.after(async () => {
    await peer.close();
    await host.close();
  });
  const errors: string[] = [];
  host.on('error', (info) => errors.push(info.code));
  await host.open();

  const received: unknown[] = [];
  const first = tab(port, '0a1b2c3d4e', received);
  await connected(first);
  host.sendToClient('before the reload');
  await until(() => received.length === 1, { describe: () => 'the first send to reach the tab' });
  first.close(); // the tab reloads...
  await until(() => host.status().browsers === 0, { describe: () => 'the host to see the tab leave' });
  host.sendToClient('held for the reloading tab'); // ...while the host's device keeps sending

  await peer.open(); // another student's Entry HW joins: a cloud; the roomless host serves no tab
  await until(() => host.status().peers === 1, { describe: () => 'the peer to join' });
  assert.deepEqual(errors, ['ROOM_UNKNOWN']);

  const again = tab(port, '0a1b2c3d4e', received);
  t.after(() => again.close());
  await connected(again);
  await sleep(300);
  assert.deepEqual(received, [{ data: 'before the reload' }], 'the held send must not reach the tab');
});
