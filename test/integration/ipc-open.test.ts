// docs/PROTOCOL.md §2: `open` makes the only instance on its port the host and reports the modes;
// a second `open` changes nothing.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { freePort } from '../../harness/server-process';
import { CloudMode, RunningMode } from '../../src/ipc/messages';
import { assertRoundTrip, assertStillRouting, type Started, sleep, startServer } from '../helpers/fixtures';

describe('open', () => {
  let started: Started | undefined;
  after(async () => {
    await started?.stop();
  });

  it('reports runningModeChanged 2 and cloudModeChanged 0 after open', async () => {
    started = await startServer({ open: false });
    const { server } = started;
    server.send({ key: 'open', value: 'production' });
    const running = await server.waitFor('runningModeChanged');
    assert.equal(running.value, RunningMode.server);
    const cloud = await server.waitFor('cloudModeChanged');
    assert.equal(cloud.value, CloudMode.singleServer);
  });

  it('treats a second open as a no-op (no crash, no change to client mode)', async () => {
    assert.ok(started, 'previous test did not start the server');
    const { server } = started;
    const before = server.messages.length;
    server.send({ key: 'open', value: 'production' });
    server.send({ key: 'open', value: 'development' });
    server.send({ key: 'open', value: undefined });
    await sleep(700);
    assert.ok(server.alive, 'the process died after a second open');
    assert.deepEqual(
      server.all('runningModeChanged').filter((m) => m.value !== RunningMode.server),
      [],
      'a second open must not turn the host into a client (runningModeChanged 3)',
    );
    assert.deepEqual(
      server.messages.slice(before).filter((m) => m.key === 'error'),
      [],
      'a second open must not report an error (e.g. LISTEN_FAILED for its own port)',
    );
    await assertStillRouting(started);
  });
});

describe('open with a telemetry URL (entry-offline style) and telemetry messages', () => {
  let started: Started | undefined;
  after(async () => {
    await started?.stop();
  });

  it('becomes the host and keeps routing while the telemetry endpoint is dead', async () => {
    // Nothing listens on the endpoint's port: telemetry must fail quietly (docs/PROTOCOL.md §7).
    const deadPort = await freePort();
    started = await startServer({ name: 'open-telemetry', open: `http://127.0.0.1:${deadPort}/log` });
    await started.server.waitFor('cloudModeChanged', (m) => m.value === CloudMode.singleServer);
    const browser = await started.pool.connect({ version: 'v2', url: started.url, roomId: '0a1b2c3d4e' });
    started.server.send({ key: 'connectHardwareSuccess', value: '520101' });
    started.server.send({ key: 'connectHardwareFailed', value: undefined });
    started.server.send({ key: 'connectHardwareSuccess', value: '520101' });
    await sleep(500);
    assert.ok(started.server.alive, 'the process died with a dead telemetry endpoint');
    await assertRoundTrip(started.server, browser);
    assert.deepEqual(
      started.server.all('error').map((m) => m.value.code),
      [],
      'a failing telemetry endpoint is not an error for the app',
    );
  });
});
