// Short soak of zero-click pairing with real OS users. Not a test: it measures and prints
// Markdown. Run as root on Linux (it creates the users and removes them):
//
//   node --no-experimental-websocket --import tsx bench/pairing-soak.ts [--students 3] [--seconds 120]
//
// Each student is an OS user created for the run, with one instance (`dist/main.cjs` or
// ENTRY_HW_TEST_BIN, spawned as that user; its parent never sends addRoomId) and one entryjs-like
// tab (socket.io-client 2.5.0, its own process, as that user, reconnecting 300 ms after a drop).
// Every 50 ms each live parent sends a tagged message and each tab emits one. Every --reload-every
// seconds (default 7) a random tab reloads; every --kill-every seconds (default 20) the host's
// process is killed and, 2 s later, its student's Entry HW is started again (a first launch, no
// addRoomId). Counted: messages that reached another student (misrouted: must be 0), messages
// delivered to their own student, and for every tab (re)connection the time until its own
// parent's messages reached it (pairing latency; a tab whose instance is dead at that moment is
// left out until the instance is back, and then counted from its return).
import { performance } from 'node:perf_hooks';
import { CloudCluster, type Instance, parentTags, randomRoomId, sleep } from '../harness/cloud-cluster';
import { createOsUsers, type OsUser, osUsersAvailability, removeOsUsers } from '../harness/os-users';
import { freePort } from '../harness/server-process';
import { UserTab } from '../harness/user-tabs';
import { commit, loadAverage, machine } from './machine';
import { arg, percentile } from './support';

const STUDENTS = Number(arg('students', '3'));
const SECONDS = Number(arg('seconds', '120'));
const RELOAD_EVERY_S = Number(arg('reload-every', '7'));
const KILL_EVERY_S = Number(arg('kill-every', '20'));
const PAIRING_ON = { ENTRY_HW_SESSION_PAIRING: 'on' };

interface Seat {
  user: OsUser;
  room: string;
  instance: Instance;
  tab: UserTab;
  /** Index into the instance's parent messages / the tab's payloads already counted. */
  parentSeen: number;
  tabSeen: number;
  /** The start of a wait for pairing (a tab connection, or its instance's return), if one is open. */
  waitingSince: number | undefined;
  restarts: number;
}

async function main(): Promise<void> {
  const availability = osUsersAvailability();
  if (availability.skip || availability.failure) {
    console.error(availability.skip ?? availability.failure);
    process.exit(2);
  }
  const users = createOsUsers(STUDENTS, 'ehs');
  const port = await freePort();
  const cluster = new CloudCluster(port, true);
  const seats: Seat[] = [];
  const latencies: number[] = [];
  let misrouted = 0;
  const misroutedExamples: string[] = [];
  let delivered = 0;
  let reloads = 0;
  let kills = 0;
  const startedAt = performance.now();
  try {
    for (const [i, user] of users.entries()) {
      const instance = await cluster.start(`S${i + 1}`, { env: PAIRING_ON, user });
      const room = randomRoomId();
      const tab = new UserTab(`tab${i + 1}`, port, room, user);
      seats.push({
        user,
        room,
        instance,
        tab,
        parentSeen: 0,
        tabSeen: 0,
        waitingSince: undefined,
        restarts: 0,
      });
    }
    const seenConnects = new Map<Seat, number>(seats.map((s) => [s, 0]));
    const end = Date.now() + SECONDS * 1000;
    let nextReload = Date.now() + RELOAD_EVERY_S * 1000;
    let nextKill = Date.now() + KILL_EVERY_S * 1000;
    const restartAt = new Map<Seat, number>();
    let seq = 0;
    while (Date.now() < end) {
      seq += 1;
      for (const s of seats) {
        if (s.instance.proc.alive)
          s.instance.proc.send({ key: 'send', value: { room: s.room, kind: 'p2b', seq } });
        s.tab.emit({ room: s.room, kind: 'b2p', seq });
      }
      await sleep(50);
      const now = Date.now();
      for (const s of seats) {
        // A new tab connection opens a wait for pairing (if its instance is alive).
        if (s.tab.connects.length > (seenConnects.get(s) ?? 0)) {
          seenConnects.set(s, s.tab.connects.length);
          s.waitingSince = s.instance.proc.alive ? (s.tab.connects.at(-1) as number) : undefined;
        }
        for (const tag of parentTags(s.instance.proc, s.parentSeen)) {
          if (tag.room === s.room) delivered += 1;
          else {
            misrouted += 1;
            if (misroutedExamples.length < 5)
              misroutedExamples.push(`${s.instance.name}'s parent got ${tag.room}`);
          }
        }
        s.parentSeen = s.instance.proc.messages.length;
        const tags = s.tab.tags(s.tabSeen);
        for (const [k, tag] of tags.entries()) {
          if (tag.room === s.room) {
            delivered += 1;
            const at = s.tab.arrivals[s.tabSeen + k] as number;
            if (s.waitingSince !== undefined && at >= s.waitingSince) {
              latencies.push(at - s.waitingSince);
              s.waitingSince = undefined;
            }
          } else {
            misrouted += 1;
            if (misroutedExamples.length < 5) misroutedExamples.push(`${s.tab.name} got ${tag.room}`);
          }
        }
        s.tabSeen = s.tab.payloads.length;
      }
      if (now >= nextReload) {
        nextReload = now + RELOAD_EVERY_S * 1000;
        const s = seats[Math.floor(Math.random() * seats.length)] as Seat;
        if (s.tab.connected) {
          s.tab.reload();
          reloads += 1;
        }
      }
      if (now >= nextKill) {
        nextKill = now + KILL_EVERY_S * 1000;
        const host = seats.find((s) => s.instance.proc.alive && cluster.hosts().includes(s.instance));
        if (host) {
          host.instance.proc.child.kill('SIGKILL');
          kills += 1;
          host.waitingSince = undefined;
          restartAt.set(host, now + 2000);
        }
      }
      for (const [s, at] of restartAt)
        if (now >= at) {
          restartAt.delete(s);
          s.restarts += 1;
          s.instance = await cluster.start(`S${seats.indexOf(s) + 1}r${s.restarts}`, {
            env: PAIRING_ON,
            user: s.user,
          });
          s.parentSeen = 0;
          // Its tab waits for it from now on.
          s.waitingSince = s.tab.connected ? Date.now() : undefined;
        }
    }
  } finally {
    for (const s of seats) s.tab.kill();
    await cluster.destroy();
    removeOsUsers(users);
  }
  const minutes = (performance.now() - startedAt) / 60_000;
  const lines = [
    `### Pairing soak: ${STUDENTS} OS users, ${SECONDS} s, nobody sends addRoomId`,
    '',
    `${machine()}; load ${loadAverage()}; commit ${commit()}; ${new Date().toISOString()}; ${minutes.toFixed(1)} min in all.`,
    '',
    '| misrouted | delivered to their own student | tab reloads | host kills | pairings measured | pairing p50, ms | p90, ms | max, ms |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${misrouted} | ${delivered} | ${reloads} | ${kills} | ${latencies.length} | ${percentile(latencies, 50)} | ${percentile(latencies, 90)} | ${Math.max(...latencies)} |`,
    '',
    "Pairing latency: from a tab's (re)connection (or its instance's return) to the first message of its own parent in the tab, at a 50 ms send interval; after a host kill it includes the election and the peers' rejoining.",
  ];
  if (misroutedExamples.length > 0) lines.push('', `Misrouted, first ones: ${misroutedExamples.join('; ')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exit(misrouted === 0 ? 0 : 1);
}

void main();
