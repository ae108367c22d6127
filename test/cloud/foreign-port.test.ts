// A program that is not Entry HW holds the port (docs/PROTOCOL.md §5 improved): the instance
// must tell its parent (`error` PORT_HELD_BY_OTHER_PROGRAM), stay alive, keep retrying with
// backoff, and become host within a few seconds once the port is free. Three kinds of holder:
// an HTTP server answering 'hello', a TCP server that accepts and never says anything, and one
// that closes every connection at once.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { fetchStatus, sleep, until } from '../../harness/cloud-cluster';
import { freePort, spawnServer } from '../../harness/server-process';

/** Within how long after the foreign holder goes away the instance must be host. */
const TAKEOVER_LIMIT_MS = 6000;

interface Holder {
  server: Server | HttpServer;
  /** Connections accepted so far (each is a probe or a join attempt by the instance). */
  connections: number;
  close(): Promise<void>;
}

async function hold(port: number, kind: 'http-hello' | 'tcp-silent' | 'tcp-close'): Promise<Holder> {
  const sockets = new Set<Socket>();
  const server =
    kind === 'http-hello'
      ? createHttpServer((_req, res) => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('hello');
        })
      : createServer((socket) => {
          if (kind === 'tcp-close') socket.destroy();
          else socket.on('error', () => {});
        });
  const holder: Holder = {
    server,
    connections: 0,
    close: async () => {
      const closed = once(server, 'close');
      server.close();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
  server.on('connection', (socket: Socket) => {
    holder.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return holder;
}

for (const kind of ['http-hello', 'tcp-silent', 'tcp-close'] as const) {
  test(`foreign program on the port (${kind}): error to the parent, keeps retrying, takes over when it leaves`, async (t) => {
    const port = await freePort();
    const holder = await hold(port, kind);
    t.after(() => holder.close().catch(() => {}));
    const proc = spawnServer({ port, name: `instance vs ${kind}` });
    t.after(async () => {
      if (proc.alive) proc.child.kill('SIGKILL');
      await proc.exited;
    });

    const openedAt = Date.now();
    proc.send({ key: 'open', value: 'production' });
    const error = await proc.waitFor('error', (m) => m.value?.code === 'PORT_HELD_BY_OTHER_PROGRAM', {
      timeoutMs: 10_000,
    });
    const errorMs = Date.now() - openedAt;
    assert.equal(typeof error.value.message, 'string');
    assert.ok(error.value.message.length > 0, 'the error carries a human-readable message');
    assert.ok(
      !proc.all('runningModeChanged').some((m) => m.value === 3),
      `must not claim to be a peer of a foreign program: ${JSON.stringify(proc.messages)}`,
    );

    // Keeps retrying: it comes back to the holder (new connections), and stays alive.
    const seen = holder.connections;
    await until(() => holder.connections > seen, {
      timeoutMs: 10_000,
      describe: () => `the instance to probe the port again (connections so far ${holder.connections})`,
    });
    assert.ok(proc.alive, 'the instance must stay alive while the port is held');
    const errorsWhileHeld = proc.all('error').length;

    const from = proc.messages.length;
    const freedAt = Date.now();
    await holder.close();
    await proc.waitFor('runningModeChanged', (m) => m.value === 2, { from, timeoutMs: TAKEOVER_LIMIT_MS });
    const takeoverMs = Date.now() - freedAt;
    const status = await fetchStatus(port);
    assert.equal(status?.runningMode, 2, `/status after takeover: ${JSON.stringify(status)}`);
    assert.equal(lastCloud(proc.all('cloudModeChanged')), 0, 'a lone host is single-server');
    await sleep(200);
    assert.ok(proc.alive);
    t.diagnostic(
      `${kind}: error after ${errorMs} ms, ${holder.connections} connections to the holder, ${errorsWhileHeld} error message(s) while held, host ${takeoverMs} ms after the port was freed`,
    );
  });
}

function lastCloud(list: { value: unknown }[]): unknown {
  return list.at(-1)?.value;
}
