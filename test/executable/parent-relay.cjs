// The parent app, played by a small Node program on the executable's own platform: it spawns the
// executable as Entry HW does (IPC channel, inherited stdout/stderr, detached) and relays between
// that IPC channel and the test, which may run elsewhere (Linux, while this runs as a Windows
// node.exe under Wine). Plain CommonJS with no dependencies, so any Node 18+ runs it.
//
// Usage: node parent-relay.cjs <test port> <executable> [args...]
// It connects to 127.0.0.1:<test port> and speaks one JSON object per line.
//   test -> relay: { op: 'send', message }      child.send(message)
//                  { op: 'disconnect' }         closes the IPC channel; the relay stays
//                  { op: 'exit' }               the relay exits at once, as an app that quits
//                  { op: 'kill' }               kills the executable (clean-up)
//   relay -> test: { ev: 'spawned', pid }, { ev: 'message', message }, { ev: 'channel-closed' },
//                  { ev: 'exit', code, signal }, { ev: 'error', message }
// When the test's connection closes, the relay exits too.
'use strict';
const { spawn } = require('node:child_process');
const net = require('node:net');

const [portText, executable, ...args] = process.argv.slice(2);
const socket = net.connect(Number(portText), '127.0.0.1');
socket.setNoDelay(true);
const emit = (event) => socket.write(`${JSON.stringify(event)}\n`);

const child = spawn(executable, args, {
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  detached: true,
  windowsHide: true,
});
child.on('spawn', () => emit({ ev: 'spawned', pid: child.pid }));
child.on('error', (error) => emit({ ev: 'error', message: String(error?.message) }));
child.on('message', (message) => emit({ ev: 'message', message }));
child.on('disconnect', () => emit({ ev: 'channel-closed' }));
child.on('exit', (code, signal) => emit({ ev: 'exit', code, signal }));

const commands = {
  send: (command) => {
    if (child.connected) child.send(command.message);
    else emit({ ev: 'error', message: 'send after the channel closed' });
  },
  disconnect: () => {
    if (child.connected) child.disconnect();
  },
  exit: () => process.exit(0),
  kill: () => child.kill(),
};

let pending = '';
socket.setEncoding('utf8');
socket.on('data', (chunk) => {
  pending += chunk;
  for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n')) {
    const line = pending.slice(0, end);
    pending = pending.slice(end + 1);
    const command = JSON.parse(line);
    const run = commands[command.op];
    if (run) run(command);
    else emit({ ev: 'error', message: `unknown op ${command.op}` });
  }
});
socket.on('error', () => process.exit(1));
socket.on('close', () => process.exit(0));
