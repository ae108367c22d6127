// Runs inside Chromium. Connects to the Entry HW server exactly the way the Entry workspace does
// (entryjs src/class/hw.ts, _initSocket / _trySocketConnect / update), with the socket.io-client
// 2.5.0 browser bundle loaded by index.html as the global `io`.
// Configuration comes from the query string: ?port=<server port>&roomId=<10 hex>&label=<name>.
// Everything the test needs is in `window.entryHw`; the DOM shows the same for screenshots.
(() => {
  const params = new URLSearchParams(location.search);
  const port = params.get('port') || '23518';
  const roomId = params.get('roomId') || 'a0b1c2d3e4';
  const label = params.get('label') || roomId;

  const state = {
    origin: location.origin,
    roomId,
    label,
    status: 'connecting', // connecting | connected | disconnected | failed
    addresses: [],
    attempts: [], // { url, outcome: 'connected' | 'failed', errors: [string] }
    connectedUrl: null,
    connectedAfterMs: null, // from page start to the socket.io connect event
    transport: null,
    ack: undefined, // what the server passed to the acknowledgement of the first message
    sent: 0,
    receivedCount: 0,
    received: [], // the last 200 `message` payloads, unchanged
    events: [],
  };
  window.entryHw = state;

  const render = () => {
    const set = (id, text) => {
      const element = document.getElementById(id);
      if (element) element.textContent = String(text);
    };
    set('origin', state.origin);
    set('roomId', state.roomId);
    set('status', state.status);
    document.getElementById('status')?.setAttribute('data-status', state.status);
    set('connectedUrl', state.connectedUrl || '-');
    set('transport', state.transport || '-');
    set('sent', state.sent);
    set('receivedCount', state.receivedCount);
    const last = state.received[state.received.length - 1];
    set('lastReceived', last === undefined ? '-' : JSON.stringify(last));
    const list = document.getElementById('events');
    if (list) {
      list.textContent = '';
      for (const line of state.events.slice(-20)) {
        const item = document.createElement('li');
        item.textContent = line;
        list.appendChild(item);
      }
    }
  };
  const log = (line) => {
    state.events.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
    if (state.events.length > 200) state.events.shift();
    render();
  };

  // entryjs: socketConnectionRetryCount = 3, reconnectionDelayMax(1000), timeout(1000).
  const trySocketConnect = (url) =>
    new Promise((resolve, reject) => {
      const attempt = { url, outcome: 'pending', errors: [] };
      state.attempts.push(attempt);
      log(`trying ${url}`);
      const socket = io.connect(url, {
        transports: ['websocket', 'polling'],
        query: { client: true, roomId },
      });
      socket.io.reconnectionAttempts(3);
      socket.io.reconnectionDelayMax(1000);
      socket.io.timeout(1000);
      const onError = (error) => {
        const text = error?.message ? error.message : String(error);
        attempt.errors.push(text);
        log(`${url}: connect_error ${text}`);
      };
      socket.on('connect_error', onError);
      socket.on('connect', () => {
        socket.off('connect_error', onError);
        attempt.outcome = 'connected';
        resolve(socket);
      });
      socket.on('reconnect_failed', () => {
        attempt.outcome = 'failed';
        log(`${url}: gave up after 3 reconnection attempts`);
        socket.close();
        reject(new Error(`${url} failed`));
      });
    });

  const sendQueue = { from: label, seq: 0, 13: 1 };
  let timer;

  const handleConnected = (socket, url) => {
    state.status = 'connected';
    state.connectedUrl = url;
    state.connectedAfterMs = Math.round(performance.now());
    state.transport = socket.io.engine?.transport?.name ?? null;
    log(`connected to ${url} over ${state.transport}`);

    socket.on('message', (message) => {
      state.receivedCount += 1;
      state.received.push(message);
      if (state.received.length > 200) state.received.shift();
      if (state.receivedCount <= 5 || state.receivedCount % 100 === 0) {
        log(`received #${state.receivedCount} ${JSON.stringify(message).slice(0, 120)}`);
      } else {
        render();
      }
    });
    socket.on('disconnect', (reason) => {
      state.status = 'disconnected';
      log(`disconnected: ${reason}`);
    });
    socket.on('reconnect', () => {
      state.status = 'connected';
      log('reconnected');
    });

    // entryjs Hardware.update(): the engine calls it every frame (60 Hz).
    timer = setInterval(() => {
      if (socket.disconnected) return;
      sendQueue.seq += 1;
      const message = { data: JSON.stringify(sendQueue), type: 'utf8' };
      if (state.sent === 0) {
        socket.emit('message', message, (reply) => {
          state.ack = reply;
          log(`ack ${JSON.stringify(reply)}`);
        });
      } else {
        socket.emit('message', message);
      }
      state.sent += 1;
      if (state.sent % 30 === 0) render();
    }, 1000 / 60);
  };

  // entryjs _initSocket(): wss names first; http://127.0.0.1 first only for http: and file: pages.
  const addresses = [`https://hw.playentry.org:${port}`, `https://hardware.playentry.org:${port}`];
  if (['http:', 'file:'].indexOf(location.protocol) > -1) addresses.unshift(`http://127.0.0.1:${port}`);
  else addresses.push(`http://127.0.0.1:${port}`);
  state.addresses = addresses;

  (async () => {
    for (const url of addresses) {
      try {
        const socket = await trySocketConnect(url);
        handleConnected(socket, url);
        return;
      } catch {
        // next address
      }
    }
    state.status = 'failed';
    log('all hardware socket connections failed');
  })();

  window.addEventListener('pagehide', () => clearInterval(timer));
  render();
})();
