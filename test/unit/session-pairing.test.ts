// Owns the pairing rule by OS session (src/routing/session-pairing.ts; docs/PROTOCOL.md §4
// "Pairing by OS session"): its precedence, its refusals to guess, the bounded memory of paired
// rooms, when ROOM_UNKNOWN concerns an instance, and how routing carries a pairing out. Then
// fast-check properties over random classrooms where instances and tabs carry OS sessions (some
// unknown, some pending, one student with two browsers): a room is never paired with an instance of
// another session, never by a guess, claims always win, and with every session unknown nothing is
// paired (routing by roomId alone, unchanged). Each property is shown to catch a wrong rule.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { SessionIdentity } from '../../src/os-session';
import { sameSession } from '../../src/os-session/identity';
import {
  type RoutingSnapshot,
  routeBrowserMessage,
  routeParentSend,
  routePeerMessage,
} from '../../src/routing/host-routing';
import {
  decideRoomPairing,
  FORGET_PAIRING_MS,
  HOST_INSTANCE,
  mayBeMine,
  PairingMemory,
  type RoomPairing,
  type RoomPairingFacts,
  type TabSession,
} from '../../src/routing/session-pairing';

const uid = (n: number): SessionIdentity => ({ platform: 'linux', uid: n });
const win = (n: number): SessionIdentity => ({ platform: 'win32', sessionId: n });
const host = (session?: SessionIdentity) => ({ id: HOST_INSTANCE, session });
const peer = (id: string, session?: SessionIdentity) => ({ id, session });

function facts(over: Partial<RoomPairingFacts>): RoomPairingFacts {
  return { claimed: false, tabs: [], remembered: undefined, instances: [], ...over };
}

describe('pairing rule by OS session', () => {
  it('pairs a tab with the one instance of its session, host or peer', () => {
    const instances = [host(uid(1000)), peer('p1', uid(1001)), peer('p2', uid(1002))];
    assert.deepEqual(decideRoomPairing(facts({ tabs: [uid(1001)], instances })), {
      kind: 'session',
      instance: 'p1',
      session: uid(1001),
    });
    assert.deepEqual(decideRoomPairing(facts({ tabs: [uid(1000)], instances })), {
      kind: 'session',
      instance: HOST_INSTANCE,
      session: uid(1000),
    });
  });

  it('lets a room an Entry HW named win over any session', () => {
    assert.deepEqual(decideRoomPairing(facts({ claimed: true, tabs: [uid(1)], instances: [host(uid(1))] })), {
      kind: 'claimed',
    });
  });

  it('never guesses: unknown, pending, no instance, two instances, tabs of two sessions', () => {
    const one = [host(uid(1)), peer('p', uid(2))];
    const gap = (f: Partial<RoomPairingFacts>) => (decideRoomPairing(facts(f)) as { gap?: string }).gap;
    assert.equal(gap({ tabs: ['unknown'], instances: one }), 'session-unknown');
    assert.equal(gap({ tabs: ['pending'], instances: one }), 'session-pending');
    assert.equal(gap({ tabs: [uid(3)], instances: one }), 'no-instance-of-session');
    assert.equal(
      gap({ tabs: [uid(2)], instances: [...one, peer('q', uid(2))] }),
      'several-instances-of-session',
    );
    assert.equal(gap({ tabs: [uid(1), uid(2)], instances: one }), 'tabs-of-different-sessions');
    // An instance whose own session is unknown pairs nothing, and is never matched by "unknown".
    assert.equal(gap({ tabs: ['unknown'], instances: [host(undefined)] }), 'session-unknown');
    // Same number, another platform: another session.
    assert.equal(gap({ tabs: [win(1)], instances: one }), 'no-instance-of-session');
  });

  it('pairs a reload at once by the remembered session, but a tab of another session un-pairs it', () => {
    const instances = [host(uid(1)), peer('p', uid(2))];
    assert.deepEqual(decideRoomPairing(facts({ tabs: ['pending'], remembered: uid(2), instances })), {
      kind: 'session',
      instance: 'p',
      session: uid(2),
    });
    assert.deepEqual(decideRoomPairing(facts({ tabs: ['unknown', uid(2)], remembered: uid(2), instances })), {
      kind: 'session',
      instance: 'p',
      session: uid(2),
    });
    assert.deepEqual(decideRoomPairing(facts({ tabs: [uid(1)], remembered: uid(2), instances })), {
      kind: 'none',
      gap: 'tabs-of-different-sessions',
    });
  });

  it('tells an instance without a room only of a tab that may be its own', () => {
    const none = (gap: string): RoomPairing => ({ kind: 'none', gap }) as RoomPairing;
    assert.equal(mayBeMine(uid(1), none('no-instance-of-session'), [uid(2)]), false, "another student's tab");
    assert.equal(mayBeMine(uid(1), none('several-instances-of-session'), [uid(1)]), true);
    assert.equal(mayBeMine(uid(1), none('session-unknown'), ['unknown']), true);
    assert.equal(
      mayBeMine(undefined, none('no-instance-of-session'), [uid(2)]),
      true,
      'its own session unknown',
    );
    assert.equal(
      mayBeMine(uid(1), none('session-pending'), ['pending']),
      false,
      'no alarm before the lookup ends',
    );
    assert.equal(mayBeMine(uid(1), { kind: 'session', instance: 'p', session: uid(2) }, [uid(2)]), false);
  });
});

describe('routing a pairing', () => {
  const snapshot = (over: Partial<RoutingSnapshot>): RoutingSnapshot => ({
    ownRoomId: undefined,
    cloud: true,
    peerForRoom: () => undefined,
    ...over,
  });

  it('serves a paired room by its instance; a claim still comes first', () => {
    const pairedTo = (roomId: string) =>
      roomId === 'r1' ? 'p1' : roomId === 'r2' ? HOST_INSTANCE : undefined;
    assert.deepEqual(routeBrowserMessage(snapshot({ pairedTo }), 'r1'), { to: 'peer', peerId: 'p1' });
    assert.deepEqual(routeBrowserMessage(snapshot({ pairedTo }), 'r2'), { to: 'parent' });
    assert.equal(routeBrowserMessage(snapshot({ pairedTo }), 'r3').to, 'drop');
    const claimed = snapshot({ pairedTo, peerForRoom: (r) => (r === 'r1' ? 'p9' : undefined) });
    assert.deepEqual(routeBrowserMessage(claimed, 'r1'), { to: 'peer', peerId: 'p9' });
  });

  it("sends a parent's values to its own room and every room paired with it, never to all", () => {
    const hostPairedRooms = () => ['r2', 'r3'];
    assert.deepEqual(routeParentSend(snapshot({ hostPairedRooms })), { to: 'rooms', roomIds: ['r2', 'r3'] });
    assert.deepEqual(routeParentSend(snapshot({ ownRoomId: 'r1', hostPairedRooms })), {
      to: 'rooms',
      roomIds: ['r1', 'r2', 'r3'],
    });
    assert.equal(routeParentSend(snapshot({ hostPairedRooms: () => [] })).to, 'nobody');
    assert.deepEqual(routePeerMessage(undefined, ['r4']), { to: 'rooms', roomIds: ['r4'] });
    assert.deepEqual(routePeerMessage('r5', ['r4']), { to: 'rooms', roomIds: ['r5', 'r4'] });
    assert.equal(routePeerMessage(undefined, []).to, 'drop');
  });
});

describe('memory of paired rooms', () => {
  it('forgets a room once no tab of it and no instance of its session has been there for the bound', () => {
    const memory = new PairingMemory();
    memory.remember('r1', uid(1), 0);
    memory.sweep(
      1000,
      () => false,
      (s) => sameSession(s, uid(1)),
    );
    memory.sweep(
      1000 + FORGET_PAIRING_MS - 1,
      () => false,
      () => false,
    );
    assert.deepEqual(memory.sessionOf('r1'), uid(1), 'kept within the bound');
    memory.sweep(
      1000 + FORGET_PAIRING_MS,
      () => false,
      () => false,
    );
    assert.equal(memory.sessionOf('r1'), undefined);
  });

  it('at capacity forgets an idle room, and refuses rather than forget a room in use', () => {
    const memory = new PairingMemory(2);
    assert.equal(memory.remember('r1', uid(1), 0), true);
    assert.equal(memory.remember('r2', uid(2), 0), true);
    assert.equal(memory.remember('r3', uid(3), 1), false, 'both in use: refused');
    assert.equal(memory.size, 2);
    memory.sweep(
      10,
      (room) => room === 'r2',
      () => false,
    ); // r1 idle now
    assert.equal(memory.remember('r3', uid(3), 11), true);
    assert.equal(memory.sessionOf('r1'), undefined, 'the idle one went');
    assert.deepEqual(memory.sessionOf('r2'), uid(2));
    // A room paired again with the same session is renewed, not a new entry.
    assert.equal(memory.remember('r2', uid(2), 12), true);
    assert.equal(memory.size, 2);
  });
});

// Random classrooms: sessions 1..4 (of one platform), an instance's or tab's session sometimes
// unknown, tabs sometimes pending, some rooms claimed, some remembered; rooms of one session are one
// student's browsers.
const sessionArb = fc.integer({ min: 1, max: 4 }).map(uid);
const tabArb: fc.Arbitrary<TabSession> = fc.oneof(
  { weight: 6, arbitrary: sessionArb },
  { weight: 1, arbitrary: fc.constant<'unknown'>('unknown') },
  { weight: 1, arbitrary: fc.constant<'pending'>('pending') },
);
const classroomArb = fc.record({
  instances: fc
    .array(fc.option(sessionArb, { nil: undefined, freq: 5 }), { minLength: 1, maxLength: 6 })
    .map((sessions) => sessions.map((session, i) => ({ id: i === 0 ? HOST_INSTANCE : `p${i}`, session }))),
  rooms: fc.array(
    fc.record({
      claimed: fc.boolean(),
      tabs: fc.array(tabArb, { minLength: 1, maxLength: 3 }),
      remembered: fc.option(sessionArb, { nil: undefined, freq: 3 }),
    }),
    { minLength: 1, maxLength: 8 },
  ),
});

type Decide = (f: RoomPairingFacts) => RoomPairing;
type Classroom = typeof classroomArb extends fc.Arbitrary<infer T> ? T : never;

/** Checks every room of a classroom; returns what was wrong, or undefined. */
function violations(classroom: Classroom, decide: Decide): string | undefined {
  for (const room of classroom.rooms) {
    const f = { ...room, instances: classroom.instances };
    const pairing = decide(f);
    if (room.claimed && pairing.kind !== 'claimed') return 'a claimed room must stay its claimant’s';
    if (pairing.kind !== 'session') continue;
    const instance = classroom.instances.find((i) => i.id === pairing.instance);
    if (!instance || !sameSession(instance.session, pairing.session))
      return 'paired with an instance of another session';
    for (const tab of room.tabs)
      if (typeof tab === 'object' && !sameSession(tab, pairing.session))
        return 'a tab of another session was paired';
    if (room.remembered && !sameSession(room.remembered, pairing.session))
      return 'paired against the remembered session';
    const same = classroom.instances.filter((i) => sameSession(i.session, pairing.session));
    if (same.length !== 1) return 'paired although the session has no single instance';
    if (!room.remembered && room.tabs.every((t) => typeof t !== 'object'))
      return 'paired without knowing any session';
  }
  return undefined;
}

describe('pairing properties (fast-check, random classrooms)', () => {
  it('never pairs with another session, never guesses, and claims always win', () => {
    fc.assert(
      fc.property(classroomArb, (classroom) => violations(classroom, decideRoomPairing) === undefined),
      {
        numRuns: 3000,
      },
    );
  });

  it('with every session unknown, pairs nothing (routing by roomId alone is unchanged)', () => {
    fc.assert(
      fc.property(classroomArb, (classroom) =>
        classroom.rooms.every(
          (room) =>
            decideRoomPairing({
              ...room,
              tabs: room.tabs.map(() => 'unknown' as const),
              remembered: undefined,
              instances: classroom.instances.map((i) => ({ ...i, session: undefined })),
            }).kind !== 'session',
        ),
      ),
      { numRuns: 2000 },
    );
  });

  it('pairs every room of one student (two browsers) with that student’s one instance', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5 }), sessionArb, (browsers, session) => {
        const instances = [host(uid(99)), peer('p', session)];
        for (let i = 0; i < browsers; i += 1) {
          const pairing = decideRoomPairing(facts({ tabs: [session], instances }));
          if (pairing.kind !== 'session' || pairing.instance !== 'p') return false;
        }
        return true;
      }),
    );
  });

  it('an instance is served only by rooms of its own session besides the one it claimed', () => {
    fc.assert(
      fc.property(classroomArb, (classroom) => {
        for (const room of classroom.rooms) {
          const pairing = decideRoomPairing({ ...room, instances: classroom.instances });
          if (pairing.kind !== 'session') continue;
          const owner = classroom.instances.find((i) => i.id === pairing.instance);
          if (!room.tabs.every((t) => typeof t !== 'object' || sameSession(t, owner?.session))) return false;
        }
        return true;
      }),
      { numRuns: 2000 },
    );
  });

  // Each check catches a wrong rule: pairing by the first known tab without the others, trusting an
  // unknown instance, ignoring claims, or picking the first of two instances of one session.
  const wrongRules: [string, Decide][] = [
    [
      'the first known tab decides',
      (f) => {
        const tab = f.tabs.find((t): t is SessionIdentity => typeof t === 'object');
        const one = f.instances.find((i) => sameSession(i.session, tab));
        return f.claimed
          ? { kind: 'claimed' }
          : tab && one
            ? { kind: 'session', instance: one.id, session: tab }
            : { kind: 'none', gap: 'session-unknown' };
      },
    ],
    ['claims ignored', (f) => decideRoomPairing({ ...f, claimed: false })],
    [
      'the first of several instances of a session',
      (f) => {
        const right = decideRoomPairing(f);
        if (right.kind !== 'none' || right.gap !== 'several-instances-of-session') return right;
        const tab =
          f.tabs.find((t): t is SessionIdentity => typeof t === 'object') ??
          (f.remembered as SessionIdentity);
        const first = f.instances.find((i) => sameSession(i.session, tab)) as { id: string };
        return { kind: 'session', instance: first.id, session: tab };
      },
    ],
  ];
  for (const [name, rule] of wrongRules)
    it(`catches a wrong rule: ${name}`, () => {
      assert.throws(() =>
        fc.assert(
          fc.property(classroomArb, (classroom) => violations(classroom, rule) === undefined),
          {
            numRuns: 3000,
            seed: 21,
          },
        ),
      );
    });
});
