// Owns the routing properties: fast-check drives random classrooms through the
// socket-free model of test/helpers/routing-model.ts — instances starting with or without a roomId,
// addRoomId at any moment or never, peers quitting, hosts lost, a brand-new instance taking the port
// while the others back off, tabs opening, closing, dropping, reconnecting and reloading, parent
// sends, time passing — and checks the invariants of docs/PROTOCOL.md §4-5 ("Who is served by
// whom" among them) after every step, against the model's independent record of the contract. The
// second half shows that each check catches a wrong rule (the old rule of 622bb22 among them), and
// replays fixed sequences.
//
// Runs: PROP_RUNS (default 2000) sequences of 5 to 60 steps per property, PROP_HEAVY (default 10)
// times that for the held-message property and for all invariants at once (findings 7 and 8 needed
// thousands of runs). About 10 s in all here (2 cores).
// A failure prints its seed and path; replay it with
//   PROP_SEED=<seed> PROP_PATH=<path> node scripts/test.mjs test/unit/routing.property.test.ts
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  ALL_BROWSERS,
  type BrowserMessageRoute,
  routeBrowserMessage,
  routeParentSend,
  sendTargets,
} from '../../src/routing/host-routing';
import {
  ClassroomModel,
  CODE_RULES,
  checkClaims,
  checkConnectionClose,
  checkEndToEndAge,
  checkHeldOnlyForRecentRooms,
  checkMailboxBounds,
  checkNoGuessing,
  checkNothingHeldForTheRoomless,
  checkOneRoomOneParent,
  checkOwnRoomOnly,
  checkRoomUnknown,
  checkSinglePc,
  type HubRules,
  type ModelSnapshot,
  type Step,
} from '../helpers/routing-model';

const NUM_RUNS = Number(process.env.PROP_RUNS ?? 2000);
const HEAVY_RUNS = NUM_RUNS * Number(process.env.PROP_HEAVY ?? 10);
const SEED = process.env.PROP_SEED === undefined ? undefined : Number(process.env.PROP_SEED);
const PATH = process.env.PROP_PATH;

const index = fc.nat({ max: 9 });
const anyRoom = fc.integer({ min: -1, max: 3 });
const someRoom = fc.nat({ max: 3 });
const tick = fc.record({ type: fc.constant('tick' as const), ms: fc.constantFrom(100, 1000, 3000, 6000) });
const tabSteps = [
  { weight: 3, arbitrary: fc.record({ type: fc.constant('tabOpen' as const), room: anyRoom }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('tabClose' as const), tab: index }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('tabDrop' as const), tab: index }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('tabReconnect' as const), tab: index }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('tabReload' as const), tab: index }) },
];

/** Any classroom. */
const classroomStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ type: fc.constant('start' as const), room: anyRoom }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('quit' as const), instance: index }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('freshHost' as const), room: anyRoom }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('rejoin' as const), instance: index }) },
  {
    weight: 2,
    arbitrary: fc.record({ type: fc.constant('addRoomId' as const), instance: index, room: someRoom }),
  },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('parentSend' as const), instance: index }) },
  ...tabSteps,
  { weight: 2, arbitrary: tick },
);
const classrooms = fc.array(classroomStep, { minLength: 5, maxLength: 60, size: 'max' });

/** A single PC: one Entry HW without a roomId (restarted now and then, rarely given one late). */
const singlePcStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ type: fc.constant('parentSend' as const), instance: index }) },
  ...tabSteps,
  { weight: 2, arbitrary: tick },
  { weight: 1, arbitrary: fc.constant<Step>({ type: 'freshHost', room: -1 }) },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant('addRoomId' as const), instance: index, room: someRoom }),
  },
);
const singlePcs = fc
  .array(singlePcStep, { minLength: 4, maxLength: 60, size: 'max' })
  .map((steps): Step[] => [{ type: 'start', room: -1 }, ...steps]);

type Check = (model: ClassroomModel) => string | undefined;

/** Runs the steps, checking after each; throws the first violation with the steps so far. */
function run(rules: HubRules, checks: Check[], sequence: Step[]): void {
  const model = new ClassroomModel(rules);
  sequence.forEach((s, i) => {
    model.step(s);
    for (const check of checks) {
      const problem = check(model);
      if (problem)
        throw new Error(
          `after step ${i + 1} ${JSON.stringify(s)}: ${problem}\nsteps: ${JSON.stringify(sequence.slice(0, i + 1))}`,
        );
    }
  });
}

function property(checks: Check[], numRuns = NUM_RUNS, sequences = classrooms): void {
  fc.assert(
    fc.property(sequences, (sequence) => run(CODE_RULES, checks, sequence)),
    {
      numRuns,
      includeErrorInReport: true,
      ...(SEED === undefined ? {} : { seed: SEED }),
      ...(PATH ? { path: PATH } : {}),
    },
  );
}

const ALL_CHECKS: Check[] = [
  checkOwnRoomOnly,
  checkOneRoomOneParent,
  checkConnectionClose,
  checkNoGuessing,
  checkNothingHeldForTheRoomless,
  checkSinglePc,
  checkRoomUnknown,
  checkClaims,
  checkMailboxBounds,
  checkEndToEndAge,
  checkHeldOnlyForRecentRooms,
];

describe("routing invariants under random classrooms (fast-check, the code's own rules)", () => {
  it("1. an instance with a roomId is served by its room's tabs only, both ways, in every mode (also a brand-new host)", () =>
    property([checkOwnRoomOnly]));

  it('2. in a cloud, no parent is served by two rooms and no tab by two parents', () =>
    property([checkOneRoomOneParent]));

  it('3. a parent hears connection/close only for tabs it is served by (never for peers, other rooms, or close undefined)', () =>
    property([checkConnectionClose]));

  it('4. an instance without a roomId in a cloud serves none of the candidate tabs', () =>
    property([checkNoGuessing]));

  // Found by this model at beeaa90: HostHub.becameCloud told the parent close and ROOM_UNKNOWN but
  // kept what the single server held for reloading tabs, and handed it to them (the fixed sequence
  // below). Since then becameCloud drops everything held but the host's own room's.
  it('4b. what a roomless single server held for a reloading tab is not handed out once it is part of a cloud', () =>
    property([checkNothingHeldForTheRoomless]));

  it("5. a single PC without a roomId keeps the original's behaviour exactly", () => {
    property([checkSinglePc], NUM_RUNS, singlePcs);
    property([checkSinglePc]);
  });

  it('ROOM_UNKNOWN: told once per role turn to an instance left without a room, never with a roomId', () =>
    property([checkRoomUnknown]));

  it("claims: a room claimed first by a connected peer is that peer's alone; the host's room is the host's", () =>
    property([checkClaims]));

  it('the held-message mailbox stays within its bounds and age', () => property([checkMailboxBounds]));

  it('a parent send reaches a tab within 5 s of being sent, or not at all', () =>
    property([checkEndToEndAge]));

  it('messages are held only for a room whose tab was there when sent and left less than 5 s ago', () =>
    property([checkHeldOnlyForRecentRooms], HEAVY_RUNS));

  it('every invariant at once', () => {
    property(ALL_CHECKS, HEAVY_RUNS);
    property(ALL_CHECKS, NUM_RUNS, singlePcs);
  });
});

// ---------------------------------------------------------------------------------------------
// Coverage.

/** Situations the invariants are about; the random classrooms must reach each (else a property is vacuous). */
const SITUATIONS: Record<string, (m: ClassroomModel) => boolean> = {
  'a brand-new host with a roomId serves its tab while another instance backs off': (m) =>
    m.host?.parentRoomId !== undefined &&
    !m.host.cloud &&
    m.instances.some((i) => i.state === 'detached') &&
    [...m.record.servedAfter.values()].includes(m.host.id),
  'a brand-new host without a roomId serves two rooms while another instance backs off (the known risk)': (
    m,
  ) =>
    m.host?.parentRoomId === undefined &&
    m.host?.cloud === false &&
    m.instances.some((i) => i.state === 'detached') &&
    new Set([...m.record.servedAfter].filter(([, to]) => to === m.host?.id).map(([b]) => b.roomId)).size > 1,
  'a roomless host in a cloud while tabs are connected': (m) =>
    m.host?.parentRoomId === undefined && m.host?.cloud === true && m.record.servedAfter.size > 0,
  'a roomless peer while tabs are connected': (m) =>
    m.instances.some((i) => i.state === 'peer' && i.parentRoomId === undefined) &&
    m.record.servedAfter.size > 0,
  "a roomless host's parent hears close when its first peer joins": (m) =>
    m.record.tabsLeft.length === 0 &&
    m.record.heard.some((h) => h.type === 'close' && h.parent === m.host?.id),
  "the host's parent hears connection when its roomId arrives": (m) =>
    m.record.step?.type === 'addRoomId' &&
    m.record.heard.some((h) => h.type === 'connection' && h.parent === m.host?.id),
  "a peer's parent hears connection when its claim is granted with its tab there": (m) =>
    m.record.tabsArrived.length === 0 &&
    m.record.heard.some((h) => h.type === 'connection' && h.parent !== m.host?.id),
  "a peer's parent hears close when its tab leaves": (m) =>
    m.record.heard.some((h) => h.type === 'close' && h.parent !== m.host?.id),
  'a single server hears close undefined': (m) =>
    m.record.heard.some((h) => h.type === 'close' && h.roomId === undefined),
  'ROOM_UNKNOWN told to a host': (m) =>
    m.record.heard.some((h) => h.code === 'ROOM_UNKNOWN' && h.parent === m.host?.id),
  'ROOM_UNKNOWN told to a peer': (m) =>
    m.record.heard.some((h) => h.code === 'ROOM_UNKNOWN' && h.parent !== m.host?.id),
  'ROOM_CLAIMED told': (m) => m.record.heard.some((h) => h.code === 'ROOM_CLAIMED'),
  'a held message handed out': (m) => m.record.deliveries.some((d) => d.held),
  'a send queued between hosts delivered on rejoining': (m) =>
    m.record.step?.type === 'rejoin' && m.record.deliveries.length > 0,
};

describe('the random classrooms reach the situations the invariants are about', () => {
  it('each situation occurs within 1000 classrooms (fixed seed)', () => {
    const seen = new Map(Object.keys(SITUATIONS).map((name) => [name, 0]));
    fc.assert(
      fc.property(classrooms, (sequence) => {
        const model = new ClassroomModel();
        for (const s of sequence) {
          model.step(s);
          for (const [name, happens] of Object.entries(SITUATIONS))
            if (happens(model)) seen.set(name, (seen.get(name) ?? 0) + 1);
        }
      }),
      { numRuns: 1000, seed: 17 },
    );
    const missing = [...seen].filter(([, n]) => n === 0).map(([name]) => name);
    assert.deepEqual(missing, []);
  });
});

// ---------------------------------------------------------------------------------------------
// Wrong rules the checks must catch.

/** The old rule (622bb22): what a browser's messages and a parent's sends reached. */
function legacyBrowser(s: ModelSnapshot, roomId: string | undefined): BrowserMessageRoute {
  if (!s.cloud) return { to: 'parent' };
  const peerId = roomId === undefined ? undefined : s.peerForRoom(roomId);
  if (peerId !== undefined) return { to: 'peer', peerId };
  if (s.ownRoomId === undefined)
    return roomId !== undefined && s.claimedBefore(roomId)
      ? { to: 'drop', reason: 'claimed before' }
      : { to: 'parent' };
  return roomId === s.ownRoomId ? { to: 'parent' } : { to: 'drop', reason: 'not the host room' };
}

/**
 * Under the old rule: a roomless host in a cloud served every unclaimed room, a host that never had a
 * peer served every tab whatever its roomId, and the host's parent heard connection/close for every
 * browser and every peer.
 */
const LEGACY_RULES: HubRules = {
  ...CODE_RULES,
  browser: legacyBrowser,
  parentSend: (s) => {
    if (!s.cloud) return { to: [ALL_BROWSERS], except: [] };
    if (s.ownRoomId !== undefined) return { to: [s.ownRoomId], except: [] };
    return { to: [ALL_BROWSERS], except: s.matchedRooms() };
  },
  events: { everyBrowserToHost: true, peersToHost: true, transitions: false },
};

/** Today's rule, except that a host that never had a peer routes like a single server, roomId or not. */
const NEVER_CLOUD_IS_SINGLE: HubRules = {
  ...CODE_RULES,
  browser: (s, roomId) => (s.cloud ? routeBrowserMessage(s, roomId) : { to: 'parent' }),
  parentSend: (s) => {
    if (!s.cloud) return { to: [ALL_BROWSERS], except: [] };
    const route = routeParentSend(s);
    return route.to === 'nobody' ? undefined : sendTargets(route);
  },
};

/** Today's routing, but the host's parent hears of every browser (as under the old rule). */
const TELL_HOST_EVERY_BROWSER: HubRules = {
  ...CODE_RULES,
  events: { ...CODE_RULES.events, everyBrowserToHost: true },
};

/** ROOM_UNKNOWN to every instance without a roomId, single PCs included. */
const ROOM_UNKNOWN_WITHOUT_CLOUD: HubRules = { ...CODE_RULES, withoutRoom: (own) => own === undefined };
/** ROOM_UNKNOWN whenever checked, not once per role turn. */
const ROOM_UNKNOWN_EVERY_TIME: HubRules = { ...CODE_RULES, roomUnknownOncePerTurn: false };
/** ROOM_UNKNOWN never told. */
const ROOM_UNKNOWN_NEVER: HubRules = { ...CODE_RULES, withoutRoom: () => false };
/** The claim rule before room claims: every claim taken, replacing whoever held the room. */
const TAKE_EVERY_CLAIM: HubRules = { ...CODE_RULES, claim: () => ({ grant: true, renewed: false }) };

/** The first violation of `check` along the steps, or undefined. */
function firstProblem(rules: HubRules, check: Check, steps: Step[]): string | undefined {
  const model = new ClassroomModel(rules);
  for (const s of steps) {
    model.step(s);
    const problem = check(model);
    if (problem) return problem;
  }
  return undefined;
}

/** Asserts that `check` flags `rules` on `steps` and passes the code's rules on the same steps. */
function catches(rules: HubRules, check: Check, steps: Step[], expected: RegExp): void {
  const problem = firstProblem(rules, check, steps);
  assert.ok(problem, 'the wrong rule went unnoticed');
  assert.match(problem, expected);
  assert.equal(firstProblem(CODE_RULES, check, steps), undefined);
}

/** Asserts that random classrooms find a violation of `check` under `rules` (fixed seed, so reproducible). */
function randomRunsCatch(rules: HubRules, check: Check, sequences = classrooms): void {
  const result = fc.check(
    fc.property(sequences, (sequence) => run(rules, [check], sequence)),
    { numRuns: 2000, seed: 17 },
  );
  assert.ok(result.failed, `${check.name} found nothing in 2000 random classrooms under the wrong rule`);
}

describe('the checks catch a wrong rule (a check that cannot fail proves nothing)', () => {
  // A roomless host (the real Entry HW's first launch), another student's tab, then that student's Entry HW.
  const roomlessHostThenPeer: Step[] = [
    { type: 'start', room: -1 },
    { type: 'tabOpen', room: 1 },
    { type: 'start', room: 0 },
    { type: 'tick', ms: 100 },
  ];

  it('the old rule (622bb22): a roomless host in a cloud serves unclaimed rooms (checks 4 and 2)', () => {
    catches(
      LEGACY_RULES,
      checkNoGuessing,
      roomlessHostThenPeer,
      /no roomId in a cloud, yet tab b1 of room r1/,
    );
    catches(
      LEGACY_RULES,
      checkOneRoomOneParent,
      [...roomlessHostThenPeer, { type: 'tabOpen', room: 2 }],
      /in a cloud, is served by rooms r1, r2/,
    );
  });

  it("the old rule (622bb22): the host's parent hears of peers and of other rooms' tabs (check 3)", () => {
    catches(
      LEGACY_RULES,
      checkConnectionClose,
      [
        { type: 'start', room: 0 },
        { type: 'start', room: 1 },
        { type: 'quit', instance: 1 },
      ],
      /heard connection \(none\) for a peer/,
    );
    catches(
      TELL_HOST_EVERY_BROWSER,
      checkConnectionClose,
      [
        { type: 'start', room: 0 },
        { type: 'start', room: 1 },
        { type: 'tabOpen', room: 1 },
      ],
      /parent of i1 heard connection r1, another room's/,
    );
    catches(
      TELL_HOST_EVERY_BROWSER,
      checkConnectionClose,
      [
        { type: 'start', room: -1 },
        { type: 'start', room: 1 },
        { type: 'tabOpen', room: -1 },
      ],
      /heard connection \(none\) while without a room in a cloud/,
    );
  });

  it('the old rule (622bb22): a brand-new host with a roomId routes like a single server (check 1)', () => {
    // The host is lost; a new Entry HW with roomId r2 takes the port before the peer of r1 rejoins,
    // and r1's tab reconnects to it.
    const freshHostWithRoom: Step[] = [
      { type: 'start', room: 0 },
      { type: 'start', room: 1 },
      { type: 'tabOpen', room: 1 },
      { type: 'freshHost', room: 2 },
      { type: 'tabReconnect', tab: 0 },
    ];
    catches(
      LEGACY_RULES,
      checkOwnRoomOnly,
      freshHostWithRoom,
      /tab b1 of room r1 reaches the parent of i3, whose roomId is r2/,
    );
    catches(
      NEVER_CLOUD_IS_SINGLE,
      checkOwnRoomOnly,
      [
        { type: 'start', room: 2 },
        { type: 'tabOpen', room: 1 },
        { type: 'parentSend', instance: 0 },
      ],
      /tab b1 of room r1 reaches the parent of i1, whose roomId is r2/,
    );
  });

  it('the old rule (622bb22) is found by random classrooms under checks 1, 2, 3 and 4', () => {
    for (const check of [checkOwnRoomOnly, checkOneRoomOneParent, checkConnectionClose, checkNoGuessing])
      randomRunsCatch(LEGACY_RULES, check);
    randomRunsCatch(NEVER_CLOUD_IS_SINGLE, checkOwnRoomOnly);
    randomRunsCatch(TELL_HOST_EVERY_BROWSER, checkConnectionClose);
  });

  it('ROOM_UNKNOWN told on a single PC, told twice in one turn, or never told, is caught', () => {
    catches(
      ROOM_UNKNOWN_WITHOUT_CLOUD,
      checkRoomUnknown,
      [{ type: 'start', room: -1 }],
      /told ROOM_UNKNOWN outside a cloud/,
    );
    catches(
      ROOM_UNKNOWN_WITHOUT_CLOUD,
      checkSinglePc,
      [{ type: 'start', room: -1 }],
      /heard \[error ROOM_UNKNOWN\]/,
    );
    catches(
      ROOM_UNKNOWN_EVERY_TIME,
      checkRoomUnknown,
      [
        { type: 'start', room: -1 },
        { type: 'start', room: 0 },
        { type: 'quit', instance: 1 },
      ],
      /told ROOM_UNKNOWN 2 times in one role turn/,
    );
    catches(
      ROOM_UNKNOWN_NEVER,
      checkRoomUnknown,
      [
        { type: 'start', room: 0 },
        { type: 'start', room: -1 },
      ],
      /peer i2 serves nobody .* not told ROOM_UNKNOWN/,
    );
    randomRunsCatch(ROOM_UNKNOWN_WITHOUT_CLOUD, checkSinglePc, singlePcs);
    randomRunsCatch(ROOM_UNKNOWN_EVERY_TIME, checkRoomUnknown);
    randomRunsCatch(ROOM_UNKNOWN_NEVER, checkRoomUnknown);
  });

  it("a host that keeps what it held as a single server once it joins a cloud is caught (beeaa90's becameCloud)", () => {
    const KEEP_HELD: HubRules = { ...CODE_RULES, dropHeldOnCloud: false };
    catches(
      KEEP_HELD,
      checkNothingHeldForTheRoomless,
      [
        { type: 'start', room: -1 },
        { type: 'tabOpen', room: 0 },
        { type: 'tabDrop', tab: 0 },
        { type: 'parentSend', instance: 0 },
        { type: 'start', room: 1 },
        { type: 'tabReconnect', tab: 0 },
      ],
      /sent without a roomId, reached .* \(held\) after its instance joined a cloud/,
    );
    randomRunsCatch(KEEP_HELD, checkNothingHeldForTheRoomless);
  });

  it("a host that keeps what it held for its previous room once its roomId changed is caught (9f3ad5d's ownRoomIdChanged)", () => {
    const KEEP_HELD: HubRules = { ...CODE_RULES, dropHeldOnRoomChange: false };
    catches(
      KEEP_HELD,
      checkNothingHeldForTheRoomless,
      [
        { type: 'start', room: -1 },
        { type: 'tabOpen', room: 0 },
        { type: 'tabDrop', tab: 0 },
        { type: 'parentSend', instance: 0 },
        { type: 'addRoomId', instance: 0, room: 0 },
        { type: 'start', room: 1 },
        { type: 'addRoomId', instance: 0, room: 2 },
        { type: 'tabReconnect', tab: 0 },
      ],
      /sent without a roomId, reached .* \(held\) after its instance joined a cloud/,
    );
  });

  it('a second claim of a room taken from its first claimant is caught (the claim rule before room claims)', () => {
    catches(
      TAKE_EVERY_CLAIM,
      checkClaims,
      [
        { type: 'start', room: -1 },
        { type: 'start', room: 0 },
        { type: 'start', room: 0 },
        { type: 'tabOpen', room: 0 },
      ],
      /claimed first by i2, but tab b1 of room r0 reaches i3/,
    );
    randomRunsCatch(TAKE_EVERY_CLAIM, checkClaims);
  });
});

// ---------------------------------------------------------------------------------------------
// Fixed sequences.

function passes(steps: Step[]): ClassroomModel {
  const model = new ClassroomModel();
  for (const [i, s] of steps.entries()) {
    model.step(s);
    for (const check of ALL_CHECKS) {
      const problem = check(model);
      if (problem) throw new Error(`after step ${i + 1} ${JSON.stringify(s)}: ${problem}`);
    }
  }
  return model;
}

describe('fixed classrooms', () => {
  it('the second claim of a room is refused and told ROOM_CLAIMED', () => {
    const model = passes([
      { type: 'start', room: -1 },
      { type: 'start', room: 0 },
      { type: 'start', room: 0 },
    ]);
    assert.equal(model.refusedClaims, 1);
    assert.deepEqual(
      model.instances[2]?.heard.map((h) => h.code),
      ['ROOM_CLAIMED'],
    );
  });

  it("the host's parent naming a peer's room takes it from the peer, and hears connection for its tab (finding 3)", () => {
    const model = passes([
      { type: 'start', room: 0 },
      { type: 'start', room: 1 },
      { type: 'tabOpen', room: 1 },
      { type: 'addRoomId', instance: 0, room: 1 },
    ]);
    assert.equal(model.refusedClaims, 1);
    assert.deepEqual(
      model.record.heard.map((h) => `${h.parent} ${h.type} ${h.code ?? h.roomId}`),
      ['i2 error ROOM_CLAIMED', 'i1 connection r1'],
    );
    assert.equal([...model.record.servedAfter.values()][0], 'i1');
  });

  it('a roomless host gaining its first peer: its parent hears close for each served room, then ROOM_UNKNOWN', () => {
    const model = passes([
      { type: 'start', room: -1 },
      { type: 'tabOpen', room: 1 },
      { type: 'tabOpen', room: 2 },
      { type: 'tabOpen', room: 2 },
      { type: 'tabOpen', room: -1 },
      { type: 'start', room: 1 },
    ]);
    assert.deepEqual(
      model.instances[0]?.heard.slice(4).map((h) => `${h.type} ${h.code ?? h.roomId}`),
      ['close r1', 'close r2', 'error ROOM_UNKNOWN'],
    );
    assert.deepEqual(
      model.instances[1]?.heard.map((h) => `${h.type} ${h.roomId}`),
      ['connection r1'],
    );
  });

  it("a peer's roomId arriving late: its claim is granted and its parent hears connection for its tab", () => {
    const model = passes([
      { type: 'start', room: 0 },
      { type: 'start', room: -1 },
      { type: 'tabOpen', room: 3 },
      { type: 'addRoomId', instance: 1, room: 3 },
      { type: 'parentSend', instance: 1 },
    ]);
    assert.deepEqual(
      model.instances[1]?.heard.map((h) => `${h.type} ${h.code ?? h.roomId}`),
      ['error ROOM_UNKNOWN', 'connection r3'],
    );
    assert.equal(model.record.deliveries.length, 1);
  });

  it('known remaining risk: a brand-new host without a roomId serves every tab until the first peer rejoins', () => {
    const model = passes([
      { type: 'start', room: 0 },
      { type: 'start', room: 1 },
      { type: 'tabOpen', room: 0 },
      { type: 'tabOpen', room: 1 },
      { type: 'freshHost', room: -1 }, // i1 lost; i3 takes the port while i2 backs off
      { type: 'tabReconnect', tab: 0 },
      { type: 'tabReconnect', tab: 1 },
    ]);
    assert.deepEqual([...model.record.servedAfter.values()], ['i3', 'i3']);
    model.step({ type: 'rejoin', instance: 0 }); // i2 rejoins and claims r1
    assert.deepEqual([...model.record.servedAfter.values()], [undefined, 'i2']);
    assert.deepEqual(
      model.record.heard.map((h) => `${h.parent} ${h.type} ${h.code ?? h.roomId}`),
      ['i3 close r0', 'i3 close r1', 'i3 error ROOM_UNKNOWN', 'i2 connection r1'],
    );
  });

  it('sends queued between hosts are dropped when the roomId changes (finding 4)', () => {
    const model = passes([
      { type: 'start', room: 0 },
      { type: 'start', room: 1 },
      { type: 'start', room: 2 },
      { type: 'quit', instance: 0 },
      { type: 'rejoin', instance: 0 }, // i2 (r1) becomes the host; i3 (r2) is still backing off
      { type: 'tabOpen', room: 3 },
      { type: 'parentSend', instance: 1 }, // i3 queues for r2 ...
      { type: 'addRoomId', instance: 1, room: 3 }, // ... then its parent moves it to r3
      { type: 'rejoin', instance: 1 },
    ]);
    assert.equal(model.droppedQueued, 1);
    assert.equal(model.record.deliveries.length, 0);
  });

  it('a send queued longer than the window is dropped when draining (finding 5)', () => {
    const model = passes([
      { type: 'start', room: 0 },
      { type: 'start', room: 1 },
      { type: 'start', room: 2 },
      { type: 'quit', instance: 0 },
      { type: 'rejoin', instance: 0 },
      { type: 'tabOpen', room: 2 },
      { type: 'parentSend', instance: 1 },
      { type: 'tick', ms: 6000 },
      { type: 'rejoin', instance: 1 },
    ]);
    assert.equal(model.droppedQueued, 1);
    assert.equal(model.record.deliveries.length, 0);
  });

  // Found by the properties before (docs/RELIABILITY.md findings 6-8, 11), in today's step words.
  const regressions: [string, Step[]][] = [
    [
      "finding 6: what a single server held for a room's reloading tab does not go to it once a peer claimed the room",
      [
        { type: 'start', room: -1 },
        { type: 'tabOpen', room: 2 },
        { type: 'tabDrop', tab: 0 },
        { type: 'parentSend', instance: 0 },
        { type: 'start', room: 2 },
        { type: 'tabReconnect', tab: 0 },
      ],
    ],
    [
      'finding 7: a peer that found no host for more than 5 s after a failover does not start a new hold window',
      [
        { type: 'start', room: 0 },
        { type: 'addRoomId', instance: 0, room: 1 },
        { type: 'start', room: 0 },
        { type: 'start', room: 0 },
        { type: 'start', room: 0 },
        { type: 'tabOpen', room: 0 },
        { type: 'start', room: 0 },
        { type: 'quit', instance: 0 },
        { type: 'rejoin', instance: 1 },
        { type: 'start', room: 0 },
        { type: 'start', room: 0 },
        { type: 'start', room: 0 },
        { type: 'tick', ms: 3000 },
        { type: 'quit', instance: 8 },
        { type: 'rejoin', instance: 9 },
        { type: 'tick', ms: 3000 },
        { type: 'quit', instance: 9 },
        { type: 'rejoin', instance: 10 },
        { type: 'parentSend', instance: 0 },
        { type: 'tick', ms: 100 },
        { type: 'tabOpen', room: 0 },
      ],
    ],
    [
      "finding 8: a peer whose parent moved it to another room forgets the old room's tab count (no hold for a room never seen)",
      [
        { type: 'start', room: 0 },
        { type: 'tabOpen', room: 1 },
        { type: 'start', room: 1 },
        { type: 'addRoomId', instance: 3, room: 0 },
        { type: 'quit', instance: 0 },
        { type: 'rejoin', instance: 0 },
        { type: 'parentSend', instance: 0 },
        { type: 'tick', ms: 100 },
        { type: 'tabOpen', room: 0 },
      ],
    ],
    [
      "finding 11: a send queued on a peer before its room's tab first connected is not held for that tab's reconnect",
      [
        { type: 'start', room: 0 },
        { type: 'start', room: 0 },
        { type: 'start', room: 0 },
        { type: 'addRoomId', instance: 4, room: 2 },
        { type: 'quit', instance: 0 },
        { type: 'rejoin', instance: 1 },
        { type: 'parentSend', instance: 0 },
        { type: 'tick', ms: 100 },
        { type: 'tabOpen', room: 2 },
        { type: 'tabDrop', tab: 0 },
        { type: 'rejoin', instance: 0 },
        { type: 'tabReconnect', tab: 0 },
      ],
    ],
  ];
  it("found while making routing safe: a roomless host's held message reaches a reloading tab after the host joined a cloud", () =>
    run(CODE_RULES, ALL_CHECKS, [
      { type: 'start', room: -1 }, // Entry HW without a roomId: a single server
      { type: 'tabOpen', room: 0 }, // a tab (whose student is not known)
      { type: 'tabDrop', tab: 0 }, // it reloads...
      { type: 'parentSend', instance: 0 }, // ...while the host's device data is held for it
      { type: 'start', room: 1 }, // another student's Entry HW joins: a cloud, ROOM_UNKNOWN
      { type: 'tabReconnect', tab: 0 }, // the tab is back and gets the held data
    ]));

  for (const [name, steps] of regressions)
    it(name, () => {
      const model = passes(steps);
      assert.equal(model.record.deliveries.filter((d) => d.held).length, 0, 'nothing held is handed out');
    });
});
