// Cloud PC mode test harness: several server processes on one port (each with the test playing
// its own Entry HW parent, through harness/server-process.ts), socket.io browsers that
// reconnect like entryjs, tagged traffic so that a message reaching the wrong room is detected,
// and /status polling. Used by test/cloud/*.test.ts and bench/failover.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type AnySocket, openBrowserSocket } from './browser-client';
import { type ServerProcess, type SpawnOptions, spawnServer } from './server-process';
import { randomRoomId, type StatusBody, sleep, until } from './util';

export { randomRoomId, type StatusBody, sleep, until };

// ---------------------------------------------------------------------------------------------
// Tagged payloads. Every test message carries who sent it, so misrouting is visible.

export interface Tag {
  /** The room (roomId, or a label such as 'host') the sender belongs to. */
  room: string;
  /** 'b2p' browser → parent, 'p2b' parent → browser, 'probe-*' for round trips. */
  kind: string;
  seq: number;
  /** Nonce of the browser socket / run that sent it. */
  nonce?: string;
}

/** The payload a browser emits, shaped like entryjs's: `{ data: '<JSON>', type: 'utf8' }`. */
export function browserPayload(tag: Tag): { data: string; type: 'utf8' } {
  return { data: JSON.stringify(tag), type: 'utf8' };
}

/** Reads the tag back out of a parent's `data` value (a browser payload), if it is one of ours. */
export function tagOfParentData(value: unknown): Tag | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const data = (value as { data?: unknown }).data;
  if (typeof data !== 'string') return undefined;
  try {
    const parsed = JSON.parse(data) as Tag;
    return typeof parsed === 'object' && parsed !== null && typeof parsed.room === 'string'
      ? parsed
      : undefined;
  } catch {
    return undefined;
  }
}

/** Tags found in the `data` messages a parent received from index `from` on. */
export function parentTags(proc: ServerProcess, from = 0): Tag[] {
  const out: Tag[] = [];
  for (let i = from; i < proc.messages.length; i += 1) {
    const m = proc.messages[i];
    if (m?.key !== 'data') continue;
    const tag = tagOfParentData(m.value);
    if (tag) out.push(tag);
  }
  return out;
}

/** Tags of the `{ data: tag }` payloads among those a browser received, in order. */
export function browserTags(payloads: readonly unknown[]): Tag[] {
  const out: Tag[] = [];
  for (const payload of payloads) {
    const data = (payload as { data?: unknown } | null)?.data;
    if (typeof data === 'object' && data !== null && typeof (data as Tag).room === 'string')
      out.push(data as Tag);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Browsers

export interface BrowserOptions {
  port: number;
  /** The roomId query parameter; omitted when undefined. */
  roomId?: string;
  /** socket.io-client major version: 2 (deployed entryjs) or 4. Default 2. */
  version?: 2 | 4;
  /** Delay before reconnecting after a disconnect or a failed attempt (entryjs: 1500 ms). */
  reconnectDelayMs?: number;
  /** Extra query parameters (e.g. childServer). `client=true` is always sent unless overridden. */
  query?: Record<string, string>;
  /** Extra handshake headers (e.g. Origin). */
  headers?: Record<string, string>;
  /** Whether to reconnect at all (default true). */
  reconnect?: boolean;
  name?: string;
}

export interface ReceivedMessage {
  /** The `message` event's argument (the server wraps values as `{ data }`). */
  payload: unknown;
  at: number;
  /** Which connection (1-based count of successful connects) delivered it. */
  connection: number;
}

/**
 * A browser workspace: connects over the websocket transport with `client=true&roomId=...`,
 * records every `message`, and after a disconnect reconnects like entryjs (a fresh socket after
 * `reconnectDelayMs`, retried at the same pace until it succeeds).
 */
export class TestBrowser {
  readonly name: string;
  readonly roomId: string | undefined;
  readonly received: ReceivedMessage[] = [];
  /** Times of successful connects and of disconnects. */
  readonly connectTimes: number[] = [];
  readonly disconnectTimes: number[] = [];
  readonly errors: string[] = [];
  private socket: AnySocket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly options: Required<
    Pick<BrowserOptions, 'port' | 'version' | 'reconnectDelayMs' | 'reconnect'>
  > &
    BrowserOptions;

  constructor(options: BrowserOptions) {
    this.options = { version: 2, reconnectDelayMs: 1500, reconnect: true, ...options };
    this.roomId = options.roomId;
    this.name = options.name ?? `browser(v${this.options.version}, room ${options.roomId ?? '-'})`;
    this.connect();
  }

  get connected(): boolean {
    return this.socket?.connected === true;
  }

  /** Number of successful connects so far. */
  get connections(): number {
    return this.connectTimes.length;
  }

  private connect(): void {
    if (this.closed) return;
    const socket = openBrowserSocket({
      version: this.options.version === 2 ? 'v2' : 'v4',
      url: `http://127.0.0.1:${this.options.port}`,
      roomId: this.roomId,
      query: this.options.query,
      headers: this.options.headers,
    });
    this.socket = socket;
    let settled = false;
    const retry = () => {
      if (settled) return;
      settled = true;
      socket.removeAllListeners();
      socket.close();
      if (this.socket === socket) this.socket = undefined;
      if (!this.closed && this.options.reconnect) {
        this.timer = setTimeout(() => this.connect(), this.options.reconnectDelayMs);
      }
    };
    socket.on('connect', () => {
      this.connectTimes.push(Date.now());
    });
    socket.on('message', (payload: unknown) => {
      this.received.push({ payload, at: Date.now(), connection: this.connectTimes.length });
    });
    socket.on('disconnect', () => {
      this.disconnectTimes.push(Date.now());
      retry();
    });
    socket.on('connect_error', (error: unknown) => {
      this.errors.push(String((error as Error)?.message ?? error));
      retry();
    });
    socket.on('connect_timeout', () => {
      this.errors.push('connect_timeout');
      retry();
    });
    socket.on('error', (error: unknown) => {
      // socket.io-client 2 reports middleware refusals as 'error'.
      this.errors.push(`error: ${String((error as Error)?.message ?? error)}`);
      retry();
    });
  }

  /** Emits a `message` if connected; returns whether it was sent. */
  emit(payload: unknown): boolean {
    if (!this.socket?.connected) return false;
    this.socket.emit('message', payload);
    return true;
  }

  /** Emits any event (for peer impersonation tests). */
  emitRaw(event: string, ...args: unknown[]): void {
    this.socket?.emit(event, ...args);
  }

  /** Tags of the `{ data: tag }` messages received from index `from` on. */
  tags(from = 0): Tag[] {
    return browserTags(this.received.slice(from).map((m) => m.payload));
  }

  async waitConnected(timeoutMs = 10_000, minConnections = 1): Promise<void> {
    await until(() => this.connected && this.connections >= minConnections, {
      timeoutMs,
      describe: () =>
        `${this.name} to be connected (connections ${this.connections}, errors ${this.errors.slice(-3).join('; ')})`,
    });
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.socket) {
      this.socket.removeAllListeners();
      this.socket.close();
      this.socket = undefined;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The cluster

/** GET /status on the port; undefined when nothing answers like an Entry HW server. */
export async function fetchStatus(port: number, timeoutMs = 1000): Promise<StatusBody | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/status`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) return undefined;
    const body = (await response.json()) as StatusBody;
    return body?.name === 'entry-hw-server' ? body : undefined;
  } catch {
    return undefined;
  }
}

/** The last value of `key` the parent received, or undefined. */
export function lastValue(
  proc: ServerProcess,
  key: 'runningModeChanged' | 'cloudModeChanged',
): number | undefined {
  const all = proc.all(key);
  return all.length === 0 ? undefined : (all[all.length - 1]?.value as number);
}

/** The codes of the `error` messages a parent received from index `from` on, in order. */
export function errorCodes(proc: ServerProcess, from = 0): string[] {
  return proc.messages
    .slice(from)
    .filter((m) => m.key === 'error')
    .map((m) => String((m.value as { code?: unknown } | undefined)?.code));
}

/**
 * What a parent heard about browsers from index `from` on, in order: `connection:<roomId>` and
 * `close:<roomId>` (`undefined` when the value had none). Entry HW resets its device on `close`
 * of its own roomId, or of any value while it has none.
 */
export function browserEvents(proc: ServerProcess, from = 0): string[] {
  const out: string[] = [];
  for (const m of proc.messages.slice(from)) {
    if (m.key === 'close') out.push(`close:${m.value}`);
    else if (m.key === 'connection') out.push(`connection:${m.value?.roomId}`);
  }
  return out;
}

export interface Instance {
  proc: ServerProcess;
  name: string;
  /** The roomId given by `addRoomId`, if any. */
  roomId: string | undefined;
}

export class CloudCluster {
  readonly instances: Instance[] = [];
  readonly browsers: TestBrowser[] = [];
  readonly streams: Stream[] = [];
  /** 'error' events of the child processes (EPIPE from sends racing a kill), for diagnostics. */
  readonly childErrors: string[] = [];
  private readonly cleanups: (() => void | Promise<void>)[] = [];

  constructor(
    readonly port: number,
    private readonly quiet = false,
  ) {}

  /**
   * Spawns an instance. Without `roomId` its parent never sends `addRoomId`, as the real Entry HW
   * on a first launch (see {@link addRoomId} for one that arrives later). With one, `addRoomId` is
   * sent before `open` when `roomIdFirst`, else right after `open` (once the role is known, unless
   * `waitForRole` is false); either way this resolves only once the server has read it.
   */
  async start(
    name: string,
    {
      roomId,
      roomIdFirst = false,
      env,
      waitForRole = true,
      captureOutput = false,
      record,
      user,
    }: {
      roomId?: string;
      /** Run as this OS user (the pairing tests). */
      user?: SpawnOptions['user'];
      roomIdFirst?: boolean;
      env?: Record<string, string>;
      waitForRole?: boolean;
      captureOutput?: boolean;
      /** Which parent messages to keep in `proc.messages` (see SpawnOptions.record). */
      record?: SpawnOptions['record'];
    } = {},
  ): Promise<Instance> {
    const proc = spawnServer({ port: this.port, name, env, quiet: this.quiet, captureOutput, record, user });
    // A send racing the process's death fails with EPIPE as an 'error' event on the child; without
    // a listener that would be an uncaught exception blamed on whichever test is running.
    proc.child.on('error', (error) => this.childErrors.push(`${name}: ${error.message}`));
    const instance: Instance = { proc, name, roomId };
    this.instances.push(instance);
    if (roomId !== undefined && roomIdFirst) proc.send({ key: 'addRoomId', value: roomId });
    if (waitForRole) {
      await proc.open('production');
    } else {
      proc.send({ key: 'open', value: 'production' });
    }
    if (roomId !== undefined && !roomIdFirst) proc.send({ key: 'addRoomId', value: roomId });
    // The server reads IPC in order: once the barrier returns, it has taken the roomId.
    if (roomId !== undefined) await proc.drain();
    return instance;
  }

  /**
   * The parent sends `addRoomId` late, as Entry HW does when its link is opened again while it
   * runs; resolves once the server has read it.
   */
  async addRoomId(instance: Instance, roomId: string): Promise<void> {
    instance.proc.send({ key: 'addRoomId', value: roomId });
    instance.roomId = roomId;
    await instance.proc.drain();
  }

  browser(options: Omit<BrowserOptions, 'port'>): TestBrowser {
    const browser = new TestBrowser({ port: this.port, ...options });
    this.browsers.push(browser);
    return browser;
  }

  /** Starts a tracked {@link Stream}; destroy() stops it before killing anything. */
  stream(instance: Instance, browser: TestBrowser, room: string, everyMs?: number): Stream {
    const stream = new Stream(instance, browser, room, everyMs);
    this.streams.push(stream);
    return stream;
  }

  onCleanup(fn: () => void | Promise<void>): void {
    this.cleanups.push(fn);
  }

  live(): Instance[] {
    return this.instances.filter((i) => i.proc.alive);
  }

  /** Live instances whose last runningModeChanged is 2. */
  hosts(): Instance[] {
    return this.live().filter((i) => lastValue(i.proc, 'runningModeChanged') === 2);
  }

  status(timeoutMs?: number): Promise<StatusBody | undefined> {
    return fetchStatus(this.port, timeoutMs);
  }

  /** One-line summary of every instance's role, for assertion messages. */
  describe(): string {
    return this.instances
      .map(
        (i) =>
          `${i.name}${i.proc.alive ? '' : '(dead)'}: run=${i.proc
            .all('runningModeChanged')
            .map((m) => m.value)
            .join('>')} cloud=${i.proc
            .all('cloudModeChanged')
            .map((m) => m.value)
            .join('>')} errors=${i.proc
            .all('error')
            .map((m) => (m.value as { code?: string })?.code)
            .join(',')}`,
      )
      .join(' | ');
  }

  /**
   * Waits until exactly one live instance's last runningModeChanged is 2, every other live one's
   * is 3, and the host's /status reports runningMode 2 with `peers` = live - 1. Returns the host.
   */
  async waitForStableRoles(timeoutMs = 10_000): Promise<{ host: Instance; status: StatusBody }> {
    let lastStatus: StatusBody | undefined;
    const result = await until(
      async () => {
        const live = this.live();
        const hosts = live.filter((i) => lastValue(i.proc, 'runningModeChanged') === 2);
        const peers = live.filter((i) => lastValue(i.proc, 'runningModeChanged') === 3);
        if (hosts.length !== 1 || hosts.length + peers.length !== live.length) return undefined;
        lastStatus = await this.status();
        if (lastStatus?.runningMode !== 2 || lastStatus.peers !== live.length - 1) return undefined;
        return { host: hosts[0] as Instance, status: lastStatus };
      },
      {
        timeoutMs,
        intervalMs: 25,
        describe: () =>
          `exactly one host and ${this.live().length - 1} peers; /status=${JSON.stringify(lastStatus)}; ${this.describe()}`,
      },
    );
    return result;
  }

  /** SIGKILLs every process, closes browsers, runs registered cleanups. Safe to call twice. */
  async destroy(): Promise<void> {
    for (const s of this.streams) s.stop();
    for (const b of this.browsers) b.close();
    for (const fn of this.cleanups.splice(0)) {
      try {
        await fn();
      } catch {
        // best effort
      }
    }
    await Promise.all(
      this.instances.map(async (i) => {
        if (i.proc.alive) i.proc.child.kill('SIGKILL');
        await Promise.race([i.proc.exited, sleep(3000)]);
      }),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Round trips and streams

/**
 * Proves that `instance`'s parent and `browser` reach each other: repeatedly (every `everyMs`)
 * the browser emits a probe and the parent sends one, until the parent has received a probe from
 * this browser and the browser one from this parent (both issued after the call). Returns the
 * time it took.
 */
export async function roundTrip(
  instance: Instance,
  browser: TestBrowser,
  {
    timeoutMs = 10_000,
    everyMs = 50,
    label = '',
  }: { timeoutMs?: number; everyMs?: number; label?: string } = {},
): Promise<number> {
  const started = Date.now();
  const nonce = randomBytes(4).toString('hex');
  const room = browser.roomId ?? 'none';
  const parentFrom = instance.proc.messages.length;
  const browserFrom = browser.received.length;
  const sender = instance.roomId ?? 'host';
  let seq = 0;
  const gotAtParent = () =>
    parentTags(instance.proc, parentFrom).some((t) => t.kind === 'probe-b' && t.nonce === nonce);
  const gotAtBrowser = () => browser.tags(browserFrom).some((t) => t.kind === 'probe-p' && t.nonce === nonce);
  const tick = () => {
    seq += 1;
    if (!gotAtParent()) browser.emit(browserPayload({ room, kind: 'probe-b', seq, nonce }));
    if (!gotAtBrowser() && instance.proc.alive && instance.proc.child.connected) {
      instance.proc.send({ key: 'send', value: { room: sender, kind: 'probe-p', seq, nonce } });
    }
  };
  tick();
  const timer = setInterval(tick, everyMs);
  try {
    await until(() => gotAtParent() && gotAtBrowser(), {
      timeoutMs,
      intervalMs: 5,
      describe: () =>
        `round trip ${label} ${instance.name} <-> ${browser.name}: parent got probe=${gotAtParent()}, browser got probe=${gotAtBrowser()}, browser connected=${browser.connected}`,
    });
  } finally {
    clearInterval(timer);
  }
  return Date.now() - started;
}

/** One room's traffic generator: browser → parent and parent → browser, numbered. */
export class Stream {
  /** Browser → parent sequence numbers emitted (with time). */
  readonly b2pSent: { seq: number; at: number }[] = [];
  /** Parent → browser sequence numbers sent (with time). */
  readonly p2bSent: { seq: number; at: number }[] = [];
  private b2pSeq = 0;
  private p2bSeq = 0;
  private timer: NodeJS.Timeout | undefined;
  readonly nonce = randomBytes(4).toString('hex');
  private readonly parentFrom: number;
  private readonly browserFrom: number;

  constructor(
    readonly instance: Instance,
    readonly browser: TestBrowser,
    readonly room: string,
    everyMs = 20,
  ) {
    this.parentFrom = instance.proc.messages.length;
    this.browserFrom = browser.received.length;
    this.timer = setInterval(() => this.tick(), everyMs);
  }

  private tick(): void {
    const now = Date.now();
    if (this.browser.connected) {
      this.b2pSeq += 1;
      this.browser.emit(
        browserPayload({ room: this.room, kind: 'b2p', seq: this.b2pSeq, nonce: this.nonce }),
      );
      this.b2pSent.push({ seq: this.b2pSeq, at: now });
    }
    const proc = this.instance.proc;
    if (proc.alive && proc.child.connected) {
      this.p2bSeq += 1;
      proc.send({
        key: 'send',
        value: { room: this.room, kind: 'p2b', seq: this.p2bSeq, nonce: this.nonce },
      });
      this.p2bSent.push({ seq: this.p2bSeq, at: now });
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Sequence numbers of this stream's b2p messages the instance's parent received, in order. */
  b2pReceived(): number[] {
    return parentTags(this.instance.proc, this.parentFrom)
      .filter((t) => t.kind === 'b2p' && t.nonce === this.nonce)
      .map((t) => t.seq);
  }

  /** Sequence numbers of this stream's p2b messages the browser received, in order. */
  p2bReceived(): number[] {
    return this.browser
      .tags(this.browserFrom)
      .filter((t) => t.kind === 'p2b' && t.nonce === this.nonce)
      .map((t) => t.seq);
  }
}

/** Problems with a received sequence: out of order / duplicates, and gaps after `contiguousFrom`. */
export function sequenceProblems(received: number[], lastSent: number, contiguousFrom?: number): string[] {
  const problems: string[] = [];
  for (let i = 1; i < received.length; i += 1) {
    const prev = received[i - 1] as number;
    const cur = received[i] as number;
    if (cur <= prev) problems.push(`seq ${cur} after ${prev} (reordered or duplicated)`);
  }
  if (contiguousFrom !== undefined) {
    const have = new Set(received);
    const missing: number[] = [];
    for (let s = contiguousFrom; s <= lastSent; s += 1) if (!have.has(s)) missing.push(s);
    if (missing.length > 0) {
      problems.push(
        `missing ${missing.length} of ${contiguousFrom}..${lastSent}: ${missing.slice(0, 20).join(',')}`,
      );
    }
  }
  return problems;
}

/**
 * Sends `count` tagged messages each way for every pair (the browser's tagged with `room`, the
 * parent's with `sender`) and waits until each arrived, in order and once. An instance that
 * serves several browsers (a single server) is in several pairs and sends each message once.
 */
export async function exchange(
  pairs: { instance: Instance; browser: TestBrowser; room: string; sender: string }[],
  count = 5,
): Promise<void> {
  const nonce = randomBytes(5).toString('hex');
  const marks = pairs.map((p) => ({
    parent: p.instance.proc.messages.length,
    browser: p.browser.received.length,
  }));
  const senders = [...new Map(pairs.map((p) => [p.instance, p.sender])).entries()];
  for (let seq = 1; seq <= count; seq += 1) {
    for (const p of pairs) {
      assert.ok(
        p.browser.emit(browserPayload({ room: p.room, kind: 'check', seq, nonce })),
        `${p.browser.name} is not connected`,
      );
    }
    for (const [instance, sender] of senders) {
      instance.proc.send({ key: 'send', value: { room: sender, kind: 'check', seq, nonce } });
    }
  }
  await Promise.all(
    pairs.map(async (p, i) => {
      const mark = marks[i] as { parent: number; browser: number };
      const atParent = () =>
        parentTags(p.instance.proc, mark.parent)
          .filter((t) => t.kind === 'check' && t.nonce === nonce && t.room === p.room)
          .map((t) => t.seq);
      const atBrowser = () =>
        p.browser
          .tags(mark.browser)
          .filter((t) => t.kind === 'check' && t.nonce === nonce && t.room === p.sender)
          .map((t) => t.seq);
      await until(() => atParent().length >= count && atBrowser().length >= count, {
        timeoutMs: 5000,
        describe: () =>
          `${count} messages each way between ${p.instance.name} and ${p.browser.name}: parent got [${atParent()}], browser got [${atBrowser()}]`,
      });
      const expected = Array.from({ length: count }, (_, k) => k + 1);
      assert.deepEqual(
        atParent(),
        expected,
        `${p.instance.name}'s parent: browser messages out of order or duplicated`,
      );
      assert.deepEqual(atBrowser(), expected, `${p.browser.name}: parent sends out of order or duplicated`);
    }),
  );
}

/** One student of a cloud PC: their Entry HW (instance) and their Entry tab, and their room. */
export interface Student {
  room: string;
  instance: Instance;
  tab: TestBrowser;
}

/**
 * Every tagged message that reached another student than its sender, as readable lines, from
 * the given marks on (default: the whole run). Tabs tag with their room and parents with their
 * student's room, whether or not the instance knows it; a parent or a tab only ever receives
 * tags of its own student's room.
 */
export function crossings(
  students: readonly Student[],
  from: { parent?: Map<Instance, number>; tab?: Map<TestBrowser, number> } = {},
): string[] {
  const out: string[] = [];
  for (const s of students) {
    for (const tag of parentTags(s.instance.proc, from.parent?.get(s.instance) ?? 0))
      if (tag.room !== s.room) out.push(`${s.instance.name}'s parent got ${tag.room}/${tag.kind}#${tag.seq}`);
    for (const tag of s.tab.tags(from.tab?.get(s.tab) ?? 0))
      if (tag.room !== s.room) out.push(`${s.tab.name} got ${tag.room}/${tag.kind}#${tag.seq}`);
  }
  return out;
}
