// The slot decision and the deadlines of ConnectionSlots, without sockets or the clock
// of a real listener (fake sockets; the deadlines are short and real).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { sleep } from '../../harness/util';
import {
  ConnectionSlots,
  reservedSlots,
  type SlotLimits,
  slotFor,
} from '../../src/host/listener/connection-slots';
import type { RefusalKind } from '../../src/util/log';

class FakeSocket extends EventEmitter {
  destroyed = false;
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      this.emit('close');
    }
    return this;
  }
}

const limits = (over: Partial<SlotLimits> = {}): SlotLimits => ({
  maxConnections: 10,
  reserved: 2,
  firstByteMs: 10_000,
  requestMs: 10_000,
  ...over,
});

describe('connection slots', () => {
  it('reserves a tenth of the cap, at least one', () => {
    assert.equal(reservedSlots(1000), 100);
    assert.equal(reservedSlots(20), 2);
    assert.equal(reservedSlots(5), 1);
  });

  it('decides: accept, make room by closing the oldest anonymous one, or refuse at the cap', () => {
    const l = limits();
    assert.equal(slotFor(0, 0, l), 'accept');
    assert.equal(slotFor(7, 7, l), 'accept');
    assert.equal(slotFor(8, 8, l), 'evict-oldest-anonymous');
    assert.equal(slotFor(10, 8, l), 'evict-oldest-anonymous');
    assert.equal(slotFor(10, 7, l), 'refuse', 'known connections may fill every slot');
  });

  it('closes the oldest anonymous connection for a new one, never a known one', () => {
    const refused: RefusalKind[] = [];
    let full = 0;
    const slots = new ConnectionSlots(limits(), {
      onRefused: (k) => refused.push(k),
      onFull: () => (full += 1),
    });
    const sockets = Array.from({ length: 12 }, () => new FakeSocket());
    const asSocket = (s: FakeSocket) => s as unknown as Socket;
    for (const socket of sockets.slice(0, 2)) {
      assert.ok(slots.accept(asSocket(socket)));
      slots.known(asSocket(socket));
    }
    for (const socket of sockets.slice(2, 12)) assert.ok(slots.accept(asSocket(socket)));
    assert.deepEqual(
      sockets.map((s) => s.destroyed),
      [false, false, true, true, false, false, false, false, false, false, false, false],
    );
    assert.deepEqual(refused, ['slots', 'slots']);
    assert.equal(slots.anonymousCount, 8);
    // Known connections fill every slot: the cap refuses, and closes nothing to make room.
    for (const socket of sockets.slice(4, 12)) slots.known(asSocket(socket));
    const extra = new FakeSocket();
    assert.equal(slots.accept(asSocket(extra)), false);
    assert.ok(extra.destroyed);
    assert.equal(full, 1);
    assert.equal(sockets.filter((s) => s.destroyed).length, 2);
    slots.clear();
  });

  it('a silent connection has the short deadline; a request pending its body has the request deadline', async () => {
    const refused: string[] = [];
    const slots = new ConnectionSlots(limits({ firstByteMs: 30, requestMs: 120 }), {
      onRefused: (kind) => refused.push(kind),
      onFull: () => {},
    });
    const silent = new FakeSocket();
    const talking = new FakeSocket();
    slots.accept(silent as unknown as Socket);
    slots.accept(talking as unknown as Socket);
    slots.firstByte(talking as unknown as Socket);
    const req = Object.assign(new EventEmitter(), { complete: false }) as unknown as IncomingMessage;
    slots.requestStarted(talking as unknown as Socket, req);
    await sleep(80);
    assert.ok(silent.destroyed && !talking.destroyed);
    await sleep(120);
    assert.ok(talking.destroyed, 'a body that never completes is cut at the request deadline');
    assert.deepEqual(refused, ['slow', 'slow']);
  });

  it('an upgraded connection has no deadline', async () => {
    const slots = new ConnectionSlots(limits({ firstByteMs: 20, requestMs: 40 }), {
      onRefused: () => {},
      onFull: () => {},
    });
    const socket = new FakeSocket();
    slots.accept(socket as unknown as Socket);
    slots.firstByte(socket as unknown as Socket);
    slots.upgraded(socket as unknown as Socket);
    slots.responseDone(socket as unknown as Socket);
    await sleep(100);
    assert.ok(!socket.destroyed);
    slots.clear();
    assert.ok(socket.destroyed);
  });
});
