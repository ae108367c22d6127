// What a host's hub tells the diagnostics page about its sockets (HostHub.diagnosticsFacts, read
// through Role.hubFacts by EntryServer): a contract between host/ and diagnostics/, which builds the
// classroom table from it (diagnostics/snapshot.ts).
import type { RoomPairing } from '../routing/session-pairing';
import type { PeerReport } from './peer-report';

/** The host's socket table, as far as the diagnostics need it (HostHub.diagnosticsFacts). */
export interface HubFacts {
  /** Whether routing goes by room (docs/PROTOCOL.md §4). */
  cloud: boolean;
  ownRoomId: string | undefined;
  /** The roomId of every connected browser (undefined: it gave none). */
  browsers: (string | undefined)[];
  /**
   * `roomId`: the room a peer holds; `askedRoomId`: the one it last asked for (undefined: none yet);
   * `pairedRooms`: the rooms paired with it by OS session.
   */
  peers: {
    roomId: string | undefined;
    askedRoomId?: string;
    /** Its last diagnostics report, parsed on arrival (undefined: none yet). */
    report: PeerReport | undefined;
    pairedRooms?: readonly string[];
  }[];
  /** Rooms paired with the host by OS session. */
  hostPairedRooms?: readonly string[];
  /** Messages held for a reconnecting browser of this room (undefined: browsers no instance claims). */
  held(roomId: string | undefined): number;
  /** How a room with tabs is paired (docs/PROTOCOL.md §4; absent: nothing is paired by OS session). */
  pairing?: (roomId: string) => RoomPairing | undefined;
}
