// Owns the socket-free classroom model the routing properties drive: a cloud PC
// whose instances start with or without a roomId, get addRoomId at any moment or never, join and
// quit, lose their host and elect a new one (a brand-new instance may take the port first), and
// whose tabs open, close, drop, reconnect and reload. What the code decides is asked of the code's
// own rules: routing from src/routing/host-routing.ts, claims from src/routing/room-claims.ts, held
// messages from src/routing/held-messages.ts, the host-loss record from src/election/host-loss.ts, the
// real ReconnectMailbox and SendQueue. The model writes only the glue that decides when each rule
// is asked (HostHub, browser-sockets.ts, peer-sockets.ts, PeerRooms, PeerRole, ElectionRunner,
// EntryServer; keep it in step with them) and, apart from it, an independent record of the contract:
// what each parent said (its roomId over time), whether its instance is part of a cloud, which parent
// each tab's messages reached, which tabs each send reached, and every connection, close and error
// each parent heard. The `check*` functions state the invariants of docs/PROTOCOL.md §4-5 ("Who is
// served by whom" among them) against that record only (never by asking a routing rule again,
// which could not fail), and return the first violation, described, or undefined.

import { browserLeftMsAgo } from '../../src/contracts/match-target';
import type { MatchTargetValue } from '../../src/contracts/socket-events';
import { HostLossRecord } from '../../src/election/host-loss';
import {
  type HoldKey,
  holdKey,
  RECONNECT_WINDOW_MS,
  RecentDepartures,
} from '../../src/routing/held-messages';
import {
  ALL_BROWSERS,
  type BrowserMessageRoute,
  type BrowserTargets,
  type RoutingSnapshot,
  routeBrowserMessage,
  routeParentSend,
  routePeerMessage,
  sendTargets,
  targetsReach,
  withoutRoom,
} from '../../src/routing/host-routing';
import { ReconnectMailbox } from '../../src/routing/reconnect-mailbox';
import {
  ClaimedRooms,
  decideRoomClaim,
  type RoomClaimDecision,
  type RoomClaimFacts,
} from '../../src/routing/room-claims';
import { SendQueue } from '../../src/routing/send-queue';

// ---------------------------------------------------------------------------------------------
// The rules the glue asks. The code's own by default; replaceable only so that the tests can show
// that the checks catch a wrong rule (a check that cannot fail proves nothing).

/** What the host's hub knows when it asks a rule: HostHub.snapshot, plus what the old rule (622bb22) read. */
export interface ModelSnapshot extends RoutingSnapshot {
  /** Whether some peer claimed this room on this hub, even if it left since (PeerRooms' ClaimedRooms). */
  claimedBefore: (roomId: string) => boolean;
  /** Rooms a peer holds now or claimed before. */
  matchedRooms: () => string[];
}

export interface HubRules {
  /** PeerRooms.claim: `decideRoomClaim`. */
  claim: (facts: RoomClaimFacts) => RoomClaimDecision;
  /** browser-sockets.ts: who serves a browser (its messages, and its connection/close). */
  browser: (snapshot: ModelSnapshot, roomId: string | undefined) => BrowserMessageRoute;
  /** HostHub.deliverFromParent: the browsers a send of the host's parent reaches; undefined: nobody. */
  parentSend: (snapshot: ModelSnapshot) => BrowserTargets | undefined;
  /** EntryServer.tellIfRoomUnknown: whether an instance is left without a room. */
  withoutRoom: (ownRoomId: string | undefined, routesByRoom: boolean) => boolean;
  /**
   * Who hears `connection` / `close`. Today's glue: the instance that serves the browser
   * (browser-sockets.ts tellServer), plus the transitions (a roomless host's parent hears close for
   * the rooms it served when it gains its first peer, and connection when its roomId arrives while
   * its tab is here). Old rule: the host's parent heard of every browser (the room's peer as
   * well) and of every peer, and no transition.
   */
  events: { everyBrowserToHost: boolean; peersToHost: boolean; transitions: boolean };
  /** EntryServer.roomUnknownTold: ROOM_UNKNOWN once per role turn (false: on every check). */
  roomUnknownOncePerTurn: boolean;
  /**
   * HostHub.becameCloud: at its first peer, the host drops what it held for reconnecting tabs except
   * its own room's (false: keeps it all, as beeaa90 did).
   */
  dropHeldOnCloud: boolean;
  /**
   * HostHub.ownRoomIdChanged: when the host's parent changes its roomId, what it held for its
   * previous room goes (a single server's: everything but the new room's). False: kept, as 9f3ad5d.
   */
  dropHeldOnRoomChange: boolean;
}

/** The code's rules, as HostHub, browser-sockets.ts and EntryServer ask them. */
export const CODE_RULES: HubRules = {
  claim: decideRoomClaim,
  browser: routeBrowserMessage,
  parentSend: (snapshot) => {
    const route = routeParentSend(snapshot);
    return route.to === 'nobody' ? undefined : sendTargets(route);
  },
  withoutRoom,
  events: { everyBrowserToHost: false, peersToHost: false, transitions: true },
  roomUnknownOncePerTurn: true,
  dropHeldOnCloud: true,
  dropHeldOnRoomChange: true,
};

// ---------------------------------------------------------------------------------------------
// Steps.

export type Step =
  /** A new instance starts (Entry HW launched); `room` -1: its parent has sent no roomId. */
  | { type: 'start'; room: number }
  /** An instance's process ends (a peer quits, or the host is lost; the others back off). */
  | { type: 'quit'; instance: number }
  /** The host is lost and a brand-new instance takes the port before the others rejoin. */
  | { type: 'freshHost'; room: number }
  /** An instance without a role ends its backoff: binds when nobody holds the port, else joins. */
  | { type: 'rejoin'; instance: number }
  | { type: 'addRoomId'; instance: number; room: number }
  | { type: 'parentSend'; instance: number }
  /** A new tab opens (-1: without a roomId); it connects if there is a host. */
  | { type: 'tabOpen'; room: number }
  /** A tab closes for good. */
  | { type: 'tabClose'; tab: number }
  /** A tab's connection drops (it reconnects later, with tabReconnect). */
  | { type: 'tabDrop'; tab: number }
  /** A tab that is not connected (dropped, or cut off by a host loss) connects again. */
  | { type: 'tabReconnect'; tab: number }
  /** A connected tab reloads: it leaves and connects again at once. */
  | { type: 'tabReload'; tab: number }
  | { type: 'tick'; ms: number };

/** roomIds the steps pick from; -1 means none. Few, so claims and rooms collide often. */
export const ROOMS = ['r0', 'r1', 'r2', 'r3'] as const;
const roomOf = (index: number): string | undefined => (index < 0 ? undefined : ROOMS[index % ROOMS.length]);

export const MAILBOX_LIMITS = { maxAgeMs: RECONNECT_WINDOW_MS, maxPerKey: 5, maxKeys: 3 } as const;

// ---------------------------------------------------------------------------------------------
// What the model keeps.

/** A message a parent sent, as the model tracks it. */
export interface ModelMessage {
  id: number;
  /** The sending instance. */
  from: string;
  /** Its parent's roomId when it sent (the contract record). */
  fromRoom: string | undefined;
  /** Its instance was part of a cloud when it sent (the contract record). */
  fromCloud: boolean;
  sentAt: number;
}

/** A parent's send that reached a tab: directly, or held and handed out when the tab came. */
export interface TabDelivery {
  message: ModelMessage;
  browser: ModelBrowser;
  held: boolean;
  /** When a held message's age started (the mailbox's). */
  heldAt?: number;
  at: number;
}

/** What a parent heard from its server (IPC `connection`, `close`, `error`). */
export interface Heard {
  parent: string;
  type: 'connection' | 'close' | 'error';
  /** connection / close: `ConnectionInfo.kind` ('peer' only under the old rule). */
  kind?: 'browser' | 'peer';
  roomId?: string;
  /** error: its code. */
  code?: 'ROOM_UNKNOWN' | 'ROOM_CLAIMED';
  /** The instance's role turn (EntryServer.reportsOf: a new role reports) when it heard it. */
  turn: number;
  /** The parent's roomId (the contract record) when it heard it. */
  parentRoomId: string | undefined;
  at: number;
}

export interface ModelBrowser {
  id: string;
  roomId: string | undefined;
  connected: boolean;
  /** Closed for good (no reconnect). */
  closed: boolean;
  /** Times this tab was connected: [from, to or Infinity]. */
  spans: [number, number][];
}

export interface ModelInstance {
  id: string;
  /** 'detached': no role (between hosts, backing off). */
  state: 'host' | 'peer' | 'detached';
  // --- The code's state (glue): EntryServer, ElectionRunner, PeerRole.
  /** EntryServer.ownRoomId. */
  ownRoomId: string | undefined;
  /** EntryServer's ParentOutbox (the real SendQueue inside). */
  outbox: SendQueue<ModelMessage>;
  /** ElectionRunner.hostLoss. */
  hostLoss: HostLossRecord;
  /** ElectionRunner.everCloud: it was a peer (as a host it routes by room from the start). */
  wasPeer: boolean;
  /** EntryServer.reportsOf: one turn per role that reports. */
  turn: number;
  /** EntryServer.roomUnknownTold. */
  roomUnknownTold: boolean;
  /** EntryServer.refusedRoom. */
  refusedRoom: string | undefined;
  /** PeerRole.roomId: the roomId claimed at the host. */
  peerRoomId: string | undefined;
  /** PeerRole.ownRoomBrowsers. */
  ownRoomBrowsers: number;
  // --- The contract record (kept apart from the glue; the checks read only this).
  /** What its parent said: undefined until addRoomId (or from the start). */
  parentRoomId: string | undefined;
  /** More than one instance is involved, from its own view: it was a peer, or a peer joined its hub. */
  cloud: boolean;
  /** Everything its parent heard. */
  heard: Heard[];
}

/** The host's hub: what HostHub, PeerRooms and BrowserDelivery keep for one hosting turn. */
class HubModel {
  /** Peers connected (socket.data.roomId: the room each holds). */
  readonly peerRoom = new Map<string, string | undefined>();
  /** PeerRooms.holders. */
  readonly holders = new Map<string, string>();
  readonly claimed = new ClaimedRooms();
  readonly departures = new RecentDepartures();
  readonly mailbox: ReconnectMailbox<{ message: ModelMessage; heldAt: number }, HoldKey>;
  /** HostHub.everCloud. */
  everCloud: boolean;

  constructor(everCloud: boolean, now: () => number) {
    this.everCloud = everCloud;
    this.mailbox = new ReconnectMailbox({ ...MAILBOX_LIMITS, now });
  }
}

/** One instance's contract state at a moment. */
export interface ParentView {
  role: ModelInstance['state'];
  roomId: string | undefined;
  cloud: boolean;
}

/** What happened in one step, for the checks. */
export interface StepRecord {
  step: Step | undefined;
  /** Which parent each connected tab's message reached (undefined: dropped), before the step... */
  servedBefore: Map<ModelBrowser, string | undefined>;
  /** ...and after it: every connected tab sends one message after each step (entryjs sends at 60 Hz). */
  servedAfter: Map<ModelBrowser, string | undefined>;
  viewBefore: Map<string, ParentView>;
  viewAfter: Map<string, ParentView>;
  deliveries: TabDelivery[];
  heard: Heard[];
  sends: ModelMessage[];
  tabsArrived: ModelBrowser[];
  tabsLeft: ModelBrowser[];
}

/**
 * The classroom. `step` applies one step and probes who serves whom; the checks read `record`.
 *
 * @example
 * const model = new ClassroomModel();
 * model.step({ type: 'start', room: 0 });
 * model.step({ type: 'tabOpen', room: 0 });
 * checkOwnRoomOnly(model); // undefined
 */
export class ClassroomModel {
  now = 0;
  readonly instances: ModelInstance[] = [];
  readonly browsers: ModelBrowser[] = [];
  hub: HubModel | undefined;
  /**
   * The contract's record of claims (§4): the first connected claimant of each room on the
   * current hub. A later claim and a claim of the host's roomId do not enter it; a peer claiming
   * another room gives its old one up; the host's parent naming a room takes it out.
   */
  readonly firstClaim = new Map<string, string>();
  /** Claims refused (ROOM_CLAIMED sent to the peer), including the host taking a room. */
  refusedClaims = 0;
  /** Rooms freed during the current step (PeerRooms' roomFreed), re-claimed at its end. */
  private freedRooms: string[] = [];
  /** Queued sends dropped: on a roomId change, and older than the window when drained. */
  droppedQueued = 0;
  /** Most instances alive at once so far (1: a single PC). */
  maxAlive = 0;
  record: StepRecord;
  private instanceIds = 0;
  private tabIds = 0;
  private messageIds = 0;

  constructor(readonly rules: HubRules = CODE_RULES) {
    this.record = this.emptyRecord(undefined, new Map());
  }

  get host(): ModelInstance | undefined {
    return this.instances.find((i) => i.state === 'host');
  }

  connectedBrowsers(): ModelBrowser[] {
    return this.browsers.filter((b) => b.connected);
  }

  /** Applies one step, then every connected tab sends a message (the probe of who serves it). */
  step(step: Step): void {
    this.record = this.emptyRecord(step, this.record.servedAfter);
    this.apply(step);
    this.reclaimFreedRooms();
    this.record.servedAfter = this.probe();
    this.record.viewAfter = this.views();
    this.maxAlive = Math.max(this.maxAlive, this.instances.length);
  }

  /** HostHub.snapshot (with what the old rule also read). */
  snapshot(): ModelSnapshot {
    const hub = this.hub as HubModel;
    return {
      ownRoomId: this.host?.ownRoomId,
      cloud: hub.peerRoom.size > 0 || hub.everCloud,
      peerForRoom: (roomId) => hub.holders.get(roomId),
      claimedBefore: (roomId) => hub.claimed.has(roomId),
      matchedRooms: () => [...ROOMS.filter((r) => hub.claimed.has(r)), ...hub.holders.keys()],
    };
  }

  private emptyRecord(
    step: Step | undefined,
    servedBefore: Map<ModelBrowser, string | undefined>,
  ): StepRecord {
    const view = this.views();
    return {
      step,
      servedBefore,
      servedAfter: new Map(),
      viewBefore: view,
      viewAfter: view,
      deliveries: [],
      heard: [],
      sends: [],
      tabsArrived: [],
      tabsLeft: [],
    };
  }

  private views(): Map<string, ParentView> {
    const views = new Map<string, ParentView>();
    for (const i of this.instances)
      views.set(i.id, { role: i.state, roomId: i.parentRoomId, cloud: i.cloud || i.state === 'peer' });
    return views;
  }

  private apply(step: Step): void {
    const instance = (n: number) =>
      this.instances.length ? this.instances[n % this.instances.length] : undefined;
    const tab = (n: number) => (this.browsers.length ? this.browsers[n % this.browsers.length] : undefined);
    switch (step.type) {
      case 'start':
        return this.start(roomOf(step.room));
      case 'quit': {
        const inst = instance(step.instance);
        if (inst) this.quit(inst);
        return;
      }
      case 'freshHost': {
        const host = this.host;
        if (!host) return;
        this.quit(host);
        return this.start(roomOf(step.room));
      }
      case 'rejoin': {
        const inst = instance(step.instance);
        if (inst?.state === 'detached') this.takeRole(inst);
        return;
      }
      case 'addRoomId': {
        const inst = instance(step.instance);
        const roomId = roomOf(step.room);
        if (inst && roomId !== undefined) this.addRoomId(inst, roomId);
        return;
      }
      case 'parentSend': {
        const inst = instance(step.instance);
        if (inst) this.parentSend(inst);
        return;
      }
      case 'tabOpen': {
        this.tabIds += 1;
        const browser: ModelBrowser = {
          id: `b${this.tabIds}`,
          roomId: roomOf(step.room),
          connected: false,
          closed: false,
          spans: [],
        };
        this.browsers.push(browser);
        this.connectBrowser(browser);
        return;
      }
      case 'tabClose': {
        const browser = tab(step.tab);
        if (!browser || browser.closed) return;
        if (browser.connected) this.disconnectBrowser(browser);
        browser.closed = true;
        return;
      }
      case 'tabDrop': {
        const browser = tab(step.tab);
        if (browser?.connected) this.disconnectBrowser(browser);
        return;
      }
      case 'tabReconnect': {
        const browser = tab(step.tab);
        if (browser && !browser.connected && !browser.closed) this.connectBrowser(browser);
        return;
      }
      case 'tabReload': {
        const browser = tab(step.tab);
        if (!browser?.connected) return;
        this.disconnectBrowser(browser);
        this.connectBrowser(browser);
        return;
      }
      case 'tick':
        this.now += step.ms;
        return;
    }
  }

  // --- Instances: EntryServer, ElectionRunner, PeerRole.

  /** A new process: `open` with the roomId its parent may already have sent (addRoomId before open settles). */
  private start(roomId: string | undefined): void {
    this.instanceIds += 1;
    const inst: ModelInstance = {
      id: `i${this.instanceIds}`,
      state: 'detached',
      ownRoomId: roomId,
      outbox: new SendQueue(),
      hostLoss: new HostLossRecord(),
      wasPeer: false,
      turn: 0,
      roomUnknownTold: false,
      refusedRoom: undefined,
      peerRoomId: undefined,
      ownRoomBrowsers: 0,
      parentRoomId: roomId,
      cloud: false,
      heard: [],
    };
    this.instances.push(inst);
    this.takeRole(inst);
  }

  /** The election: bind when nobody holds the port, else join the host. */
  private takeRole(inst: ModelInstance): void {
    if (this.hub) this.joinAsPeer(inst);
    else this.becomeHost(inst);
  }

  /** The process ends: as a peer its socket closes at the host; as the host everything it held goes. */
  private quit(inst: ModelInstance): void {
    this.instances.splice(this.instances.indexOf(inst), 1);
    if (inst.state === 'peer') return this.peerLeft(inst);
    if (inst.state !== 'host') return;
    // The host's process is gone: its tabs are cut off with it (entryjs reconnects them later), nobody
    // hears of it (its parent is gone too), and each peer's link is lost.
    for (const b of this.connectedBrowsers()) this.endSpan(b);
    this.hub = undefined;
    this.firstClaim.clear();
    for (const peer of this.instances) {
      if (peer.state !== 'peer') continue;
      // ElectionRunner.join's 'lost' handler: the record, then no role until the backoff ends.
      peer.hostLoss.lost(peer.ownRoomBrowsers > 0, this.now);
      peer.state = 'detached';
    }
  }

  /** EntryServer.reportsOf: a new role reports (its per-role state starts afresh). */
  private newTurn(inst: ModelInstance): void {
    inst.turn += 1;
    inst.refusedRoom = undefined;
    inst.roomUnknownTold = false;
  }

  /** ElectionRunner.listen (HostTurn) + HostHub's constructor + EntryServer.settleRole. */
  private becomeHost(inst: ModelInstance): void {
    const hub = new HubModel(inst.wasPeer, () => this.now);
    this.freedRooms = []; // a lost host tells nobody any more
    for (const { roomId, leftAt } of inst.hostLoss.reconnectingRooms(inst.ownRoomId))
      hub.departures.left(roomId, leftAt);
    this.hub = hub;
    inst.state = 'host';
    this.newTurn(inst);
    inst.hostLoss.forget();
    this.settle(inst);
  }

  /**
   * ElectionRunner.join: the host wires the peer (peer-sockets.ts wirePeer), the peer's matchTarget
   * (its roomId and what its last host loss said) is carried out, then the peer settles
   * (EntryServer.settleRole: ROOM_UNKNOWN, the outbox drained through the host).
   */
  private joinAsPeer(inst: ModelInstance): void {
    const hub = this.hub as HubModel;
    const host = this.host as ModelInstance;
    // Contract: more than one instance is involved, for both.
    inst.cloud = true;
    host.cloud = true;
    // PeerRole: a new link; its room's browser count starts at none.
    inst.state = 'peer';
    inst.ownRoomBrowsers = 0;
    this.newTurn(inst);
    // The host side: wirePeer.
    hub.peerRoom.set(inst.id, undefined);
    this.becameCloud(hub, host);
    this.hostCloudModeChanged(host);
    if (this.rules.events.peersToHost) this.hear(host, { type: 'connection', kind: 'peer' });
    // The peer side, on connect: matchTarget with the roomId now and the host-loss fields.
    inst.peerRoomId = inst.ownRoomId;
    if (inst.ownRoomId !== undefined)
      this.matchPeer(inst, { roomId: inst.ownRoomId, ...inst.hostLoss.claimFields(this.now) });
    inst.hostLoss.forget();
    inst.wasPeer = true;
    this.settle(inst);
  }

  /** EntryServer.settleRole: ROOM_UNKNOWN if left without a room, then ParentOutbox.handTo. */
  private settle(inst: ModelInstance): void {
    this.tellIfRoomUnknown(inst);
    const { fresh, expired } = inst.outbox.drain(this.now);
    this.droppedQueued += expired;
    for (const { value, queuedMs } of fresh) this.deliver(inst, value, queuedMs);
  }

  /** Role.routesByRoom: a peer always; a host while its hub routes by room. */
  private routesByRoom(inst: ModelInstance): boolean {
    if (inst.state === 'peer') return true;
    const hub = this.hub as HubModel;
    return hub.peerRoom.size > 0 || hub.everCloud;
  }

  /** EntryServer.tellIfRoomUnknown. */
  private tellIfRoomUnknown(inst: ModelInstance): void {
    if (this.rules.roomUnknownOncePerTurn && inst.roomUnknownTold) return;
    if (!this.rules.withoutRoom(inst.ownRoomId, this.routesByRoom(inst))) return;
    inst.roomUnknownTold = true;
    this.hear(inst, { type: 'error', code: 'ROOM_UNKNOWN' });
  }

  /** HostRole's 'cloudModeChanged' (on each peerCountChanged) as EntryServer handles it. */
  private hostCloudModeChanged(host: ModelInstance): void {
    this.tellIfRoomUnknown(host);
  }

  /** EntryServer.addRoomId, then the role's addRoomId (HostRole → HostHub.ownRoomIdChanged; PeerRole). */
  private addRoomId(inst: ModelInstance, roomId: string): void {
    inst.parentRoomId = roomId; // contract record
    if (roomId !== inst.ownRoomId) {
      this.droppedQueued += inst.outbox.roomChanged();
      inst.hostLoss.forget();
    }
    const previous = inst.ownRoomId;
    inst.ownRoomId = roomId;
    if (inst.state === 'host') this.hostRoomChanged(inst, roomId, previous);
    if (inst.state === 'peer') {
      if (roomId !== inst.peerRoomId) inst.ownRoomBrowsers = 0;
      inst.peerRoomId = roomId;
      this.matchPeer(inst, { roomId });
    }
  }

  /** Role.deliver (or the outbox while it has none). */
  private parentSend(inst: ModelInstance): void {
    this.messageIds += 1;
    const message: ModelMessage = {
      id: this.messageIds,
      from: inst.id,
      fromRoom: inst.parentRoomId,
      fromCloud: inst.cloud || inst.state === 'peer',
      sentAt: this.now,
    };
    this.record.sends.push(message);
    if (inst.state === 'detached') inst.outbox.push(message, this.now);
    else this.deliver(inst, message, 0);
  }

  private deliver(inst: ModelInstance, message: ModelMessage, queuedMs: number): void {
    if (inst.state === 'peer') this.fromPeer(inst, message, queuedMs);
    else this.fromHostParent(message, queuedMs);
  }

  /** What a parent hears (EntryServer's events). */
  private hear(inst: ModelInstance, what: Pick<Heard, 'type' | 'kind' | 'roomId' | 'code'>): void {
    const heard: Heard = {
      ...what,
      parent: inst.id,
      turn: inst.turn,
      parentRoomId: inst.parentRoomId,
      at: this.now,
    };
    inst.heard.push(heard);
    this.record.heard.push(heard);
  }

  // --- The host's hub: HostHub, PeerRooms, peer-sockets.ts, browser-sockets.ts, BrowserDelivery.

  private instanceById(id: string | undefined): ModelInstance | undefined {
    return id === undefined ? undefined : this.instances.find((i) => i.id === id);
  }

  /**
   * HostHub.becameCloud: what the host held for reconnecting tabs goes, except its own room's; a
   * roomless host's parent hears close for each room whose browsers it served.
   */
  private becameCloud(hub: HubModel, host: ModelInstance): void {
    if (hub.everCloud) return;
    hub.everCloud = true;
    if (this.rules.dropHeldOnCloud)
      hub.mailbox.keepOnly(host.ownRoomId === undefined ? undefined : holdKey(host.ownRoomId));
    if (!this.rules.events.transitions || host.ownRoomId !== undefined) return;
    const rooms = new Set<string>();
    for (const b of this.connectedBrowsers()) if (b.roomId !== undefined) rooms.add(b.roomId);
    for (const roomId of rooms) this.hear(host, { type: 'close', kind: 'browser', roomId });
  }

  /** peer-sockets.ts peerLeft, after the peer's process ended. */
  private peerLeft(inst: ModelInstance): void {
    const hub = this.hub as HubModel;
    const host = this.host as ModelInstance;
    const roomId = hub.peerRoom.get(inst.id);
    this.release(hub, inst.id);
    hub.peerRoom.delete(inst.id);
    for (const [room, peer] of this.firstClaim) if (peer === inst.id) this.firstClaim.delete(room);
    if (this.rules.events.peersToHost) this.hear(host, { type: 'close', kind: 'peer', roomId });
    this.hostCloudModeChanged(host);
  }

  /** PeerRooms.release. */
  private release(hub: HubModel, peerId: string): void {
    const roomId = hub.peerRoom.get(peerId);
    hub.peerRoom.set(peerId, undefined);
    if (roomId !== undefined && hub.holders.get(roomId) === peerId) {
      hub.holders.delete(roomId);
      this.freedRooms.push(roomId);
    }
  }

  /**
   * HostHub.roomFreed → roomFree at each peer refused for the room → PeerRole claims it again
   * (docs/SECURITY.md). Over the wire, so after the step that freed it; the first re-claim wins.
   */
  private reclaimFreedRooms(): void {
    while (this.freedRooms.length > 0) {
      const roomId = this.freedRooms.shift() as string;
      const hub = this.hub;
      if (!hub || roomId === this.host?.ownRoomId) continue;
      for (const inst of this.instances)
        if (
          inst.state === 'peer' &&
          hub.peerRoom.has(inst.id) &&
          hub.peerRoom.get(inst.id) === undefined &&
          inst.peerRoomId === roomId
        )
          this.matchPeer(inst, { roomId });
    }
  }

  /** peer-sockets.ts matchPeer (PeerRooms.claim), beside the contract's record of first claims. */
  private matchPeer(inst: ModelInstance, value: MatchTargetValue): void {
    const hub = this.hub as HubModel;
    const host = this.host as ModelInstance;
    const roomId = value.roomId;
    // The contract: the first connected claimant wins; never the host's room; the old room is given up.
    const contractAccepts =
      roomId !== host.parentRoomId && (this.firstClaim.get(roomId) ?? inst.id) === inst.id;
    for (const [room, peer] of this.firstClaim)
      if (peer === inst.id && room !== roomId) this.firstClaim.delete(room);
    if (contractAccepts) this.firstClaim.set(roomId, inst.id);
    // PeerRooms.claim.
    const decision = this.rules.claim({
      roomId,
      claimant: inst.id,
      holder: hub.holders.get(roomId),
      hostRoomId: host.ownRoomId,
    });
    if (hub.peerRoom.get(inst.id) !== roomId || !decision.grant) this.release(hub, inst.id);
    if (!decision.grant) return this.refuse(inst, roomId);
    hub.peerRoom.set(inst.id, roomId);
    hub.holders.set(roomId, inst.id);
    const first = !hub.claimed.has(roomId);
    hub.claimed.add(roomId, this.now, () => true);
    // matchPeer.
    if (first) hub.mailbox.take(holdKey(roomId));
    const browsers = this.browsersIn(roomId);
    const leftMsAgo = browserLeftMsAgo(value);
    if (leftMsAgo !== undefined && browsers === 0) hub.departures.left(roomId, this.now - leftMsAgo);
    if (browsers > 0) this.roomConnection(inst, roomId, browsers);
  }

  /** PeerRooms.refuse → the peer's claimRefused (PeerRole) → ROOM_CLAIMED once per room (EntryServer). */
  private refuse(inst: ModelInstance, roomId: string): void {
    this.refusedClaims += 1;
    inst.ownRoomBrowsers = 0;
    if (roomId === inst.refusedRoom) return;
    inst.refusedRoom = roomId;
    this.hear(inst, { type: 'error', code: 'ROOM_CLAIMED' });
  }

  /**
   * HostHub.ownRoomIdChanged: what the parent held for its previous room goes; the host's room wins;
   * its parent hears connection when its tab is here.
   */
  private hostRoomChanged(host: ModelInstance, roomId: string, previous: string | undefined): void {
    const hub = this.hub as HubModel;
    if (this.rules.dropHeldOnRoomChange && previous !== roomId) {
      if (!hub.everCloud) hub.mailbox.keepOnly(holdKey(roomId));
      else if (previous !== undefined) hub.mailbox.take(holdKey(previous));
    }
    if (previous !== undefined && previous !== roomId && !hub.holders.has(previous))
      this.freedRooms.push(previous);
    this.firstClaim.delete(roomId);
    const holder = this.instanceById(hub.holders.get(roomId));
    if (holder) {
      this.release(hub, holder.id);
      this.refuse(holder, roomId);
    }
    if (this.rules.events.transitions && this.browsersIn(roomId) > 0)
      this.hear(host, { type: 'connection', kind: 'browser', roomId });
  }

  /** roomConnection at the peer (PeerLink → PeerRole → EntryServer 'connection'). */
  private roomConnection(peer: ModelInstance, roomId: string, browsers: number): void {
    peer.ownRoomBrowsers = browsers;
    this.hear(peer, { type: 'connection', kind: 'browser', roomId });
  }

  /** roomClose at the peer. */
  private roomClose(peer: ModelInstance, roomId: string, browsers: number): void {
    peer.ownRoomBrowsers = browsers;
    this.hear(peer, { type: 'close', kind: 'browser', roomId });
  }

  private browsersIn(roomId: string | undefined): number {
    return this.connectedBrowsers().filter((b) => b.roomId === roomId).length;
  }

  /** HostHub's peer `message` handler: the browsers of the room the peer holds. */
  private fromPeer(inst: ModelInstance, message: ModelMessage, queuedMs: number): void {
    const hub = this.hub as HubModel;
    const route = routePeerMessage(hub.peerRoom.get(inst.id));
    if (route.to === 'rooms') this.deliverTo({ to: route.roomIds, except: [] }, message, queuedMs);
  }

  /** HostHub.deliverFromParent. */
  private fromHostParent(message: ModelMessage, queuedMs: number): void {
    const targets = this.rules.parentSend(this.snapshot());
    if (targets) this.deliverTo(targets, message, queuedMs);
  }

  /** BrowserDelivery.deliver: socket.io's `to(...).except(...)`, then the holds. */
  private deliverTo(targets: BrowserTargets, message: ModelMessage, queuedMs: number): void {
    const hub = this.hub as HubModel;
    for (const browser of this.connectedBrowsers())
      if (socketIoReaches(targets, browser.roomId))
        this.record.deliveries.push({ message, browser, held: false, at: this.now });
    for (const { roomId, key } of hub.departures.keysWithinWindow(this.now, this.now - queuedMs))
      if (targetsReach(targets, roomId))
        hub.mailbox.hold(key, { message, heldAt: this.now - queuedMs }, queuedMs);
  }

  /** Who the hub tells that a browser connected or left: browser-sockets.ts tellServer (or the old rule's glue). */
  private tellServer(browser: ModelBrowser, event: 'connection' | 'close', browsersInRoom: number): void {
    const roomId = browser.roomId;
    const host = this.host as ModelInstance;
    if (this.rules.events.everyBrowserToHost) {
      this.hear(host, { type: event, kind: 'browser', roomId });
      const holder = this.instanceById(roomId === undefined ? undefined : this.hub?.holders.get(roomId));
      if (holder && roomId !== undefined)
        if (event === 'connection') this.roomConnection(holder, roomId, browsersInRoom);
        else this.roomClose(holder, roomId, browsersInRoom);
      return;
    }
    const route = this.rules.browser(this.snapshot(), roomId);
    if (route.to === 'parent') this.hear(host, { type: event, kind: 'browser', roomId });
    else if (route.to === 'peer' && roomId !== undefined) {
      const peer = this.instanceById(route.peerId);
      if (peer?.state !== 'peer') return;
      if (event === 'connection') this.roomConnection(peer, roomId, browsersInRoom);
      else this.roomClose(peer, roomId, browsersInRoom);
    }
  }

  /** wireBrowser: join, take what is held for its key (BrowserDelivery.browserArrived), tell who serves it. */
  private connectBrowser(browser: ModelBrowser): void {
    const hub = this.hub;
    if (!hub) return;
    browser.connected = true;
    browser.spans.push([this.now, Number.POSITIVE_INFINITY]);
    this.record.tabsArrived.push(browser);
    hub.departures.arrived(browser.roomId, this.now);
    for (const { message, heldAt } of hub.mailbox.take(holdKey(browser.roomId)))
      this.record.deliveries.push({ message, browser, held: true, heldAt, at: this.now });
    this.tellServer(
      browser,
      'connection',
      browser.roomId === undefined ? 0 : this.browsersIn(browser.roomId),
    );
  }

  /** browser-sockets.ts browserLeft. */
  private disconnectBrowser(browser: ModelBrowser): void {
    const hub = this.hub as HubModel;
    this.endSpan(browser);
    this.record.tabsLeft.push(browser);
    const left = this.browsersIn(browser.roomId);
    if (left === 0) hub.departures.left(browser.roomId, this.now);
    this.tellServer(browser, 'close', left);
  }

  private endSpan(browser: ModelBrowser): void {
    browser.connected = false;
    const span = browser.spans[browser.spans.length - 1];
    if (span) span[1] = this.now;
  }

  /**
   * Every connected tab sends one message (browser-sockets.ts routeFromBrowser): which parent gets
   * it as `data` — the host's own, or the peer's whose socket the route names (its PeerLink → PeerRole
   * → EntryServer 'data'); undefined when dropped or sent to no connected peer.
   */
  private probe(): Map<ModelBrowser, string | undefined> {
    const served = new Map<ModelBrowser, string | undefined>();
    if (!this.hub) return served;
    const snapshot = this.snapshot();
    for (const b of this.connectedBrowsers()) {
      const route = this.rules.browser(snapshot, b.roomId);
      const to =
        route.to === 'parent'
          ? this.host?.id
          : route.to === 'peer'
            ? this.instances.find((i) => i.id === route.peerId && i.state === 'peer')?.id
            : undefined;
      served.set(b, to);
    }
    return served;
  }
}

/**
 * socket.io's reading of `io.to(to).except(except)` for a browser, which is in the ALL_BROWSERS
 * room and in its roomId's room: in some room of `to` (an empty `to` is everyone) and in none of `except`.
 */
function socketIoReaches(targets: BrowserTargets, roomId: string | undefined): boolean {
  const rooms = roomId === undefined ? [ALL_BROWSERS] : [ALL_BROWSERS, roomId];
  const inTo = targets.to.length === 0 || targets.to.some((r) => rooms.includes(r));
  return inTo && !targets.except.some((r) => rooms.includes(r));
}

// ---------------------------------------------------------------------------------------------
// Invariants, against the contract record only. Each returns the first violation, or undefined.

const room = (roomId: string | undefined): string => roomId ?? '(none)';
const tabName = (b: ModelBrowser): string => `tab ${b.id} of room ${room(b.roomId)}`;

/** Tabs whose message reached `parent` in a probe. */
function tabsServing(served: Map<ModelBrowser, string | undefined>, parent: string): ModelBrowser[] {
  return [...served].filter(([, to]) => to === parent).map(([b]) => b);
}

/**
 * Invariant 1. An instance whose parent set a roomId gets browser messages only from that room's
 * tabs, and its parent's sends (direct or held) reach only the tabs of the room it had when it sent:
 * in every mode, also as a brand-new host that has never seen a peer.
 */
export function checkOwnRoomOnly(model: ClassroomModel): string | undefined {
  const { servedAfter, viewAfter, deliveries } = model.record;
  for (const [b, to] of servedAfter) {
    const own = to === undefined ? undefined : viewAfter.get(to)?.roomId;
    if (own !== undefined && b.roomId !== own)
      return `${tabName(b)} reaches the parent of ${to}, whose roomId is ${own}`;
  }
  for (const d of deliveries) {
    const m = d.message;
    if (m.fromRoom !== undefined && d.browser.roomId !== m.fromRoom)
      return `send #${m.id} of ${m.from} (roomId ${m.fromRoom}) reached ${tabName(d.browser)}${d.held ? ' (held)' : ''}`;
  }
  return undefined;
}

/**
 * Invariant 2. Once more than one instance is involved (a peer connected to its host now or ever),
 * no parent is served by two roomIds at once (tabs of one room at most reach it, and each send
 * reaches one room's tabs at most) and no tab is served by two parents (the only parent whose sends
 * reach a tab is the one its messages reach).
 */
export function checkOneRoomOneParent(model: ClassroomModel): string | undefined {
  const { servedAfter, viewAfter, deliveries } = model.record;
  for (const [id, view] of viewAfter) {
    if (!view.cloud) continue;
    const rooms = new Set(tabsServing(servedAfter, id).map((b) => room(b.roomId)));
    if (rooms.size > 1) return `the parent of ${id}, in a cloud, is served by rooms ${[...rooms].join(', ')}`;
  }
  const roomsBySend = new Map<ModelMessage, Set<string>>();
  for (const d of deliveries) {
    const sender = d.message.from;
    const inCloud = d.message.fromCloud || viewAfter.get(sender)?.cloud === true;
    if (inCloud) {
      const rooms = roomsBySend.get(d.message) ?? new Set<string>();
      rooms.add(room(d.browser.roomId));
      roomsBySend.set(d.message, rooms);
      if (rooms.size > 1)
        return `send #${d.message.id} of ${sender}, in a cloud, reached rooms ${[...rooms].join(', ')}`;
    }
    if (d.held) continue;
    const servedBy = servedAfter.get(d.browser);
    if (servedBy !== sender)
      return `${tabName(d.browser)} gets the sends of ${sender} but its messages reach ${servedBy ?? 'nobody'}`;
  }
  return undefined;
}

/**
 * Invariant 3. A parent hears `connection` and `close` only for browsers it is actually served by:
 * never for a peer arriving or leaving, never for another room's tab, and never `close undefined`
 * except from a tab without a roomId leaving a roomless host that never was part of a cloud (the
 * original did that too). A `close` is for a room whose tab served it just before and which left or
 * stopped serving it; a `connection` for a room whose tab serves it right after.
 */
export function checkConnectionClose(model: ClassroomModel): string | undefined {
  const { heard, servedBefore, servedAfter, viewBefore, viewAfter, tabsLeft } = model.record;
  for (const h of heard) {
    if (h.type === 'error') continue;
    const what = `the parent of ${h.parent} heard ${h.type} ${room(h.roomId)}`;
    if (h.kind !== 'browser') return `${what} for a ${h.kind}`;
    // A close is judged by what was true before the step, a connection by what is true after it.
    const view = (h.type === 'close' ? viewBefore : viewAfter).get(h.parent);
    if (!view) return `${what} though it was not running`;
    if (view.roomId !== undefined && h.roomId !== view.roomId)
      return `${what}, another room's (its roomId is ${view.roomId})`;
    if (view.cloud && view.roomId === undefined) return `${what} while without a room in a cloud`;
    if (h.roomId === undefined && (view.cloud || view.role !== 'host'))
      return `${what}: undefined is only for a roomless single server's tab without roomId`;
    const served = (map: Map<ModelBrowser, string | undefined>) =>
      tabsServing(map, h.parent).some((b) => b.roomId === h.roomId);
    if (h.type === 'connection' && !served(servedAfter)) return `${what}, but no tab of that room serves it`;
    if (h.type === 'close') {
      if (!served(servedBefore)) return `${what}, but no tab of that room served it`;
      if (!tabsLeft.some((b) => b.roomId === h.roomId) && served(servedAfter))
        return `${what}, though no tab of that room left and one still serves it`;
    }
  }
  return undefined;
}

/**
 * Invariant 4. When the server cannot tell which room is an instance's own (no roomId while it is part
 * of a cloud), it serves none of the candidates: no tab's message reaches its parent and no send its
 * parent makes reaches a tab. (What it held before it joined a cloud: {@link checkNothingHeldForTheRoomless}.)
 */
export function checkNoGuessing(model: ClassroomModel): string | undefined {
  const { servedAfter, viewAfter, deliveries } = model.record;
  for (const [id, view] of viewAfter) {
    if (!view.cloud || view.roomId !== undefined) continue;
    const tabs = tabsServing(servedAfter, id);
    if (tabs.length > 0)
      return `the parent of ${id} has no roomId in a cloud, yet ${tabName(tabs[0] as ModelBrowser)} reaches it`;
  }
  for (const d of deliveries) {
    const m = d.message;
    if (m.fromRoom === undefined && m.fromCloud)
      return `send #${m.id} of ${m.from}, sent without a roomId in a cloud, reached ${tabName(d.browser)}${d.held ? ' (held)' : ''}`;
  }
  return undefined;
}

/**
 * Invariant 4 (and 2), for held messages: what a roomless single server's parent sent is handed out
 * only while it is still a single server, or later to its own room's tab once its parent named that
 * room. Once more than one instance is involved it cannot tell which other tab is its student's (its
 * parent is told ROOM_UNKNOWN), so what its hub held for another room's reloading tab has no tab it
 * may reach.
 */
export function checkNothingHeldForTheRoomless(model: ClassroomModel): string | undefined {
  const { viewAfter, deliveries } = model.record;
  for (const d of deliveries) {
    const m = d.message;
    const view = viewAfter.get(m.from);
    if (m.fromRoom === undefined && view?.cloud && d.browser.roomId !== view.roomId)
      return `send #${m.id} of ${m.from}, sent without a roomId, reached ${tabName(d.browser)}${d.held ? ' (held)' : ''} after its instance joined a cloud (sent at ${m.sentAt} ms while ${m.fromCloud ? 'in a cloud' : 'a single server'})`;
  }
  return undefined;
}

/**
 * Invariant 5. A single PC (never two instances at once) whose parent has sent no roomId keeps the
 * original's behaviour exactly: every tab's message reaches it, each send reaches every connected tab,
 * its parent hears `connection` for each tab that connects and `close` for each that leaves (with the
 * tab's roomId, undefined included) and nothing else, and no error. Held messages for a reloading tab
 * are the one addition (improved).
 */
export function checkSinglePc(model: ClassroomModel): string | undefined {
  if (model.maxAlive > 1) return undefined;
  const { servedAfter, viewBefore, viewAfter, deliveries, heard, sends, tabsArrived, tabsLeft } =
    model.record;
  const [id, view] = [...viewAfter][0] ?? [];
  if (id === undefined || !view || view.roomId !== undefined || viewBefore.get(id)?.roomId !== undefined)
    return undefined;
  for (const [b, to] of servedAfter)
    if (to !== id) return `single PC: ${tabName(b)} reaches ${to ?? 'nobody'}`;
  for (const m of sends) {
    const reached = deliveries.filter((d) => d.message === m && !d.held).map((d) => d.browser);
    for (const b of servedAfter.keys())
      if (reached.filter((r) => r === b).length !== 1)
        return `single PC: send #${m.id} did not reach ${tabName(b)} once`;
  }
  const expect = [
    ...tabsLeft.map((b) => `close ${room(b.roomId)}`),
    ...tabsArrived.map((b) => `connection ${room(b.roomId)}`),
  ].sort();
  const got = heard
    .map((h) => (h.type === 'error' ? `error ${h.code}` : `${h.type} ${room(h.roomId)}`))
    .sort();
  if (JSON.stringify(expect) !== JSON.stringify(got))
    return `single PC: the parent heard [${got.join('; ')}], the original would send [${expect.join('; ')}]`;
  return undefined;
}

/**
 * ROOM_UNKNOWN (src/entry-server.ts tellIfRoomUnknown): an instance left without a room (no roomId,
 * and a peer, or a host part of a cloud) is told so exactly once per role turn, and never while it
 * has a roomId or outside a cloud.
 */
export function checkRoomUnknown(model: ClassroomModel): string | undefined {
  for (const h of model.record.heard) {
    if (h.code !== 'ROOM_UNKNOWN') continue;
    if (h.parentRoomId !== undefined)
      return `the parent of ${h.parent} was told ROOM_UNKNOWN with roomId ${h.parentRoomId}`;
    const view = model.record.viewAfter.get(h.parent);
    if (view && !view.cloud) return `the parent of ${h.parent} was told ROOM_UNKNOWN outside a cloud`;
  }
  for (const inst of model.instances) {
    if (inst.state === 'detached') continue;
    const told = inst.heard.filter((h) => h.code === 'ROOM_UNKNOWN' && h.turn === inst.turn).length;
    if (told > 1) return `the parent of ${inst.id} was told ROOM_UNKNOWN ${told} times in one role turn`;
    const left = inst.parentRoomId === undefined && (inst.cloud || inst.state === 'peer');
    if (left && told === 0)
      return `${inst.state} ${inst.id} serves nobody (no roomId, in a cloud) and its parent was not told ROOM_UNKNOWN`;
  }
  return undefined;
}

/**
 * Claims (§4): a room claimed first by a connected peer is served by that peer only (its tabs reach
 * it, no other parent's send reaches them, and nothing held for them that was not sent for that room:
 * a room's first claim drops what a single server held for it), and the host's own room by the
 * host's parent.
 */
export function checkClaims(model: ClassroomModel): string | undefined {
  const { servedAfter, deliveries } = model.record;
  for (const [roomId, peerId] of model.firstClaim) {
    for (const [b, to] of servedAfter)
      if (b.roomId === roomId && to !== peerId)
        return `room ${roomId} was claimed first by ${peerId}, but ${tabName(b)} reaches ${to ?? 'nobody'}`;
    for (const d of deliveries) {
      if (d.browser.roomId !== roomId) continue;
      // Held: only what was sent for this room (by its peer, or another instance of the same room).
      if (d.held ? d.message.fromRoom !== roomId : d.message.from !== peerId)
        return `room ${roomId} was claimed first by ${peerId}, but send #${d.message.id} of ${d.message.from} (roomId ${room(d.message.fromRoom)}) reached ${tabName(d.browser)}${d.held ? ' (held)' : ''}`;
    }
  }
  const host = model.host;
  if (host?.parentRoomId !== undefined)
    for (const [b, to] of servedAfter)
      if (b.roomId === host.parentRoomId && to !== host.id)
        return `the host's own room ${host.parentRoomId} is served by ${to ?? 'nobody'} (${tabName(b)})`;
  return undefined;
}

/** The mailbox stays within its bounds. */
export function checkMailboxBounds(model: ClassroomModel): string | undefined {
  if (!model.hub) return undefined;
  const stats = model.hub.mailbox.stats();
  if (stats.keys > MAILBOX_LIMITS.maxKeys)
    return `mailbox holds ${stats.keys} keys (max ${MAILBOX_LIMITS.maxKeys})`;
  if (stats.messages > MAILBOX_LIMITS.maxKeys * MAILBOX_LIMITS.maxPerKey)
    return `mailbox holds ${stats.messages} messages`;
  for (const d of model.record.deliveries) {
    if (d.held && d.at - (d.heldAt ?? d.at) > MAILBOX_LIMITS.maxAgeMs)
      return `message #${d.message.id} handed out ${d.at - (d.heldAt ?? d.at)} ms after it was held`;
  }
  return undefined;
}

/** A parent's send reaches a tab, if at all, within 5 s of being sent (queued between hosts and held included). */
export function checkEndToEndAge(model: ClassroomModel): string | undefined {
  for (const d of model.record.deliveries) {
    if (d.at - d.message.sentAt > MAILBOX_LIMITS.maxAgeMs)
      return `send #${d.message.id} of ${d.message.from} reached ${tabName(d.browser)} ${d.at - d.message.sentAt} ms after it was sent`;
  }
  return undefined;
}

/**
 * Held messages only for a room whose tab was connected when the message was sent, or left less than
 * 5 s before (docs/PROTOCOL.md §4): a tab never gets what was sent before its room's tab was there.
 */
export function checkHeldOnlyForRecentRooms(model: ClassroomModel): string | undefined {
  for (const d of model.record.deliveries) {
    if (!d.held) continue;
    const sentAt = d.message.sentAt;
    const recent = model.browsers.some(
      (b) =>
        b.roomId === d.browser.roomId &&
        b.spans.some(([from, to]) => from <= sentAt && to >= sentAt - MAILBOX_LIMITS.maxAgeMs),
    );
    if (!recent)
      return `${tabName(d.browser)} was handed send #${d.message.id}, sent at ${sentAt} ms when no tab of that room had been connected in the 5 s before`;
  }
  return undefined;
}
