// What is held for a reloading tab (docs/PROTOCOL.md §4): recent departures, held messages only
// within the reconnect window and never older than the tab, the bounded mailbox and queue.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type HoldGroup,
  holdKey,
  RECONNECT_WINDOW_MS,
  RecentDepartures,
  shouldHold,
} from '../../src/routing/held-messages';

/** The mailbox keys of the rooms a message would be held for. */
const keysOf = (groups: HoldGroup[]) => groups.map((group) => group.key);

import { ReconnectMailbox } from '../../src/routing/reconnect-mailbox';
import { BoundedQueue } from '../../src/util/bounded-queue';

describe('recent departures reported late', () => {
  it('a departure reported with an earlier time never shortens a later one (finding 7)', () => {
    const recent = new RecentDepartures();
    recent.left('a', 10_000);
    recent.left('a', 6_000); // a peer's tab cut off by a failover 4 s earlier
    assert.equal(recent.isWithinWindow('a', 14_000), true);
    recent.left('b', 1_000); // reported at 10 s: out of the window already
    assert.equal(recent.isWithinWindow('b', 10_000), false);
    assert.equal(recent.isWithinWindow('b', 5_500), true);
    assert.equal(recent.isWithinWindow('a', 14_000), true, 'a late report forgets no later departure');
  });
});

describe('held messages predate no tab (finding 11)', () => {
  it("a message sent before the room's tab first connected is never held for it", () => {
    const recent = new RecentDepartures();
    recent.arrived('r2', 100); // the room's first tab
    recent.left('r2', 100); // ...leaves at once
    assert.equal(recent.isWithinWindow('r2', 100, 0), false, 'sent at 0, queued in an outbox');
    assert.equal(recent.isWithinWindow('r2', 100, 100), true, 'sent while the tab was there');
    assert.deepEqual(recent.keysWithinWindow(100, 0), []);
  });
  it('a reload within the window keeps the room present since its first arrival', () => {
    const recent = new RecentDepartures();
    recent.arrived('a', 0);
    recent.left('a', 1000);
    recent.arrived('a', 1200); // reloaded within 5 s
    recent.left('a', 1300);
    assert.equal(recent.isWithinWindow('a', 1400, 500), true, 'the reloaded tab was there at 500');
    recent.arrived('a', 1300 + RECONNECT_WINDOW_MS); // back after the window: a new presence
    recent.left('a', 1400 + RECONNECT_WINDOW_MS);
    assert.equal(recent.isWithinWindow('a', 1500 + RECONNECT_WINDOW_MS, 1250 + RECONNECT_WINDOW_MS), false);
    assert.equal(recent.isWithinWindow('a', 1500 + RECONNECT_WINDOW_MS, 1350 + RECONNECT_WINDOW_MS), true);
  });
  it('a failover report without an arrival counts the tab as there from the loss', () => {
    const recent = new RecentDepartures();
    recent.left('p', 2000); // a peer's tab was connected when the host was lost at 2000
    assert.equal(recent.isWithinWindow('p', 3000, 2500), true, 'queued after the loss');
    assert.equal(recent.isWithinWindow('p', 3000, 1500), false);
    assert.equal(shouldHold({ leftAt: 1000, now: 3000, presentSince: 900, sentAt: 500 }), false);
    assert.equal(shouldHold({ leftAt: 1000, now: 3000, presentSince: 900, sentAt: 900 }), true);
  });
});

describe('reconnect mailbox', () => {
  it('hands held messages to the first taker, in order, once', () => {
    const box = new ReconnectMailbox<number>();
    box.hold('room:a', 1);
    box.hold('room:a', 2);
    box.hold('room:b', 3);
    assert.deepEqual(box.take('room:a'), [1, 2]);
    assert.deepEqual(box.take('room:a'), []);
    assert.deepEqual(box.take('room:b'), [3]);
  });

  it('keeps one key and drops the rest, or drops everything, counting what went', () => {
    const box = new ReconnectMailbox<number>();
    box.hold('room:a', 1);
    box.hold('room:b', 2);
    box.hold('room:b', 3);
    box.hold('no-room', 4);
    assert.equal(box.keepOnly('room:a'), 3);
    assert.deepEqual(box.take('room:b'), []);
    assert.deepEqual(box.take('no-room'), []);
    assert.deepEqual(box.take('room:a'), [1]);
    box.hold('room:c', 5);
    assert.equal(box.keepOnly(undefined), 1);
    assert.deepEqual(box.stats(), { keys: 0, messages: 0, stale: 0 });
  });

  it('counts a message that waited elsewhere from when it was sent, and keeps order (finding 5)', () => {
    let now = 10_000;
    const box = new ReconnectMailbox<string>({ maxAgeMs: 5000, now: () => now });
    box.hold('room:a', 'fresh');
    box.hold('room:a', 'queued 4 s', 4000);
    box.hold('room:a', 'queued 5 s', 5000); // already past the window: not held
    box.hold('room:a', 'queued forever', Number.POSITIVE_INFINITY);
    assert.deepEqual(box.stats(), { keys: 1, messages: 2, stale: 0 });
    now = 11_500; // 'queued 4 s' is now 5.5 s old, 'fresh' 1.5 s
    assert.deepEqual(box.take('room:a'), ['fresh']);
    box.hold('room:b', 'x', -3); // a negative or bogus age counts as none
    box.hold('room:b', 'y', Number.NaN);
    now = 16_000;
    assert.deepEqual(box.take('room:b'), ['x', 'y']);
  });

  it('counts keys, messages and stale messages without changing anything', () => {
    let now = 0;
    const box = new ReconnectMailbox<string>({ maxAgeMs: 100, now: () => now });
    box.hold('a', 'x');
    now = 150;
    box.hold('b', 'y');
    box.hold('b', 'z');
    assert.deepEqual(box.stats(), { keys: 2, messages: 3, stale: 1 });
    assert.deepEqual(box.stats(), { keys: 2, messages: 3, stale: 1 });
    assert.deepEqual(box.take('a'), []);
    assert.deepEqual(box.stats(), { keys: 1, messages: 2, stale: 0 });
  });

  it('forgets messages older than maxAgeMs', () => {
    let now = 0;
    const box = new ReconnectMailbox<string>({ maxAgeMs: 100, now: () => now });
    box.hold('k', 'old');
    now = 80;
    box.hold('k', 'new');
    now = 150;
    assert.deepEqual(box.take('k'), ['new']);
  });

  it('is bounded per key and in keys', () => {
    const box = new ReconnectMailbox<number>({ maxPerKey: 3, maxKeys: 2 });
    for (let i = 0; i < 10; i += 1) box.hold('k', i);
    assert.deepEqual(box.take('k'), [7, 8, 9]);
    box.hold('a', 1);
    box.hold('b', 2);
    box.hold('c', 3);
    assert.equal(box.size('a') + box.size('b') + box.size('c'), 2);
    assert.equal(box.size('c'), 1);
  });
});

describe('bounded queue', () => {
  it('drops the oldest beyond capacity and counts drops', () => {
    const queue = new BoundedQueue<number>(3);
    for (let i = 1; i <= 5; i += 1) queue.push(i);
    assert.equal(queue.dropped, 2);
    assert.deepEqual(queue.drain(), [3, 4, 5]);
    assert.equal(queue.length, 0);
    assert.equal(queue.dropped, 0);
  });
});

describe('held messages only for a reconnecting tab', () => {
  it('holds only within 5 s of the departure, never for a room nobody left', () => {
    assert.equal(shouldHold({ leftAt: undefined, now: 10 }), false);
    assert.equal(shouldHold({ leftAt: 1000, now: 1000 }), true);
    assert.equal(shouldHold({ leftAt: 1000, now: 1000 + RECONNECT_WINDOW_MS - 1 }), true);
    assert.equal(shouldHold({ leftAt: 1000, now: 1000 + RECONNECT_WINDOW_MS }), false);
    assert.equal(shouldHold({ leftAt: 1000, now: 999 }), false, 'a clock step backwards holds nothing');
    assert.equal(shouldHold({ leftAt: 0, now: 50, windowMs: 40 }), false);
  });
  it('keys rooms and browsers without a roomId apart', () => {
    assert.equal(holdKey('0a1b2c3d4e'), 'room:0a1b2c3d4e');
    assert.equal(holdKey(undefined), 'no-room');
  });
  it('tracks departures: a returned tab ends the window, stale ones are dropped', () => {
    const recent = new RecentDepartures(100);
    recent.left('a', 0);
    recent.left(undefined, 50);
    assert.deepEqual(keysOf(recent.keysWithinWindow(60)).sort(), ['no-room', 'room:a']);
    assert.deepEqual(keysOf(recent.keysWithinWindow(120)), ['no-room']);
    recent.arrived(undefined, 60);
    assert.equal(recent.isWithinWindow(undefined, 60), false);
    recent.left('b', 500); // drops entries already out of the window
    assert.deepEqual(keysOf(recent.keysWithinWindow(500)), ['room:b']);
    assert.deepEqual(
      recent.keysWithinWindow(500),
      [{ roomId: 'b', key: 'room:b' }],
      'the room is read, not decoded',
    );
    assert.equal(recent.isWithinWindow('a', 10), false, 'room:a was forgotten');
  });
});
