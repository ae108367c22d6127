// What an uncaught exception does (docs/ARCHITECTURE.md "When a bug escapes"): the program logs
// the stack, sends its parent `error { code: 'INTERNAL_ERROR' }`, and exits with code 1, which
// frees the port for another instance. The fault is injected by a test-only hook
// (ENTRY_HW_TEST=1 plus ENTRY_HW_TEST_FAULT) that the shipped executable ignores; under
// ENTRY_HW_TEST_BIN this file checks exactly that.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { freePort, type ServerProcess, spawnServer } from '../../harness/server-process';
import { assertStillRouting, type Started, startServer } from '../helpers/fixtures';

const FAULTS = [
  { fault: 'uncaught', logged: 'fatal: uncaught exception' },
  { fault: 'rejection', logged: 'fatal: unhandled promise rejection' },
] as const;

const underExecutable = process.env.ENTRY_HW_TEST_BIN !== undefined;

/** Resolves once the port can be bound again, i.e. nothing holds it any more. */
async function assertPortFree(port: number): Promise<void> {
  const probe = createServer();
  probe.listen({ port, host: '127.0.0.1', exclusive: true });
  const [outcome] = await Promise.race([once(probe, 'listening'), once(probe, 'error')]);
  probe.close();
  assert.equal(outcome, undefined, `port ${port} is still held: ${String(outcome)}`);
}

describe('an uncaught exception', { skip: underExecutable && 'the hook is inert in the executable' }, () => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  for (const { fault, logged } of FAULTS) {
    it(`(${fault}) logs, tells the parent INTERNAL_ERROR, exits 1 and frees the port`, {
      timeout: 15_000,
    }, async () => {
      const port = await freePort();
      server = spawnServer({
        port,
        name: `fatal-${fault}`,
        captureOutput: true,
        env: { ENTRY_HW_TEST: '1', ENTRY_HW_TEST_FAULT: fault },
      });
      // Every IPC message is delivered before the channel's `disconnect`, so waiting for both
      // `exit` and `disconnect` leaves nothing in flight.
      const disconnected = once(server.child, 'disconnect');
      server.send({ key: 'open', value: 'production' });
      const [exit] = await Promise.all([server.exited, disconnected]);

      assert.equal(exit.code, 1, `exit code ${exit.code}, signal ${exit.signal}`);
      const keys = server.messages.map((m) => m.key);
      assert.deepEqual(keys.slice(0, 2), ['runningModeChanged', 'cloudModeChanged'], keys.join(', '));
      const last = server.messages.at(-1);
      assert.equal(last?.key, 'error', `the last message must be the error, got ${keys.join(', ')}`);
      const info = last?.value as { code: string; message: string };
      assert.equal(info.code, 'INTERNAL_ERROR');
      assert.match(info.message, /test fault injected by ENTRY_HW_TEST_FAULT/);
      assert.ok(server.output.includes(logged), `output lacks "${logged}":\n${server.output.slice(-2000)}`);
      assert.ok(server.output.includes('test fault injected'), 'the stack is logged');
      await assertPortFree(port);
    });
  }
});

describe('the fault hook', () => {
  let started: Started | undefined;
  afterEach(async () => {
    await started?.stop();
    started = undefined;
  });

  // Without ENTRY_HW_TEST=1 (node), or inside the executable whatever the environment says,
  // the fault variable is ignored and the server keeps routing.
  const env = underExecutable
    ? { ENTRY_HW_TEST: '1', ENTRY_HW_TEST_FAULT: 'uncaught' }
    : { ENTRY_HW_TEST_FAULT: 'uncaught' };
  it(`is inert ${underExecutable ? 'in the executable' : 'without ENTRY_HW_TEST=1'}`, async () => {
    started = await startServer({ name: 'fault-inert', env });
    await assertStillRouting(started);
    await assertStillRouting(started, 'v4');
    assert.ok(started.server.alive);
    assert.equal(started.server.all('error').length, 0, 'no error reached the parent');
  });
});
