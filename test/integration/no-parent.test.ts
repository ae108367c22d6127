// docs/PROTOCOL.md §2: started without an IPC channel with --console (a developer run), the program
// opens the server at once, serves browsers, and exits 0 on SIGTERM. stdin is /dev/null here (as
// under a service manager), so an end of input on the console must not stop the server either.
// Without --console and without a terminal it exits instead (test/integration/command-line.test.ts).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { connectBrowser, randomRoomId } from '../../harness/browser-client';
import { freePort, type ServerProcess, spawnServer } from '../../harness/server-process';
import { sleep } from '../helpers/fixtures';
import { request, waitForListening } from '../helpers/http';
import { NO_GRACEFUL_SIGNALS } from '../support/platform';

describe('no parent (developer run)', () => {
  let server: ServerProcess | undefined;
  after(async () => {
    await server?.stop();
  });

  it('opens the server at once and keeps serving', async () => {
    const port = await freePort();
    server = spawnServer({ port, ipc: false, name: 'no-parent', args: ['--console'] });
    const res = await waitForListening(port, 10_000);
    assert.equal(res.status, 200);
    assert.equal(res.body, 'hello entry');
    const status = JSON.parse((await request({ port, path: '/status' })).body) as { runningMode?: unknown };
    assert.equal(status.runningMode, 2);
    const browser = await connectBrowser({
      version: 'v2',
      url: `http://127.0.0.1:${port}`,
      roomId: randomRoomId(),
    });
    browser.send({ data: '{"a":1}', type: 'utf8' });
    assert.equal(await browser.sendWithAck({ data: '{}', key: 'k', type: 'utf8' }), 'k');
    browser.close();
    await sleep(500);
    assert.ok(server.alive, 'the developer run stopped by itself (stdin at EOF must not end it)');
  });

  it('exits 0 on SIGTERM', { skip: NO_GRACEFUL_SIGNALS }, async () => {
    assert.ok(server?.alive, 'the previous test did not leave a running server');
    server.child.kill('SIGTERM');
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 3000).unref());
    const result = await Promise.race([server.exited, timeout]);
    assert.notEqual(result, 'timeout', 'still running 3 s after SIGTERM');
    assert.deepEqual(result, { code: 0, signal: null });
  });
});
