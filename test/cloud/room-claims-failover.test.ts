// ROOM_CLAIMED is told once per room and per host (docs/PROTOCOL.md §2, §4): a peer refused a room
// whose host then dies, and whose new host refuses the room again, must tell its parent again.
// Here the instance that held the room becomes the new host (the refused one is paused with
// SIGSTOP during the election, so the outcome is fixed), and its own roomId is the room: the
// refused instance re-claims it on joining and is refused a second time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort, type ServerProcess, spawnServer } from '../../harness/server-process';
import { randomRoomId } from '../../harness/util';
import { RunningMode } from '../../src/ipc/messages';
import { NO_FREEZE } from '../support/platform';

const roomClaimed = (proc: ServerProcess) =>
  proc.all('error').filter((m) => (m.value as { code?: string }).code === 'ROOM_CLAIMED').length;

test('a claim refused again by a new host after a failover is reported to the parent again', {
  skip: NO_FREEZE,
}, async () => {
  const port = await freePort();
  const room = randomRoomId();
  const host = spawnServer({ port, name: 'claims-host' });
  const holder = spawnServer({ port, name: 'claims-holder' });
  const refused = spawnServer({ port, name: 'claims-refused' });
  try {
    assert.equal(await host.open(), RunningMode.server);
    host.send({ key: 'addRoomId', value: randomRoomId() });
    holder.send({ key: 'addRoomId', value: room });
    assert.equal(await holder.open(), RunningMode.client);
    refused.send({ key: 'addRoomId', value: room });
    assert.equal(await refused.open(), RunningMode.client);
    await refused.waitFor('error', (m) => (m.value as { code?: string }).code === 'ROOM_CLAIMED');
    assert.equal(roomClaimed(refused), 1);

    refused.child.kill('SIGSTOP');
    const fromHolder = holder.messages.length;
    host.child.kill('SIGKILL');
    await holder.waitFor('runningModeChanged', (m) => m.value === RunningMode.server, {
      from: fromHolder,
      timeoutMs: 15_000,
    });
    refused.child.kill('SIGCONT');

    const fromRefused = refused.messages.length;
    await refused.waitFor('error', (m) => (m.value as { code?: string }).code === 'ROOM_CLAIMED', {
      from: fromRefused,
      timeoutMs: 15_000,
    });
    assert.equal(roomClaimed(refused), 2, 'the second refusal, by the new host, reached the parent');
    assert.equal(roomClaimed(holder), 0, 'the instance that held the room was never refused');
  } finally {
    refused.child.kill('SIGCONT');
    await Promise.all([host.stop(), holder.stop(), refused.stop()]);
  }
});
