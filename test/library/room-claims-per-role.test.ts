// ROOM_CLAIMED is told once per room and per role, in process (docs/PROTOCOL.md §2, §4): a peer
// refused the host's room hears it once however often it claims it again, and again once a new
// host refuses it after a failover, whichever of the two peers wins the election.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort } from '../../harness/server-process';
import { sleep, until } from '../../harness/util';
import { RunningMode } from '../../src/ipc/messages';
import { EntryServer } from '../../src/server/entry-server';
import { createLogger } from '../../src/util/log';

test('ROOM_CLAIMED is told once per room and role, and again by a new host after a failover', async (t) => {
  const port = await freePort();
  const logger = createLogger({ silent: true });
  const room = '0a1b2c3d4e';
  // Three students played by one OS user: pairing by OS session would read them as one student.
  const options = { http: true, port, logger, sessionPairing: false } as const;
  const host = new EntryServer(options);
  const peers = [new EntryServer(options), new EntryServer(options)];
  t.after(async () => {
    await Promise.all(peers.map((peer) => peer.close()));
    await host.close();
  });
  const claimed = new Map<EntryServer, number>(peers.map((peer) => [peer, 0]));
  for (const peer of peers)
    peer.on('error', (info) => {
      if (info.code === 'ROOM_CLAIMED') claimed.set(peer, (claimed.get(peer) ?? 0) + 1);
    });

  await host.open();
  host.addRoomId(room);
  await Promise.all(peers.map((peer) => peer.open()));
  await until(() => host.status().peers === 2, { describe: () => 'both peers to join' });

  // Both claim the host's own room: refused, told once each, however often they claim it.
  for (const peer of peers) peer.addRoomId(room);
  await until(() => peers.every((peer) => claimed.get(peer) === 1), {
    describe: () => `each peer to hear ROOM_CLAIMED (${[...claimed.values()]})`,
  });
  for (const peer of peers) peer.addRoomId(room);
  await sleep(300);
  assert.deepEqual([...claimed.values()], [1, 1], 'a refusal repeated by the same host is told once');

  // The host goes: one peer becomes the host with the room as its own, the other joins it,
  // claims the room again and is refused by a new host: told again.
  await host.close();
  const [winner, loser] = await until(
    () => {
      const winner = peers.find((peer) => peer.mode.runningMode === RunningMode.server);
      const loser = peers.find((peer) => peer !== winner);
      return winner && loser && winner.status().peers === 1 ? ([winner, loser] as const) : undefined;
    },
    { timeoutMs: 15_000, describe: () => 'a new host with the other instance as its peer' },
  );
  await until(() => claimed.get(loser) === 2, {
    describe: () => `the new host's refusal to be told (${claimed.get(loser)})`,
  });
  await sleep(300);
  assert.equal(claimed.get(loser), 2, 'the new host refused the room: told once more');
  assert.equal(claimed.get(winner), 1, 'the new host refuses itself nothing');
});
