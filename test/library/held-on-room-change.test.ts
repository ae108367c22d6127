// In-process regression (found by the routing model, seed 1463625855): when the host's parent
// changes its roomId, what it had sent for its previous room and was held for that room's
// reloading tab is dropped; that tab is not this Entry HW's any more (docs/PROTOCOL.md §4, held
// messages; §5, a changed roomId).
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

for (const cloud of [false, true]) {
  test(`a host's held sends for its previous room do not reach that room's tab after its roomId changed (${cloud ? 'cloud' : 'single PC'})`, async (t) => {
    const port = await freePort();
    const logger = createLogger({ silent: true });
    const host = new EntryServer({ http: true, port, logger });
    const peer = new EntryServer({ http: true, port, logger });
    t.after(async () => {
      await peer.close();
      await host.close();
    });
    await host.open();

    const received: unknown[] = [];
    const first = tab(port, '0a1b2c3d4e', received);
    await connected(first);
    host.addRoomId('0a1b2c3d4e');
    host.sendToClient('before the reload');
    await until(() => received.length === 1, { describe: () => 'the first send to reach the tab' });
    first.close(); // the tab reloads...
    await until(() => host.status().browsers === 0, { describe: () => 'the host to see the tab leave' });
    host.sendToClient('held for the reloading tab'); // ...while the host's device keeps sending
    if (cloud) {
      await peer.open();
      await until(() => host.status().peers === 1, { describe: () => 'the peer to join' });
    }
    host.addRoomId('5f6e7d8c9b'); // the student opens Entry HW's link from another page

    const again = tab(port, '0a1b2c3d4e', received);
    t.after(() => again.close());
    await connected(again);
    await sleep(300);
    assert.deepEqual(received, [{ data: 'before the reload' }], 'the held send must not reach the old room');
  });
}
