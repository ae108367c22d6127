// A socket-free model of a cloud PC classroom for the routing property tests (issue 12): the
// host's bookkeeping (members, peer claims, the reconnect mailbox) as HostHub keeps it, driven by
// the pure rules of src/routing/host-routing.ts and the real ReconnectMailbox, plus the events
// around it (instances joining and leaving, matchTarget claims, addRoomId, browsers coming and
// going, host failovers). `check*` functions state the invariants of docs/PROTOCOL.md §4–5 and
// return a description of the first violation, or undefined.
//
// The claim decision is one replaceable piece (`ClaimRule`): `currentClaimRule` mirrors what
// HostHub.matchPeer does today; when the rules move into a pure function in src/routing (issue 8),
// pass that instead.
import {
  isUnmatchedBrowser,
  type RoutingSnapshot,
  routeBrowserMessage,
  routeParentSend,
  routePeerMessage,
} from '../../src/routing/host-routing';
import { ReconnectMailbox } from '../../src/routing/reconnect-mailbox';

/** What a claim rule sees when a peer sends matchTarget. */
export interface ClaimContext {
  peerId: string;
  roomId: string;
  /** The host's own roomId, if any. */
  hostRoomId: string | undefined;
  /** The connected peer the room is mapped to now, if any (may be the claimant itself). */
  holder: string | undefined;
}
export type ClaimRule = (context: ClaimContext) => { accept: boolean };

/** HostHub.matchPeer today: every valid claim is taken, replacing whoever held the room. */
export const currentClaimRule: ClaimRule = () => ({ accept: true });

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
  /** Parent sends queued while detached (EntryServer's outbox). */
  outbox: ModelMessage[];
  /** How many times its parent sent addRoomId. */
  roomChanges: number;
}

export interface ModelBrowser {
  id: string;
  roomId: string | undefined;
  connected: boolean;
  /** Times this tab (this roomId) was connected: [from, to or Infinity]. */
  spans: [number, number][];
}

export const MAILBOX_LIMITS = { maxAgeMs: 5000, maxPerKey: 5, maxKeys: 3 } as const;

/** The host's hub state: what HostHub keeps in members, peerByRoom, everCloud and the mailbox. */
class HubModel {
  readonly peerRoom = new Map<string, string | undefined>();
  readonly peerByRoom = new Map<string, string>();
  readonly mailbox: ReconnectMailbox<{ message: ModelMessage; heldAt: number }>;
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
  /** When it went into the mailbox, for a held message. */
  heldAt?: number;
  held: boolean;
  at: number;
}

/**
 * The classroom. Apply steps with `apply`; deliveries of parent sends are collected in
 * `deliveries` (cleared by the caller after each check).
 *
 * @example
 * const model = new ClassroomModel(currentClaimRule);
 * model.apply({ type: 'addInstance', room: 0 });
 * model.apply({ type: 'browserConnect', room: 0 });
 * checkBrowserRouting(model); // undefined
 */
export class ClassroomModel {
  now = 0;
  readonly instances: ModelInstance[] = [];
  readonly browsers: ModelBrowser[] = [];
  hub: HubModel | undefined;
  /** Per contract (§5): the first connected claimant of each room on the current hub. */
  readonly firstClaim = new Map<string, string>();
  readonly deliveries: Delivery[] = [];
  /** Claims the rule refused (the contract's ROOM_CLAIMED). */
  refusedClaims = 0;
  private ids = 0;
  private messageIds = 0;

  constructor(private readonly claimRule: ClaimRule) {}

  get host(): ModelInstance | undefined {
    return this.instances.find((i) => i.state === 'host');
  }

  snapshot(): RoutingSnapshot {
    const hub = this.hub as HubModel;
    return {
      ownRoomId: this.host?.roomId,
      cloud: hub.peerRoom.size > 0 || hub.everCloud,
      peerForRoom: (roomId) => hub.peerByRoom.get(roomId),
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
          outbox: [],
          roomChanges: 0,
        };
        this.instances.push(inst);
        if (!this.hub) this.becomeHost(inst, false);
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
        inst.roomId = roomId;
        inst.roomChanges += 1;
        if (inst.state === 'peer') this.claim(inst, roomId);
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
        if (inst.state === 'detached') inst.outbox.push(message);
        else if (inst.state === 'peer') this.fromPeer(inst, message);
        else this.fromHostParent(hub, message);
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
        for (const b of this.connectedBrowsers()) this.disconnectBrowser(b);
        for (const inst of this.instances) inst.state = 'detached';
        this.hub = undefined;
        this.firstClaim.clear();
        const successor = pickInstance(step.successor);
        if (successor) this.becomeHost(successor, true);
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

  private becomeHost(inst: ModelInstance, everCloud: boolean): void {
    inst.state = 'host';
    const hub = new HubModel(inst.id, everCloud, () => this.now);
    this.hub = hub;
    for (const m of inst.outbox.splice(0)) this.fromHostParent(hub, m);
  }

  /** PeerLink.connect: connect, matchTarget with the current roomId, then the outbox drains. */
  private joinAsPeer(inst: ModelInstance): void {
    const hub = this.hub as HubModel;
    inst.state = 'peer';
    hub.peerRoom.set(inst.id, undefined);
    hub.everCloud = true;
    if (inst.roomId !== undefined) this.claim(inst, inst.roomId);
    for (const m of inst.outbox.splice(0)) this.fromPeer(inst, m);
  }

  /** HostHub.matchPeer with the claim rule, plus the contract's record of first claims. */
  private claim(inst: ModelInstance, roomId: string): void {
    const hub = this.hub as HubModel;
    const holder = hub.peerByRoom.get(roomId);
    const contractAccepts =
      roomId !== this.host?.roomId && (this.firstClaim.get(roomId) ?? inst.id) === inst.id;
    if (contractAccepts) {
      for (const [room, peer] of this.firstClaim) if (peer === inst.id) this.firstClaim.delete(room);
      this.firstClaim.set(roomId, inst.id);
    }
    if (!this.claimRule({ peerId: inst.id, roomId, hostRoomId: this.host?.roomId, holder }).accept) {
      this.refusedClaims += 1;
      return;
    }
    const previous = hub.peerRoom.get(inst.id);
    if (previous !== undefined && hub.peerByRoom.get(previous) === inst.id) hub.peerByRoom.delete(previous);
    hub.peerRoom.set(inst.id, roomId);
    hub.peerByRoom.set(roomId, inst.id);
  }

  private removePeer(inst: ModelInstance): void {
    const hub = this.hub as HubModel;
    const roomId = hub.peerRoom.get(inst.id);
    hub.peerRoom.delete(inst.id);
    if (roomId !== undefined && hub.peerByRoom.get(roomId) === inst.id) hub.peerByRoom.delete(roomId);
    for (const [room, peer] of this.firstClaim) if (peer === inst.id) this.firstClaim.delete(room);
  }

  private fromPeer(inst: ModelInstance, message: ModelMessage): void {
    const hub = this.hub as HubModel;
    message.roomChangedBeforeRouting = inst.roomChanges !== message.fromRoomChanges;
    const route = routePeerMessage(hub.peerRoom.get(inst.id));
    if (route.to === 'room') this.deliverToRoom(hub, route.roomId, message);
  }

  /** HostHub.deliverFromParent. */
  private fromHostParent(hub: HubModel, message: ModelMessage): void {
    const snapshot = this.snapshot();
    // Decided when the host routes it (a send queued as a peer may be routed by it as the host).
    message.roomlessHost = this.host?.roomId === undefined;
    message.roomChangedBeforeRouting = (this.host?.roomChanges ?? 0) !== message.fromRoomChanges;
    message.single = !snapshot.cloud;
    const route = routeParentSend(snapshot);
    if (route.to === 'room') return this.deliverToRoom(hub, route.roomId, message);
    const targets =
      route.to === 'all-browsers'
        ? this.connectedBrowsers()
        : this.connectedBrowsers().filter((b) => isUnmatchedBrowser(snapshot, b.roomId));
    if (targets.length === 0) {
      const own = this.host?.roomId;
      hub.mailbox.hold(own === undefined ? 'unmatched' : `room:${own}`, { message, heldAt: this.now });
    }
    for (const browser of targets) this.deliveries.push({ message, browser, held: false, at: this.now });
  }

  private deliverToRoom(hub: HubModel, roomId: string, message: ModelMessage): void {
    const inRoom = this.connectedBrowsers().filter((b) => b.roomId === roomId);
    if (inRoom.length === 0) hub.mailbox.hold(`room:${roomId}`, { message, heldAt: this.now });
    for (const browser of inRoom) this.deliveries.push({ message, browser, held: false, at: this.now });
  }

  /** HostHub.addBrowser: join, then take what is held for it. */
  private connectBrowser(browser: ModelBrowser): void {
    const hub = this.hub;
    if (!hub) return;
    browser.connected = true;
    browser.spans.push([this.now, Number.POSITIVE_INFINITY]);
    const held: { message: ModelMessage; heldAt: number }[] = [];
    if (browser.roomId !== undefined) held.push(...hub.mailbox.take(`room:${browser.roomId}`));
    if (isUnmatchedBrowser(this.snapshot(), browser.roomId)) held.push(...hub.mailbox.take('unmatched'));
    for (const { message, heldAt } of held)
      this.deliveries.push({ message, browser, held: true, heldAt, at: this.now });
  }

  private disconnectBrowser(browser: ModelBrowser): void {
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
