// Memory with a ceiling (docs/PROTOCOL.md §3, docs/SECURITY.md): a budget of client
// message bytes in flight across every connection, counted from each WebSocket frame header, and
// a smaller per-message limit for connections without an Origin (peers, local programs). Tried as
// an attacker would, with hand-written frames held half-sent: the sender that goes over is closed
// with a log line, never the others, whose messages keep flowing. RSS under the attack is
// measured in bench/memory-attack.ts, not here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomRoomId } from '../../harness/browser-client';
import { RawWebSocket } from '../../harness/raw-websocket';
import { type StatusBody, until } from '../../harness/util';
import { MAX_LOCAL_PAYLOAD_BYTES } from '../../src/config';
import { assertRoundTrip, startServerForSuite } from '../helpers/fixtures';
import { request } from '../helpers/http';

const ENTRY = 'https://playentry.org';

/** Resolves true if `raw` was closed by the server within `ms`. */
function closedWithin(raw: RawWebSocket, ms: number): Promise<boolean> {
  return Promise.race([
    raw.closed.then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), ms)),
  ]);
}

describe('memory with a ceiling: bytes in flight', () => {
  const started = startServerForSuite({ name: 'memory-budget', captureOutput: true });

  async function inFlight(): Promise<number> {
    const body = JSON.parse((await request({ port: started.port, path: '/status' })).body) as StatusBody;
    return body.debug?.hub?.messageBytesInFlight ?? -1;
  }

  it('a second large message while one is in flight: its sender is closed, the first and the other tabs go on', async () => {
    const [roomA, roomB, roomC] = [randomRoomId(), randomRoomId(), randomRoomId()];
    const a = await RawWebSocket.open({
      port: started.port,
      origin: ENTRY,
      query: `client=true&roomId=${roomA}`,
    });
    const b = await RawWebSocket.open({
      port: started.port,
      origin: ENTRY,
      query: `client=true&roomId=${roomB}`,
    });
    const tab = await started.pool.connect({ version: 'v2', url: started.url, roomId: roomC, origin: ENTRY });
    try {
      // A 60 MB message, held half-sent: counted from its header on.
      const first = a.startMessage(60_000_000, 1_000_000);
      await until(async () => (await inFlight()) >= first.payloadBytes, {
        describe: () => 'the first message counted in flight',
      });
      const outputBefore = started.server.output.length;
      // An 80 MB one on top would take the total over 128 MiB: refused at its header.
      b.startMessage(80_000_000, 1000);
      assert.ok(await closedWithin(b, 3000), 'the sender over the budget is closed');
      assert.ok(!a.isClosed, 'the message already in flight goes on');
      await assertRoundTrip(started.server, tab);
      const from = started.server.messages.length;
      await first.rest();
      const got = await started.server.waitFor(
        'data',
        (m) => {
          const value = m.value as { data?: unknown } | null;
          return typeof value?.data === 'string' && value.data.length > 59_000_000;
        },
        { from, timeoutMs: 60_000 },
      );
      assert.ok(got);
      await until(async () => (await inFlight()) === 0, { describe: () => 'the budget released' });
      await assertRoundTrip(started.server, tab);
      const line = await until(
        () =>
          /refused large messages \(too many bytes in flight\)[^\n]*/.exec(
            started.server.output.slice(outputBefore),
          )?.[0],
        {
          timeoutMs: 3000,
          describe: () => `a log line: ${started.server.output.slice(outputBefore, outputBefore + 2000)}`,
        },
      );
      assert.match(line, /80\.0 MB message/);
    } finally {
      a.close();
      b.close();
      tab.close();
    }
  });

  it('a connection without an Origin may not send more than 4 MiB in one message; 3 MB is fine', async () => {
    const roomId = randomRoomId();
    const local = await RawWebSocket.open({ port: started.port, query: `client=true&roomId=${roomId}` });
    const from = started.server.messages.length;
    const fine = local.startMessage(3_000_000, 3_000_000);
    await fine.rest();
    await started.server.waitFor('data', (m) => typeof (m.value as { data?: unknown })?.data === 'string', {
      from,
      timeoutMs: 10_000,
    });
    assert.ok(!local.isClosed);
    local.startMessage(MAX_LOCAL_PAYLOAD_BYTES + 1000, 1000);
    assert.ok(await closedWithin(local, 3000), 'a 4 MiB + 1000 B message without Origin closes its sender');
    const peer = await RawWebSocket.open({ port: started.port, query: 'childServer=true' });
    // A peer's diagnostics report of 5 MB: refused at its header, before any of it is buffered.
    const prefix = '42["diagnosticsReport",{"version":"3.0.0","junk":"';
    peer.socket.write(RawWebSocket.header(5_000_000));
    peer.socket.write(prefix);
    assert.ok(await closedWithin(peer, 3000), 'a 5 MB report closes the peer');
    assert.equal(await inFlight(), 0);
  });
});
