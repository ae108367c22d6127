// Mixed versions on one PC (docs/PROTOCOL.md §5). The original v2.0.0 server serves TLS only
// and answers `hello entry` on every path, /status included; it joins a host with
// socket.io-client 2.3 defaults (Engine.IO 3, polling first, no Origin). Neither side can work
// with the other, so each must say what it is: a new instance that finds an original host reports
// HOST_IS_OLDER_VERSION (once, retrying with backoff), and a host logs once that an older
// instance tried to join.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeTestPki } from '../../harness/certs';
import { fetchStatus, sleep, until } from '../../harness/cloud-cluster';
import { freePort, spawnServer } from '../../harness/server-process';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ioV2 = require('socket.io-client-v2') as (
  url: string,
  options: Record<string, unknown>,
) => { on(event: string, fn: (...args: unknown[]) => void): void; close(): void };

/** A stand-in for the original host: `hello entry` on every path, over TLS or plain HTTP. */
async function originalHost(port: number, transport: 'tls' | 'plain') {
  const answer = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('hello entry');
  };
  let server: ReturnType<typeof createHttpServer>;
  if (transport === 'tls') {
    const pki = makeTestPki();
    server = createHttpsServer(
      {
        key: readFileSync(join(pki.dir, 'hardware.key')),
        cert: readFileSync(join(pki.dir, 'cert.pem')),
      },
      answer,
    );
  } else {
    server = createHttpServer(answer);
  }
  const sockets = new Set<Socket>();
  let connections = 0;
  server.on('connection', (socket: Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    connections: () => connections,
    close: async () => {
      const closed = once(server, 'close');
      server.close();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

for (const transport of ['tls', 'plain'] as const) {
  test(`an original host (${transport}) on the port: HOST_IS_OLDER_VERSION once, retries, takes over when it leaves`, async (t) => {
    const port = await freePort();
    const holder = await originalHost(port, transport);
    t.after(() => holder.close().catch(() => {}));
    const proc = spawnServer({ port, name: `instance vs original (${transport})` });
    t.after(async () => {
      if (proc.alive) proc.child.kill('SIGKILL');
      await proc.exited;
    });
    proc.send({ key: 'open', value: 'production' });
    const error = await proc.waitFor('error', () => true, { timeoutMs: 10_000 });
    assert.equal(error.value.code, 'HOST_IS_OLDER_VERSION', `got ${JSON.stringify(error.value)}`);
    assert.match(error.value.message, /same version/);

    // Keeps probing with backoff, and says it once.
    const seen = holder.connections();
    await until(() => holder.connections() >= seen + 4, {
      timeoutMs: 10_000,
      describe: () => `more probes (connections ${holder.connections()})`,
    });
    assert.deepEqual(
      proc.all('error').map((m) => m.value.code),
      ['HOST_IS_OLDER_VERSION'],
      'reported once, and never as PORT_HELD_BY_OTHER_PROGRAM',
    );
    assert.ok(!proc.all('runningModeChanged').some((m) => m.value === 3), 'must not claim to be its peer');

    const from = proc.messages.length;
    await holder.close();
    await proc.waitFor('runningModeChanged', (m) => m.value === 2, { from, timeoutMs: 8000 });
    assert.equal((await fetchStatus(port))?.runningMode, 2);
  });
}

test('an original instance joining (Engine.IO 3, polling first, no Origin) is refused and logged once', async (t) => {
  const port = await freePort();
  const host = spawnServer({ port, name: 'host', captureOutput: true });
  t.after(() => host.stop());
  assert.equal(await host.open('production'), 2);
  await host.waitFor('cloudModeChanged', (m) => m.value === 0);
  const mark = host.messages.length;

  // socket.io-client 2.x defaults, as the original server's client mode used them.
  const errors: unknown[] = [];
  let connected = false;
  const original = ioV2(`http://127.0.0.1:${port}`, {
    query: { childServer: true },
    forceNew: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 200,
  });
  t.after(() => original.close());
  original.on('connect', () => {
    connected = true;
  });
  original.on('connect_error', (e) => errors.push(e));
  original.on('error', (e) => errors.push(e));
  await until(() => errors.length >= 4, {
    timeoutMs: 10_000,
    describe: () => `join attempts (${errors.length})`,
  });
  original.close();
  await sleep(200);

  assert.equal(connected, false, 'an older instance must not join');
  const sinceOpen = host.messages.slice(mark).map((m) => m.key);
  assert.ok(!sinceOpen.includes('connection'), `the parent must see no connection: ${sinceOpen}`);
  assert.ok(!sinceOpen.includes('cloudModeChanged'), `the host must stay single: ${sinceOpen}`);
  assert.equal(
    host.outputCount('an older entry-hw-server (v2, Engine.IO 3) tried to join'),
    1,
    `logged exactly once over ${errors.length} attempts: ${host.output.slice(-1500)}`,
  );
  assert.match(host.output, /every entry-hw-server instance on one PC must run the same version/);
});
