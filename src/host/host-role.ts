// The host role: this instance owns the port. Puts the listener (TLS and plain on one port, HTTP
// routes) and the socket.io hub on it, and passes what the hub reports to the role's owner
// (EntryServer), turning a change in the peer count into a cloud mode change. Loaded with
// require() only once this instance has won an election (election/start-role.ts), so a peer never
// loads the socket.io server, the listener, routing or the mailbox (docs/BENCHMARKS.md, memory
// per seat).

import type { HubFacts } from '../contracts/hub-facts';
import type { Role, RoleOwner, RoleStatus } from '../contracts/role';
import type { LoadedCertificate } from '../crypto/certificates';
import { CloudMode, type CloudModeValue } from '../ipc/messages';
import { HostHub, type HostHubOptions } from './host-hub';
import { HostListener, type HostListenerOptions } from './listener/host-listener';

export interface HostRoleOptions extends HostHubOptions, Omit<HostListenerOptions, 'hub' | 'certificate'> {
  port: number;
  host: string;
  /** Certificate for https/wss; undefined serves plain only. */
  certificate: LoadedCertificate | undefined;
  /** Hears what the role reports (EntryServer), from the moment the hub exists. */
  owner: RoleOwner;
}

function cloudModeFor(peers: number): CloudModeValue {
  return peers > 0 ? CloudMode.cloud : CloudMode.singleServer;
}

/**
 * A host's role: the listener and the hub of one hosting turn.
 *
 * @example
 * const role = await HostRole.listen({ port: 23518, host: '127.0.0.1', logger, owner, ... }); // rejects on EADDRINUSE
 * // a browser's message for this host's parent → owner.data(value)
 * role.deliver({ a0: 512 }); // → the browsers this host serves
 */
export class HostRole implements Role {
  readonly kind = 'host';
  private readonly hub: HostHub;
  private readonly listener: HostListener;

  private constructor(options: HostRoleOptions) {
    const { owner } = options;
    this.hub = new HostHub(options, {
      data: (value) => owner.data(value),
      connection: (info) => owner.connection(info),
      close: (info) => owner.close(info),
      peerCountChanged: () => owner.cloudModeChanged(this),
      roomUnknown: () => owner.roomUnknown(this),
    });
    this.listener = new HostListener({ ...options, hub: this.hub.door });
  }

  /**
   * Builds the hub and the listener and binds the port; rejects (with nothing left open) when
   * the bind fails.
   *
   * @example
   * const role = await HostRole.listen(options);
   */
  static async listen(options: HostRoleOptions): Promise<HostRole> {
    const role = new HostRole(options);
    try {
      await role.listener.listen(options.port, options.host);
    } catch (error) {
      void role.hub.close();
      throw error;
    }
    return role;
  }

  get cloudMode(): CloudModeValue {
    return cloudModeFor(this.hub.peerCount);
  }

  get routesByRoom(): boolean {
    return this.hub.routesByRoom;
  }

  /** Whether the port serves https/wss as well as http/ws. */
  get tlsEnabled(): boolean {
    return this.listener.tlsEnabled;
  }

  deliver(value: unknown, queuedMs?: number): boolean {
    this.hub.deliverFromParent(value, queuedMs);
    return true;
  }

  addRoomId(roomId: string): void {
    this.hub.ownRoomIdChanged(roomId);
  }

  shareDeviceReport(): void {}

  shareOwnSession(): void {}

  hubFacts(): HubFacts {
    return this.hub.diagnosticsFacts();
  }

  status(): RoleStatus {
    return {
      browsers: this.hub.browserCount,
      peers: this.hub.peerCount,
      listeners: 0,
      hub: {
        ...this.hub.debugCounters(),
        connections: this.listener.connections.open,
        anonymousConnections: this.listener.connections.anonymous,
        messageBytesInFlight: this.listener.budget.bytesInFlight,
        messageBytesPeak: this.listener.budget.peakBytes,
      },
      pairings: this.hub.pairingCounts(),
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.hub.close(), this.listener.close()]);
  }
}
