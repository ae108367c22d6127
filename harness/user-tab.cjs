// An entryjs-like tab that the pairing tests (test/cloud/session-pairing.test.ts) run as another OS
// user, since the OS session a connection belongs to is its client process's: socket.io-client
// 2.5.0, query { client: true, roomId }, websocket first, Origin https://playentry.org, a new
// connection `delayMs` after a disconnect or a failed attempt (entryjs reconnects after 1.5 s).
// Plain CommonJS, spawned with an IPC channel to the test:
//   test -> tab: { op: 'emit', message }  socket.emit('message', message)
//                { op: 'reload' }         closes its socket and opens a new one at once (a reload)
//   tab -> test: { ev: 'connect', at }, { ev: 'disconnect', at }, { ev: 'message', payload }
// Usage: node user-tab.cjs <socket.io-client-v2 path> <port> <roomId> [delayMs]
'use strict';
const [clientPath, portText, roomId, delayText] = process.argv.slice(2);
const io = require(clientPath);
const delayMs = Number(delayText ?? 300);
let socket;
let timer;

function open() {
  clearTimeout(timer);
  const current = io(`http://127.0.0.1:${portText}`, {
    query: { client: 'true', roomId },
    transports: ['websocket', 'polling'],
    extraHeaders: { Origin: 'https://playentry.org' },
    reconnection: false,
    forceNew: true,
    timeout: 2000,
  });
  socket = current;
  const again = () => {
    if (socket !== current) return;
    current.close();
    timer = setTimeout(open, delayMs);
  };
  current.on('connect', () => process.send({ ev: 'connect', at: Date.now() }));
  current.on('message', (payload) => process.send({ ev: 'message', payload }));
  current.on('disconnect', () => {
    process.send({ ev: 'disconnect', at: Date.now() });
    again();
  });
  current.on('connect_error', again);
  current.on('connect_timeout', again);
}

process.on('message', (command) => {
  if (command.op === 'emit') socket?.emit('message', command.message);
  else if (command.op === 'reload') {
    const old = socket;
    socket = undefined;
    old?.close();
    open();
  }
});
process.on('disconnect', () => process.exit(0));
open();
