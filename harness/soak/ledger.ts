// The ledger of a soak: every message sent, per room and direction, with its sequence number, and
// where each one arrived (delivered, late, twice, at the wrong room: misrouted), plus the raw record
// of the run that report.ts analyses.
//
// Unserved messages: while an instance has no roomId on a cloud PC it serves nobody. A
// message its tab sends, or its parent sends, before the roomId is given (all of them, for a
// student whose roomId never comes) is "unserved": it must reach no one, its own student's side
// included. One that arrives anyway counts as misrouted: a parent message sent before the roomId
// at the tab; a tab message at the parent before the parent heard `connection` for its room after
// the roomId (the host starts serving a room when it grants it, and tells the parent so in the
// same step, ahead of any of the room's messages). Unserved messages are neither delivered nor
// lost, and are counted apart.
import type { Instance } from '../cloud-cluster';
import type { EntryjsTab } from './entryjs-tab';
import type { RoomPlan } from './plan';
import type { HostDebugSample, ProcessSample, SoakEvent, SoakResult } from './result';

/** Width of the latency bins the plot uses; per-minute figures merge them. */
export const BIN_MS = 10_000;

// ---------------------------------------------------------------------------------------------
// Streams: one per room and direction. Index = sequence number.

export class SeqStream {
  readonly sentAt: number[] = [];
  readonly recvAt: number[] = [];
  duplicates = 0;
  reordered = 0;
  private maxSeen = -1;

  /** Records a send; returns the new sequence number. */
  send(at: number): number {
    this.sentAt.push(at);
    this.recvAt.push(-1);
    return this.sentAt.length - 1;
  }

  /** Records a delivery; returns the latency, or undefined for a duplicate or unknown seq. */
  receive(seq: number, at: number): number | undefined {
    const sent = this.sentAt[seq];
    if (sent === undefined) return undefined;
    if ((this.recvAt[seq] as number) >= 0) {
      this.duplicates += 1;
      return undefined;
    }
    this.recvAt[seq] = at;
    if (seq < this.maxSeen) this.reordered += 1;
    else this.maxSeen = seq;
    return at - sent;
  }
}

/** One student: a room with its two streams, its Entry HW instance and its tab. */
export interface Room {
  id: string;
  plan: RoomPlan;
  /** For a late room: when its parent sent `addRoomId` (performance.now ms); undefined before. */
  roomIdAt: number | undefined;
  /** For a late room: the first parent → browser sequence number sent after the roomId. */
  p2bServedFrom: number | undefined;
  b2p: SeqStream;
  p2b: SeqStream;
  instance: Instance | undefined;
  tab: EntryjsTab | undefined;
  createdAt: number;
  endedAt: number | undefined;
  /** Slots of the rate schedule already used (sent or skipped). */
  b2pSlots: number;
  p2bSlots: number;
}

/** The raw record of a run, before analysis. */
export interface Raw {
  rooms: Room[];
  events: SoakEvent[];
  eventTimes: number[];
  /** Host intervals (parents' view), absolute performance.now() ms. */
  hostSpans: { name: string; from: number; to: number }[];
  misrouted: number;
  misroutedExamples: string[];
  latencies: { b2p: number[][]; p2b: number[][] };
  processSamples: ProcessSample[];
  hostDebug: HostDebugSample[];
  tabsGaveUp: number;
  childErrors: string[];
  /** When traffic started (warm-up) and when measuring started. */
  trafficFrom: number;
  t0: number;
  end: number;
  roomsAtEnd: SoakResult['roomsAtEnd'];
  port: number;
  startedAt: string;
}

/** Counts a message that reached someone it must not reach. */
export function misroute(raw: Raw, what: string): void {
  raw.misrouted += 1;
  if (raw.misroutedExamples.length < 20) raw.misroutedExamples.push(what);
}

function recordLatency(raw: Raw, dir: 'b2p' | 'p2b', sentAt: number, latency: number): void {
  if (sentAt < raw.t0) return;
  const bin = Math.max(0, Math.floor((sentAt - raw.t0) / BIN_MS));
  const bins = raw.latencies[dir];
  while (bins.length <= bin) bins.push([]);
  (bins[bin] as number[]).push(latency);
}

/** Whether its parent sent this message of the room while its Entry HW had no roomId. */
function p2bUnserved(room: Room, seq: number): boolean {
  return room.plan !== 'given' && (room.p2bServedFrom === undefined || seq < room.p2bServedFrom);
}

/** A message arrived at the room's tab: delivered, or misrouted (another room's, untagged, unserved). */
export function tabReceived(raw: Raw, room: Room, payload: unknown, now: () => number): void {
  const value = (payload as { data?: { r?: unknown; s?: unknown } } | null)?.data;
  if (typeof value !== 'object' || value === null || typeof value.r !== 'string') {
    misroute(raw, `browser ${room.id} got an untagged message ${JSON.stringify(payload).slice(0, 100)}`);
    return;
  }
  if (value.r !== room.id) {
    misroute(raw, `browser of room ${room.id} got room ${value.r}'s message #${String(value.s)}`);
    return;
  }
  const seq = Number(value.s);
  if (p2bUnserved(room, seq)) {
    misroute(
      raw,
      `browser of room ${room.id} got its parent's message #${seq}, sent ${room.roomIdAt === undefined ? 'while its Entry HW had no roomId' : 'before its roomId'}`,
    );
    return;
  }
  const latency = room.p2b.receive(seq, now());
  if (latency !== undefined) recordLatency(raw, 'p2b', room.p2b.sentAt[seq] as number, latency);
}

/**
 * A `data` message arrived at the parent `name` of the room's instance `inst`: delivered, or
 * misrouted (another room's, untagged, or before the instance was `served`, for a late or never room).
 */
export function parentReceived(
  raw: Raw,
  room: Room,
  inst: Instance,
  served: boolean,
  value: unknown,
  now: () => number,
): void {
  const name = inst.name;
  const data = (value as { data?: unknown } | null)?.data;
  let tag: { r?: unknown; s?: unknown } | undefined;
  try {
    tag = typeof data === 'string' ? (JSON.parse(data) as { r?: unknown; s?: unknown }) : undefined;
  } catch {
    tag = undefined;
  }
  if (typeof tag?.r !== 'string') {
    misroute(raw, `parent ${name} (room ${room.id}) got an untagged message`);
    return;
  }
  if (tag.r !== room.id) {
    misroute(raw, `parent ${name} of room ${room.id} got room ${tag.r}'s message #${String(tag.s)}`);
    return;
  }
  const seq = Number(tag.s);
  if (room.plan !== 'given' && !served) {
    misroute(
      raw,
      `parent ${name} of room ${room.id} got its tab's message #${String(tag.s)} ${inst.roomId === undefined ? 'while it has no roomId' : 'before it heard connection for its room'}`,
    );
    return;
  }
  const latency = room.b2p.receive(seq, now());
  if (latency !== undefined) recordLatency(raw, 'b2p', room.b2p.sentAt[seq] as number, latency);
}
