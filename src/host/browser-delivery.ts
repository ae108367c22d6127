// Carries a message out to browsers: emits it to the targets routing chose (socket.io rooms,
// `to`/`except`), counts it for the diagnostics page, and holds it for a tab of those targets
// that left moments ago (routing/held-messages.ts decides who is "reconnecting";
// routing/reconnect-mailbox.ts keeps the messages). Owns the departure record and the mailbox
// of one hosting turn.
import type { HostServer } from '../contracts/socket-events';
import type { RoomStats } from '../diagnostics/room-stats';
import { type HoldKey, holdKey, RecentDepartures } from '../routing/held-messages';
import { ALL_BROWSERS, type BrowserTargets, targetsReach } from '../routing/host-routing';
import { ReconnectMailbox } from '../routing/reconnect-mailbox';
import type { HostSocket } from './peer-rooms';

/**
 * Delivery to browsers, with the reconnect hold.
 *
 * @example
 * const delivery = new BrowserDelivery(io, stats);
 * delivery.deliver(roomTargets(roomId), { data: 1 });
 * delivery.browserArrived(socket); // hands it what was held for its room
 */
export class BrowserDelivery {
  /** When each room's browser left, so only a reconnecting tab gets held messages. */
  private readonly departures = new RecentDepartures();
  private readonly mailbox = new ReconnectMailbox<unknown, HoldKey>();

  constructor(
    private readonly io: HostServer,
    private readonly stats: RoomStats | undefined,
  ) {}

  /**
   * Emits `message` to the targets' browsers and holds it for each of their tabs that left less
   * than the reconnect window ago, is not back yet and was there when the message was sent (a room
   * is out of the record as soon as one of its browsers connects). A tab gets nothing sent before
   * it first connected (docs/PROTOCOL.md §4). `queuedMs`: how long it waited before (queued while a peer had no host); a
   * held message's age counts from the send.
   *
   * @example
   * delivery.deliver({ to: [ALL_BROWSERS], except: [] }, { data: 'disconnectHardware' });
   */
  deliver(targets: BrowserTargets, payload: unknown, queuedMs = 0): void {
    this.count(targets);
    let operator = this.io.to(targets.to as string[]);
    if (targets.except.length > 0) operator = operator.except(targets.except as string[]);
    operator.emit('message', payload);
    const now = Date.now();
    for (const { roomId, key } of this.departures.keysWithinWindow(now, now - queuedMs)) {
      if (targetsReach(targets, roomId)) this.mailbox.hold(key, payload, queuedMs);
    }
  }

  /** A browser connected: its room is back, and gets what was held for it. */
  browserArrived(socket: HostSocket): void {
    this.departures.arrived(socket.data.roomId, Date.now());
    for (const payload of this.mailbox.take(holdKey(socket.data.roomId))) socket.emit('message', payload);
  }

  /**
   * The last browser of a room (or the last without a roomId) left, or was connected to the lost
   * host when this one took over: its messages are held for the reconnect window.
   */
  roomLeft(roomId: string | undefined, at = Date.now()): void {
    this.departures.left(roomId, at);
  }

  /** Drops what was held for a room (its first claim: it was the host parent's, not the peer's). */
  dropHeld(roomId: string): number {
    return this.mailbox.take(holdKey(roomId)).length;
  }

  /**
   * Drops what is held for every group but one room's (undefined: every group's); returns how
   * many messages went.
   */
  dropHeldExcept(roomId: string | undefined): number {
    return this.mailbox.keepOnly(roomId === undefined ? undefined : holdKey(roomId));
  }

  /** Messages held for a room's reconnecting browser. */
  held(roomId: string | undefined): number {
    return this.mailbox.size(holdKey(roomId));
  }

  /** Mailbox figures for the leak counters. */
  mailboxStats(): { keys: number; messages: number; stale: number } {
    return this.mailbox.stats();
  }

  clear(): void {
    this.mailbox.clear();
    this.departures.clear();
  }

  /** Per-browser counts for the diagnostics page: once per room, or once per broadcast browser. */
  private count(targets: BrowserTargets): void {
    const stats = this.stats;
    if (!stats) return;
    if (!targets.to.includes(ALL_BROWSERS)) {
      for (const roomId of targets.to) stats.toBrowser(roomId);
      return;
    }
    const except = targets.except.length > 0 ? new Set(targets.except) : undefined;
    for (const id of this.io.sockets.adapter.rooms.get(ALL_BROWSERS) ?? []) {
      const roomId = this.io.sockets.sockets.get(id)?.data.roomId;
      if (roomId === undefined || !except?.has(roomId)) stats.toBrowser(roomId);
    }
  }
}
