// In-process use, as entry-offline embeds the server: module routes, status, events, close.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { freePort } from '../../harness/server-process';
import { CloudMode, RunningMode } from '../../src/ipc/messages';
import { EntryServer } from '../../src/server/entry-server';
import { createLogger } from '../../src/util/log';

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('EntryServer in-process (entry-offline style)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'modules-'));
  writeFileSync(join(dir, 'microbit2.zip'), 'ZIPDATA');
  const fileRequests: [string, string][] = [];
  let server: EntryServer;
  let port: number;
  const modes: number[] = [];

  before(async () => {
    port = await freePort();
    server = new EntryServer({
      http: true,
      port,
      logger: createLogger({ silent: true }),
      handleModuleListRequest: () => [{ name: 'microbit2' }],
      handleModuleFileRequest: (name, type) => {
        fileRequests.push([name, type]);
        return name === 'microbit2' && type === 'zip' ? join(dir, 'microbit2.zip') : join(dir, 'missing');
      },
    });
    server.on('runningModeChanged', (m) => modes.push(m));
    server.on('cloudModeChanged', (m) => modes.push(m));
    await server.open('2.1.0', 'http://127.0.0.1:9/never-called-until-a-device-connects');
  });
  after(() => server.close());

  it('settles as host in single-server mode, and a second open is a no-op', async () => {
    assert.deepEqual(modes, [RunningMode.server, CloudMode.singleServer]);
    await server.open();
    assert.deepEqual(modes, [RunningMode.server, CloudMode.singleServer]);
  });

  it('serves the module list and files through the handlers', async () => {
    assert.deepEqual(JSON.parse((await get(port, '/modules')).body), [{ name: 'microbit2' }]);
    const file = await get(port, '/modules/microbit2/files/zip');
    assert.deepEqual([file.status, file.body], [200, 'ZIPDATA']);
    assert.equal((await get(port, '/modules/other/files/zip')).status, 404);
  });

  it('refuses traversal in module names before calling the handler', async () => {
    const before = fileRequests.length;
    for (const path of [
      '/modules/..%2f..%2fetc/files/zip',
      '/modules/a%00b/files/zip',
      '/modules/ok/files/..%5cx',
    ]) {
      assert.equal((await get(port, path)).status, 400, path);
    }
    assert.equal(fileRequests.length, before);
  });

  it('answers / and /status, and 404 elsewhere', async () => {
    assert.deepEqual(await get(port, '/'), { status: 200, body: 'hello entry' });
    const status = JSON.parse((await get(port, '/status')).body);
    assert.equal(status.name, 'entry-hw-server');
    assert.equal(status.runningMode, RunningMode.server);
    assert.equal(status.tls.enabled, false);
    assert.equal((await get(port, '/anything')).status, 404);
  });

  it('emits data, connection and close, and sends to the browser', async () => {
    const socket = io(`http://127.0.0.1:${port}`, {
      transports: ['websocket'],
      query: { client: 'true', roomId: 'lib0000001' },
    });
    const [info] = await once(server, 'connection');
    assert.deepEqual(info, { kind: 'browser', roomId: 'lib0000001' });
    const received = new Promise<unknown[]>((resolve) =>
      socket.once('message', (...args: unknown[]) => resolve(args)),
    );
    server.sendToClient({ a0: 512 });
    assert.deepEqual((await received)[0], { data: { a0: 512 } });
    const data = once(server, 'data');
    socket.emit('message', { data: '{"x":1}', type: 'utf8' });
    assert.deepEqual((await data)[0], { data: '{"x":1}', type: 'utf8' });
    const closed = once(server, 'close');
    socket.close();
    assert.deepEqual(await closed, ['lib0000001']);
  });
});
