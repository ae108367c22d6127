// The frame meter reads WebSocket frame sizes as the bytes go by (any split, fragmented
// messages, control frames between fragments), and the budget counts message bytes in flight,
// refuses a large message over it, closes only that sender and gives the bytes back once the
// message was handed on. A peer's diagnostics report is parsed on arrival (the raw value dropped).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { RawWebSocket } from '../../harness/raw-websocket';
import type { HubContext } from '../../src/host/hub-context';
import { MessageBudget } from '../../src/host/listener/message-budget';
import { WsFrameMeter } from '../../src/host/listener/ws-frame-meter';
import type { HostSocket } from '../../src/host/peer-rooms';
import { wirePeer } from '../../src/host/peer-sockets';
import type { RefusalKind } from '../../src/util/log';

const header = RawWebSocket.header;

/** Frames and messages the meter reported for `bytes` fed in pieces of `piece` bytes. */
function meter(bytes: Buffer, piece: number): { frames: [number, number][]; messages: number[] } {
  const frames: [number, number][] = [];
  const messages: number[] = [];
  const m = new WsFrameMeter({
    frame: (n, total) => {
      frames.push([n, total]);
      return true;
    },
    messageEnd: (total) => messages.push(total),
  });
  for (let at = 0; at < bytes.length; at += piece) assert.ok(m.feed(bytes.subarray(at, at + piece)));
  return { frames, messages };
}

describe('WebSocket frame meter', () => {
  const stream = Buffer.concat([
    header(5),
    Buffer.from('hello'),
    header(300),
    Buffer.alloc(300, 0x61),
    header(70_000, false),
    Buffer.alloc(70_000, 0x61),
    header(2, true, 0x9), // a ping between fragments
    Buffer.from('hi'),
    header(10, true, 0x0), // the last fragment
    Buffer.alloc(10, 0x61),
    header(0),
  ]);

  for (const piece of [1, 3, 7, 1000, stream.length]) {
    it(`reads 7-, 16- and 64-bit lengths, fragments and control frames, fed ${piece} bytes at a time`, () => {
      const { frames, messages } = meter(stream, piece);
      assert.deepEqual(frames, [
        [5, 5],
        [300, 300],
        [70_000, 70_000],
        [10, 70_010],
        [0, 0],
      ]);
      assert.deepEqual(messages, [5, 300, 70_010, 0]);
    });
  }

  it('knows a 95 MB message from its 14-byte header and stops reading once it is refused', () => {
    const seen: number[] = [];
    const m = new WsFrameMeter({
      frame: (n) => {
        seen.push(n);
        return n < 1_000_000;
      },
      messageEnd: () => {},
    });
    assert.equal(m.feed(header(95_000_000)), false);
    assert.equal(m.feed(Buffer.alloc(100)), false);
    assert.deepEqual(seen, [95_000_000]);
  });
});

/** A connected socket as the WebSocket library holds it: a reader is attached, bytes flow. */
function upgradedSocket(): PassThrough {
  const socket = new PassThrough();
  socket.on('data', () => {}); // the WebSocket library's own listener
  return socket;
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('message budget', () => {
  const limits = {
    browserMessageBytes: 100_000_000,
    localMessageBytes: 4_000_000,
    inflightBytes: 128_000_000,
    smallMessageBytes: 65_536,
  };

  it('refuses a large message over the budget, closes only its sender, and returns the bytes after hand-off', async () => {
    const refused: [RefusalKind, string][] = [];
    const budget = new MessageBudget({ limits, onRefused: (kind, detail) => refused.push([kind, detail]) });
    const [a, b, c] = [upgradedSocket(), upgradedSocket(), upgradedSocket()];
    for (const socket of [a, b, c]) budget.watchWebSocket(socket, true);
    a.write(header(90_000_000));
    a.write(Buffer.alloc(1000));
    await turn();
    assert.equal(budget.bytesInFlight, 90_000_000);
    b.write(header(50_000_000));
    await turn();
    assert.ok(b.destroyed, 'the sender over the budget is closed');
    assert.deepEqual(
      refused.map(([kind]) => kind),
      ['memory'],
    );
    // Small messages of the others are never refused for the budget (nor counted).
    for (let i = 0; i < 100; i += 1) c.write(Buffer.concat([header(200), Buffer.alloc(200)]));
    await turn();
    assert.ok(!c.destroyed && !a.destroyed);
    assert.equal(budget.bytesInFlight, 90_000_000);
    a.write(Buffer.alloc(90_000_000 - 1000));
    await turn();
    await turn();
    assert.equal(budget.bytesInFlight, 0, 'given back once the message was handed on');
    assert.equal(budget.peakBytes, 90_000_000);
    // A message of small fragments is counted from the fragment that makes it large.
    c.write(Buffer.concat([header(60_000, false), Buffer.alloc(60_000)]));
    await turn();
    assert.equal(budget.bytesInFlight, 0);
    c.write(header(10_000, false, 0x0));
    await turn();
    assert.equal(budget.bytesInFlight, 70_000);
  });

  it('a connection without an Origin may send less; a closed sender gives its bytes back', async () => {
    const refused: RefusalKind[] = [];
    const budget = new MessageBudget({ limits, onRefused: (kind) => refused.push(kind) });
    const local = upgradedSocket();
    budget.watchWebSocket(local, false);
    local.write(Buffer.concat([header(3_000_000, false), Buffer.alloc(10)]));
    await turn();
    assert.equal(budget.bytesInFlight, 3_000_000);
    local.destroy();
    await turn();
    assert.equal(budget.bytesInFlight, 0, 'a sender that leaves mid-message gives its bytes back');
    const fragmented = upgradedSocket();
    budget.watchWebSocket(fragmented, false);
    fragmented.write(Buffer.concat([header(3_000_000, false), Buffer.alloc(3_000_000)]));
    fragmented.write(header(2_000_000, true, 0x0));
    await turn();
    assert.ok(fragmented.destroyed, 'fragments add up to the limit');
    assert.deepEqual(refused, ['size']);
  });

  it('starts reading only once the WebSocket library does, and sees the same bytes', async () => {
    const budget = new MessageBudget({ limits, onRefused: () => {} });
    const socket = new PassThrough(); // not flowing yet, as Node leaves an upgraded socket
    budget.watchWebSocket(socket, true);
    socket.unshift(header(10_000_000)); // the upgrade's head, as the library puts it back
    assert.equal(socket.listenerCount('data'), 0, 'nothing reads before the library');
    socket.on('data', () => {});
    await turn();
    assert.equal(budget.bytesInFlight, 10_000_000);
  });
});

describe('a peer diagnostics report', () => {
  it('is parsed on arrival: the host keeps a few short fields, never the raw value', () => {
    const socket = Object.assign(new EventEmitter(), {
      id: 'peer-1',
      data: {} as HostSocket['data'],
      join() {},
      onAny() {},
    });
    const hub = {
      becameCloud() {},
      peerCount: () => 1,
      owner: { peerCountChanged() {} },
      guard: (_what: string, run: () => void) => run(),
      pairings: { peerArrived() {}, peerReported() {} },
    } as unknown as HubContext;
    wirePeer(hub, socket as unknown as HostSocket);
    const junk = 'x'.repeat(1_000_000);
    socket.emit('diagnosticsReport', {
      version: '3.0.0',
      device: { state: 'connected', moduleId: '520101', at: '2026-03-02T10:00:00.000Z', junk },
      junk,
    });
    assert.deepEqual(socket.data.report, {
      version: '3.0.0',
      device: { state: 'connected', moduleId: '520101', at: '2026-03-02T10:00:00.000Z' },
    });
    assert.ok(JSON.stringify(socket.data.report).length < 200);
  });
});
