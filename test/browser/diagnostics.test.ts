// In a real browser: Chromium loads http://127.0.0.1:<port>/diagnostics in Korean and in
// English, on a single server (valid and expired certificate) and on a 3-instance cloud, each with
// one healthy room and one room whose browser left. The test asserts what the page shows (its DOM,
// written from the bundle), that the page's own wss/ws probes report what the certificate allows,
// that a hostile origin in the recent problems stays text, that the CSP blocks nothing of the page,
// and that the page keeps working across a failover; each case saves a screenshot. Then the
// rows
// of instances started without a roomId (a single PC serving two rooms, a cloud where none knows
// its room, a refused claim), their words and remedies in both languages; "working" only where the
// parent gave the roomId.
//
// Run: node scripts/test.mjs test/browser/diagnostics.test.ts  (needs Chromium, see chromium.ts)
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { type BrowserClient, BrowserPool, randomRoomId } from '../../harness/browser-client';
import { makeTestPki, type TestPki } from '../../harness/certs';
import { freePort, type ServerProcess, spawnServer } from '../../harness/server-process';
import type { DiagnosticsSnapshot } from '../../src/diagnostics/snapshot';
import { request } from '../helpers/http';
import { chromiumAvailability, launchChromium } from './chromium';
import { assertProgramBuilt, CERTIFICATE_HOSTS, SCREENSHOT_DIR, untilTrue } from './suite-helpers';

const HOSTILE_ORIGIN = 'https://x"><img src=x id=injected onerror=alert(1)>.evil';

/** What the page exposes as `window.entryHwDiagnostics`. */
interface PageView {
  bundle: DiagnosticsSnapshot | null;
  reach: Record<string, string>;
  updates: number;
}

declare global {
  interface Window {
    entryHwDiagnostics: PageView;
  }
}

const { skip, failure } = chromiumAvailability();
if (skip) console.log(`diagnostics browser suite ${skip}`);

/** A browser tab's traffic, played by socket.io-client: messages up at ~30/s, down at ~10/s. */
interface Traffic {
  stop(): void;
}

describe('real browser: the diagnostics page', { skip }, () => {
  let work: string;
  let browser: Browser;
  let validPki: TestPki;
  let expiredPki: TestPki;
  const servers: ServerProcess[] = [];
  const contexts: BrowserContext[] = [];
  const pool = new BrowserPool();
  const traffic: Traffic[] = [];

  before(async () => {
    if (failure) throw new Error(failure);
    assertProgramBuilt();
    work = mkdtempSync(join(tmpdir(), 'entry-hw-diagnostics-browser-'));
    validPki = makeTestPki({ baseDir: work, leafDays: 200 });
    expiredPki = makeTestPki({ baseDir: work, leafDays: -5 });
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    ({ browser } = await launchChromium({
      workDir: work,
      trusted: [validPki],
      trustedRootsOnly: [expiredPki],
      hosts: CERTIFICATE_HOSTS,
    }));
  });

  after(async () => {
    for (const t of traffic) t.stop();
    pool.closeAll();
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close().catch(() => {});
    await Promise.all(servers.map((server) => server.stop().catch(() => {})));
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function start(name: string, port: number, certDir: string | undefined): ServerProcess {
    const server = spawnServer({ port, name, env: { ENTRY_HW_CERT_DIR: certDir } });
    servers.push(server);
    return server;
  }

  /** A tab of `roomId` that keeps talking, with `parent` answering. */
  async function healthyTab(port: number, roomId: string, parent: ServerProcess): Promise<BrowserClient> {
    const tab = await pool.connect({ version: 'v2', url: `http://127.0.0.1:${port}`, roomId });
    let seq = 0;
    const up = setInterval(() => tab.send({ data: JSON.stringify({ seq: seq++ }), type: 'utf8' }), 33);
    const down = setInterval(
      () => parent.child.connected && parent.send({ key: 'send', value: { a0: seq } }),
      100,
    );
    traffic.push({
      stop: () => {
        clearInterval(up);
        clearInterval(down);
      },
    });
    return tab;
  }

  /** A tab of `roomId` that connected and left. */
  async function leftTab(port: number, roomId: string, parent: ServerProcess): Promise<void> {
    const tab = await pool.connect({ version: 'v2', url: `http://127.0.0.1:${port}`, roomId });
    const from = parent.messages.length;
    tab.close();
    await parent.waitFor('close', () => true, { from, timeoutMs: 5000 }).catch(() => {});
  }

  interface Opened {
    page: Page;
    cspErrors: string[];
    dialogs: string[];
    view(): Promise<PageView>;
  }

  async function openPage(port: number, locale: 'ko-KR' | 'en-US'): Promise<Opened> {
    const context = await browser.newContext({ locale, viewport: { width: 1200, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    const cspErrors: string[] = [];
    const dialogs: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) cspErrors.push(message.text());
    });
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => cspErrors.push(`page error: ${error.message}`));
    const response = await page.goto(`http://127.0.0.1:${port}/diagnostics`, { waitUntil: 'load' });
    assert.equal(response?.status(), 200);
    return { page, cspErrors, dialogs, view: () => page.evaluate(() => window.entryHwDiagnostics) };
  }

  /** Waits until the page's bundle satisfies `check` (the page polls about once a second). */
  async function untilPage(
    opened: Opened,
    what: string,
    check: (view: PageView) => boolean,
  ): Promise<PageView> {
    let last: PageView | undefined;
    await untilTrue(
      async () => {
        last = await opened.view();
        return last.bundle !== null && check(last);
      },
      what,
      20_000,
      () => JSON.stringify(last, null, 1).slice(0, 3000),
    );
    return last as PageView;
  }

  const masked = (roomId: string) => `${roomId.slice(0, 3)}…`;
  /** The text as the reader sees it (rendered, cells apart), which is what these tests assert. */
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point
  const visible = (locator: Locator) => locator.innerText();
  const text = (page: Page, selector: string) => visible(page.locator(selector).first());

  async function rowText(page: Page, roomId: string): Promise<string> {
    return visible(page.locator(`tr[data-room="${masked(roomId)}"]`));
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
  }

  for (const variant of [
    { lang: 'ko' as const, locale: 'ko-KR' as const, cert: 'valid' as const },
    { lang: 'en' as const, locale: 'en-US' as const, cert: 'valid' as const },
    { lang: 'en' as const, locale: 'en-US' as const, cert: 'expired' as const },
  ]) {
    it(`single server, ${variant.cert} certificate, ${variant.lang}: healthy room, room whose browser left`, {
      timeout: 90_000,
    }, async () => {
      const port = await freePort();
      const server = start(
        `diag-single-${variant.cert}-${variant.lang}`,
        port,
        (variant.cert === 'valid' ? validPki : expiredPki).dir,
      );
      assert.equal(await server.open(), 2);
      server.send({ key: 'connectHardwareSuccess', value: '520101' });
      const healthy = randomRoomId();
      const gone = randomRoomId();
      await healthyTab(port, healthy, server);
      await leftTab(port, gone, server);
      // A page with a hostile origin was refused: its origin is in the refusals row of the problems.
      await request({
        port,
        path: '/socket.io/?EIO=4&transport=polling',
        headers: { origin: HOSTILE_ORIGIN },
      });

      const opened = await openPage(port, variant.locale);
      const { page } = opened;
      const view = await untilPage(
        opened,
        'the healthy room shows traffic both ways and both probes have finished',
        (v) => {
          const row = v.bundle?.rooms.find((r) => r.room === masked(healthy));
          return (
            row !== undefined &&
            row.messagesPerSecond.fromBrowser > 0 &&
            row.messagesPerSecond.toBrowser > 0 &&
            v.reach.wss !== 'checking' &&
            v.reach.ws !== 'checking'
          );
        },
      );
      assert.equal(await page.getAttribute('html', 'lang'), variant.lang);
      const ko = variant.lang === 'ko';

      // This server.
      assert.equal(
        await text(page, '[data-field=role]'),
        ko ? '호스트 (포트를 사용 중)' : 'Host (holds the port)',
      );
      assert.equal(await text(page, '[data-field=port]'), String(port));
      assert.equal(await text(page, '[data-field=version]'), view.bundle?.server.version);
      assert.match(await text(page, '[data-field=node]'), /^\d+\.\d+\.\d+$/);
      assert.equal(await text(page, '[data-field=plainWs]'), ko ? '켜짐' : 'On');
      // The log file: the suites' servers write theirs into a temporary folder.
      assert.match(await text(page, '[data-field=logFile]'), /entry-hw-server(-\d+)?\.log$/);
      const tls = await text(page, '[data-field=tls]');
      if (variant.cert === 'valid')
        assert.match(
          tls,
          ko
            ? /^켜짐, 인증서 유효 기간 \d{4}-\d\d-\d\d까지/
            : /^On, certificate valid until \d{4}-\d\d-\d\d \(\d+ days left\)/,
        );
      else assert.equal(tls, 'Off');

      // Checks: the certificate, the port, and the page's own probes.
      const certificate = await text(page, '[data-check=certificate]');
      if (variant.cert === 'valid')
        assert.match(
          certificate,
          ko ? /^정상\s+보안 인증서가 .*까지 유효합니다/ : /^OK\s+The security certificate is valid until/,
        );
      else {
        assert.match(certificate, /^Problem\s+The security certificate expired on \d{4}-\d\d-\d\d/);
        assert.match(certificate, /What to do:\s*Install the latest Entry HW\./);
      }
      assert.match(
        await text(page, '[data-check=port]'),
        ko
          ? new RegExp(`^정상\\s+이 프로그램이 ${port} 포트를`)
          : new RegExp(`^OK\\s+This program holds port ${port}`),
      );
      for (const id of ['dns:hw.playentry.org', 'dns:hardware.playentry.org']) {
        // The server's own resolver decides (no network in CI): either verdict, in plain words.
        assert.match(
          await text(page, `[data-check="${id}"]`),
          ko ? /(정상|문제|확인 중)\s+/ : /^(OK|Problem|Checking)\s+/,
        );
      }
      assert.equal(view.reach.ws, 'ok', 'ws://127.0.0.1 works whatever the certificate');
      assert.equal(view.reach.wss, variant.cert === 'valid' ? 'ok' : 'failed');
      const wss = await text(page, '[data-check="reach:wss"]');
      if (variant.cert === 'valid')
        assert.match(
          wss,
          ko
            ? /^정상\s+이 브라우저가 wss:\/\/hw\.playentry\.org:\d+에 연결했습니다/
            : /^OK\s+This browser reached wss:\/\/hw\.playentry\.org/,
        );
      else
        assert.match(
          wss,
          /^Problem\s+This browser could not reach wss:\/\/hw\.playentry\.org:\d+\.\s+What to do:/,
        );
      assert.match(
        await text(page, '#lna'),
        /LocalNetworkAccessAllowedForUrls[\s\S]*LoopbackNetworkAllowedForUrls/,
      );

      // Rooms: the healthy one and the one whose browser left; ids masked.
      const healthyRow = await rowText(page, healthy);
      assert.match(
        healthyRow,
        ko
          ? /있음 \(이 컴퓨터의 호스트\)\s+연결됨 \(520101\)\s+연결됨/
          : /Yes \(this computer’s host\)\s+Connected \(520101\)\s+Connected/,
      );
      assert.match(healthyRow, /\d+(\.\d)? \/ \d+(\.\d)?/);
      // A single PC whose Entry HW has no roomId: the usual case, but not "working",
      // which only a roomId the parent gave earns.
      assert.match(
        healthyRow,
        ko
          ? /연결됨\. 이 컴퓨터의 엔트리 하드웨어는 이것 하나뿐이라 모든 엔트리 탭을 맡습니다/
          : /Connected\. This is the only Entry HW on this computer, so it serves every Entry tab here/,
      );
      assert.doesNotMatch(healthyRow, ko ? /정상 작동 중/ : /Working/);
      assert.equal(await page.getAttribute(`tr[data-room="${masked(healthy)}"]`, 'class'), 'ok');
      const goneRow = await rowText(page, gone);
      assert.match(goneRow, ko ? /\d+초 전에 나감/ : /Left \d+ s ago/);
      assert.match(goneRow, ko ? /해결 방법:/ : /What to do:/);
      const body = await visible(page.locator('body'));
      for (const roomId of [healthy, gone]) assert.ok(!body.includes(roomId), 'no full roomId on the page');

      // Recent problems, refusals row: the hostile origin is shown as text, never as markup.
      assert.ok(
        body.includes('<img src=x id=injected onerror=alert(1)>'),
        'the hostile origin is visible as text',
      );
      assert.equal(await page.locator('#injected').count(), 0, 'no element was injected');
      assert.equal(await page.locator('img').count(), 0);
      assert.deepEqual(opened.dialogs, [], 'no script ran from outside');
      assert.deepEqual(opened.cspErrors, [], 'the CSP lets the page run and blocks nothing of it');

      await screenshot(page, `diagnostics-single-${variant.cert}-${variant.lang}`);
    });
  }

  it('3-instance cloud, Korean then English: the whole classroom, and the page survives a failover', {
    timeout: 120_000,
  }, async () => {
    const port = await freePort();
    const host = start('diag-cloud-host', port, validPki.dir);
    assert.equal(await host.open(), 2);
    const peerA = start('diag-cloud-peer-a', port, validPki.dir);
    const peerB = start('diag-cloud-peer-b', port, validPki.dir);
    assert.equal(await peerA.open(), 3);
    assert.equal(await peerB.open(), 3);
    const [hostRoom, roomA, roomB] = [randomRoomId(), randomRoomId(), randomRoomId()];
    host.send({ key: 'addRoomId', value: hostRoom });
    peerA.send({ key: 'addRoomId', value: roomA });
    peerB.send({ key: 'addRoomId', value: roomB });
    peerA.send({ key: 'connectHardwareSuccess', value: '520101' });
    peerB.send({ key: 'connectHardwareFailed', value: undefined });
    host.send({ key: 'connectHardwareSuccess', value: '110101' });
    await healthyTab(port, hostRoom, host);
    await healthyTab(port, roomA, peerA);
    await leftTab(port, roomB, peerB);

    for (const locale of ['ko-KR', 'en-US'] as const) {
      const ko = locale === 'ko-KR';
      const opened = await openPage(port, locale);
      const { page } = opened;
      await untilPage(opened, 'three rooms, the peer room with traffic and its device', (v) => {
        const rows = v.bundle?.rooms ?? [];
        const a = rows.find((r) => r.room === masked(roomA));
        const b = rows.find((r) => r.room === masked(roomB));
        return (
          a?.messagesPerSecond.fromBrowser !== undefined &&
          a.messagesPerSecond.fromBrowser > 0 &&
          a.messagesPerSecond.toBrowser > 0 &&
          b?.device.state === 'failed'
        );
      });
      assert.equal(
        await text(page, '[data-field=cloudMode]'),
        ko ? '클라우드 PC (이 컴퓨터에 여러 사용자)' : 'Cloud PC (several users on this computer)',
      );
      assert.match(
        await rowText(page, hostRoom),
        ko
          ? /있음 \(이 컴퓨터의 호스트\)\s+연결됨 \(110101\)\s+연결됨/
          : /Yes \(this computer’s host\)\s+Connected \(110101\)\s+Connected/,
      );
      assert.match(
        await rowText(page, roomA),
        ko
          ? /있음 \(참여\)\s+연결됨 \(520101\)\s+연결됨/
          : /Yes \(joined\)\s+Connected \(520101\)\s+Connected/,
      );
      const rowB = await rowText(page, roomB);
      assert.match(
        rowB,
        ko
          ? /있음 \(참여\)\s+연결 실패\s+\d+초 전에 나감/
          : /Yes \(joined\)\s+Could not connect\s+Left \d+ s ago/,
      );
      assert.match(await rowText(page, hostRoom), ko ? /정상 작동 중\./ : /Working\./);
      assert.match(await rowText(page, roomA), ko ? /정상 작동 중\./ : /Working\./);
      assert.equal(await page.locator('tr[data-room]').count(), 3, 'one row per room');
      assert.deepEqual(opened.cspErrors, []);
      await screenshot(page, `diagnostics-cloud-3-${ko ? 'ko' : 'en'}`);
      if (ko) await page.context().close();
      else {
        // Failover: the host goes away; one peer takes the port; the same page goes on updating.
        const before = (await opened.view()).bundle?.server.uptimeSeconds ?? 0;
        await host.stop();
        await untilPage(
          opened,
          'the page shows the new host after the failover',
          (v) =>
            v.bundle?.server.peers === 1 &&
            v.bundle.server.role === 'host' &&
            v.bundle.server.uptimeSeconds >= 0 &&
            !v.bundle.rooms.some((r) => r.room === masked(hostRoom) && r.browsers > 0),
        );
        const after = await opened.view();
        assert.ok(after.updates > 1);
        assert.equal(await page.getAttribute('body', 'data-live'), 'yes');
        assert.ok(after.bundle !== null && after.bundle.server.uptimeSeconds >= 0 && before >= 0);
        await screenshot(page, 'diagnostics-cloud-after-failover-en');
      }
    }
  });

  it('instances without a roomId, Korean and English: a single PC serving two rooms, then a cloud where none knows its room', {
    timeout: 120_000,
  }, async () => {
    const port = await freePort();
    // Started as Entry HW starts them on a first launch: no addRoomId.
    const host = start('diag-roomless-host', port, validPki.dir);
    assert.equal(await host.open(), 2);
    host.send({ key: 'connectHardwareSuccess', value: '110101' });
    const [roomX, roomY] = [randomRoomId(), randomRoomId()];
    await healthyTab(port, roomX, host);
    await healthyTab(port, roomY, host);
    const BUTTON = {
      ko: '하드웨어 연결 버튼(‘연결 프로그램 열기’ 또는 ‘클라우드 PC 연결하기’)',
      en: 'the hardware-connect button (“Open program” or “Connect to Cloud PC”)',
    };

    const single = await openPage(port, 'ko-KR');
    await untilPage(single, 'both rooms served by the only, roomless Entry HW', (v) =>
      [roomX, roomY].every(
        (roomId) =>
          v.bundle?.rooms.find((r) => r.room === masked(roomId))?.state === 'single-pc-several-rooms',
      ),
    );
    for (const roomId of [roomX, roomY]) {
      const row = await rowText(single.page, roomId);
      assert.match(row, /있음 \(이 컴퓨터의 호스트\)\s+연결됨 \(110101\)\s+연결됨/);
      assert.match(
        row,
        /방 번호가 없어서 모든 엔트리 탭을 맡는데, 지금 방 번호가 서로 다른 탭이 연결되어 있습니다/,
      );
      assert.ok(
        row.includes(
          `해결 방법:여러 학생이 함께 쓰는 컴퓨터라면, 이 기기를 쓰는 학생의 엔트리 화면에서 ${BUTTON.ko}을 누르세요.`,
        ),
        row,
      );
      assert.equal(await single.page.getAttribute(`tr[data-room="${masked(roomId)}"]`, 'class'), 'warning');
    }
    assert.doesNotMatch(await visible(single.page.locator('#rooms')), /정상 작동 중/);
    assert.deepEqual(single.cspErrors, []);
    await screenshot(single.page, 'diagnostics-single-two-rooms-ko');
    await single.page.context().close();

    // Two more Entry HW join: one never told its room, one told room Y twice over (refused).
    const peerA = start('diag-roomless-peer-a', port, validPki.dir);
    const peerB = start('diag-roomless-peer-b', port, validPki.dir);
    const peerC = start('diag-roomless-peer-c', port, validPki.dir);
    for (const peer of [peerA, peerB, peerC]) assert.equal(await peer.open(), 3);
    peerB.send({ key: 'addRoomId', value: roomY });
    await peerB.waitFor('connection', (m) => m.value?.roomId === roomY);
    peerC.send({ key: 'addRoomId', value: roomY });
    await peerC.waitFor('error', (m) => m.value.code === 'ROOM_CLAIMED');

    for (const locale of ['en-US', 'ko-KR'] as const) {
      const ko = locale === 'ko-KR';
      const opened = await openPage(port, locale);
      const { page } = opened;
      await untilPage(opened, 'the roomless host and peer, the refused peer and the unserved room', (v) => {
        const rows = v.bundle?.rooms ?? [];
        const is = (state: string, instance: string | null) =>
          rows.some((r) => r.state === state && r.instance === instance);
        return (
          rows.find((r) => r.room === masked(roomX))?.state === 'no-instance' &&
          rows.find((r) => r.room === masked(roomY))?.state === 'ok' &&
          is('instance-without-room', 'host') &&
          is('instance-without-room', 'peer') &&
          is('room-taken', 'peer')
        );
      });
      const unserved = await rowText(page, roomX);
      assert.match(
        unserved,
        ko
          ? /엔트리 탭은 열려 있지만 이 탭의 방 번호를 받은 엔트리 하드웨어가 이 컴퓨터에 없어, 기기에 닿지 않습니다\./
          : /An Entry tab is open, but no Entry HW on this computer has its room number, so it reaches no device\./,
      );
      assert.ok(
        unserved.includes(
          ko
            ? `이 학생의 엔트리 화면에서 ${BUTTON.ko}을 누르세요. 그 버튼으로 엔트리 하드웨어가 처음 켜졌다면, 창이 열린 뒤 한 번 더 누르세요.`
            : `On this student’s Entry page, press ${BUTTON.en}. If that starts Entry HW, press it once more when Entry HW is open`,
        ),
        unserved,
      );
      assert.match(
        await rowText(page, roomY),
        ko ? /있음 \(참여\)[\s\S]*정상 작동 중\./ : /Yes \(joined\)[\s\S]*Working\./,
      );
      const roomless = page.locator('tr[data-state="instance-without-room"]');
      assert.equal(await roomless.count(), 2, 'the roomless host and the roomless peer');
      const roomlessText = await visible(roomless.first());
      assert.match(
        roomlessText,
        ko
          ? /^\(방 번호 없음\)\s+있음 \(이 컴퓨터의 호스트\)\s+연결됨 \(110101\)/
          : /^\(no room id\)\s+Yes \(this computer’s host\)\s+Connected \(110101\)/,
      );
      assert.match(
        roomlessText,
        ko ? /이 엔트리 하드웨어는 방 번호를 모릅니다\./ : /This Entry HW does not know its room number\./,
      );
      assert.ok(
        roomlessText.includes(
          ko
            ? `이 엔트리 하드웨어를 쓰는 학생의 엔트리 화면에서 ${BUTTON.ko}을 다시 누르세요.`
            : `Press ${BUTTON.en} again on the Entry page of the student this Entry HW belongs to.`,
        ),
        roomlessText,
      );
      assert.doesNotMatch(roomlessText, ko ? /다시 시작/ : /[Rr]estart/);
      const taken = await visible(page.locator('tr[data-state="room-taken"]'));
      assert.match(
        taken,
        ko
          ? new RegExp(`이 엔트리 하드웨어가 ${masked(roomY)} 방을 요청했지만`)
          : new RegExp(`This Entry HW asked for room ${masked(roomY)}, but another Entry HW`),
      );
      for (const state of ['no-instance', 'instance-without-room', 'room-taken'])
        assert.equal(await page.getAttribute(`tr[data-state="${state}"]`, 'class'), 'problem', state);
      const body = await visible(page.locator('body'));
      for (const roomId of [roomX, roomY]) assert.ok(!body.includes(roomId), 'no full roomId on the page');
      assert.deepEqual(opened.cspErrors, []);
      await screenshot(page, `diagnostics-cloud-roomless-${ko ? 'ko' : 'en'}`);
      await page.context().close();
    }
  });
});
