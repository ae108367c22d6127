// The host's routing rules (docs/PROTOCOL.md §4) and the room-claim decision, without sockets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  browserLeftMsAgo,
  browserWasConnected,
  roomIdFromMatchTarget,
} from '../../src/contracts/match-target';
import {
  ALL_BROWSERS,
  ackValue,
  type RoutingSnapshot,
  routeBrowserMessage,
  routeParentSend,
  routePeerMessage,
  sendTargets,
  withoutRoom,
} from '../../src/routing/host-routing';
import {
  ClaimedRooms,
  decideRoomClaim,
  describeRefusal,
  MAX_ROOMS_PER_PEER,
  RECENT_CLAIM_MS,
} from '../../src/routing/room-claims';

function snapshot(
  ownRoomId: string | undefined,
  peers: Record<string, string>,
  everCloud = false,
): RoutingSnapshot {
  return { ownRoomId, cloud: Object.keys(peers).length > 0 || everCloud, peerForRoom: (r) => peers[r] };
}

describe('host routing: a single server (never part of a cloud)', () => {
  it('without a roomId, serves every browser both ways (single-server compat)', () => {
    for (const room of [undefined, 'mine', 'other'])
      assert.deepEqual(routeBrowserMessage(snapshot(undefined, {}), room), { to: 'parent' });
    assert.deepEqual(routeParentSend(snapshot(undefined, {})), { to: 'all-browsers' });
    assert.equal(withoutRoom(undefined, false), false);
  });
  it('with a roomId, serves only that room, before any peer was ever seen (improved)', () => {
    assert.deepEqual(routeBrowserMessage(snapshot('mine', {}), 'mine'), { to: 'parent' });
    assert.equal(routeBrowserMessage(snapshot('mine', {}), 'other').to, 'drop');
    assert.equal(routeBrowserMessage(snapshot('mine', {}), undefined).to, 'drop');
    assert.deepEqual(routeParentSend(snapshot('mine', {})), { to: 'rooms', roomIds: ['mine'] });
  });
});

describe('host routing: by room (peers now or ever)', () => {
  const peers = { roomB: 'peer-b', roomC: 'peer-c' };
  it('sends a browser message of a claimed room to that peer', () => {
    assert.deepEqual(routeBrowserMessage(snapshot('roomA', peers), 'roomB'), {
      to: 'peer',
      peerId: 'peer-b',
    });
    assert.deepEqual(routeBrowserMessage(snapshot(undefined, peers), 'roomC'), {
      to: 'peer',
      peerId: 'peer-c',
    });
  });
  it("sends the host's own room to the host's parent, and drops every other room", () => {
    assert.deepEqual(routeBrowserMessage(snapshot('roomA', peers), 'roomA'), { to: 'parent' });
    assert.equal(routeBrowserMessage(snapshot('roomA', peers), 'roomZ').to, 'drop');
    assert.equal(routeBrowserMessage(snapshot('roomA', peers), undefined).to, 'drop');
    assert.deepEqual(routeParentSend(snapshot('roomA', peers)), { to: 'rooms', roomIds: ['roomA'] });
  });
  it('serves nobody through a host without a roomId: it cannot tell which room is its own', () => {
    for (const room of ['roomZ', undefined])
      assert.equal(routeBrowserMessage(snapshot(undefined, peers), room).to, 'drop');
    assert.equal(routeParentSend(snapshot(undefined, peers)).to, 'nobody');
    assert.equal(withoutRoom(undefined, true), true);
    assert.equal(withoutRoom('roomA', true), false);
  });
  it("routes a peer's message to its room, and drops it before matchTarget", () => {
    assert.deepEqual(routePeerMessage('roomB'), { to: 'rooms', roomIds: ['roomB'] });
    assert.equal(routePeerMessage(undefined).to, 'drop');
  });
  it('turns a send route into socket.io targets, never an empty `to` (which socket.io reads as everyone)', () => {
    assert.deepEqual(sendTargets({ to: 'rooms', roomIds: ['roomA'] }), { to: ['roomA'], except: [] });
    assert.deepEqual(sendTargets({ to: 'all-browsers' }), { to: [ALL_BROWSERS], except: [] });
  });
});

describe('host routing: a cloud that shrank to one instance', () => {
  it("keeps the host's own room private instead of falling back to broadcast", () => {
    const alone = snapshot('roomA', {}, true);
    assert.deepEqual(routeParentSend(alone), { to: 'rooms', roomIds: ['roomA'] });
    assert.deepEqual(routeBrowserMessage(alone, 'roomA'), { to: 'parent' });
    assert.equal(routeBrowserMessage(alone, 'roomB').to, 'drop');
  });
  it('serves nobody when the host has no roomId: other students may still have tabs here', () => {
    const alone = snapshot(undefined, {}, true);
    assert.equal(routeBrowserMessage(alone, 'roomB').to, 'drop');
    assert.equal(routeParentSend(alone).to, 'nobody');
  });
});

describe('matchTarget and acknowledgements', () => {
  it('accepts a roomId string or { roomId }', () => {
    assert.equal(roomIdFromMatchTarget('abc'), 'abc');
    assert.equal(roomIdFromMatchTarget({ roomId: 'abc' }), 'abc');
    assert.equal(roomIdFromMatchTarget(null), null);
  });
  it('acknowledges with message.key when present, else true', () => {
    assert.equal(ackValue({ key: 'k1', data: 1 }), 'k1');
    assert.equal(ackValue({ data: 1 }), true);
    assert.equal(ackValue('text'), true);
    assert.equal(ackValue(null), true);
    assert.equal(ackValue({ key: 0 }), 0);
  });
});

describe('room claims', () => {
  const base = { roomId: 'r1', claimant: 'p2', holder: undefined, hostRoomId: undefined };
  it('grants the first claim of a free room', () => {
    assert.deepEqual(decideRoomClaim(base), { grant: true, renewed: false });
  });
  it('refuses a room another connected peer holds', () => {
    assert.deepEqual(decideRoomClaim({ ...base, holder: 'p1' }), {
      grant: false,
      reason: 'held-by-another-peer',
    });
  });
  it("refuses the host's own room, even when nobody else holds it", () => {
    assert.deepEqual(decideRoomClaim({ ...base, hostRoomId: 'r1' }), { grant: false, reason: 'host-room' });
    assert.deepEqual(decideRoomClaim({ ...base, holder: 'p2', hostRoomId: 'r1' }), {
      grant: false,
      reason: 'host-room',
    });
  });
  it('renews a claim the same peer re-sends (a reconnect)', () => {
    assert.deepEqual(decideRoomClaim({ ...base, holder: 'p2' }), { grant: true, renewed: true });
  });
  it('describes refusals for the log and the peer', () => {
    assert.match(describeRefusal('r1', 'host-room'), /host's own room/);
    assert.match(describeRefusal('r1', 'held-by-another-peer'), /already served/);
  });
  it('remembers claimed rooms, bounded: forgets the oldest claim only when it is old and not in use, else refuses', () => {
    const inUse = new Set<string>();
    const claimed = new ClaimedRooms(2);
    let now = 0;
    assert.ok(claimed.add('a', now, (r) => inUse.has(r)));
    assert.ok(claimed.add('b', now, (r) => inUse.has(r)));
    // Full of rooms claimed in the last minutes: refused, nothing forgotten.
    assert.equal(
      claimed.add('c', now + 1000, (r) => inUse.has(r)),
      false,
    );
    assert.ok(claimed.has('a') && claimed.has('b') && !claimed.has('c'));
    now += RECENT_CLAIM_MS;
    assert.ok(
      claimed.add('a', now, (r) => inUse.has(r)),
      'a renewal is always taken; b is now the oldest',
    );
    inUse.add('b');
    // b is old but in use (a browser of it is connected): kept; a is recent: kept. Refused.
    assert.equal(
      claimed.add('c', now + 1, (r) => inUse.has(r)),
      false,
    );
    inUse.delete('b');
    assert.ok(claimed.add('c', now + 1, (r) => inUse.has(r)));
    assert.deepEqual(
      ['a', 'b', 'c'].map((r) => claimed.has(r)),
      [true, false, true],
    );
  });
  it('bounds the rooms one peer connection may ask for', () => {
    assert.deepEqual(decideRoomClaim({ ...base, roomsAsked: MAX_ROOMS_PER_PEER }), {
      grant: true,
      renewed: false,
    });
    assert.deepEqual(decideRoomClaim({ ...base, roomsAsked: MAX_ROOMS_PER_PEER + 1 }), {
      grant: false,
      reason: 'too-many-claims',
    });
    assert.match(describeRefusal('r1', 'too-many-claims'), /more than 16 rooms/);
  });
  it('reads the failover flag of a matchTarget', () => {
    assert.equal(browserWasConnected({ roomId: 'r1', browserConnectedAtHostLoss: true }), true);
    assert.equal(browserWasConnected({ roomId: 'r1' }), false);
    assert.equal(browserWasConnected('r1'), false);
    assert.equal(browserWasConnected(null), false);
    assert.equal(roomIdFromMatchTarget({ roomId: 'r1', browserConnectedAtHostLoss: true }), 'r1');
    // Finding 7: the new host holds only for what is left of the window since the loss.
    assert.equal(
      browserLeftMsAgo({ roomId: 'r1', browserConnectedAtHostLoss: true, msSinceHostLoss: 1200 }),
      1200,
    );
    assert.equal(browserLeftMsAgo({ roomId: 'r1', browserConnectedAtHostLoss: true }), 0);
    assert.equal(
      browserLeftMsAgo({ roomId: 'r1', browserConnectedAtHostLoss: true, msSinceHostLoss: -1 }),
      0,
    );
    assert.equal(browserLeftMsAgo({ roomId: 'r1', msSinceHostLoss: 1200 }), undefined);
    assert.equal(browserLeftMsAgo('r1'), undefined);
  });
});
