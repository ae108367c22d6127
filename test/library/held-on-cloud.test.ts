// In-process regressions, both found by the routing model: what a host held for a reloading tab
// is not handed to that tab once the tab is no longer its student's, because a second instance
// joined (a roomless host then serves no tab) or because its parent changed its roomId
// (docs/PROTOCOL.md §4, held messages).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort } from '../../harness/server-process';
import { sleep, until } from '../../harness/util';
import { EntryServer } from '../../src/server/entry-server';
import { createLogger } from '../../src/util/log';
import { openTab } from '../helpers/library-tab';

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
  const first = (await openTab(port, '0a1b2c3d4e', received)).socket;
  host.sendToClient('before the reload');
  await until(() => received.length === 1, { describe: () => 'the first send to reach the tab' });
  first.close(); // the tab reloads...
  await until(() => host.status().browsers === 0, { describe: () => 'the host to see the tab leave' });
  host.sendToClient('held for the reloading tab'); // ...while the host's device keeps sending

  await peer.open(); // another student's Entry HW joins: a cloud; the roomless host serves no tab
  await until(() => host.status().peers === 1, { describe: () => 'the peer to join' });
  assert.deepEqual(errors, ['ROOM_UNKNOWN']);

  const again = (await openTab(port, '0a1b2c3d4e', received)).socket;
  t.after(() => again.close());
  await sleep(300);
  assert.deepEqual(received, [{ data: 'before the reload' }], 'the held send must not reach the tab');
});

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
    const first = (await openTab(port, '0a1b2c3d4e', received)).socket;
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

    const again = (await openTab(port, '0a1b2c3d4e', received)).socket;
    t.after(() => again.close());
    await sleep(300);
    assert.deepEqual(received, [{ data: 'before the reload' }], 'the held send must not reach the old room');
  });
}
