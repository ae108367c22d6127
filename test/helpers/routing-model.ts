// A socket-free model of a cloud PC classroom for the routing property tests (issue 12): the
// host's bookkeeping as HostHub keeps it (members, peer claims, rooms claimed before, recent
// departures, the reconnect mailbox) and each instance's outbox as EntryServer keeps it, driven by
// the code's own rules: routing from src/routing/host-routing.ts, the claim decision and the
// claimed-rooms memory from src/routing/room-claims.ts, the held-message rule and departures from
// src/routing/held-messages.ts, the real ReconnectMailbox and PeerOutbox. Around them it plays the
// events (instances joining and leaving, matchTarget claims, addRoomId, browsers coming and
// going, host failovers). `check*` functions state the invariants of docs/PROTOCOL.md §4–5
// against the model's own record of what happened, and return the first violation, or undefined.
//
// What the model still writes itself is only HostHub's and EntryServer's glue (which decision is
// asked when, with which facts); keep it in step with those two files.
import {
  type HoldKey,
  holdKey,
  RECONNECT_WINDOW_MS,
  RecentDepartures,
} from '../../src/routing/held-messages';
import {
  isUnmatchedBrowser,
  type RoutingSnapshot,
  routeBrowserMessage,
  routeParentSend,
  routePeerMessage,
} from '../../src/routing/host-routing';
import { PeerOutbox } from '../../src/routing/peer-outbox';
import { ReconnectMailbox } from '../../src/routing/reconnect-mailbox';
import {
  ClaimedRooms,
  decideRoomClaim,
  type RoomClaimDecision,
  type RoomClaimFacts,
} from '../../src/routing/room-claims';

/**
 * The claim decision HostHub.matchPeer asks: `decideRoomClaim` by default. Replaceable only so
 * the tests can show that the checks catch a wrong rule (the code before issue 8 took every claim).
 */
export type ClaimRule = (facts: RoomClaimFacts) => RoomClaimDecision;

/** A message a parent sent, as the model tracks it. */
export interface ModelMessage {
  id: number;
  /** The sending instance. */
  from: string;
  /** The sender's roomId when it sent. */
  fromRoom: string | undefined;
  /** The sender's `roomChanges` when it sent. */
  fromRoomChanges: number;
  /** Its parent sent addRoomId between the send and the routing (it waited in the outbox). */
  roomChangedBeforeRouting?: boolean;
  /** Routed by the host's hub as its own parent's send while the host had no roomId. */
  roomlessHost: boolean;
  /** Routed while the host routed without rooms (single-server mode: compat broadcast). */
  single: boolean;
  sentAt: number;
}

export interface ModelInstance {
  id: string;
  roomId: string | undefined;
  /** 'detached' after a failover until it rejoins the new host. */
  state: 'host' | 'peer' | 'detached';
  /** Parent sends queued while detached (EntryServer's ParentOutbox, the real PeerOutbox). */
  outbox: PeerOutbox<ModelMessage>;
  /** How many times its parent sent a new roomId. */
  roomChanges: number;
  /** As a peer: its room's browsers, from the host's roomConnection / roomClose (PeerRole.ownRoomBrowsers). */
  ownRoomBrowsers: number;
  /** HostLossRecord (cloud/host-loss.ts): when the host was lost while its room had a browser. */
  browserLeftAt: number | undefined;
}

export interface ModelBrowser {
  id: string;
  roomId: string | undefined;
  connected: boolean;
  /** Times this tab (this roomId) was connected: [from, to or Infinity]. */
  spans: [number, number][];
}

export const MAILBOX_LIMITS = { maxAgeMs: RECONNECT_WINDOW_MS, maxPerKey: 5, maxKeys: 3 } as const;

interface HeldModelMessage {
  message: ModelMessage;
  /** When it went into the mailbox, minus how long it waited in an outbox before (the mailbox's age). */
  heldAt: number;
}

/** The host's hub state: what HostHub keeps in members, peerByRoom, claimed, departures, everCloud and the mailbox. */
class HubModel {
  readonly peerRoom = new Map<string, string | undefined>();
  readonly peerByRoom = new Map<string, string>();
  readonly claimed = new ClaimedRooms();
  readonly departures = new RecentDepartures();
  readonly mailbox: ReconnectMailbox<HeldModelMessage, HoldKey>;
  everCloud: boolean;

  constructor(
    readonly hostId: string,
    everCloud: boolean,
    now: () => number,
  ) {
    this.everCloud = everCloud;
    this.mailbox = new ReconnectMailbox({ ...MAILBOX_LIMITS, now });
  }
}

export type Step =
  | { type: 'addInstance'; room: number }
  | { type: 'leave'; instance: number }
  | { type: 'addRoomId'; instance: number; room: number }
  | { type: 'parentSend'; instance: number }
  | { type: 'browserConnect'; room: number }
  | { type: 'browserLeave'; browser: number }
  | { type: 'browserReconnect'; browser: number }
  | { type: 'failover'; successor: number }
  | { type: 'rejoin'; instance: number }
  | { type: 'tick'; ms: number };

/** roomIds the steps pick from; -1 means none. Few, so claims and rooms collide often. */
export const ROOMS = ['r0', 'r1', 'r2', 'r3'] as const;
const roomOf = (index: number): string | undefined => (index < 0 ? undefined : ROOMS[index % ROOMS.length]);

/** A delivery the model observed: which browser received which message (directly or held). */
export interface Delivery {
  message: ModelMessage;
  browser: ModelBrowser;
  /** When it went into the mailbox (its age start), for a held message. */
  heldAt?: number;
  held: boolean;
  at: number;
}

/**
 * The classroom. Apply steps with `apply`; deliveries of parent sends are collected in
 * `deliveries` (cleared by the caller after each check).
 *
 * @example
 * const model = new ClassroomModel();
 * model.apply({ type: 'addInstance', room: 0 });
 * model.apply({ type: 'browserConnect', room: 0 });
 * checkBrowserRouting(model); // undefined
 */
export class ClassroomModel {
  now = 0;
  readonly instances: ModelInstance[] = [];
  readonly browsers: ModelBrowser[] = [];
  hub: HubModel | undefined;
  /**
   * The contract's own record (§4–5), kept apart from the code's: the first connected claimant of
   * each room on the current hub. A later claim, and a claim of the host's roomId, do not enter
   * it; the host's parent naming a room takes it out (the host's room wins).
   */
  readonly firstClaim = new Map<string, string>();
  readonly deliveries: Delivery[] = [];
  /** Claims refused (ROOM_CLAIMED to the peer's parent), including the host taking a room. */
  refusedClaims = 0;
  /** Queued sends dropped: on a roomId change, and older than the window when drained. */
  droppedQueued = 0;
  /** Instances that have been peers (ElectionRunner.everCloud: as host they start in cloud routing). */
  private readonly wasPeer = new Set<string>();
  private ids = 0;
  private messageIds = 0;

  constructor(private readonly claimRule: ClaimRule = decideRoomClaim) {}

  get host(): ModelInstance | undefined {
    return this.instances.find((i) => i.state === 'host');
  }

  /** HostHub.snapshot. */
  snapshot(): RoutingSnapshot {
    const hub = this.hub as HubModel;
    return {
      ownRoomId: this.host?.roomId,
      cloud: hub.peerRoom.size > 0 || hub.everCloud,
      peerForRoom: (roomId) => hub.peerByRoom.get(roomId),
      claimedBefore: (roomId) => hub.claimed.has(roomId),
    };
  }

  connectedBrowsers(): ModelBrowser[] {
    return this.browsers.filter((b) => b.connected);
  }

  apply(step: Step): void {
    const pickInstance = (n: number) =>
      this.instances.length ? this.instances[n % this.instances.length] : undefined;
    const pickBrowser = (n: number) =>
      this.browsers.length ? this.browsers[n % this.browsers.length] : undefined;
    switch (step.type) {
      case 'addInstance': {
        this.ids += 1;
        const inst: ModelInstance = {
          id: `i${this.ids}`,
          roomId: roomOf(step.room),
          state: 'detached',
          outbox: new PeerOutbox(),
          roomChanges: 0,
          ownRoomBrowsers: 0,
          browserLeftAt: undefined,
        };
        this.instances.push(inst);
        if (!this.hub) this.becomeHost(inst);
        else this.joinAsPeer(inst);
        return;
      }
      case 'leave': {
        const inst = pickInstance(step.instance);
        if (!inst) return;
        if (inst.state === 'host') return this.apply({ type: 'failover', successor: step.instance + 1 });
        this.instances.splice(this.instances.indexOf(inst), 1);
        if (inst.state === 'peer') this.removePeer(inst);
        return;
      }
      case 'addRoomId': {
        const inst = pickInstance(step.instance);
        const roomId = roomOf(step.room);
        if (!inst || roomId === undefined) return;
        // EntryServer.addRoomId.
        if (roomId !== inst.roomId) {
          inst.roomChanges += 1;
          inst.ownRoomBrowsers = 0;
          inst.browserLeftAt = undefined;
          if (inst.outbox.length > 0) this.droppedQueued += inst.outbox.roomChanged();
        }
        inst.roomId = roomId;
        if (inst.state === 'peer') this.claim(inst, roomId, undefined);
        if (inst.state === 'host') this.hostRoomChanged(roomId);
        return;
      }
      case 'parentSend': {
        const inst = pickInstance(step.instance);
        if (!inst) return;
        const hub = this.hub as HubModel;
        this.messageIds += 1;
        const message: ModelMessage = {
          id: this.messageIds,
          from: inst.id,
          fromRoom: inst.roomId,
          fromRoomChanges: inst.roomChanges,
          roomlessHost: false,
          single: false,
          sentAt: this.now,
        };
        if (inst.state === 'detached') inst.outbox.push(message, this.now);
        else if (inst.state === 'peer') this.fromPeer(inst, message, 0);
        else this.fromHostParent(hub, message, 0);
        return;
      }
      case 'browserConnect': {
        this.ids += 1;
        const browser: ModelBrowser = {
          id: `b${this.ids}`,
          roomId: roomOf(step.room),
          connected: false,
          spans: [],
        };
        this.browsers.push(browser);
        this.connectBrowser(browser);
        return;
      }
      case 'browserLeave': {
        const browser = pickBrowser(step.browser);
        if (browser?.connected) this.disconnectBrowser(browser);
        return;
      }
      case 'browserReconnect': {
        const browser = pickBrowser(step.browser);
        if (!browser || !this.hub) return;
        if (browser.connected) this.disconnectBrowser(browser);
        this.connectBrowser(browser);
        return;
      }
      case 'failover': {
        const old = this.host;
        if (!old) return;
        this.instances.splice(this.instances.indexOf(old), 1);
        // The old host's process is gone: its browsers are cut off with it (no hub to record it).
        for (const b of this.connectedBrowsers()) this.endSpan(b);
        for (const inst of this.instances) {
          // ElectionRunner's 'lost' handler (only an instance linked to the host has one).
          if (inst.state === 'peer') {
            inst.browserLeftAt = inst.ownRoomBrowsers > 0 ? this.now : undefined;
            inst.ownRoomBrowsers = 0;
          }
          inst.state = 'detached';
        }
        this.hub = undefined;
        this.firstClaim.clear();
        const successor = pickInstance(step.successor);
        if (successor) this.becomeHost(successor);
        return;
      }
      case 'rejoin': {
        const inst = pickInstance(step.instance);
        if (inst?.state === 'detached' && this.hub) this.joinAsPeer(inst);
        return;
      }
      case 'tick':
        this.now += step.ms;
        return;
    }
  }

  /** ElectionRunner.listen + EntryServer.settleRole: a hub that holds for its own room's tab after a loss. */
  private becomeHost(inst: ModelInstance): void {
    inst.state = 'host';
    const hub = new HubModel(inst.id, this.wasPeer.has(inst.id), () => this.now);
    if (inst.browserLeftAt !== undefined && inst.roomId !== undefined)
      hub.departures.left(holdKey(inst.roomId), inst.browserLeftAt);
    inst.browserLeftAt = undefined;
    this.hub = hub;
    for (const { value, queuedMs } of this.drain(inst)) this.fromHostParent(hub, value, queuedMs);
  }

  /** ParentOutbox.handTo. */
  private drain(inst: ModelInstance): { value: ModelMessage; queuedMs: number }[] {
    const { fresh, expired } = inst.outbox.drain(this.now);
    this.droppedQueued += expired;
    return fresh;
  }

  /** ElectionRunner.join (PeerLink.connect) + EntryServer.settleRole: connect, matchTarget with the current roomId, then the outbox drains. */
  private joinAsPeer(inst: ModelInstance): void {
    const hub = this.hub as HubModel;
    inst.state = 'peer';
    inst.ownRoomBrowsers = 0;
    this.wasPeer.add(inst.id);
    hub.peerRoom.set(inst.id, undefined);
    hub.everCloud = true;
    // HostLossRecord.claimFields: the age of the loss, only within the window.
    const lossAge = inst.browserLeftAt === undefined ? undefined : this.now - inst.browserLeftAt;
    const leftMsAgo = lossAge !== undefined && lossAge < RECONNECT_WINDOW_MS ? lossAge : undefined;
    if (inst.roomId !== undefined) this.claim(inst, inst.roomId, leftMsAgo);
    inst.browserLeftAt = undefined;
    for (const { value, queuedMs } of this.drain(inst)) this.fromPeer(inst, value, queuedMs);
  }

  /** HostHub.matchPeer with the claim rule, beside the contract's record of first claims. */
  private claim(inst: ModelInstance, roomId: string, browserLeftMsAgo: number | undefined): void {
    const hub = this.hub as HubModel;
    const contractAccepts =
      roomId !== this.host?.roomId && (this.firstClaim.get(roomId) ?? inst.id) === inst.id;
    // A peer that claims a roomId gives up its old one, whether or not the new claim is granted.
    for (const [room, peer] of this.firstClaim)
      if (peer === inst.id && room !== roomId) this.firstClaim.delete(room);
    if (contractAccepts) this.firstClaim.set(roomId, inst.id);
    const decision = this.claimRule({
      roomId,
      claimant: inst.id,
      holder: hub.peerByRoom.get(roomId),
      hostRoomId: this.host?.roomId,
    });
    const previous = hub.peerRoom.get(inst.id);
    if (previous !== roomId || !decision.grant) {
      if (previous !== undefined && hub.peerByRoom.get(previous) === inst.id) hub.peerByRoom.delete(previous);
      hub.peerRoom.set(inst.id, undefined);
    }
    if (!decision.grant) {
      this.refusedClaims += 1;
      inst.ownRoomBrowsers = 0; // PeerRole's claimRefused handler
      return;
    }
    hub.peerRoom.set(inst.id, roomId);
    hub.peerByRoom.set(roomId, inst.id);
    if (!hub.claimed.has(roomId)) hub.mailbox.take(holdKey(roomId));
    hub.claimed.add(roomId);
    const browsers = this.browsersIn(roomId);
    if (browserLeftMsAgo !== undefined && browsers === 0)
      hub.departures.left(holdKey(roomId), this.now - browserLeftMsAgo);
    if (browsers > 0) inst.ownRoomBrowsers = browsers;
  }

  /** HostHub.ownRoomIdChanged: the host's room wins; the peer holding it loses it (ROOM_CLAIMED). */
  private hostRoomChanged(roomId: string): void {
    const hub = this.hub as HubModel;
    this.firstClaim.delete(roomId);
    const holder = hub.peerByRoom.get(roomId);
    if (holder === undefined) return;
    hub.peerByRoom.delete(roomId);
    hub.peerRoom.set(holder, undefined);
    this.refusedClaims += 1;
    const peer = this.instances.find((i) => i.id === holder);
    if (peer) peer.ownRoomBrowsers = 0;
  }

  private removePeer(inst: ModelInstance): void {
    const hub = this.hub as HubModel;
    const roomId = hub.peerRoom.get(inst.id);
    hub.peerRoom.delete(inst.id);
    if (roomId !== undefined && hub.peerByRoom.get(roomId) === inst.id) hub.peerByRoom.delete(roomId);
    for (const [room, peer] of this.firstClaim) if (peer === inst.id) this.firstClaim.delete(room);
  }

  /** The connected peer instance holding a room's claim, if any. */
  private holderOf(roomId: string | undefined): ModelInstance | undefined {
    if (roomId === undefined) return undefined;
    const id = this.hub?.peerByRoom.get(roomId);
    return id === undefined ? undefined : this.instances.find((i) => i.id === id);
  }

  private browsersIn(roomId: string | undefined): number {
    return this.connectedBrowsers().filter((b) => b.roomId === roomId).length;
  }

  /** HostHub's peer `message` handler. */
  private fromPeer(inst: ModelInstance, message: ModelMessage, queuedMs: number): void {
    const hub = this.hub as HubModel;
    message.roomChangedBeforeRouting = inst.roomChanges !== message.fromRoomChanges;
    const route = routePeerMessage(hub.peerRoom.get(inst.id));
    if (route.to === 'room') this.deliverToRoom(hub, route.roomId, message, queuedMs);
  }

  /** HostHub.deliverFromParent. */
  private fromHostParent(hub: HubModel, message: ModelMessage, queuedMs: number): void {
    const snapshot = this.snapshot();
    // Decided when the host routes it (a send queued as a peer may be routed by it as the host).
    message.roomlessHost = this.host?.roomId === undefined;
    message.roomChangedBeforeRouting = (this.host?.roomChanges ?? 0) !== message.fromRoomChanges;
    message.single = !snapshot.cloud;
    const route = routeParentSend(snapshot);
    if (route.to === 'room') return this.deliverToRoom(hub, route.roomId, message, queuedMs);
    const eligible =
      route.to === 'all-browsers'
        ? () => true
        : (roomId: string | undefined) => isUnmatchedBrowser(snapshot, roomId);
    for (const browser of this.connectedBrowsers())
      if (eligible(browser.roomId)) this.deliveries.push({ message, browser, held: false, at: this.now });
    for (const key of hub.departures.keysWithinWindow(this.now, this.now - queuedMs)) {
      if (eligible(key === 'no-room' ? undefined : key.slice('room:'.length)))
        hub.mailbox.hold(key, { message, heldAt: this.now - queuedMs }, queuedMs);
    }
  }

  /** HostHub.deliverToRoom + holdIfReturning. */
  private deliverToRoom(hub: HubModel, roomId: string, message: ModelMessage, queuedMs: number): void {
    const inRoom = this.connectedBrowsers().filter((b) => b.roomId === roomId);
    for (const browser of inRoom) this.deliveries.push({ message, browser, held: false, at: this.now });
    const key = holdKey(roomId);
    if (inRoom.length === 0 && hub.departures.isWithinWindow(key, this.now, this.now - queuedMs))
      hub.mailbox.hold(key, { message, heldAt: this.now - queuedMs }, queuedMs);
  }

  /** HostHub.addBrowser: join, take what is held for its key, tell the room's peer. */
  private connectBrowser(browser: ModelBrowser): void {
    const hub = this.hub;
    if (!hub) return;
    browser.connected = true;
    browser.spans.push([this.now, Number.POSITIVE_INFINITY]);
    const key = holdKey(browser.roomId);
    hub.departures.arrived(key, this.now);
    for (const { message, heldAt } of hub.mailbox.take(key))
      this.deliveries.push({ message, browser, held: true, heldAt, at: this.now });
    const holder = this.holderOf(browser.roomId);
    if (holder) holder.ownRoomBrowsers = this.browsersIn(browser.roomId);
  }

  /** HostHub.remove for a browser. */
  private disconnectBrowser(browser: ModelBrowser): void {
    const hub = this.hub as HubModel;
    this.endSpan(browser);
    const left = this.browsersIn(browser.roomId);
    if (left === 0) hub.departures.left(holdKey(browser.roomId), this.now);
    const holder = this.holderOf(browser.roomId);
    if (holder) holder.ownRoomBrowsers = left;
  }

  private endSpan(browser: ModelBrowser): void {
    browser.connected = false;
    const span = browser.spans[browser.spans.length - 1];
    if (span) span[1] = this.now;
  }
}

// ---------------------------------------------------------------------------------------------
// Invariants. Each returns the first violation, described, or undefined.

/**
 * A browser's message reaches at most one parent, and only its own room's, or the host's own
 * when the host serves it (the host has no roomId and no peer claimed the browser's room, or the
 * host routes without rooms: single-server compat).
 */
export function checkBrowserRouting(model: ClassroomModel): string | undefined {
  if (!model.hub) return undefined;
  const snapshot = model.snapshot();
  const host = model.host as ModelInstance;
  for (const b of model.connectedBrowsers()) {
    const route = routeBrowserMessage(snapshot, b.roomId);
    if (route.to === 'drop') continue;
    const receiver =
      route.to === 'parent' ? host : model.instances.find((i) => i.id === route.peerId && i.state === 'peer');
    if (!receiver)
      return `browser ${b.id} (room ${b.roomId}) is routed to ${JSON.stringify(route)}, which is not a connected peer`;
    if (receiver.roomId !== undefined && receiver.roomId === b.roomId) continue;
    if (
      receiver === host &&
      (!snapshot.cloud || (host.roomId === undefined && isUnmatchedBrowser(snapshot, b.roomId)))
    )
      continue;
    return `browser ${b.id} of room ${b.roomId} reaches ${receiver.state} ${receiver.id} of room ${receiver.roomId}`;
  }
  return undefined;
}

/**
 * A parent's send reaches only browsers of its own room (at send time), or unclaimed browsers
 * for a host without roomId, or every browser while the host routes without rooms (compat);
 * held messages included.
 */
export function checkParentDeliveries(model: ClassroomModel): string | undefined {
  return parentDeliveryProblem(model, false);
}

/**
 * The same for the sends whose parent kept its roomId from the send to the delivery: a peer's
 * sends queued between hosts before its parent changed roomId are left out (see the strict check).
 */
export function checkParentDeliveriesSameRoom(model: ClassroomModel): string | undefined {
  return parentDeliveryProblem(model, true);
}

function parentDeliveryProblem(model: ClassroomModel, skipRoomChanged: boolean): string | undefined {
  const snapshot = model.hub ? model.snapshot() : undefined;
  for (const d of model.deliveries) {
    const m = d.message;
    if (skipRoomChanged && m.roomChangedBeforeRouting) continue;
    if (m.fromRoom !== undefined && m.fromRoom === d.browser.roomId) continue;
    if (m.single) continue;
    if (m.roomlessHost && snapshot && isUnmatchedBrowser(snapshot, d.browser.roomId)) continue;
    return `message #${m.id} from ${m.from} (room ${m.fromRoom}) reached browser ${d.browser.id} of room ${d.browser.roomId}${d.held ? ' from the mailbox' : ''}`;
  }
  return undefined;
}

/**
 * A room claimed first by a connected peer (docs/PROTOCOL.md §5: the first matchTarget wins while
 * that peer stays connected; no peer may claim the host's own roomId) is served by nobody else:
 * its browsers reach only that peer, and no other parent's send reaches them.
 */
export function checkClaims(model: ClassroomModel): string | undefined {
  if (!model.hub) return undefined;
  const snapshot = model.snapshot();
  const host = model.host as ModelInstance;
  for (const [roomId, peerId] of model.firstClaim) {
    const route = routeBrowserMessage(snapshot, roomId);
    if (!(route.to === 'peer' && route.peerId === peerId) && route.to !== 'drop')
      return `room ${roomId} was claimed first by ${peerId}, but its browsers reach ${route.to === 'peer' ? route.peerId : 'the host'}`;
    const hostSend = routeParentSend(snapshot);
    if (hostSend.to === 'room' && hostSend.roomId === roomId)
      return `room ${roomId} was claimed first by ${peerId}, but the host (roomId ${host.roomId}) sends to it`;
    for (const [otherPeer, otherRoom] of model.hub.peerRoom) {
      if (otherPeer !== peerId && otherRoom === roomId)
        return `room ${roomId} was claimed first by ${peerId}, but ${otherPeer}'s sends reach it`;
    }
  }
  const own = host.roomId;
  if (own !== undefined && snapshot.peerForRoom(own) !== undefined)
    return `the host's own room ${own} is served by peer ${snapshot.peerForRoom(own)}`;
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
  for (const d of model.deliveries) {
    if (d.held && d.at - (d.heldAt ?? d.at) > MAILBOX_LIMITS.maxAgeMs)
      return `message #${d.message.id} handed out ${d.at - (d.heldAt ?? d.at)} ms after it was held`;
  }
  return undefined;
}

/**
 * A parent's send reaches a browser, if at all, within the mailbox's age (5 s) of being sent:
 * time queued on a peer between hosts plus time held on the host.
 */
export function checkEndToEndAge(model: ClassroomModel): string | undefined {
  for (const d of model.deliveries) {
    if (d.at - d.message.sentAt > MAILBOX_LIMITS.maxAgeMs)
      return `message #${d.message.id} from ${d.message.from} reached browser ${d.browser.id} ${d.at - d.message.sentAt} ms after it was sent`;
  }
  return undefined;
}

/**
 * Held messages only for a room whose browser was connected and left less than 5 s before the
 * message was held (docs/PROTOCOL.md §4): a tab that was not connected in that time receives
 * nothing sent before it connected.
 */
export function checkHeldOnlyForRecentRooms(model: ClassroomModel): string | undefined {
  for (const d of model.deliveries) {
    if (!d.held) continue;
    const sentAt = d.message.sentAt;
    const recent = model.browsers.some(
      (b) =>
        b.roomId === d.browser.roomId &&
        b.spans.some(([from, to]) => from <= sentAt && to >= sentAt - MAILBOX_LIMITS.maxAgeMs),
    );
    if (!recent)
      return `browser ${d.browser.id} of room ${d.browser.roomId} was handed message #${d.message.id}, held at ${sentAt} ms when no browser of that room had been connected in the 5 s before`;
  }
  return undefined;
}
