// Against the program: settings out of range are clamped with one warning each at start
// (before, ENTRY_HW_HEADERS_TIMEOUT_MS=3000000000 overflowed to a 1 ms timer that cut every
// connection, and ENTRY_HW_GC_INTERVAL_MS=1 collected every millisecond), and
// ENTRY_HW_ALLOWED_ORIGINS with `*` is said loudly.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { type StatusBody, sleep, until } from '../../harness/util';
import { assertStillRouting, startServerForSuite } from '../helpers/fixtures';
import { rawConnect, request } from '../helpers/http';

describe('settings out of range', () => {
  const started = startServerForSuite({
    name: 'settings',
    captureOutput: true,
    env: {
      ENTRY_HW_HEADERS_TIMEOUT_MS: '3000000000',
      ENTRY_HW_MAX_CONNECTIONS: '1',
      ENTRY_HW_GC_INTERVAL_MS: '1',
      ENTRY_HW_ALLOWED_ORIGINS: '*',
    },
  });

  it('are clamped, one warning each, and the server serves', async () => {
    const output = await until(
      () => (started.server.output.includes('ENTRY_HW_ALLOWED_ORIGINS') ? started.server.output : ''),
      {
        timeoutMs: 3000,
        describe: () => `the start-up warnings: ${started.server.output.slice(0, 2000)}`,
      },
    );
    for (const name of [
      'ENTRY_HW_HEADERS_TIMEOUT_MS',
      'ENTRY_HW_MAX_CONNECTIONS',
      'ENTRY_HW_GC_INTERVAL_MS',
    ]) {
      assert.equal(started.server.outputCount(`${name}=`), 1, `one warning for ${name}:\n${output}`);
    }
    assert.match(output, /!!! ENTRY_HW_ALLOWED_ORIGINS contains "\*": EVERY web page/);
    const status = JSON.parse((await request({ port: started.port, path: '/status' })).body) as StatusBody;
    assert.equal(status.debug?.gc?.intervalMs, 1000, 'a collection a second at most');
    // A request whose headers take 300 ms is answered: the deadline is 10 min, not an overflowed 1 ms.
    const socket = await rawConnect(started.port);
    const answer = once(socket, 'data');
    socket.write('GET / HTTP/1.1\r\n');
    await sleep(300);
    socket.write(`Host: 127.0.0.1:${started.port}\r\n\r\n`);
    assert.match(String(await answer), /^HTTP\/1\.1 200/);
    socket.destroy();
    // Five connections at once: the cap is 10, not 1.
    const five = await Promise.all(
      Array.from({ length: 5 }, () => request({ port: started.port, path: '/' })),
    );
    assert.deepEqual(
      five.map((r) => r.status),
      [200, 200, 200, 200, 200],
    );
    await assertStillRouting(started, 'v2');
  });
});
