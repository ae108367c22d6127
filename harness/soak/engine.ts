// The soak engine, shared by `npm run soak` (bench/soak.ts, 30 instances for 30 min)
// and the short soak in the test suite (test/cloud/soak.test.ts). It runs a cloud PC classroom on
// one free port: N server processes, each with its own parent (this process, through
// CloudCluster) and roomId, and one browser per room that behaves like entryjs. Every message is
// tagged with its room and a per-room sequence number. At seeded random intervals it kills the
// host, kills a peer and seats a new student in its place, reloads a tab, or restarts a parent,
// or seats a new student whose Entry HW starts as the real one does on a first launch, without
// `addRoomId`, and gets its roomId a random while later (`lateRoomId`) or never (`neverRoomId`);
// and it measures misrouting, loss, latency, memory and the number of hosts. `analyzeSoak` turns
// the raw record into a JSON-serialisable SoakResult; bench/soak-report.ts renders that.
//
// The engine is split by concern: plan.ts (options, event kinds, PRNG), classroom.ts (the cluster,
// rooms, instances and tabs), entryjs-tab.ts (the browser), traffic.ts (sending at the real rates),
// ledger.ts (what arrived where), failover.ts (the events), samples.ts (memory, CPU, /status),
// windows.ts (the failover windows), report.ts (the analysis), result.ts (SoakResult). This file
// runs one soak from start to end.
import { lastValue } from '../cloud-cluster';
import { freePort } from '../server-process';
import { sleep } from '../util';
import { Classroom } from './classroom';
import { perform, settle } from './failover';
import { prng, resolveOptions, type SoakOptions } from './plan';
import { analyzeSoak } from './report';
import type { SoakResult } from './result';
import { sample } from './samples';
import { tick } from './traffic';

/**
 * Runs one soak and returns its analysed result.
 *
 * @example
 * const result = await runSoak({ durationMs: 60_000, instances: 6, seed: 7, eventMinMs: 8000, eventMaxMs: 14_000, maxEvents: 4 });
 * assert.equal(result.misrouted, 0);
 */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const opts = resolveOptions(options);
  const log = options.log ?? (() => {});
  const rand = prng(opts.seed);
  const port = await freePort();
  const classroom = new Classroom(port, opts, rand, log);
  const { raw } = classroom;

  let ticker: NodeJS.Timeout | undefined;
  let sampler: NodeJS.Timeout | undefined;
  try {
    classroom.log(`soak: ${opts.instances} instances on port ${port}, seed ${opts.seed}`);
    for (let i = 0; i < opts.instances; i += 1) {
      const room = classroom.newRoom(i === 0 && opts.roomlessHost ? 'never' : 'given');
      await classroom.startInstance(room);
      classroom.openTab(room);
    }
    if ((await settle(classroom, classroom.now())) === null)
      throw new Error(`the cluster never settled: ${classroom.cluster.describe()}`);
    for (const room of raw.rooms) {
      const started = classroom.now();
      while (!room.tab?.connected) {
        if (classroom.now() - started > 15_000) throw new Error(`tab of room ${room.id} never connected`);
        await sleep(20);
      }
    }
    raw.trafficFrom = classroom.now();
    raw.t0 = Number.POSITIVE_INFINITY;
    for (const room of raw.rooms) room.createdAt = raw.trafficFrom;
    classroom.traffic = true;
    ticker = setInterval(() => tick(classroom), 8);
    await sleep(opts.warmupMs);
    raw.t0 = classroom.now();
    await sample(classroom);
    sampler = setInterval(() => void sample(classroom), opts.sampleMs);
    const stopAt = raw.t0 + opts.durationMs;
    let events = 0;
    while (events < opts.maxEvents) {
      const wait = opts.eventMinMs + classroom.rand() * (opts.eventMaxMs - opts.eventMinMs);
      if (classroom.now() + wait > stopAt - 5000 && events >= opts.minEvents) break;
      await sleep(wait);
      const kind = opts.eventSequence[events] ?? classroom.pick([...opts.eventKinds]);
      const event = await perform(classroom, kind);
      events += 1;
      raw.events.push(event);
      raw.eventTimes.push(raw.t0 + event.t);
      classroom.log(
        `  ${(event.t / 1000).toFixed(1)} s: ${event.kind} ${event.detail}; settled in ${event.settledMs === null ? 'never' : `${Math.round(event.settledMs)} ms`}, hosts ${event.hostsAfter}`,
      );
    }
    // At least 5 s of traffic after the last event, so its rooms can show they recovered.
    await sleep(
      Math.max(
        stopAt - classroom.now(),
        raw.eventTimes.length ? 5000 - (classroom.now() - (raw.eventTimes.at(-1) ?? 0)) : 0,
        0,
      ),
    );
    classroom.traffic = false;
    clearInterval(ticker);
    await sleep(3000); // let what is in flight arrive
    clearInterval(sampler);
    await sample(classroom);
    raw.end = classroom.now();
    for (const inst of classroom.hostsNow()) classroom.endHostSpan(inst, raw.end);
    raw.roomsAtEnd = raw.rooms
      .filter((room) => room.endedAt === undefined)
      .map((room) => {
        const mode = room.instance ? lastValue(room.instance.proc, 'runningModeChanged') : undefined;
        return { room: room.id, plan: room.plan, role: mode === 2 ? 'host' : mode === 3 ? 'peer' : 'none' };
      });
  } finally {
    classroom.traffic = false;
    clearInterval(ticker);
    clearInterval(sampler);
    for (const room of raw.rooms) room.tab?.close();
    await classroom.cluster.destroy();
  }
  const { log: _log, verbose: _verbose, ...recorded } = opts;
  return analyzeSoak(raw, recorded);
}
