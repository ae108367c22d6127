// The peer role (cloud PC mode, docs/PROTOCOL.md §4-5): this instance's link to the host. It
// passes what the host reports to the role's owner (EntryServer) and the loss of the host to the
// election, by direct calls. It delivers its parent's values through the host, tells the host its roomId and
// device report, and counts its own room's browsers at the host, so the next host can hold that
// room's messages if this one is lost.
import type { Role, RoleOwner, RoleStatus } from '../contracts/role';
import type { MatchTargetValue } from '../contracts/socket-events';
import { CloudMode } from '../ipc/messages';
import type { SessionIdentity } from '../os-session';
import { PeerLink } from './peer-link';

/**
 * A peer's role: one connection to the host.
 *
 * @example
 * const role = new PeerRole(23518, owner, () => elect()); // owner.data(value) for each host message
 * await role.join(() => ({ roomId: '0a1b2c3d4e' })); // rejects when the host cannot be reached
 * role.deliver({ a0: 512 }); // → host → the browsers of room 0a1b2c3d4e
 */
export class PeerRole implements Role {
  readonly kind = 'peer';
  readonly cloudMode = CloudMode.cloud;
  readonly routesByRoom = true;
  private readonly link: PeerLink;
  /** Browsers of this instance's room connected to the host (from the host's events). */
  private ownRoomBrowsers = 0;
  /** The roomId claimed at the host (the last one sent). */
  private roomId: string | undefined;

  /** Whether join() resolved: the loss of the host is reported only after it (once). */
  private joined = false;

  /**
   * `lost`: called once when the host is lost after join() resolved (the election elects again).
   */
  constructor(port: number, owner: RoleOwner, lost: (reason: string) => void) {
    this.link = new PeerLink(port, {
      data: (value) => owner.data(value),
      // The host reports the rooms this instance serves: the one it claimed, and those paired with
      // it by OS session; only the claimed room's count matters after a failover.
      browserConnected: (roomId, browsers) => {
        if (roomId === this.roomId) this.ownRoomBrowsers = browsers ?? this.ownRoomBrowsers + 1;
        owner.connection({ kind: 'browser', roomId });
      },
      browserClosed: (roomId, browsers) => {
        if (roomId === this.roomId) this.ownRoomBrowsers = browsers ?? Math.max(0, this.ownRoomBrowsers - 1);
        owner.close({ kind: 'browser', roomId });
      },
      roomUnknown: () => owner.roomUnknown(this),
      // The room this instance was refused is free again (its first claimant left): claim it now,
      // without waiting for Entry HW to send the roomId again.
      roomFree: (roomId) => {
        if (roomId === this.roomId && this.link.connected) this.link.matchRoom(roomId);
      },
      claimRefused: (refusal) => {
        this.ownRoomBrowsers = 0; // the host no longer reports this room's browsers to us
        owner.problem(this, { code: 'ROOM_CLAIMED', message: refusal.message }, refusal.roomId);
      },
      lost: (reason) => {
        if (!this.joined) return;
        this.joined = false;
        lost(reason);
      },
    });
  }

  /** Whether a browser of this instance's room is connected to the host right now. */
  get ownRoomHasBrowser(): boolean {
    return this.ownRoomBrowsers > 0;
  }

  /**
   * Connects to the host and sends the claim read at that moment; rejects when it cannot.
   * After it resolves, losing the host calls the constructor's `lost` once.
   *
   * @example
   * await role.join(() => (roomId ? { roomId } : undefined));
   */
  async join(claim: () => MatchTargetValue | undefined): Promise<void> {
    await this.link.connect(() => {
      const current = claim();
      this.roomId = current?.roomId;
      return current;
    });
    this.joined = true;
  }

  deliver(value: unknown, queuedMs?: number): boolean {
    if (!this.link.connected) return false;
    this.link.forward({ data: value }, queuedMs);
    return true;
  }

  addRoomId(roomId: string): void {
    // What this instance knew of its room's browsers was about the previous room.
    if (roomId !== this.roomId) this.ownRoomBrowsers = 0;
    this.roomId = roomId;
    if (this.link.connected) this.link.matchRoom(roomId);
  }

  shareDeviceReport(report: unknown): void {
    this.link.report(report);
  }

  /** This instance's own OS session, sent with its reports (the host only cross-checks it). */
  shareOwnSession(session: SessionIdentity | undefined): void {
    this.link.ownSession = session;
  }

  hubFacts(): undefined {
    return undefined;
  }

  status(): RoleStatus {
    return {
      browsers: 0,
      peers: 0,
      listeners: this.link.listenerCount(),
      hub: null,
      pairings: null,
    };
  }

  async close(): Promise<void> {
    this.link.close();
  }
}
