// What a lost host leaves behind for the next one (docs/PROTOCOL.md §4): whether this instance's
// room had a browser connected to it when it was lost. The next host (this instance, or the one
// it joins as a peer) then holds that room's messages for the reconnecting tab, until 5 s after
// the loss (not after the new host appeared).

import type { MatchTargetValue } from '../contracts/socket-events';
import { RECONNECT_WINDOW_MS } from '../routing/held-messages';

/** A room whose tab was cut off by the host loss at `leftAt`, for the new host's hold record. */
export interface ReconnectingRoom {
  roomId: string;
  leftAt: number;
}

/**
 * The record of the last host loss, kept by the election between two roles.
 *
 * @example
 * const loss = new HostLossRecord();
 * loss.lost(true);                      // the peer's room had a browser on the lost host
 * loss.reconnectingRooms('0a1b2c3d4e'); // as the next host: [{ roomId, leftAt }]
 * loss.claimFields();                   // as a peer of the next host: { browserConnectedAtHostLoss: true, msSinceHostLoss }
 */
export class HostLossRecord {
  private browserLeftAt: number | undefined;

  /** The host was lost; `roomHadBrowser`: this instance's room had a browser connected to it. */
  lost(roomHadBrowser: boolean, now = Date.now()): void {
    this.browserLeftAt = roomHadBrowser ? now : undefined;
  }

  /** A new role took over what was recorded, or the roomId changed: nothing to carry on. */
  forget(): void {
    this.browserLeftAt = undefined;
  }

  /** As the new host: this instance's own room, if its tab was cut off by the loss. */
  reconnectingRooms(roomId: string | undefined): ReconnectingRoom[] {
    return this.browserLeftAt !== undefined && roomId !== undefined
      ? [{ roomId, leftAt: this.browserLeftAt }]
      : [];
  }

  /** As a peer of the new host: what the matchTarget adds, within the window only. */
  claimFields(now = Date.now()): Pick<MatchTargetValue, 'browserConnectedAtHostLoss' | 'msSinceHostLoss'> {
    if (this.browserLeftAt === undefined) return {};
    const msSinceHostLoss = Math.max(0, now - this.browserLeftAt);
    if (msSinceHostLoss >= RECONNECT_WINDOW_MS) return {};
    return { browserConnectedAtHostLoss: true, msSinceHostLoss };
  }
}
