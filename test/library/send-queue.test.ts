// Sends an instance queues while it has no host (src/routing/send-queue.ts), in-process: a
// foreign program holds the port, so the instance waits with its parent's sends queued.
// Findings 4 and 5 of docs/RELIABILITY.md.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { after, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { freePort } from '../../harness/server-process';
import type { ServerErrorInfo } from '../../src/ipc/messages';
import { EntryServer } from '../../src/server/entry-server';
import { FakeLogger } from '../helpers/fake-logger';

/** A program that is not an Entry HW server, holding the port. */
async function foreignProgram(port: number): Promise<Server> {
  const server = createServer((_req, res) => res.writeHead(404).end('not entry'));
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

async function waitingBehind(port: number, logger: FakeLogger): Promise<EntryServer> {
  const server = new EntryServer({ http: true, port, logger });
  const held = new Promise<ServerErrorInfo>((resolve) => server.on('error', resolve));
  void server.open();
  assert.equal((await held).code, 'PORT_HELD_BY_OTHER_PROGRAM');
  return server;
}

describe('sends queued while there is no host', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  after(() => Promise.allSettled(cleanup.map((c) => c())));

  it('are dropped, with a count, when the parent changes roomId (finding 4)', async () => {
    const port = await freePort();
    const foreign = await foreignProgram(port);
    cleanup.push(() => new Promise((r) => foreign.close(r)));
    const logger = new FakeLogger();
    const server = await waitingBehind(port, logger);
    cleanup.push(() => server.close());
    server.addRoomId('aaaaaaaaaa');
    server.sendToClient({ room: 'a', seq: 1 });
    server.sendToClient({ room: 'a', seq: 2 });
    server.addRoomId('aaaaaaaaaa'); // the same room again: nothing dropped
    assert.equal(server.status().debug?.peerQueue, 2);
    server.addRoomId('bbbbbbbbbb');
    assert.equal(server.status().debug?.peerQueue, 0);
    assert.ok(
      logger.messages().some((l) => /dropped 2 sends queued for the previous room/.test(l)),
      logger.text(),
    );
  });

  it('older than 5 s are dropped when a host is found; younger ones are delivered (finding 5)', async () => {
    const port = await freePort();
    const foreign = await foreignProgram(port);
    const logger = new FakeLogger();
    const server = await waitingBehind(port, logger);
    cleanup.push(() => server.close());
    server.sendToClient('stale');
    await new Promise((r) => setTimeout(r, 5100)); // the scenario: a gap longer than the window
    server.sendToClient('fresh');
    const hosting = once(server, 'runningModeChanged');
    await new Promise((r) => foreign.close(r));
    await hosting;
    assert.equal(server.status().debug?.peerQueue, 0);
    assert.ok(
      logger.messages().some((l) => /dropped 1 sends queued while there was no host: older than 5 s/.test(l)),
      logger.text(),
    );
    // The host delivered 'fresh' (single mode, no tab yet: a new tab gets nothing sent before it);
    // a tab connecting now receives only what is sent from now on.
    const tab = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], query: { client: 'true' } });
    cleanup.push(async () => tab.close());
    const got: unknown[] = [];
    tab.on('message', (m: unknown) => got.push(m));
    await once(server, 'connection');
    const next = new Promise((resolve) => tab.once('message', resolve));
    server.sendToClient('live');
    await next;
    assert.deepEqual(got, [{ data: 'live' }]);
  });
});
