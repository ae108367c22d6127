// The failover windows of a soak: which undelivered messages count as lost inside a failover, and
// which were sent while their room was unserved (counted apart).
//
// Failover window (the definition the report uses; docs/RELIABILITY.md repeats it):
//   An event at time t0 affects a set of rooms: every room for a host kill or a restart of the
//   host's parent, else the one room it touches (a seated new student's room is affected from
//   its creation). For each affected room and each direction (browser → parent, parent → browser):
//     start = the later of t0 − IN_FLIGHT_MS and the send time of the last message of that room
//             and direction sent before t0 that was delivered (messages sent after it were in
//             flight when the event hit);
//     end   = the send time of the first message sent at or after t1 that was delivered (traffic
//             flows again), where t1 = t0 + the event's settle time (one host again, every survivor
//             its peer; for a tab reload, the page load). Measuring from t1 rather than t0 matters
//             for a host whose parent disconnects: it goes on routing for some milliseconds while
//             it closes, so a message sent just after t0 still arrives and would end the window
//             before the outage had begun. t1 if nothing was sent after t1 (the room ended); the
//             end of the run if something was sent but nothing was delivered (the room never
//             recovered, which is reported as a failure). For a student whose roomId came late,
//             t1 is when its parent sent the roomId.
//   The window holds the messages from the one that sent at `start` up to, not including, the one
//   that ended it, in sequence order: a message sent in the same millisecond as the one that ended
//   the window, but before it, is inside (the soak sends two in one tick when its timer runs late).
//   A message in the window that never arrived is "lost inside the window"; any other message that
//   never arrived is "lost outside failover windows" and must not exist. The window's length in
//   the table is max(end) − t0 over the event's rooms and directions.
import type { Room, SeqStream } from './ledger';

/** How far before an event a message still counts as in flight when the event hits. */
export const IN_FLIGHT_MS = 1000;

export interface DirWindow {
  /** Send times of the window's first message and of the one that ended it (ms, soak clock). */
  start: number;
  end: number;
  /** The same as sequence numbers: the window holds messages firstSeq ≤ seq < endSeq. */
  firstSeq: number;
  endSeq: number;
}

/** Whether message `seq` of a stream is inside `window`. */
export function inWindow(window: DirWindow, seq: number): boolean {
  return seq >= window.firstSeq && seq < window.endSeq;
}

/** First index whose send time is at or after `at` (send times never decrease). */
function firstSentAtOrAfter(stream: SeqStream, at: number): number {
  let lo = 0;
  let hi = stream.sentAt.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((stream.sentAt[mid] as number) < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function windowFor(
  stream: SeqStream,
  t0: number,
  t1: number,
  runEnd: number,
): { window: DirWindow; recovered: boolean } {
  let start = t0 - IN_FLIGHT_MS;
  let firstSeq = firstSentAtOrAfter(stream, start);
  const atT0 = firstSentAtOrAfter(stream, t0);
  for (let i = atT0 - 1; i >= firstSeq; i -= 1) {
    if ((stream.recvAt[i] as number) >= 0) {
      start = stream.sentAt[i] as number;
      firstSeq = i;
      break;
    }
  }
  const atT1 = firstSentAtOrAfter(stream, t1);
  for (let i = atT1; i < stream.sentAt.length; i += 1) {
    if ((stream.recvAt[i] as number) >= 0) {
      return { window: { start, end: stream.sentAt[i] as number, firstSeq, endSeq: i }, recovered: true };
    }
  }
  // Nothing delivered after t1: the room ended (nothing sent) or never recovered.
  if (atT1 < stream.sentAt.length) {
    return { window: { start, end: runEnd, firstSeq, endSeq: stream.sentAt.length }, recovered: false };
  }
  return { window: { start, end: t1, firstSeq, endSeq: atT1 }, recovered: true };
}

/**
 * Whether message `i` of a room's stream was sent while the room's Entry HW had no roomId (see
 * ledger.ts's header): the parent's before it sent the roomId, the tab's before that moment.
 */
export function sentUnserved(room: Room, dir: 'b2p' | 'p2b', i: number): boolean {
  if (room.plan === 'given') return false;
  if (dir === 'p2b') return room.p2bServedFrom === undefined || i < room.p2bServedFrom;
  return room.roomIdAt === undefined || (room.b2p.sentAt[i] as number) < room.roomIdAt;
}

/** Whether a message is counted apart as unserved: sent while unserved and (rightly) not delivered. */
export function unservedLoss(room: Room, dir: 'b2p' | 'p2b', i: number): boolean {
  return (room[dir].recvAt[i] as number) < 0 && sentUnserved(room, dir, i);
}
