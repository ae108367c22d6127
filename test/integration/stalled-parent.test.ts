// A parent that stops reading its IPC channel (busy or hung) while a browser keeps streaming must
// not make the server's memory grow without limit: browser data beyond a bounded backlog is
// dropped with a log line, and routing carries on once the parent reads again.
// The parent here is a Unix socket handed to the child as its IPC channel (NODE_CHANNEL_FD), so
// the test can pause reading, which Node's own child_process parent never does.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { io } from 'socket.io-client';
import { freePort, REPO_ROOT } from '../../harness/server-process';
import { until } from '../../harness/util';

/** Reads newline-delimited JSON (Node's IPC framing) from the parent's end of the channel. */
function collectLines(socket: Socket, into: unknown[]): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline !== -1) {
      into.push(JSON.parse(buffered.slice(0, newline)));
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
    }
  });
}

/** Polls `check` until true (20 s at most), naming `what` on timeout. */
function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<unknown> {
  return until(check, { timeoutMs, describe: () => what });
}

test('a parent that stops reading costs dropped browser data, not unbounded memory', async (t) => {
  const port = await freePort();
  const path = join(mkdtempSync(join(tmpdir(), 'entry-hw-ipc-')), 'parent.sock');
  const listener = createServer();
  listener.listen(path);
  await once(listener, 'listening');
  const childEnd = createConnection(path);
  const [parentEnd] = (await once(listener, 'connection')) as [Socket];
  const bin = process.env.ENTRY_HW_TEST_BIN;
  const child = spawn(bin ?? process.execPath, bin ? [] : [join(REPO_ROOT, 'dist', 'main.cjs')], {
    stdio: ['ignore', 'ignore', 'pipe', childEnd],
    env: { ...process.env, ENTRY_HW_PORT: String(port), NODE_CHANNEL_FD: '3' },
  });
  childEnd.destroy();
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const browser = io(`http://127.0.0.1:${port}`, {
    transports: ['websocket'],
    query: { client: 'true', roomId: 'stall00001' },
  });
  t.after(() => {
    browser.close();
    child.kill('SIGKILL');
    parentEnd.destroy();
    listener.close();
  });

  const received: { key?: string; value?: { seq?: number } }[] = [];
  collectLines(parentEnd, received);
  parentEnd.write(`${JSON.stringify({ key: 'open', value: 'production' })}\n`);
  await waitFor(() => received.some((m) => m.key === 'runningModeChanged'), 'runningModeChanged');
  await waitFor(() => browser.connected, 'the browser to connect');

  // The parent stops reading; the browser streams 4 KiB messages, 128 MiB in all (the bound is 32).
  parentEnd.pause();
  const chunk = 'x'.repeat(4096);
  const flood = 32_768;
  for (let seq = 0; seq < flood; seq += 1) {
    browser.emit('message', { data: chunk, seq });
    if (seq % 512 === 511) await new Promise((r) => setImmediate(r));
  }
  await waitFor(() => stderr.includes('not reading'), 'the server to say the parent is not reading');
  assert.equal(child.exitCode, null, 'the server is still running');

  // The parent reads again: what was kept arrives, the rest was dropped, routing goes on.
  parentEnd.resume();
  const mark = 'after the stall';
  const stillStreaming = setInterval(() => browser.emit('message', { data: mark }), 50);
  t.after(() => clearInterval(stillStreaming));
  await waitFor(
    () => received.some((m) => (m.value as { data?: string } | undefined)?.data === mark),
    'a message after the stall',
  );
  clearInterval(stillStreaming);
  const flooded = received.filter((m) => m.key === 'data' && typeof m.value?.seq === 'number').length;
  assert.ok(flooded < flood, `some of the flood must have been dropped (${flooded} of ${flood} arrived)`);
  assert.ok(flooded >= 1000, `the backlog up to the bound is delivered (${flooded} arrived)`);
  await waitFor(() => /\d+ browser messages were dropped/.test(stderr), 'the catch-up report');
});
