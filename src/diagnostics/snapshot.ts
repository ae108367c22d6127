// The support bundle (issue 9): builds the versioned `schema: 1` JSON behind `GET /diagnostics.json`
// and the page, from a narrow DiagnosticsSource the server implements. Only masked roomIds,
// loopback addresses and scrubbed, truncated log text leave this module: no host name, user name,
// home path, MAC, other IP address or message contents.
import { release } from 'node:os';
import { routeBrowserMessage } from '../routing/host-routing';
import { type CheckResult, checkCertificate, checkPort, type DnsChecker } from './checks';
import { maskRoomId } from './mask';
import type { Problem } from './problems';
import type { DropReason, RoomStats, RoomTraffic } from './room-stats';

/** Version of the bundle's shape; bump when a field changes meaning or goes away. */
export const SCHEMA_VERSION = 1;

/** What an Entry HW reported about its device (`connectHardwareSuccess` / `connectHardwareFailed`). */
export interface DeviceReport {
  state: 'connected' | 'failed';
  /** The hardware module id, e.g. `520101`. */
  moduleId?: string;
  /** ISO time of the report. */
  at: string;
}

/** What a peer instance tells the host about itself (event `diagnosticsReport`). */
export interface PeerReport {
  version: string | undefined;
  device: DeviceReport | undefined;
}

/**
 * Reads a peer's report defensively: anything else on the wire becomes an empty report.
 *
 * @example
 * parsePeerReport({ version: '3.0.0', device: { state: 'connected', moduleId: '520101', at: '…' } })
 */
export function parsePeerReport(value: unknown): PeerReport {
  const report: PeerReport = { version: undefined, device: undefined };
  if (typeof value !== 'object' || value === null) return report;
  const { version, device } = value as { version?: unknown; device?: unknown };
  if (typeof version === 'string' && /^[\w.+-]{1,40}$/.test(version)) report.version = version;
  if (typeof device === 'object' && device !== null) {
    const { state, moduleId, at } = device as { state?: unknown; moduleId?: unknown; at?: unknown };
    if (state === 'connected' || state === 'failed') {
      const time = typeof at === 'string' ? new Date(at) : undefined;
      report.device = {
        state,
        ...(typeof moduleId === 'string' && /^[\w.-]{1,40}$/.test(moduleId) ? { moduleId } : {}),
        at: time && !Number.isNaN(time.getTime()) ? time.toISOString() : new Date().toISOString(),
      };
    }
  }
  return report;
}

/** The host's socket table, as far as the diagnostics need it (HostHub.diagnosticsFacts). */
export interface HubFacts {
  /** Whether routing goes by room (docs/PROTOCOL.md §4). */
  cloud: boolean;
  ownRoomId: string | undefined;
  /** The roomId of every connected browser (undefined: it gave none). */
  browsers: (string | undefined)[];
  /** `roomId`: the room a peer holds; `askedRoomId`: the one it last asked for (undefined: none yet). */
  peers: { roomId: string | undefined; askedRoomId?: string; report: unknown }[];
  /** Messages held for a reconnecting browser of this room (undefined: browsers no instance claims). */
  held(roomId: string | undefined): number;
}

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

export type RoomState =
  | 'ok'
  | 'device-failed'
  | 'no-instance'
  | 'no-browser'
  | 'browser-left'
  | 'instance-without-room';

export interface RoomRow {
  /** First three characters of the roomId and `…`; null for browsers or instances without one. */
  room: string | null;
  state: RoomState;
  /** Which Entry HW serves the room: the host's own, a peer's, or none. */
  instance: 'host' | 'peer' | null;
  instanceVersion: string | null;
  device: { state: 'connected' | 'failed' | 'not-reported'; moduleId: string | null; at: string | null };
  browsers: number;
  browserLeftSecondsAgo: number | null;
  messagesPerSecond: { fromBrowser: number; toBrowser: number };
  messagesTotal: { fromBrowser: number; toBrowser: number };
  held: number;
  dropped: { reason: DropReason; count: number }[];
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
}

export interface SnapshotInputs {
  source: DiagnosticsSource;
  dns: DnsChecker;
  stats: RoomStats | undefined;
  problems: Problem[];
  startedAtMs: number;
  /** This instance's own device, from its parent. */
  device: DeviceReport | undefined;
  /** The last PORT_HELD_BY_OTHER_PROGRAM this instance reported. */
  lastForeignHolder: { at: string; message: string } | undefined;
  now?: Date;
}

function role(runningMode: number | undefined): 'host' | 'peer' | 'starting' {
  return runningMode === 2 ? 'host' : runningMode === 3 ? 'peer' : 'starting';
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** One row per room the host knows of: from its browsers, its peers, its own roomId and recent traffic. */
export function buildRoomRows(
  hub: HubFacts,
  ownDevice: DeviceReport | undefined,
  traffic: RoomTraffic[],
  now: number,
): RoomRow[] {
  const routing = {
    ownRoomId: hub.ownRoomId,
    cloud: hub.cloud,
    peerForRoom: (roomId: string) => (peerByRoom.has(roomId) ? roomId : undefined),
  };
  const peerByRoom = new Map<string, PeerReport>();
  const roomlessPeers: PeerReport[] = [];
  for (const peer of hub.peers) {
    if (peer.roomId === undefined) roomlessPeers.push(parsePeerReport(peer.report));
    else peerByRoom.set(peer.roomId, parsePeerReport(peer.report));
  }
  const browserCount = new Map<string | undefined, number>();
  for (const roomId of hub.browsers) browserCount.set(roomId, (browserCount.get(roomId) ?? 0) + 1);
  const trafficByRoom = new Map(traffic.map((t) => [t.roomId, t]));

  const keys = new Set<string | undefined>([...browserCount.keys(), ...peerByRoom.keys()]);
  if (hub.ownRoomId !== undefined) keys.add(hub.ownRoomId);
  for (const t of traffic) {
    const recent = t.browserLeftMs !== undefined || t.fromBrowserTotal + t.toBrowserTotal > 0;
    if (recent || t.dropped.length > 0) keys.add(t.roomId);
  }

  const rows: RoomRow[] = [];
  let hostShown = false;
  for (const roomId of keys) {
    const browsers = browserCount.get(roomId) ?? 0;
    const peer = roomId === undefined ? undefined : peerByRoom.get(roomId);
    let instance: RoomRow['instance'] = null;
    if (peer) instance = 'peer';
    else if (roomId !== undefined && roomId === hub.ownRoomId) instance = 'host';
    else if (routeBrowserMessage(routing, roomId).to === 'parent') instance = 'host';
    if (instance === 'host') hostShown = true;
    const device = instance === 'peer' ? peer?.device : instance === 'host' ? ownDevice : undefined;
    const t = trafficByRoom.get(roomId);
    const leftMs = t?.browserLeftMs !== undefined && browsers === 0 ? t.browserLeftMs : undefined;
    if (browsers === 0 && instance === null && leftMs === undefined && !(t && t.dropped.length > 0)) continue;
    let state: RoomState;
    if (browsers > 0)
      state = instance === null ? 'no-instance' : device?.state === 'failed' ? 'device-failed' : 'ok';
    else state = leftMs !== undefined ? 'browser-left' : 'no-browser';
    rows.push(
      row(
        roomId,
        state,
        instance,
        instance === 'peer' ? peer : undefined,
        device,
        browsers,
        leftMs,
        t,
        hub,
        now,
      ),
    );
  }
  for (const report of roomlessPeers) {
    rows.push(
      row(
        undefined,
        'instance-without-room',
        'peer',
        report,
        report.device,
        0,
        undefined,
        undefined,
        undefined,
        now,
      ),
    );
  }
  if (!hostShown) {
    rows.push(
      row(undefined, 'no-browser', 'host', undefined, ownDevice, 0, undefined, undefined, undefined, now),
    );
  }
  const order: Record<RoomState, number> = {
    'no-instance': 0,
    'device-failed': 1,
    'instance-without-room': 2,
    'browser-left': 3,
    'no-browser': 4,
    ok: 5,
  };
  return rows.sort((a, b) => order[a.state] - order[b.state] || String(a.room).localeCompare(String(b.room)));
}

function row(
  roomId: string | undefined,
  state: RoomState,
  instance: RoomRow['instance'],
  peer: PeerReport | undefined,
  device: DeviceReport | undefined,
  browsers: number,
  leftMs: number | undefined,
  traffic: RoomTraffic | undefined,
  hub: HubFacts | undefined,
  now: number,
): RoomRow {
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
    browsers,
    browserLeftSecondsAgo: leftMs === undefined ? null : Math.max(0, Math.round((now - leftMs) / 1000)),
    messagesPerSecond: {
      fromBrowser: round1(traffic?.fromBrowserPerSecond ?? 0),
      toBrowser: round1(traffic?.toBrowserPerSecond ?? 0),
    },
    messagesTotal: { fromBrowser: traffic?.fromBrowserTotal ?? 0, toBrowser: traffic?.toBrowserTotal ?? 0 },
    held:
      hub && instance !== null
        ? hub.held(instance === 'host' && roomId !== hub.ownRoomId ? undefined : roomId)
        : 0,
    dropped: traffic?.dropped ?? [],
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
  };
}
