// The real browser path, end to end: Chromium loads an https test page that runs the
// socket.io-client 2.5.0 browser bundle and connects to the server the way the Entry workspace
// (entryjs) does; the test plays Entry HW on the other side of the server's IPC channel.
//
//   A  valid certificate: wss://hw.playentry.org, 60 Hz page → parent, parent `send` → page
//   C  a page from a disallowed origin is refused; its parent sees nothing
//   E  Chrome's Local Network Access: a page from a public address is blocked even on
//      wss://hw.playentry.org (it resolves to 127.0.0.1) until the permission is granted;
//      E2: the connections its blocked requests open are closed within seconds
//   B  expired certificate, and no certificate: the page ends up on ws://127.0.0.1, same port
//   D  cloud PC mode: two instances on one port, two pages with different roomIds
//   F  attacks from web pages: a sandboxed iframe (Origin null) on a foreign site, the
//      JSONP <script src> route, and a DNS-rebound name; the parent sees nothing, the page reads nothing
//
// Run: node scripts/test.mjs test/browser   (needs /usr/bin/chromium; skipped without it unless CI)
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { makeTestPki, type TestPki } from '../../harness/certs';
import { freePort, type ServerProcess, spawnServer } from '../../harness/server-process';
import { randomRoomId } from '../../harness/util';
import type { ServerMessage } from '../../src/ipc/messages';
import { chromiumAvailability, launchChromium } from './chromium';
import { type PageServer, startPageServer } from './page-server';
import { assertProgramBuilt, CERTIFICATE_HOSTS, SCREENSHOT_DIR, untilTrue } from './suite-helpers';

const ALLOWED_PAGE_HOST = 'playentry.test';
const REFUSED_PAGE_HOST = 'evil.test';
/** A name an attacker re-pointed to 127.0.0.1 (DNS rebinding). */
const REBOUND_HOST = 'rebind.test';
const HOSTS = [...CERTIFICATE_HOSTS, ALLOWED_PAGE_HOST, REFUSED_PAGE_HOST, REBOUND_HOST];
/** The entryjs cascade over three addresses, 4 tries each, takes ~10 s to fail (~6 s to fall back); allow for slow CI. */
const CASCADE_TIMEOUT_MS = 30_000;

/** What the page exposes as `window.entryHw` (see page/entry-hw-page.js). */
interface PageState {
  origin: string;
  roomId: string;
  label: string;
  status: 'connecting' | 'connected' | 'disconnected' | 'failed';
  addresses: string[];
  attempts: { url: string; outcome: string; errors: string[] }[];
  connectedUrl: string | null;
  connectedAfterMs: number | null;
  transport: string | null;
  ack: unknown;
  sent: number;
  receivedCount: number;
  received: unknown[];
  events: string[];
}

/** One WebSocket the browser opened, as Chromium reported it. */
interface SocketRecord {
  url: string;
  errors: string[];
  framesReceived: number;
  framesSent: number;
  closed: boolean;
}

/** Records every WebSocket the page opens: its URL, errors, frames each way and whether it closed. */
function recordSockets(page: Page): SocketRecord[] {
  const sockets: SocketRecord[] = [];
  page.on('websocket', (ws) => {
    const record: SocketRecord = {
      url: ws.url(),
      errors: [],
      framesReceived: 0,
      framesSent: 0,
      closed: false,
    };
    sockets.push(record);
    ws.on('socketerror', (error) => record.errors.push(String(error)));
    ws.on('framereceived', () => {
      record.framesReceived += 1;
    });
    ws.on('framesent', () => {
      record.framesSent += 1;
    });
    ws.on('close', () => {
      record.closed = true;
    });
  });
  return sockets;
}

interface Workspace {
  page: Page;
  sockets: SocketRecord[];
  state(): Promise<PageState>;
}

declare global {
  interface Window {
    entryHw: PageState;
  }
}

const { skip, failure } = chromiumAvailability();
if (skip) console.log(`browser suite ${skip}`);

/** The parent's `data` messages that came from the page labelled `label`, in arrival order. */
function dataFrom(server: ServerProcess, label: string): { data: string; type: string }[] {
  const out: { data: string; type: string }[] = [];
  for (const message of server.messages) {
    if (message.key !== 'data') continue;
    const value = message.value as { data?: unknown; type?: unknown } | null;
    if (value === null || typeof value !== 'object' || typeof value.data !== 'string') continue;
    try {
      if ((JSON.parse(value.data) as { from?: unknown }).from === label)
        out.push(value as { data: string; type: string });
    } catch {
      // not one of ours
    }
  }
  return out;
}

function summary(state: PageState, sockets: SocketRecord[]): string {
  const { received, events, ...rest } = state;
  return JSON.stringify(
    { ...rest, lastReceived: received.slice(-3), events: events.slice(-15), websockets: sockets },
    null,
    2,
  );
}

function parentSummary(server: ServerProcess): string {
  const counts = new Map<string, number>();
  for (const m of server.messages) counts.set(m.key, (counts.get(m.key) ?? 0) + 1);
  const other = server.messages
    .filter((m) => m.key !== 'data')
    .map((m) => `${m.key}=${JSON.stringify(m.value)}`);
  return `${server.name} messages: ${JSON.stringify(Object.fromEntries(counts))}; non-data: ${other.join(', ').slice(0, 1500)}`;
}

describe('real browser: Chromium, socket.io-client 2.5.0, the entryjs connection cascade', { skip }, () => {
  let work: string;
  let browser: Browser;
  let pageServer: PageServer;
  /** Same pages, but Chromium treats this server's address as public (Local Network Access). */
  let publicPageServer: PageServer;
  let validPki: TestPki;
  let expiredPki: TestPki;
  let pagePki: TestPki;
  let emptyCertDir: string;
  let trustMode = '';
  const servers: ServerProcess[] = [];
  const contexts: BrowserContext[] = [];
  /** The host of scenarios A, C and E (valid certificate). */
  let hostA: ServerProcess;

  before(async () => {
    if (failure) throw new Error(failure);
    assertProgramBuilt();
    work = mkdtempSync(join(tmpdir(), 'entry-hw-browser-'));
    validPki = makeTestPki({ baseDir: work });
    expiredPki = makeTestPki({ baseDir: work, leafDays: -5 });
    pagePki = makeTestPki({ baseDir: work, dnsNames: [ALLOWED_PAGE_HOST, REFUSED_PAGE_HOST] });
    emptyCertDir = join(work, 'no-certs');
    mkdirSync(emptyCertDir);
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    pageServer = await startPageServer(pagePki.dir);
    publicPageServer = await startPageServer(pagePki.dir);
    const launched = await launchChromium({
      workDir: work,
      trusted: [validPki, pagePki],
      trustedRootsOnly: [expiredPki],
      hosts: HOSTS,
      extraArgs: [`--ip-address-space-overrides=127.0.0.1:${publicPageServer.port}=public`],
    });
    browser = launched.browser;
    trustMode = launched.trustMode;
    console.log(`chromium ${browser.version()}, test CAs trusted via ${trustMode}`);
    hostA = await startServer('A', await freePort(), validPki.dir);
    assert.equal(await hostA.open(), 2, 'a lone instance is the host');
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close().catch(() => {});
    await Promise.all(servers.map((server) => server.stop().catch(() => {})));
    await pageServer?.close().catch(() => {});
    await publicPageServer?.close().catch(() => {});
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function startServer(name: string, port: number, certDir: string): Promise<ServerProcess> {
    const server = spawnServer({
      port,
      name,
      env: {
        ENTRY_HW_CERT_DIR: certDir,
        ENTRY_HW_ALLOWED_ORIGINS: [pageServer, publicPageServer]
          .map((s) => s.origin(ALLOWED_PAGE_HOST))
          .join(','),
      },
    });
    servers.push(server);
    return server;
  }

  /** Opens the test page from `host` in a fresh browser context, recording its WebSockets. */
  async function openWorkspace(
    host: string,
    port: number,
    roomId: string,
    label: string,
    { pages = pageServer, grantLocalNetworkAccess = false } = {},
  ): Promise<Workspace> {
    const context = await browser.newContext();
    contexts.push(context);
    if (grantLocalNetworkAccess) {
      await context.grantPermissions(['local-network-access'], { origin: pages.origin(host) });
    }
    const page = await context.newPage();
    const sockets = recordSockets(page);
    page.on('pageerror', (error) => console.log(`[${label}] page error: ${error.message}`));
    const url = `${pages.origin(host)}/?port=${port}&roomId=${roomId}&label=${encodeURIComponent(label)}`;
    const response = await page.goto(url, { waitUntil: 'load', timeout: 15_000 });
    assert.equal(response?.status(), 200, `test page ${url} did not load`);
    return { page, sockets, state: () => page.evaluate(() => window.entryHw) };
  }

  async function waitForStatus(ws: Workspace, status: PageState['status'], what: string): Promise<PageState> {
    let last: PageState | undefined;
    await untilTrue(
      async () => {
        last = await ws.state();
        return last.status === status || last.status === 'failed' || last.status === 'connected';
      },
      what,
      CASCADE_TIMEOUT_MS,
      async () => summary(last ?? (await ws.state()), ws.sockets),
    );
    const state = last as PageState;
    assert.equal(state.status, status, `${what}\n${summary(state, ws.sockets)}`);
    return state;
  }

  /** The parent's `send` reaches the page as a socket.io `message` event `{ data: value }`. */
  async function assertParentToPage(server: ServerProcess, ws: Workspace, value: unknown): Promise<void> {
    const expected = JSON.stringify({ data: value });
    const before = (await ws.state()).receivedCount;
    server.send({ key: 'send', value });
    await untilTrue(
      async () =>
        await ws.page.evaluate((e) => window.entryHw.received.some((m) => JSON.stringify(m) === e), expected),
      `page did not receive ${expected} after the parent's send`,
      5000,
      async () => summary(await ws.state(), ws.sockets),
    );
    const state = await ws.state();
    assert.ok(state.receivedCount > before);
    const received = state.received.find((m) => JSON.stringify(m) === expected);
    assert.deepEqual(received, { data: value });
  }

  /**
   * The page's 60 Hz `message`s reach the parent as `data`, unchanged and in order; returns the
   * measured rate. Also checks the acknowledgement the page asked for on its first message.
   */
  async function assertPageToParent(server: ServerProcess, ws: Workspace, label: string): Promise<number> {
    await untilTrue(
      () => dataFrom(server, label).length >= 10,
      `parent did not get 10 data messages from page ${label}`,
      10_000,
      async () => `${parentSummary(server)}\n${summary(await ws.state(), ws.sockets)}`,
    );
    const start = dataFrom(server, label).length;
    const t0 = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const messages = dataFrom(server, label);
    const rate = ((messages.length - start) * 1000) / (Date.now() - t0);
    for (const message of messages) {
      assert.deepEqual(
        Object.keys(message).sort(),
        ['data', 'type'],
        'payload must reach the parent unchanged',
      );
      assert.equal(message.type, 'utf8');
    }
    const seqs = messages.map((m) => (JSON.parse(m.data) as { seq: number }).seq);
    for (let i = 1; i < seqs.length; i += 1) {
      assert.ok(
        (seqs[i] as number) > (seqs[i - 1] as number),
        `out of order at ${i}: ${seqs.slice(i - 2, i + 2)}`,
      );
    }
    assert.ok(rate >= 30, `page → parent rate ${rate.toFixed(1)}/s, expected about 60/s`);
    const state = await ws.state();
    assert.equal(state.ack, true, 'the server acknowledges a message without key with `true`');
    return rate;
  }

  function socketTo(ws: Workspace, prefix: string): SocketRecord {
    const found = ws.sockets.find((s) => s.url.startsWith(prefix));
    assert.ok(found, `no WebSocket to ${prefix}; seen: ${ws.sockets.map((s) => s.url).join(', ')}`);
    return found;
  }

  function assertEntryjsHandshake(url: string, roomId: string): void {
    const query = new URL(url).searchParams;
    assert.equal(new URL(url).pathname, '/socket.io/');
    assert.equal(query.get('EIO'), '3', 'socket.io-client 2.x speaks Engine.IO 3');
    assert.equal(query.get('transport'), 'websocket');
    assert.equal(query.get('client'), 'true');
    assert.equal(query.get('roomId'), roomId);
  }

  it('A: valid certificate: wss://hw.playentry.org, 60 Hz to the parent, parent send to the page', {
    timeout: 60_000,
  }, async (t) => {
    const server = hostA;
    const port = server.port;
    const roomId = randomRoomId();
    const ws = await openWorkspace(ALLOWED_PAGE_HOST, port, roomId, 'A');

    const state = await waitForStatus(ws, 'connected', 'page did not connect');
    assert.equal(state.connectedUrl, `https://hw.playentry.org:${port}`, 'the first address (wss) must work');
    assert.equal(state.transport, 'websocket');
    assert.deepEqual(
      state.attempts.map((a) => a.outcome),
      ['connected'],
      'no fallback needed',
    );
    const socket = socketTo(ws, `wss://hw.playentry.org:${port}/socket.io/`);
    assertEntryjsHandshake(socket.url, roomId);
    assert.deepEqual(socket.errors, []);

    const connection = await server.waitFor('connection', () => true, { timeoutMs: 5000 });
    if (connection.value !== undefined) assert.deepEqual(connection.value, { kind: 'browser', roomId });

    const rate = await assertPageToParent(server, ws, 'A');
    t.diagnostic(`page → parent: ${rate.toFixed(1)} messages/s over wss`);
    await assertParentToPage(server, ws, { company: 1, model: 1, a0: 512 });
    await assertParentToPage(server, ws, 'disconnectHardware');

    await ws.page.screenshot({ path: join(SCREENSHOT_DIR, 'scenario-a-wss.png'), fullPage: true });
    t.diagnostic(`screenshot: ${join('test-output', 'browser', 'scenario-a-wss.png')}`);

    const from = server.messages.length;
    await ws.page.context().close();
    const closed = await server.waitFor('close', () => true, { from, timeoutMs: 5000 });
    assert.equal(closed.value, roomId, 'close carries the roomId of the browser that left');
  });

  it('C: a page from a disallowed origin is refused and its parent sees nothing', {
    timeout: 60_000,
  }, async (t) => {
    const server = hostA;
    assert.ok(server.alive);
    const from = server.messages.length;
    const roomId = randomRoomId();
    const ws = await openWorkspace(REFUSED_PAGE_HOST, server.port, roomId, 'C');

    const state = await waitForStatus(ws, 'failed', 'page from https://evil.test was not refused');
    assert.deepEqual(
      state.attempts.map((a) => [a.url, a.outcome]),
      state.addresses.map((url) => [url, 'failed']),
      'every address of the cascade must fail',
    );
    // The browser did reach the server (TLS fine, name mapped): the refusal is the server's.
    const socket = socketTo(ws, `wss://hw.playentry.org:${server.port}/socket.io/`);
    assert.equal(socket.framesReceived, 0, 'no Engine.IO frame may reach a refused page');
    t.diagnostic(`Chromium's error for the refused handshake: ${socket.errors[0] ?? '(none reported)'}`);
    assert.match(socket.errors.join(' '), /\b403\b/, 'the server refuses a disallowed origin with HTTP 403');
    assert.ok(
      ws.sockets.every((s) => s.framesReceived === 0),
      `a refused page got frames: ${JSON.stringify(ws.sockets)}`,
    );
    await ws.page.screenshot({ path: join(SCREENSHOT_DIR, 'scenario-c-refused.png'), fullPage: true });
    await ws.page.context().close();

    await new Promise((resolve) => setTimeout(resolve, 300));
    const seen = server.messages
      .slice(from)
      .filter((m: ServerMessage) => m.key === 'connection' || m.key === 'data');
    assert.deepEqual(seen, [], 'the parent must see no connection and no data from a refused origin');
    assert.ok(server.alive);
  });

  /** What an attacker must never cause: the parent's `data`, `connection` or a mode change. */
  function attackVisible(server: ServerProcess, from: number): string[] {
    const keys = new Set(['data', 'connection', 'cloudModeChanged', 'runningModeChanged']);
    return server.messages
      .slice(from)
      .filter((m: ServerMessage) => keys.has(m.key))
      .map((m) => `${m.key}=${JSON.stringify(m.value).slice(0, 200)}`);
  }

  /** Keeps the parent sending a recognisable value, so that a page that could read would read it. */
  function keepSending(server: ServerProcess, secret: string): () => void {
    const timer = setInterval(() => server.send({ key: 'send', value: { secret } }), 100);
    return () => clearInterval(timer);
  }

  /**
   * The rebound page's script, as source text (tsx would wrap named functions in helpers that do
   * not exist in the page): reads /status, tries polling (GET and POST) and a WebSocket.
   */
  const REBOUND_PAGE_SCRIPT = `(async () => {
    const roomId = 'ROOM_ID';
    const out = { origin: location.origin };
    const grab = async (path, init) => {
      try {
        const response = await fetch(path, init);
        return { status: response.status, body: (await response.text()).slice(0, 300) };
      } catch (error) {
        return { error: String(error) };
      }
    };
    out.status = await grab('/status');
    out.polling = await grab('/socket.io/?EIO=3&transport=polling&client=true&roomId=' + roomId);
    out.pollingPost = await grab('/socket.io/?EIO=4&transport=polling&roomId=' + roomId, { method: 'POST', body: '40' });
    out.websocket = await new Promise((resolve) => {
      const ws = new WebSocket('ws://' + location.host + '/socket.io/?EIO=3&transport=websocket&roomId=' + roomId);
      const frames = [];
      const timer = setTimeout(() => resolve({ outcome: 'timeout', frames }), 5000);
      ws.onmessage = (event) => frames.push(String(event.data).slice(0, 200));
      ws.onopen = () => setTimeout(() => { clearTimeout(timer); ws.close(); resolve({ outcome: 'open', frames }); }, 1000);
      ws.onerror = () => { clearTimeout(timer); resolve({ outcome: 'error', frames }); };
    });
    return out;
  })()`;

  it('F1: a sandboxed iframe (Origin null) on a foreign site is refused; parent and page see nothing', {
    timeout: 60_000,
  }, async () => {
    const server = hostA;
    const from = server.messages.length;
    const secret = `sandbox-${randomRoomId()}`;
    const stop = keepSending(server, secret);
    try {
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      const sockets = recordSockets(page);
      const roomId = randomRoomId();
      const url = `${pageServer.origin(REFUSED_PAGE_HOST)}/sandboxed.html?port=${server.port}&roomId=${roomId}&label=F1`;
      assert.equal((await page.goto(url, { waitUntil: 'load', timeout: 15_000 }))?.status(), 200);
      const frame = await (async () => {
        let found: ReturnType<Page['frames']>[number] | undefined;
        await untilTrue(
          () => {
            found = page.frames().find((f) => f !== page.mainFrame() && f.url().includes('label=F1'));
            return found !== undefined;
          },
          'the sandboxed iframe did not load',
          10_000,
        );
        return found as NonNullable<typeof found>;
      })();
      const frameState = () => frame.evaluate(() => window.entryHw);
      let state = await frameState();
      assert.equal(
        await frame.evaluate(() => self.origin),
        'null',
        'a sandboxed iframe has an opaque origin',
      );
      await untilTrue(
        async () => {
          state = await frameState();
          return state.status === 'failed' || state.status === 'connected';
        },
        'the sandboxed page neither connected nor gave up',
        CASCADE_TIMEOUT_MS,
        () => summary(state, sockets),
      );
      assert.equal(state.status, 'failed', `a page with Origin null connected:\n${summary(state, sockets)}`);
      assert.equal(state.receivedCount, 0);
      assert.ok(
        sockets.length > 0 && sockets.every((s) => s.framesReceived === 0),
        `the iframe's WebSockets: ${JSON.stringify(sockets)}`,
      );
      assert.match(sockets.flatMap((s) => s.errors).join(' '), /\b403\b/, 'refused by the server with 403');
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'scenario-f1-sandboxed.png'), fullPage: true });
      await context.close();
    } finally {
      stop();
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(
      attackVisible(server, from),
      [],
      'the parent must see nothing from the sandboxed iframe',
    );
  });

  it('F2: the JSONP <script src> route is closed; parent and page see nothing', {
    timeout: 60_000,
  }, async () => {
    const server = hostA;
    const from = server.messages.length;
    const secret = `jsonp-${randomRoomId()}`;
    const stop = keepSending(server, secret);
    let attack: {
      scripts: { url: string; outcome: string }[];
      calls: string[];
      sids: string[];
      done: boolean;
    };
    try {
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      const url = `${pageServer.origin(REFUSED_PAGE_HOST)}/jsonp.html?port=${server.port}&roomId=${randomRoomId()}`;
      assert.equal((await page.goto(url, { waitUntil: 'load', timeout: 15_000 }))?.status(), 200);
      const read = () => page.evaluate(() => (window as unknown as { attack: typeof attack }).attack);
      attack = await read();
      await untilTrue(
        async () => {
          attack = await read();
          return attack.done;
        },
        'the JSONP page did not finish',
        20_000,
        () => JSON.stringify(attack),
      );
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'scenario-f2-jsonp.png'), fullPage: true });
      await context.close();
    } finally {
      stop();
    }
    assert.equal(attack.scripts.length, 2, `both addresses were tried: ${JSON.stringify(attack.scripts)}`);
    assert.deepEqual(attack.calls, [], 'the JSONP callback must never run (the page read nothing)');
    assert.deepEqual(attack.sids, [], 'no session id may reach the page');
    assert.ok(
      attack.scripts.every((s) => s.outcome === 'error'),
      `every <script> must fail: ${JSON.stringify(attack.scripts)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(attackVisible(server, from), [], 'the parent must see nothing from the JSONP page');
  });

  it('F3: a DNS-rebound name (rebind.test → 127.0.0.1) reads nothing; the parent sees nothing', {
    timeout: 60_000,
  }, async () => {
    const server = hostA;
    const from = server.messages.length;
    const secret = `rebind-${randomRoomId()}`;
    const stop = keepSending(server, secret);
    let result: Record<string, unknown>;
    let navigation: number | undefined;
    try {
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      // After the rebinding, the attacker's page at http://rebind.test:<port> is same-origin with
      // the server: its script (run here with evaluate) needs no CORS to read the answers.
      const origin = `http://${REBOUND_HOST}:${server.port}`;
      navigation = (await page.goto(`${origin}/`, { waitUntil: 'load', timeout: 15_000 }))?.status();
      result = (await page.evaluate(REBOUND_PAGE_SCRIPT.replace('ROOM_ID', randomRoomId()))) as Record<
        string,
        unknown
      >;
      await context.close();
    } finally {
      stop();
    }
    const text = JSON.stringify(result);
    assert.equal(navigation, 403, `the rebound page itself must be refused: ${text}`);
    assert.equal((result.status as { status?: number }).status, 403, text);
    assert.equal((result.polling as { status?: number }).status, 403, text);
    assert.ok(((result.pollingPost as { status?: number }).status ?? 0) >= 400, text);
    assert.equal((result.websocket as { outcome: string }).outcome, 'error', text);
    for (const leak of ['entry-hw-server', '"sid"', secret]) {
      assert.ok(!text.includes(leak), `the rebound page read ${leak}: ${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(attackVisible(server, from), [], 'the parent must see nothing from the rebound page');
  });

  it('E: Local Network Access: a public page is blocked even on wss://hw.playentry.org until permitted', {
    timeout: 60_000,
  }, async (t) => {
    const server = hostA;
    const options = { pages: publicPageServer };

    // Not permitted (what a user who dismisses Chrome's prompt gets): every address is blocked.
    const from = server.messages.length;
    const blocked = await openWorkspace(ALLOWED_PAGE_HOST, server.port, randomRoomId(), 'E-blocked', options);
    const state = await waitForStatus(
      blocked,
      'failed',
      'a public page reached loopback without the permission',
    );
    assert.deepEqual(
      state.attempts.map((a) => a.outcome),
      ['failed', 'failed', 'failed'],
    );
    const errors = blocked.sockets.flatMap((s) => s.errors);
    t.diagnostic(`Chromium: ${[...new Set(errors)].join(' | ')}`);
    for (const prefix of [`wss://hw.playentry.org:${server.port}/`, `ws://127.0.0.1:${server.port}/`]) {
      const socket = socketTo(blocked, prefix);
      assert.match(
        socket.errors.join(' '),
        /LOCAL_NETWORK_ACCESS/,
        `${prefix} must be blocked by Local Network Access`,
      );
    }
    await blocked.page.context().close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(
      server.messages.slice(from).filter((m: ServerMessage) => m.key === 'connection' || m.key === 'data'),
      [],
      'a blocked page never reaches the server',
    );

    // Permitted (the user clicked Allow, or the school set LocalNetworkAccessAllowedForUrls): wss works.
    const roomId = randomRoomId();
    const allowed = await openWorkspace(ALLOWED_PAGE_HOST, server.port, roomId, 'E-allowed', {
      ...options,
      grantLocalNetworkAccess: true,
    });
    const connected = await waitForStatus(allowed, 'connected', 'a permitted public page did not connect');
    assert.equal(connected.connectedUrl, `https://hw.playentry.org:${server.port}`);
    assertEntryjsHandshake(socketTo(allowed, `wss://hw.playentry.org:${server.port}/socket.io/`).url, roomId);
    await assertPageToParent(server, allowed, 'E-allowed');
    await assertParentToPage(server, allowed, { company: 1, model: 1, a0: 512 });
    await allowed.page.context().close();
  });

  it('E2: a blocked public page spraying requests holds no connection slot for long', {
    timeout: 60_000,
  }, async (t) => {
    const server = hostA;
    // The server's open TCP sockets on its port, as the kernel lists them (ESTABLISHED or
    // CLOSE_WAIT: not closed by the server yet), so the count needs nothing from the server.
    const connections = async (): Promise<{ anonymous: number }> => {
      const hexPort = server.port.toString(16).toUpperCase().padStart(4, '0');
      let open = 0;
      for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
        const rows = (await readFile(file, 'utf8').catch(() => '')).split('\n').slice(1);
        for (const row of rows) {
          const [, local, , state] = row.trim().split(/\s+/);
          if (local?.endsWith(`:${hexPort}`) && (state === '01' || state === '08')) open += 1;
        }
      }
      return { anonymous: open };
    };
    const before = await connections();
    const from = server.messages.length;
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    // Any document of the public page server will do: the requests go out from its origin.
    await page.goto(`${publicPageServer.origin(ALLOWED_PAGE_HOST)}/attacker`, { timeout: 15_000 });
    const sprayed = Date.now();
    // Sample the server's count while the page sprays: the peak shows the sockets it opened.
    let peak = before.anonymous;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, (await connections()).anonymous);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const outcomes = await page.evaluate(async (port) => {
      const tries: Promise<string>[] = [];
      for (let i = 0; i < 300; i += 1) {
        const url =
          i % 2 === 0 ? `http://127.0.0.1:${port}/status?n=${i}` : `http://a${i}.localhost:${port}/?n=${i}`;
        tries.push(
          fetch(url, { mode: 'no-cors' }).then(
            () => 'read',
            (error: Error) => error.message,
          ),
        );
      }
      return [...new Set(await Promise.all(tries))];
    }, server.port);
    t.diagnostic(`Chromium: ${outcomes.join(' | ')}`);
    assert.ok(!outcomes.includes('read'), 'a blocked page got an answer');
    // Every connection its blocked requests left open is closed soon (2 s for a connection that
    // sends nothing), not after the 10 s request deadline.
    await untilTrue(
      async () => (await connections()).anonymous <= before.anonymous + 1,
      "the blocked page's connections closed",
      5000,
      async () => `connections now ${JSON.stringify(await connections())}, before ${JSON.stringify(before)}`,
    );
    sampling = false;
    await sampler;
    t.diagnostic(
      `server sockets on the port: ${before.anonymous} before, peak ${peak}, back to baseline ${Date.now() - sprayed} ms after the spray started`,
    );
    assert.ok(
      peak >= before.anonymous + 20,
      `the blocked page opened ${peak - before.anonymous} connections: this Chromium opens none, the test shows nothing`,
    );
    assert.deepEqual(
      server.messages.slice(from).filter((m: ServerMessage) => m.key === 'connection' || m.key === 'data'),
      [],
      'a blocked page never reaches the parent',
    );
    await context.close();
  });

  for (const variant of [
    { name: 'expired certificate', cert: 'expired' as const },
    { name: 'no certificate', cert: 'none' as const },
  ]) {
    it(`B: ${variant.name}: the page falls back to ws://127.0.0.1 on the same port`, {
      timeout: 60_000,
    }, async (t) => {
      const port = await freePort();
      const certDir = variant.cert === 'expired' ? expiredPki.dir : emptyCertDir;
      const server = await startServer(`B-${variant.cert}`, port, certDir);
      assert.equal(await server.open(), 2);
      const label = `B-${variant.cert}`;
      const roomId = randomRoomId();
      const ws = await openWorkspace(ALLOWED_PAGE_HOST, port, roomId, label);

      const state = await waitForStatus(ws, 'connected', 'page did not reach the plain fallback');
      assert.equal(state.connectedUrl, `http://127.0.0.1:${port}`);
      assert.equal(state.transport, 'websocket');
      assert.deepEqual(
        state.attempts.map((a) => a.outcome),
        ['failed', 'failed', 'connected'],
        'both wss names fail, then http://127.0.0.1 works',
      );
      const socket = socketTo(ws, `ws://127.0.0.1:${port}/socket.io/`);
      assertEntryjsHandshake(socket.url, roomId);
      const wssErrors = ws.sockets.filter((s) => s.url.startsWith('wss://')).flatMap((s) => s.errors);
      t.diagnostic(`wss attempts failed with: ${[...new Set(wssErrors)].join(' | ') || '(no error text)'}`);
      t.diagnostic(`connected over ws://127.0.0.1 ${state.connectedAfterMs} ms after the page started`);

      const rate = await assertPageToParent(server, ws, label);
      t.diagnostic(`page → parent: ${rate.toFixed(1)} messages/s over ws://127.0.0.1`);
      await assertParentToPage(server, ws, { company: 1, model: 1, a0: 512 });
      await ws.page.screenshot({
        path: join(SCREENSHOT_DIR, `scenario-b-${variant.cert}.png`),
        fullPage: true,
      });
      await ws.page.context().close();
      await server.stop();
    });
  }

  it('D: cloud PC mode: two instances on one port, each page talks only to its own parent', {
    timeout: 90_000,
  }, async () => {
    const port = await freePort();
    const host = await startServer('D-host', port, validPki.dir);
    assert.equal(await host.open(), 2, 'the first instance becomes the host');
    const peer = await startServer('D-peer', port, validPki.dir);
    assert.equal(await peer.open(), 3, 'the second instance on the same port becomes a peer');

    const roomA = randomRoomId();
    const roomB = randomRoomId();
    host.send({ key: 'addRoomId', value: roomA });
    peer.send({ key: 'addRoomId', value: roomB });
    await host.waitFor('cloudModeChanged', (m) => m.value === 1, { timeoutMs: 10_000 });

    const pageA = await openWorkspace(ALLOWED_PAGE_HOST, port, roomA, 'D-A');
    const pageB = await openWorkspace(ALLOWED_PAGE_HOST, port, roomB, 'D-B');
    for (const ws of [pageA, pageB]) {
      const state = await waitForStatus(ws, 'connected', `page ${ws === pageA ? 'A' : 'B'} did not connect`);
      assert.equal(state.connectedUrl, `https://hw.playentry.org:${port}`);
    }

    // Browser → parent: each parent gets its own page's messages and never the other's.
    for (const [server, label, ws] of [
      [host, 'D-A', pageA],
      [peer, 'D-B', pageB],
    ] as const) {
      await untilTrue(
        () => dataFrom(server, label).length >= 10,
        `${server.name} did not get data from its page ${label}`,
        15_000,
        async () => `${parentSummary(server)}\n${summary(await ws.state(), ws.sockets)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(dataFrom(host, 'D-B').length, 0, "the host's parent got page B's data");
    assert.equal(dataFrom(peer, 'D-A').length, 0, "the peer's parent got page A's data");

    // Parent → browser: each parent's send reaches its own page only.
    const forA = { company: 1, model: 1, a0: 101 };
    const forB = { company: 1, model: 1, a0: 202 };
    await assertParentToPage(host, pageA, forA);
    await assertParentToPage(peer, pageB, forB);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const hasReceived = (ws: Workspace, value: unknown) =>
      ws.page.evaluate(
        (e) => window.entryHw.received.some((m) => JSON.stringify(m) === e),
        JSON.stringify({ data: value }),
      );
    assert.equal(await hasReceived(pageB, forA), false, "page B got the host parent's send");
    assert.equal(await hasReceived(pageA, forB), false, "page A got the peer parent's send");
  });
});
