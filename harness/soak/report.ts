// The analysis of a soak: turns the raw record (ledger.ts) into a SoakResult (result.ts): delivered,
// lost inside and outside the failover windows, unserved, hosts at once, latency per minute, memory drift.
import { BIN_MS, type Raw, type Room, type SeqStream } from './ledger';
import type { LatencyRow, ProcessSample, SoakResult, WindowRow } from './result';
import { type DirWindow, inWindow, sentUnserved, unservedLoss, windowFor } from './windows';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/**
 * One lost message with what surrounds it, so a loss can be told apart from a connection that
 * dropped (a run of losses ending the stream) or a routing race (one loss between deliveries).
 *
 * @example
 * describeLoss(stream, 7260, windows, t0);
 * // '#7260 sent at 120.065 s; last delivered before: #7259 (sent 120.048 s, arrived 120.050 s);
 * //  next delivered: #7262 (sent 120.098 s); 1 lost in a row; windows: 118.1–119.9 s'
 */
function describeLoss(
  s: SeqStream,
  i: number,
  windows: readonly { start: number; end: number }[],
  t0: number,
): string {
  const sec = (at: number) => `${((at - t0) / 1000).toFixed(3)} s`;
  let before = i - 1;
  while (before >= 0 && (s.recvAt[before] as number) < 0) before -= 1;
  let after = i + 1;
  while (after < s.sentAt.length && (s.recvAt[after] as number) < 0) after += 1;
  const prev =
    before >= 0
      ? `#${before} (sent ${sec(s.sentAt[before] as number)}, arrived ${sec(s.recvAt[before] as number)})`
      : 'none';
  const next = after < s.sentAt.length ? `#${after} (sent ${sec(s.sentAt[after] as number)})` : 'none';
  const shown = windows.map((w) => `${sec(w.start)}–${sec(w.end)}`).join(', ') || 'none';
  return `#${i} sent at ${sec(s.sentAt[i] as number)}; last delivered before: ${prev}; next delivered: ${next}; ${after - before - 1} lost in a row; windows: ${shown}`;
}

/** The analysed result of a run's raw record. */
export function analyzeSoak(raw: Raw, options: SoakResult['options']): SoakResult {
  const windowsOf = new Map<string, { b2p: DirWindow[]; p2b: DirWindow[] }>();
  const rows: WindowRow[] = [];
  const windowOf = (room: Room) => {
    let w = windowsOf.get(room.id);
    if (!w) {
      w = { b2p: [], p2b: [] };
      windowsOf.set(room.id, w);
    }
    return w;
  };
  const roomById = new Map(raw.rooms.map((r) => [r.id, r]));
  // A room created after the start (a new student) is affected from its creation, until its
  // traffic flows; for a student whose roomId came late, until it flows after the roomId. A
  // student whose roomId never came is never served: no window.
  for (const room of raw.rooms) {
    if (room.createdAt > raw.t0 && room.plan !== 'never') {
      const t1 = room.plan === 'late' ? (room.roomIdAt ?? raw.end) : room.createdAt;
      for (const dir of ['b2p', 'p2b'] as const) {
        const { window } = windowFor(room[dir], room.createdAt, t1, raw.end);
        windowOf(room)[dir].push(window);
      }
    }
  }
  raw.events.forEach((event, index) => {
    const t0 = raw.eventTimes[index] as number;
    let length = 0;
    const never: string[] = [];
    const perEvent: { room: Room; dir: 'b2p' | 'p2b'; window: DirWindow }[] = [];
    for (const id of event.rooms) {
      const room = roomById.get(id);
      if (!room || room.plan === 'never') continue;
      for (const dir of ['b2p', 'p2b'] as const) {
        const from = Math.max(t0, room.createdAt);
        const settled = event.settledMs === null ? raw.end : Math.max(from, t0 + event.settledMs);
        const t1 = room.plan === 'late' ? Math.max(settled, room.roomIdAt ?? raw.end) : settled;
        const { window, recovered } = windowFor(room[dir], from, t1, raw.end);
        if (!recovered) never.push(`${id} ${dir}`);
        length = Math.max(length, window.end - t0);
        windowOf(room)[dir].push(window);
        perEvent.push({ room, dir, window });
      }
    }
    const lost = { b2p: 0, p2b: 0 };
    for (const { room, dir, window } of perEvent) {
      const s = room[dir];
      for (let i = window.firstSeq; i < window.endSeq; i += 1) {
        if ((s.recvAt[i] as number) < 0 && !sentUnserved(room, dir, i)) lost[dir] += 1;
      }
    }
    rows.push({
      event: index + 1,
      kind: event.kind,
      t: event.t,
      lengthMs: length,
      lostInside: lost,
      neverRecovered: never,
    });
  });

  const sent = { b2p: 0, p2b: 0 };
  const delivered = { b2p: 0, p2b: 0 };
  const lostOutside = { b2p: 0, p2b: 0 };
  const lostInside = { b2p: 0, p2b: 0 };
  const unserved = { b2p: 0, p2b: 0 };
  const lostOutsideExamples: string[] = [];
  let duplicates = 0;
  let reordered = 0;
  for (const room of raw.rooms) {
    for (const dir of ['b2p', 'p2b'] as const) {
      const s = room[dir];
      duplicates += s.duplicates;
      reordered += s.reordered;
      const windows = windowsOf.get(room.id)?.[dir] ?? [];
      for (let i = 0; i < s.sentAt.length; i += 1) {
        const at = s.sentAt[i] as number;
        if (at < raw.t0) continue; // warm-up
        if (unservedLoss(room, dir, i)) {
          unserved[dir] += 1;
          continue;
        }
        sent[dir] += 1;
        if ((s.recvAt[i] as number) >= 0) {
          delivered[dir] += 1;
          continue;
        }
        if (windows.some((w) => inWindow(w, i))) lostInside[dir] += 1;
        else {
          lostOutside[dir] += 1;
          if (lostOutsideExamples.length < 20)
            lostOutsideExamples.push(`room ${room.id} ${dir} ${describeLoss(s, i, windows, raw.t0)}`);
        }
      }
    }
  }

  // Hosts at once: sweep over host spans.
  const points: [number, number][] = [];
  for (const span of raw.hostSpans) {
    if (span.to <= span.from) continue;
    points.push([span.from, 1], [span.to, -1]);
  }
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let maxHosts = 0;
  for (const [, delta] of points) {
    current += delta;
    maxHosts = Math.max(maxHosts, current);
  }

  const stats = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return {
      n: sorted.length,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN,
    };
  };
  const binsPerMinute = 60_000 / BIN_MS;
  const nBins = Math.max(raw.latencies.b2p.length, raw.latencies.p2b.length);
  const latencyPerMinute: LatencyRow[] = [];
  for (let m = 0; m * binsPerMinute < nBins; m += 1) {
    const collect = (dir: 'b2p' | 'p2b') =>
      raw.latencies[dir].slice(m * binsPerMinute, (m + 1) * binsPerMinute).flat();
    latencyPerMinute.push({ minute: m + 1, b2p: stats(collect('b2p')), p2b: stats(collect('p2b')) });
  }
  const nullable = (n: number) => (Number.isFinite(n) ? Math.round(n * 10) / 10 : null);
  const latencyBins: SoakResult['latencyBins'] = [];
  for (let b = 0; b < nBins; b += 1) {
    const b2p = stats(raw.latencies.b2p[b] ?? []);
    const p2b = stats(raw.latencies.p2b[b] ?? []);
    latencyBins.push([
      b * BIN_MS,
      nullable(b2p.p50),
      nullable(b2p.p99),
      nullable(p2b.p50),
      nullable(p2b.p99),
    ]);
  }

  const durationMs = raw.end - raw.t0;
  const driftFromMs = Math.min(5 * 60_000, durationMs / 3);
  const memory: SoakResult['memory'] = [];
  const byName = new Map<string, ProcessSample[]>();
  for (const s of raw.processSamples) {
    const list = byName.get(s.name) ?? [];
    list.push(s);
    byName.set(s.name, list);
  }
  const lastT = raw.processSamples.reduce((m, s) => Math.max(m, s.t), 0);
  for (const [name, list] of byName) {
    const first = list[0] as ProcessSample;
    const last = list[list.length - 1] as ProcessSample;
    if (last.t < lastT) continue; // not alive at the end
    const from = list.find((s) => s.t >= driftFromMs) ?? last;
    if (first.t > driftFromMs) continue; // started after the drift point: no comparable baseline
    // Open files are compared from the first sample after the instance settled into a role: a
    // sample taken while it was still starting has not opened its IPC, port or link yet.
    const settled = list.find((s) => s.role !== 'other') ?? first;
    memory.push({
      name,
      role: last.role,
      startKiB: first.privateKiB,
      fromKiB: from.privateKiB,
      endKiB: last.privateKiB,
      rssStartKiB: first.rssKiB,
      rssEndKiB: last.rssKiB,
      fdsStart: settled.fds,
      fdsEnd: last.fds,
      driftPct: ((last.privateKiB - from.privateKiB) / from.privateKiB) * 100,
      cpuPct: last.t > from.t ? ((last.cpuMs - from.cpuMs) / (last.t - from.t)) * 100 : undefined,
      roleChanged: list.some((x) => x.t >= from.t && x.role !== last.role),
    });
  }

  return {
    options,
    startedAt: raw.startedAt,
    durationMs,
    port: raw.port,
    sent,
    delivered,
    misrouted: raw.misrouted,
    misroutedExamples: raw.misroutedExamples,
    unserved,
    lateRooms: raw.rooms
      .filter((room) => room.plan !== 'given')
      .map((room) => ({
        room: room.id,
        plan: room.plan,
        createdMs: Math.round(room.createdAt - raw.t0),
        roomIdMs: room.roomIdAt === undefined ? null : Math.round(room.roomIdAt - raw.t0),
      })),
    roomsAtEnd: raw.roomsAtEnd,
    lostOutside,
    lostOutsideExamples,
    lostInside,
    duplicates,
    reordered,
    maxSimultaneousHosts: maxHosts,
    tabsGaveUp: raw.tabsGaveUp,
    childErrors: raw.childErrors,
    events: raw.events,
    windows: rows,
    latencyPerMinute,
    latencyBins,
    processSamples: raw.processSamples,
    hostDebug: raw.hostDebug,
    memory,
    driftFromMs,
  };
}
