// The diagnostics page: one self-contained HTML document with inline style and script
// only (no external file, font or image; it works offline). The script polls /diagnostics.json
// about once a second and keeps the last picture while no server answers (a failover), tries the
// two addresses the Entry workspace uses, and writes every value with textContent, so nothing from
// outside is ever parsed as HTML. The server embeds only fixed texts and the port.
import { escapeHtml, jsonForScript } from './mask';
import { type Lang, TEXTS } from './texts';

const STYLE = `
:root { color-scheme: light; --ok: #1b7f3b; --warn: #9a6700; --bad: #b42318; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "Malgun Gothic", "Apple SD Gothic Neo", sans-serif;
  margin: 0 auto; max-width: 1100px; padding: 16px 20px 40px; color: #1f2328; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
p { margin: 4px 0; }
.top { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin: 8px 0; }
.live { font-size: 13px; color: #57606a; }
.live.offline { color: var(--bad); font-weight: 600; }
a.button, button { display: inline-block; padding: 6px 14px; border: 1px solid #1f6feb; border-radius: 6px;
  background: #1f6feb; color: #fff; text-decoration: none; font: inherit; cursor: pointer; }
a.lang { font-size: 14px; }
.hint { font-size: 13px; color: #57606a; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dt { color: #57606a; }
dd { margin: 0; }
.check { display: grid; grid-template-columns: 90px 1fr; gap: 2px 12px; padding: 6px 0; border-bottom: 1px solid #eaeef2; }
.badge { font-weight: 700; }
.ok .badge { color: var(--ok); }
.warning .badge { color: var(--warn); }
.problem .badge { color: var(--bad); }
.pending .badge { color: #57606a; }
.fix { grid-column: 2; }
.fix b { margin-right: 4px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; border-bottom: 1px solid #eaeef2; padding: 5px 8px 5px 0; vertical-align: top; }
th { font-weight: 600; color: #57606a; }
td.room { font-family: ui-monospace, Consolas, monospace; }
tr.problem td.state { color: var(--bad); }
tr.warning td.state { color: var(--warn); }
tr.ok td.state { color: var(--ok); }
.note { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin-top: 10px; }
.note code { font-size: 13px; }
td.message { word-break: break-word; font-family: ui-monospace, Consolas, monospace; font-size: 13px; }
`;

// Plain ES2017 for any browser a school has; no template literals so it can sit inside this file.
const SCRIPT = String.raw`
(function () {
  'use strict';
  var T = CONFIG.texts;
  var PORT = CONFIG.port;
  var last = null;
  function t(key, facts) {
    var text = Object.prototype.hasOwnProperty.call(T, key) ? T[key] : key;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return facts && facts[name] !== undefined && facts[name] !== null ? String(facts[name]) : whole;
    });
  }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function put(id, nodes) {
    var box = document.getElementById(id);
    while (box.firstChild) box.removeChild(box.firstChild);
    nodes.forEach(function (n) { box.appendChild(n); });
  }
  function day(iso) { return iso ? String(iso).slice(0, 10) : ''; }
  function clock(iso) {
    var d = new Date(iso);
    return isNaN(d.getTime()) ? String(iso) : d.toLocaleString(CONFIG.lang === 'ko' ? 'ko-KR' : 'en-GB');
  }
  function duration(s) {
    if (s < 60) return t('seconds', { n: s });
    if (s < 3600) return t('minutes', { m: Math.floor(s / 60), s: s % 60 });
    return t('hours', { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
  }
  function checkLine(status, text, fix, id) {
    var box = el('div', 'check ' + status);
    if (id) box.setAttribute('data-check', id);
    box.appendChild(el('span', 'badge', t('status.' + status)));
    box.appendChild(el('span', 'text', text));
    if (fix && status !== 'ok' && status !== 'pending') {
      var f = el('span', 'fix');
      f.appendChild(el('b', null, t('fix')));
      f.appendChild(document.createTextNode(fix));
      box.appendChild(f);
    }
    return box;
  }
  function renderServer(s, log) {
    var dl = el('dl');
    function row(label, value, key) {
      var dd = el('dd', null, value);
      if (key) dd.setAttribute('data-field', key);
      dl.appendChild(el('dt', null, label));
      dl.appendChild(dd);
    }
    row(t('version'), s.version, 'version');
    row(t('node'), s.node, 'node');
    row(t('platform'), s.platform, 'platform');
    row(t('uptime'), duration(s.uptimeSeconds), 'uptime');
    row(t('port'), s.port, 'port');
    row(t('role'), t('role.' + s.role), 'role');
    row(t('cloudMode'), t('cloudMode.' + s.cloudMode), 'cloudMode');
    row(t('tls'), s.tls.on ? t('tls.on', { date: day(s.tls.notAfter), days: s.tls.daysLeft }) : t('tls.off'), 'tls');
    row(t('plainWs'), s.plainWs ? t('plainWs.on') : t('plainWs.off'), 'plainWs');
    if (log) row(t('logFile'), log.path ? (log.problem ? t('logFile.problem', { path: log.path, problem: log.problem }) : log.path) : t('logFile.none', { problem: log.problem || '' }), 'logFile');
    put('server', [dl]);
  }
  function renderChecks(checks) {
    put('checks', checks.map(function (c) {
      var f = c.facts || {};
      var facts = { name: f.name, port: f.port, date: day(f.notAfter), days: f.daysLeft,
        foreignAt: f.foreignAt ? clock(f.foreignAt) : '', foreignDetail: f.foreignDetail };
      var kind = c.id.indexOf('dns:') === 0 ? 'dns' : c.id;
      var fix = kind === 'dns' ? t('dns.fix', facts) : T[kind + '.' + c.state + '.fix'] ? t(kind + '.' + c.state + '.fix', facts) : null;
      return checkLine(c.status, t(kind + '.' + c.state, facts), fix, c.id);
    }));
  }
  function rowStatus(state) {
    if (state === 'ok' || state === 'single-pc') return 'ok';
    if (state === 'no-instance' || state === 'device-failed' || state === 'instance-without-room' ||
      state === 'room-taken') return 'problem';
    return 'warning';
  }
  function renderRooms(rooms) {
    if (rooms.length === 0) { put('rooms', [el('p', null, t('rooms.none'))]); return; }
    var table = el('table');
    var head = el('tr');
    ['col.room', 'col.instance', 'col.device', 'col.browser', 'col.rate', 'col.held', 'col.dropped', 'col.state',
      'col.pairing']
      .forEach(function (k) { head.appendChild(el('th', null, t(k))); });
    table.appendChild(head);
    rooms.forEach(function (r) {
      var tr = el('tr', rowStatus(r.state));
      tr.setAttribute('data-room', r.room === null ? '' : r.room);
      tr.setAttribute('data-state', r.state);
      tr.appendChild(el('td', 'room', r.room === null ? t('room.none') : r.room));
      tr.appendChild(el('td', 'instance', t('instance.' + r.instance)));
      tr.appendChild(el('td', 'device', t('device.' + r.device.state, { moduleId: r.device.moduleId || '?' })));
      var browser = r.browsers > 1 ? t('browser.tabs', { n: r.browsers }) : r.browsers === 1 ? t('browser.connected')
        : r.browserLeftSecondsAgo !== null ? t('browser.left', { s: r.browserLeftSecondsAgo }) : t('browser.none');
      tr.appendChild(el('td', 'browser', browser));
      tr.appendChild(el('td', 'rate', r.messagesPerSecond.fromBrowser + ' / ' + r.messagesPerSecond.toBrowser));
      tr.appendChild(el('td', 'held', r.held));
      var lost = r.dropped.map(function (d) { return d.count + ' (' + t('dropped.' + d.reason) + ')'; }).join(', ');
      tr.appendChild(el('td', 'dropped', lost || '0'));
      var state = el('td', 'state', t('state.' + r.state, { s: r.browserLeftSecondsAgo, room: r.askedRoom }));
      if (T['state.' + r.state + '.fix']) {
        state.appendChild(el('br'));
        var fix = el('span', 'fix');
        fix.appendChild(el('b', null, t('fix')));
        fix.appendChild(document.createTextNode(t('state.' + r.state + '.fix')));
        state.appendChild(fix);
      }
      tr.appendChild(state);
      var paired = !r.pairing ? '' : r.pairing.kind !== 'none' ? t('pairing.' + r.pairing.kind)
        : t('pairing.none') + (r.pairing.gap ? ': ' + t('gap.' + r.pairing.gap) : '');
      var pairingCell = el('td', 'pairing', paired);
      pairingCell.setAttribute('data-pairing', r.pairing ? r.pairing.kind : '');
      tr.appendChild(pairingCell);
      table.appendChild(tr);
    });
    put('rooms', [table]);
  }
  function renderProblems(problems, refusals) {
    var refused = refusals && refusals.total > 0 ? refusals : null;
    if (problems.length === 0 && !refused) { put('problems', [el('p', null, t('problems.none'))]); return; }
    var table = el('table');
    var head = el('tr');
    ['col.time', 'col.level', 'col.message'].forEach(function (k) { head.appendChild(el('th', null, t(k))); });
    table.appendChild(head);
    if (refused) {
      // Everything refused is one counted row: a flood of it never hides the problems below.
      var row = el('tr', 'refused');
      row.setAttribute('data-kind', 'refusals');
      row.appendChild(el('td', 'time', clock(refused.kinds[0].lastAt)));
      row.appendChild(el('td', 'level', t('level.refused')));
      var cell = el('td', 'message', t('problems.refusals', { n: refused.total }));
      refused.kinds.forEach(function (k) {
        cell.appendChild(el('div', 'refusal', t('problems.refusalKind', { kind: t('refusal.' + k.kind), n: k.count, latest: k.latest })));
      });
      row.appendChild(cell);
      table.appendChild(row);
    }
    problems.slice().reverse().forEach(function (p) {
      var tr = el('tr', p.level === 'error' ? 'problem' : 'warning');
      tr.appendChild(el('td', 'time', clock(p.at)));
      tr.appendChild(el('td', 'level', t('level.' + p.level)));
      tr.appendChild(el('td', 'message', p.count > 1 ? p.text + ' ' + t('problems.repeated', { n: p.count }) : p.text));
      table.appendChild(tr);
    });
    put('problems', [table]);
  }
  function render(b) {
    renderServer(b.server, b.logFile);
    renderChecks(b.checks);
    renderRooms(b.rooms);
    renderProblems(b.problems, b.refusals);
  }
  function setLive(ok) {
    var live = document.getElementById('live');
    live.className = ok ? 'live' : 'live offline';
    live.textContent = ok ? t('live', { time: new Date().toLocaleTimeString(CONFIG.lang === 'ko' ? 'ko-KR' : 'en-GB') }) : t('offline');
    document.body.setAttribute('data-live', ok ? 'yes' : 'no');
  }
  function poll() {
    var done = false;
    var timer = setTimeout(function () { if (!done) { done = true; setLive(false); setTimeout(poll, 1000); } }, 3000);
    fetch('/diagnostics.json', { cache: 'no-store', credentials: 'omit' })
      .then(function (res) { if (!res.ok) throw new Error('HTTP ' + res.status); return res.json(); })
      .then(function (bundle) {
        if (done) return;
        done = true; clearTimeout(timer);
        last = bundle;
        render(bundle);
        setLive(true);
        window.entryHwDiagnostics = { bundle: bundle, reach: reach, updates: (window.entryHwDiagnostics ? window.entryHwDiagnostics.updates : 0) + 1 };
        setTimeout(poll, 1000);
      })
      .catch(function () {
        if (done) return;
        done = true; clearTimeout(timer);
        setLive(false);
        setTimeout(poll, 1000);
      });
  }
  // The two addresses the Entry workspace tries (the second wss name is the same certificate).
  var reach = {};
  var TARGETS = [
    { id: 'wss', url: 'wss://hw.playentry.org:' + PORT },
    { id: 'ws', url: 'ws://127.0.0.1:' + PORT },
  ];
  function renderReach() {
    put('reach-lines', TARGETS.map(function (target) {
      var state = reach[target.id] || 'checking';
      var status = state === 'ok' ? 'ok' : state === 'failed' ? 'problem' : 'pending';
      return checkLine(status, t('reach.' + state, { url: target.url }), t('reach.' + target.id + '.fix'), 'reach:' + target.id);
    }));
  }
  function tryReach(target) {
    reach[target.id] = 'checking';
    renderReach();
    var settled = false;
    var socket;
    function finish(state) {
      if (settled) return;
      settled = true;
      reach[target.id] = state;
      try { socket.close(); } catch (e) { /* already closed */ }
      renderReach();
      if (window.entryHwDiagnostics) window.entryHwDiagnostics.reach = reach;
    }
    try {
      // Engine.IO v4 without a socket.io CONNECT: the server opens the transport and nothing else,
      // so no Entry HW sees a browser come and go.
      socket = new WebSocket(target.url + '/socket.io/?EIO=4&transport=websocket&diagnostics=1');
    } catch (e) { finish('failed'); return; }
    socket.onmessage = function (event) { finish(String(event.data).charAt(0) === '0' ? 'ok' : 'failed'); };
    socket.onerror = function () { finish('failed'); };
    socket.onclose = function () { finish('failed'); };
    setTimeout(function () { finish('failed'); }, 8000);
  }
  function checkReach() { TARGETS.forEach(tryReach); }
  document.getElementById('retry').addEventListener('click', checkReach);
  window.entryHwDiagnostics = { bundle: null, reach: reach, updates: 0 };
  renderReach();
  checkReach();
  poll();
})();
`;

export interface PageOptions {
  lang: Lang;
  /** Per-response CSP nonce for the inline style and script. */
  nonce: string;
  port: number;
}

/**
 * The page's HTML.
 *
 * @example
 * res.end(renderPage({ lang: 'ko', nonce, port: 23518 }));
 */
export function renderPage(options: PageOptions): string {
  const texts = TEXTS[options.lang];
  const text = (key: string) => escapeHtml(texts[key] ?? key);
  const nonce = escapeHtml(options.nonce);
  const other = options.lang === 'ko' ? 'en' : 'ko';
  const config = jsonForScript({ lang: options.lang, port: options.port, texts });
  return `<!doctype html>
<html lang="${options.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${text('title')}</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body data-live="no">
<h1>${text('title')}</h1>
<p>${text('intro')}</p>
<div class="top">
<a class="button" id="download" href="/diagnostics.json?download=1" download>${text('download')}</a>
<a class="lang" href="/diagnostics?lang=${other}">${text('otherLanguage')}</a>
<span id="live" class="live"></span>
</div>
<p class="hint">${text('downloadHint')}</p>
<h2>${text('server')}</h2>
<div id="server"></div>
<h2>${text('checks')}</h2>
<div id="checks"></div>
<h2>${text('reach')}</h2>
<div id="reach-lines"></div>
<p><button type="button" id="retry">${text('reach.retry')}</button></p>
<div class="note" id="lna">
<p><b>${text('lna.title')}</b></p>
<p>${text('lna.body')}</p>
<p>${text('lna.onePc')}</p>
<p>${text('lna.managed')}</p>
</div>
<h2>${text('rooms')}</h2>
<div id="rooms"></div>
<h2>${text('problems')}</h2>
<div id="problems"></div>
<script nonce="${nonce}">var CONFIG = ${config};${SCRIPT}</script>
</body>
</html>
`;
}
