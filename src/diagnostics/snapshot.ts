// The support bundle: builds the versioned JSON (`schema`, SCHEMA_VERSION below) behind
// `GET /diagnostics.json` and the page, from a narrow DiagnosticsSource the server implements.
// Only masked roomIds, loopback addresses and scrubbed, truncated log text leave this module: no
// host name, user name, home path, MAC, other IP address or message contents.
import { release } from 'node:os';
import type { HubFacts } from '../contracts/hub-facts';
import { type DeviceReport, emptyPeerReport, type PeerReport } from '../contracts/peer-report';
import { routeBrowserMessage, withoutRoom } from '../routing/host-routing';
import type { PairingGap } from '../routing/session-pairing';
import { type CheckResult, checkCertificate, checkPort, type DnsChecker } from './checks';
import { maskRoomId } from './mask';
import type { Problem, Refusals } from './problems';
import type { DropReason, RoomStats, RoomTraffic } from './room-stats';

/**
 * Version of the bundle's shape; bump when a field changes meaning or goes away.
 * 2 (routing safety, docs/PROTOCOL.md §4 "Who is served by whom"): a room's `state` is `ok` only
 * where the serving instance's parent gave that roomId; rooms a single PC's roomless host serves
 * are `single-pc` or `single-pc-several-rooms` (were `ok`); `instance-without-room` is also the
 * host's (`instance: 'host'`); new state `room-taken` with `askedRoom`.
 * 3 (hardening of claims, limits and logs): `problems` no longer holds refused outside input
 * (foreign Hosts and Origins, failed TLS handshakes, …): that is counted by kind in the new
 * `refusals`; a problem has a `count`.
 */
export const SCHEMA_VERSION = 3;

/** What only the server object knows. */
export interface ServerFacts {
  version: string;
  port: number;
  runningMode: number | undefined;
  cloudMode: number | undefined;
  tlsActive: boolean;
  certificateNotAfter: Date | undefined;
  plainOnlyByOption: boolean;
  /** Present while this instance is the host. */
  hub: HubFacts | undefined;
}

/** The narrow interface EntryServer implements for the diagnostics. */
export interface DiagnosticsSource {
  diagnosticsFacts(): ServerFacts;
}

/**
 * What a row says (docs/PROTOCOL.md §3). `ok` only where the pair is certain: the room is served by
 * an instance whose parent gave that roomId (the host's own, or a peer's granted claim).
 */
export type RoomState =
  /** Tabs served by the Entry HW its parent said is theirs. */
  | 'ok'
  /** A single PC: the only Entry HW, without a roomId, serves every tab, and they are of one room. */
  | 'single-pc'
  /** The same, with tabs of two or more rooms: one person with two browsers, or a shared PC. */
  | 'single-pc-several-rooms'
  | 'device-failed'
  /** Tabs no instance serves: no Entry HW here has their roomId. */
  | 'no-instance'
  | 'no-browser'
  | 'browser-left'
  /** An instance (host or peer) with no roomId while rooms decide routing: it serves nobody. */
  | 'instance-without-room'
  /** A peer whose claim was refused (another instance held the room, or it is the host's). */
  | 'room-taken';

export interface RoomRow {
  /** First three characters of the roomId and `…`; null for browsers or instances without one. */
  room: string | null;
  state: RoomState;
  /** Which Entry HW serves the room (or, for the two roomless states, which one the row is about). */
  instance: 'host' | 'peer' | null;
  instanceVersion: string | null;
  device: { state: 'connected' | 'failed' | 'not-reported'; moduleId: string | null; at: string | null };
  browsers: number;
  browserLeftSecondsAgo: number | null;
  messagesPerSecond: { fromBrowser: number; toBrowser: number };
  messagesTotal: { fromBrowser: number; toBrowser: number };
  held: number;
  dropped: { reason: DropReason; count: number }[];
  /** `room-taken`: the masked roomId the peer asked for; null otherwise. */
  askedRoom: string | null;
  /**
   * How the room's tabs were paired (docs/PROTOCOL.md §4): `room-id` (its Entry HW gave the roomId),
   * `os-session` (the one Entry HW of the tabs' OS session), `single-pc` (a single PC's host serves
   * every tab), `none` (with `gap`, why not); null on rows of an instance without a room.
   */
  pairing: { kind: 'room-id' | 'os-session' | 'single-pc' | 'none'; gap: PairingGap | null } | null;
}

export interface DiagnosticsSnapshot {
  schema: typeof SCHEMA_VERSION;
  generatedAt: string;
  server: {
    name: 'entry-hw-server';
    version: string;
    node: string;
    platform: string;
    uptimeSeconds: number;
    port: number;
    role: 'host' | 'peer' | 'starting';
    cloudMode: 'single' | 'cloud' | null;
    tls: { on: boolean; notAfter: string | null; daysLeft: number | null };
    plainWs: boolean;
    browsers: number;
    peers: number;
    roomCounting: boolean;
  };
  checks: CheckResult[];
  rooms: RoomRow[];
  problems: Problem[];
  /** Refused outside input, counted by kind (one row on the page). */
  refusals: Refusals;
  /** The program's log file; null when the server writes none (an embedder's). */
  logFile: LogFileSection | null;
}

/** The log file in the bundle: where it is, whether it is written, its last lines (all scrubbed). */
export interface LogFileSection {
  path: string | null;
  problem: string | null;
  lastLines: string[];
}

export interface SnapshotInputs {
  source: DiagnosticsSource;
  dns: DnsChecker;
  stats: RoomStats | undefined;
  problems: Problem[];
  refusals?: Refusals;
  startedAtMs: number;
  /** This instance's own device, from its parent. */
  device: DeviceReport | undefined;
  /** The last PORT_HELD_BY_OTHER_PROGRAM this instance reported. */
  lastForeignHolder: { at: string; message: string } | undefined;
  /** The log file, already scrubbed (Diagnostics.logFileSection). */
  logFile?: LogFileSection | null;
  now?: Date;
}

function role(runningMode: number | undefined): 'host' | 'peer' | 'starting' {
  return runningMode === 2 ? 'host' : runningMode === 3 ? 'peer' : 'starting';
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Sort order of the rows: problems first, certain pairs last. */
const ROW_ORDER: Record<RoomState, number> = {
  'no-instance': 0,
  'device-failed': 1,
  'instance-without-room': 2,
  'room-taken': 3,
  'single-pc-several-rooms': 4,
  'browser-left': 5,
  'no-browser': 6,
  'single-pc': 7,
  ok: 8,
};

/**
 * Splits the "no roomId" traffic of a host without a roomId in a cloud: the sends of its own
 * parent it could not deliver (`instance-without-room`) go on its own row; the rest is that of
 * browsers without a roomId.
 */
function splitHostDrops(traffic: RoomTraffic | undefined): { host?: RoomTraffic; browsers?: RoomTraffic } {
  if (!traffic) return {};
  const own = (d: { reason: DropReason }) => d.reason === 'instance-without-room';
  return {
    host: {
      roomId: undefined,
      fromBrowserPerSecond: 0,
      toBrowserPerSecond: 0,
      fromBrowserTotal: 0,
      toBrowserTotal: 0,
      dropped: traffic.dropped.filter(own),
      browserJoinedMs: undefined,
      browserLeftMs: undefined,
    },
    browsers: { ...traffic, dropped: traffic.dropped.filter((d) => !own(d)) },
  };
}

/**
 * One row per room the host knows of (from its browsers, its peers, its own roomId and recent
 * traffic), plus one per instance that serves no room. Who serves a room is the routing rule's
 * answer (routeBrowserMessage, docs/PROTOCOL.md §4); a row says `ok` only where that instance's
 * parent gave the roomId. A host without a roomId that never was part of a cloud serves every tab
 * (single PC): `single-pc` with tabs of one room, `single-pc-several-rooms` with more, since that
 * may be a shared PC whose other students reach this device.
 *
 * @example
 * buildRoomRows({ cloud: true, ownRoomId: undefined, browsers: ['0a1b2c3d4e'], peers: [], held: () => 0 }, undefined, [], Date.now())
 * // [{ room: '0a1…', state: 'no-instance', instance: null, … }, { room: null, state: 'instance-without-room', instance: 'host', … }]
 */
export function buildRoomRows(
  hub: HubFacts,
  ownDevice: DeviceReport | undefined,
  traffic: RoomTraffic[],
  now: number,
): RoomRow[] {
  const peerByRoom = new Map<string, PeerReport>();
  const roomlessPeers: { report: PeerReport; askedRoomId: string | undefined }[] = [];
  const pairedPeer = new Map<string, PeerReport>();
  for (const peer of hub.peers) {
    const report = peer.report ?? emptyPeerReport();
    for (const roomId of peer.pairedRooms ?? []) pairedPeer.set(roomId, report);
    if (peer.roomId === undefined) {
      if ((peer.pairedRooms ?? []).length === 0)
        roomlessPeers.push({ report, askedRoomId: peer.askedRoomId });
    } else peerByRoom.set(peer.roomId, report);
  }
  const hostPaired = new Set(hub.hostPairedRooms ?? []);
  const routing = {
    ownRoomId: hub.ownRoomId,
    cloud: hub.cloud,
    peerForRoom: (roomId: string) => (peerByRoom.has(roomId) ? roomId : undefined),
  };
  const hostWithoutRoom = withoutRoom(hub.ownRoomId, hub.cloud) && hostPaired.size === 0;
  const browserCount = new Map<string | undefined, number>();
  for (const roomId of hub.browsers) browserCount.set(roomId, (browserCount.get(roomId) ?? 0) + 1);
  const trafficByRoom = new Map(traffic.map((t) => [t.roomId, t]));
  let hostDrops: RoomTraffic | undefined;
  if (hostWithoutRoom) {
    const split = splitHostDrops(trafficByRoom.get(undefined));
    hostDrops = split.host;
    if (split.browsers) trafficByRoom.set(undefined, split.browsers);
  }

  const keys = new Set<string | undefined>([...browserCount.keys(), ...peerByRoom.keys()]);
  if (hub.ownRoomId !== undefined) keys.add(hub.ownRoomId);
  for (const t of trafficByRoom.values()) {
    const recent = t.browserLeftMs !== undefined || t.fromBrowserTotal + t.toBrowserTotal > 0;
    if (recent || t.dropped.length > 0) keys.add(t.roomId);
  }

  const rows: RoomRow[] = [];
  let hostShown = false;
  for (const roomId of keys) {
    const browsers = browserCount.get(roomId) ?? 0;
    let peer = roomId === undefined ? undefined : peerByRoom.get(roomId);
    let instance: RoomRow['instance'] = null;
    // Whether the serving instance's parent gave this roomId, or its OS session is the tabs' (else:
    // a single PC serving every tab).
    let given = false;
    let pairing: RoomRow['pairing'] = null;
    if (peer) {
      instance = 'peer';
      given = true;
      pairing = { kind: 'room-id', gap: null };
    } else if (roomId !== undefined && roomId === hub.ownRoomId) {
      instance = 'host';
      given = true;
      pairing = { kind: 'room-id', gap: null };
    } else if (roomId !== undefined && (hostPaired.has(roomId) || pairedPeer.has(roomId))) {
      peer = pairedPeer.get(roomId);
      instance = peer ? 'peer' : 'host';
      given = true;
      pairing = { kind: 'os-session', gap: null };
    } else if (routeBrowserMessage(routing, roomId).to === 'parent') {
      instance = 'host';
      pairing = { kind: 'single-pc', gap: null };
    } else {
      const decided = roomId === undefined ? undefined : hub.pairing?.(roomId);
      pairing = { kind: 'none', gap: decided?.kind === 'none' ? decided.gap : null };
    }
    if (instance === 'host') hostShown = true;
    const device = instance === 'peer' ? peer?.device : instance === 'host' ? ownDevice : undefined;
    const t = trafficByRoom.get(roomId);
    const leftMs = t?.browserLeftMs !== undefined && browsers === 0 ? t.browserLeftMs : undefined;
    if (browsers === 0 && instance === null && leftMs === undefined && !(t && t.dropped.length > 0)) continue;
    let state: RoomState;
    if (browsers === 0) state = leftMs !== undefined ? 'browser-left' : 'no-browser';
    else if (instance === null) state = 'no-instance';
    else if (device?.state === 'failed') state = 'device-failed';
    else if (given) state = 'ok';
    else state = browserCount.size > 1 ? 'single-pc-several-rooms' : 'single-pc';
    rows.push(
      row({
        roomId,
        state,
        instance,
        peer: instance === 'peer' ? peer : undefined,
        device,
        browsers,
        leftMs,
        traffic: t,
        hub,
        pairing: browsers > 0 ? pairing : null,
        now,
      }),
    );
  }
  for (const { report, askedRoomId } of roomlessPeers) {
    rows.push(
      row({
        roomId: undefined,
        state: askedRoomId === undefined ? 'instance-without-room' : 'room-taken',
        instance: 'peer',
        peer: report,
        device: report.device,
        askedRoomId,
        now,
      }),
    );
  }
  if (!hostShown) {
    rows.push(
      row({
        roomId: undefined,
        state: hostWithoutRoom ? 'instance-without-room' : 'no-browser',
        instance: 'host',
        device: ownDevice,
        traffic: hostDrops,
        now,
      }),
    );
  }
  return rows.sort(
    (a, b) =>
      ROW_ORDER[a.state] - ROW_ORDER[b.state] ||
      Number(a.room === null) - Number(b.room === null) ||
      String(a.room).localeCompare(String(b.room)) ||
      Number(a.instance !== 'host') - Number(b.instance !== 'host'),
  );
}

/** What one row is made of; what is left out reads as none. */
interface RowFacts {
  roomId: string | undefined;
  state: RoomState;
  instance: RoomRow['instance'];
  peer?: PeerReport;
  device: DeviceReport | undefined;
  browsers?: number;
  leftMs?: number;
  traffic?: RoomTraffic;
  /** For the held messages; left out for rows of an instance that serves no room. */
  hub?: HubFacts;
  askedRoomId?: string;
  pairing?: RoomRow['pairing'];
  now: number;
}

function row(facts: RowFacts): RoomRow {
  const { roomId, state, instance, peer, device, leftMs, traffic, hub, now } = facts;
  return {
    room: maskRoomId(roomId),
    state,
    instance,
    instanceVersion: instance === 'peer' ? (peer?.version ?? null) : null,
    device: {
      state: device?.state ?? 'not-reported',
      moduleId: device?.moduleId ?? null,
      at: device?.at ?? null,
    },
    browsers: facts.browsers ?? 0,
    browserLeftSecondsAgo: leftMs === undefined ? null : Math.max(0, Math.round((now - leftMs) / 1000)),
    messagesPerSecond: {
      fromBrowser: round1(traffic?.fromBrowserPerSecond ?? 0),
      toBrowser: round1(traffic?.toBrowserPerSecond ?? 0),
    },
    messagesTotal: { fromBrowser: traffic?.fromBrowserTotal ?? 0, toBrowser: traffic?.toBrowserTotal ?? 0 },
    held:
      hub && instance !== null
        ? hub.held(
            instance === 'host' && roomId !== hub.ownRoomId && facts.pairing?.kind !== 'os-session'
              ? undefined
              : roomId,
          )
        : 0,
    dropped: traffic?.dropped ?? [],
    askedRoom: maskRoomId(facts.askedRoomId),
    pairing: facts.pairing ?? null,
  };
}

/**
 * The whole bundle.
 *
 * @example
 * const bundle = buildSnapshot({ source: server, dns, stats, problems: log.list(), startedAtMs, device, lastForeignHolder });
 * JSON.stringify(bundle); // what GET /diagnostics.json answers
 */
export function buildSnapshot(inputs: SnapshotInputs): DiagnosticsSnapshot {
  const now = inputs.now ?? new Date();
  const facts = inputs.source.diagnosticsFacts();
  const serverRole = role(facts.runningMode);
  const certificate = checkCertificate(
    {
      notAfter: facts.certificateNotAfter,
      tlsActive: facts.tlsActive,
      plainOnlyByOption: facts.plainOnlyByOption,
    },
    now,
  );
  const hub = facts.hub;
  const present = new Set<string | undefined>(
    hub ? [...hub.browsers, ...hub.peers.map((p) => p.roomId)] : [],
  );
  const traffic = inputs.stats?.traffic((roomId) => present.has(roomId)) ?? [];
  const notAfter = facts.tlsActive && facts.certificateNotAfter ? facts.certificateNotAfter : undefined;
  return {
    schema: SCHEMA_VERSION,
    generatedAt: now.toISOString(),
    server: {
      name: 'entry-hw-server',
      version: facts.version,
      node: process.versions.node,
      platform: `${process.platform} ${release()} ${process.arch}`,
      uptimeSeconds: Math.max(0, Math.round((now.getTime() - inputs.startedAtMs) / 1000)),
      port: facts.port,
      role: serverRole,
      cloudMode: facts.cloudMode === 1 ? 'cloud' : facts.cloudMode === 0 ? 'single' : null,
      tls: {
        on: facts.tlsActive,
        notAfter: notAfter?.toISOString() ?? null,
        daysLeft:
          typeof certificate.facts.daysLeft === 'number' && notAfter ? certificate.facts.daysLeft : null,
      },
      plainWs: serverRole !== 'starting',
      browsers: hub?.browsers.length ?? 0,
      peers: hub?.peers.length ?? 0,
      roomCounting: inputs.stats !== undefined,
    },
    checks: [
      ...inputs.dns.current(),
      certificate,
      checkPort({ port: facts.port, role: serverRole, lastForeignHolder: inputs.lastForeignHolder }),
    ],
    rooms: hub ? buildRoomRows(hub, inputs.device, traffic, now.getTime()) : [],
    problems: inputs.problems,
    refusals: inputs.refusals ?? { total: 0, kinds: [] },
    logFile: inputs.logFile ?? null,
  };
}
