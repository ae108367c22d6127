// A local program posing as a peer (an Entry HW server instance), run by the pairing tests as another
// OS user: socket.io-client 4 over a WebSocket with `childServer=true` and no Origin, as a real peer.
// It reports the OS session the test names (a lie, when it is not its own) and sends a message every
// 50 ms; it tells the test over IPC every event the host sends it.
//   tab -> test: { ev: 'connect' }, { ev: 'event', name, args }
// Usage: node user-peer.cjs <socket.io-client path> <port> <claimed session JSON>
'use strict';
const [clientPath, portText, sessionJson] = process.argv.slice(2);
const { io } = require(clientPath);
const socket = io(`http://127.0.0.1:${portText}`, {
  query: { childServer: 'true' },
  transports: ['websocket'],
  reconnection: true,
  reconnectionDelay: 200,
});
socket.on('connect', () => {
  process.send({ ev: 'connect' });
  socket.emit('diagnosticsReport', { version: '3.0.0', session: JSON.parse(sessionJson) });
});
socket.onAny((name, ...args) => process.send({ ev: 'event', name, args }));
const timer = setInterval(() => {
  if (socket.connected)
    socket.emit('message', { data: { room: 'intruder', kind: 'fake-peer', seq: Date.now() } });
}, 50);
process.on('disconnect', () => {
  clearInterval(timer);
  socket.close();
  process.exit(0);
});
