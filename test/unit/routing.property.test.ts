// Property tests for routing (issue 12): fast-check generates random classrooms — instances
// joining and leaving, matchTarget claims including conflicting ones, addRoomId on host and
// peers, browsers connecting, reconnecting and leaving with random roomIds, host failovers after
// which the survivors rejoin in random order — and checks the invariants of docs/PROTOCOL.md
// §4–5 after every step, against the pure routing rules and the real ReconnectMailbox through a
// socket-free model of the hub (test/helpers/routing-model.ts).
//
// Runs: 2000 sequences of 5 to 60 steps per property (PROP_RUNS overrides), over 4 roomIds so
// that claims and rooms collide often. Each failure the todo properties show needs 3 to 12
// specific steps; fast-check found every one of them within the first 1 to 900 runs (over many
// seeds), and 100 000 runs of the passing properties found nothing, so 2000 leaves a margin of
// two or more while all of it takes a couple of seconds. A failure prints its seed and path;
// replay it with PROP_SEED=<seed> PROP_PATH=<path> node scripts/test.mjs test/unit/routing.property.test.ts
//
// Properties marked `todo` fail on the current code (the finding is in the todo text and in
// docs/RELIABILITY.md); they run and print their counterexample, but do not fail the suite.
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type ClaimRule,
  ClassroomModel,
  checkBrowserRouting,
  checkClaims,
  checkEndToEndAge,
  checkHeldOnlyForRecentRooms,
  checkMailboxBounds,
  checkParentDeliveries,
  checkParentDeliveriesSameRoom,
  currentClaimRule,
  type Step,
} from '../helpers/routing-model';

const NUM_RUNS = Number(process.env.PROP_RUNS ?? 2000);
const SEED = process.env.PROP_SEED === undefined ? undefined : Number(process.env.PROP_SEED);
const PATH = process.env.PROP_PATH;

const index = fc.nat({ max: 9 });
const room = fc.integer({ min: -1, max: 3 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ type: fc.constant('addInstance' as const), room }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('leave' as const), instance: index }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('addRoomId' as const),
      instance: index,
      room: fc.nat({ max: 3 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('parentSend' as const), instance: index }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('browserConnect' as const), room }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('browserLeave' as const), browser: index }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('browserReconnect' as const), browser: index }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('failover' as const), successor: index }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('rejoin' as const), instance: index }) },
  {
    weight: 2,
    arbitrary: fc.record({ type: fc.constant('tick' as const), ms: fc.constantFrom(100, 1000, 3000, 6000) }),
  },
);
const steps = fc.array(step, { minLength: 5, maxLength: 60, size: 'max' });

type Check = (model: ClassroomModel) => string | undefined;

/** Runs the steps, checking after each; throws the first violation with the steps so far. */
function run(rule: ClaimRule, checks: Check[], sequence: Step[]): void {
  const model = new ClassroomModel(rule);
  sequence.forEach((s, i) => {
    model.apply(s);
    for (const check of checks) {
      const problem = check(model);
      if (problem) {
        throw new Error(
          `after step ${i + 1} ${JSON.stringify(s)}: ${problem}\nsteps: ${JSON.stringify(sequence.slice(0, i + 1))}`,
        );
      }
    }
    model.deliveries.length = 0;
  });
}

function property(checks: Check[], rule: ClaimRule = currentClaimRule): void {
  fc.assert(
    fc.property(steps, (sequence) => run(rule, checks, sequence)),
    {
      numRuns: NUM_RUNS,
      includeErrorInReport: true,
      ...(SEED === undefined ? {} : { seed: SEED }),
      ...(PATH ? { path: PATH } : {}),
    },
  );
}

describe('routing invariants under random classrooms (fast-check)', () => {
  it("a browser message reaches at most one parent: its own room's, or the host serving it", () =>
    property([checkBrowserRouting]));

  it("a parent send (direct or held) reaches only its own room's browsers, or unclaimed ones for a roomless host", () =>
    property([checkParentDeliveriesSameRoom]));

  it(
    'the same, also for sends queued on a peer between hosts while its parent changed roomId',
    {
      todo:
        "fails on the current code: EntryServer queues a peer's sends between hosts without their roomId and " +
        "delivers them after the rematch to the room of the parent's latest addRoomId (entry-server.ts outbox)",
    },
    () => property([checkParentDeliveries]),
  );

  it('the held-message mailbox stays within its bounds and age', () => property([checkMailboxBounds]));

  it(
    'a parent send reaches a browser within 5 s of being sent, or not at all',
    {
      todo:
        'fails on the current code: the peer outbox (EntryServer, up to 1000 sends) has no age limit and the ' +
        "host's mailbox counts age from the hold, so a send queued through a long gap between hosts arrives later",
    },
    () => property([checkEndToEndAge]),
  );

  it(
    "a room claimed first by a connected peer, or the host's own room, is served by nobody else",
    {
      todo:
        'fails on the current code (issue 8 changes it): HostHub.matchPeer takes every claim, so a later matchTarget ' +
        "for a room takes it over from its first peer, and a peer can claim the host's own roomId",
    },
    () => property([checkClaims]),
  );

  it(
    'messages are held only for a room whose browser left less than 5 s ago',
    {
      todo:
        'fails on the current code (issue 8 changes it): the host holds messages for any room without a connected ' +
        'browser, so a tab that was never connected receives device data sent before it connected',
    },
    () => property([checkHeldOnlyForRecentRooms]),
  );
});

/** The claim rule of docs/PROTOCOL.md §5 (issue 8 moves it into src/routing; use that one then). */
const firstClaimWins: ClaimRule = ({ peerId, roomId, hostRoomId, holder }) => ({
  accept: roomId !== hostRoomId && (holder === undefined || holder === peerId),
});

describe("the contract's claim rule in the same model", () => {
  it(
    "first claim wins, host's room protected: every routing invariant holds together",
    {
      todo:
        "fails: docs/PROTOCOL.md §5 refuses a peer's claim of the host's roomId, but says nothing of the host's parent " +
        'sending addRoomId for a room a peer already claimed; then the host and that peer both serve it',
    },
    () =>
      property(
        [checkClaims, checkBrowserRouting, checkParentDeliveriesSameRoom, checkMailboxBounds],
        firstClaimWins,
      ),
  );
});

describe('the model detects violations (checks that cannot fail prove nothing)', () => {
  it('a conflicting claim is flagged by checkClaims under the current rule', () => {
    const model = new ClassroomModel(currentClaimRule);
    for (const s of [
      { type: 'addInstance', room: -1 },
      { type: 'addInstance', room: 0 },
      { type: 'addInstance', room: 0 },
    ] as Step[])
      model.apply(s);
    if (checkClaims(model) === undefined) throw new Error('a second claim of r0 went unnoticed');
  });

  it('a first-claim-wins rule passes the same sequence', () => {
    const model = new ClassroomModel(firstClaimWins);
    for (const s of [
      { type: 'addInstance', room: -1 },
      { type: 'addInstance', room: 0 },
      { type: 'addInstance', room: 0 },
    ] as Step[])
      model.apply(s);
    const problem = checkClaims(model);
    if (problem) throw new Error(problem);
  });

  it('a message held for a room and handed to another room would be flagged', () => {
    const model = new ClassroomModel(currentClaimRule);
    model.apply({ type: 'addInstance', room: 0 });
    model.apply({ type: 'browserConnect', room: 1 });
    const [browser] = model.browsers;
    if (!browser) throw new Error('no browser');
    model.deliveries.push({
      message: {
        id: 1,
        from: 'x',
        fromRoom: 'r2',
        fromRoomChanges: 0,
        roomlessHost: false,
        single: false,
        sentAt: 0,
      },
      browser,
      held: true,
      at: 0,
    });
    if (checkParentDeliveries(model) === undefined) throw new Error('a cross-room delivery went unnoticed');
  });
});
