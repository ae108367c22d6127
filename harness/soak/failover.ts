// The soak's failover and classroom events: killing the host or a peer and seating a new student,
// reloading a tab, restarting a parent, a roomId that comes late or never; and waiting for the roles
// to settle after each.
import type { Instance } from '../cloud-cluster';
import { sleep } from '../util';
import type { Classroom } from './classroom';
import type { Room } from './ledger';
import { type EventKind, LATE_ROOM_ID_MS } from './plan';
import type { SoakEvent } from './result';

/**
 * The parent of a room's Entry HW sends its roomId late, as Entry HW does when the student opens
 * the Entry link again while it runs. Its parent's sends from here on are served.
 */
async function giveRoomId(classroom: Classroom, room: Room): Promise<void> {
  const inst = room.instance;
  if (!inst || classroom.ended.has(inst) || !inst.proc.alive) return;
  room.roomIdAt = classroom.now();
  room.p2bServedFrom = room.p2b.sentAt.length;
  await classroom.cluster.addRoomId(inst, room.id);
}

/** Ends an instance the way an event does; its host span ends now (its parent is gone). */
function endInstance(classroom: Classroom, inst: Instance, how: 'sigkill' | 'disconnect'): void {
  const at = classroom.now();
  classroom.ended.set(inst, at);
  classroom.endHostSpan(inst, at);
  if (how === 'sigkill') inst.proc.child.kill('SIGKILL');
  else inst.proc.disconnectParent();
  for (const room of classroom.raw.rooms) if (room.instance === inst) room.instance = undefined;
}

/** Waits for one host and every live instance a peer of it; returns ms or null on timeout. */
export async function settle(classroom: Classroom, from: number): Promise<number | null> {
  try {
    // An instance we ended is out of the count only once it exited (a closed parent channel
    // leaves it running for a moment, still a host in its own eyes).
    const exiting = [...classroom.ended.keys()].filter((i) => i.proc.alive).map((i) => i.proc.exited);
    await Promise.race([Promise.all(exiting), sleep(classroom.opts.settleTimeoutMs)]);
    await classroom.cluster.waitForStableRoles(classroom.opts.settleTimeoutMs);
    return classroom.now() - from;
  } catch (error) {
    classroom.log(`  roles did not settle: ${(error as Error).message.slice(0, 500)}`);
    return null;
  }
}

/** Runs one event of `kind` and returns what happened once roles settled. */
export async function perform(classroom: Classroom, kind: EventKind): Promise<SoakEvent> {
  const t = classroom.now();
  const live = classroom.liveInstances();
  const host = classroom.hostsNow()[0];
  const peers = live.filter((i) => i !== host);
  const roomOf = (inst: Instance) => classroom.raw.rooms.find((r) => r.instance === inst);
  const allRooms = classroom.raw.rooms.filter((r) => r.endedAt === undefined).map((r) => r.id);
  let detail = '';
  let rooms: string[] = [];
  let settledMs: number | null | undefined;
  /** Roles settle among the survivors first (that is the failover), then Entry HW starts again. */
  const replace = async (room: Room | undefined) => {
    settledMs = await settle(classroom, t);
    if (!room) return;
    await sleep(500 + classroom.rand() * 1000);
    await classroom.startInstance(room);
  };
  const seatsNewStudent = kind === 'killPeer' || kind === 'lateRoomId' || kind === 'neverRoomId';
  if (seatsNewStudent && peers.length === 0) kind = 'killHost';
  if (kind === 'killHost' && host) {
    const how = classroom.rand() < 0.5 ? 'sigkill' : 'disconnect';
    const room = roomOf(host);
    detail = `${host.name} ${how === 'sigkill' ? 'SIGKILL' : 'parent disconnect'}`;
    rooms = allRooms;
    endInstance(classroom, host, how);
    await replace(room);
  } else if (kind === 'killPeer' || kind === 'lateRoomId' || kind === 'neverRoomId') {
    // A student leaves (their Entry HW is killed) and a new one sits down. For the roomId kinds
    // the new Entry HW is started from the Entry page's link: a first launch, which sends no
    // roomId; the student presses connect again a while later (late) or never.
    const victim = classroom.pick(peers);
    const old = roomOf(victim);
    const fresh = classroom.newRoom(
      kind === 'lateRoomId' ? 'late' : kind === 'neverRoomId' ? 'never' : 'given',
    );
    detail = `${victim.name} SIGKILL, new student ${fresh.id}${kind === 'killPeer' ? '' : ' (first launch: no roomId)'}`;
    endInstance(classroom, victim, 'sigkill');
    if (old) {
      old.endedAt = classroom.now();
      old.tab?.close();
      old.tab = undefined;
      rooms.push(old.id);
    }
    rooms.push(fresh.id);
    classroom.openTab(fresh);
    await classroom.startInstance(fresh);
    if (kind === 'lateRoomId') {
      const delay = LATE_ROOM_ID_MS.min + classroom.rand() * (LATE_ROOM_ID_MS.max - LATE_ROOM_ID_MS.min);
      await sleep(delay);
      await giveRoomId(classroom, fresh);
      detail += `; roomId ${Math.round(delay)} ms after its start`;
    }
  } else if (kind === 'reloadTab') {
    const room = classroom.pick(classroom.raw.rooms.filter((r) => r.endedAt === undefined));
    const delay = 300 + classroom.rand() * 1200;
    detail = `room ${room.id}, page load ${Math.round(delay)} ms`;
    rooms = [room.id];
    await classroom.reloadTab(room, delay);
  } else {
    const victim = classroom.pick(live);
    const room = roomOf(victim);
    const wasHost = victim === host;
    detail = `${victim.name}${wasHost ? ' (host)' : ''} parent closed and reopened`;
    rooms = wasHost ? allRooms : room ? [room.id] : [];
    endInstance(classroom, victim, 'disconnect');
    await replace(room);
  }
  const all = await settle(classroom, t);
  return {
    t: t - classroom.raw.t0,
    kind,
    detail,
    rooms,
    hostsAfter: classroom.hostsNow().length,
    settledMs: settledMs === undefined ? all : settledMs,
  };
}
