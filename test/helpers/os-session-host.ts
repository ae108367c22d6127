// A stand-in for the host that the real OS-session test (test/integration/os-session.test.ts)
// runs as another, unprivileged OS user: it listens on 127.0.0.1, and for each connection that
// says its label, looks up the connection's owner with the real mechanism (and with lsof when
// ENTRY_HW_TEST_LSOF names it) and prints one JSON line. Commands on stdin: `lookup <port>` looks
// up a connection from <port> that this host no longer holds (a plain description, as the host
// would if it had kept the numbers). Prints {ready, port, own} first.

import { createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { AcceptedConnection } from '../../src/os-session/endpoint';
import { lsofSessionTable } from '../../src/os-session/lsof-table';
import { createSessionLookup, lookupWith, type SessionLookup } from '../../src/os-session/session-lookup';

const lookups: Record<string, SessionLookup> = { proc: createSessionLookup({ timeoutMs: 2000 }) };
const lsofPath = process.env.ENTRY_HW_TEST_LSOF;
if (lsofPath) lookups.lsof = lookupWith(lsofSessionTable({ lsofPath, platform: 'linux' }), 5000);

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

async function lookUp(connection: AcceptedConnection): Promise<Record<string, unknown>> {
  const answers: Record<string, unknown> = {};
  for (const [name, lookup] of Object.entries(lookups)) answers[name] = await lookup.ofClient(connection);
  return answers;
}

const held: Socket[] = [];
const server = createServer((socket) => {
  held.push(socket);
  socket.on('error', () => {});
  socket.setEncoding('utf8');
  let text = '';
  socket.on('data', async (chunk: string) => {
    text += chunk;
    const newline = text.indexOf('\n');
    if (newline < 0) return;
    const label = text.slice(0, newline);
    text = '';
    print({ label, clientPort: socket.remotePort, ...(await lookUp(socket)) });
  });
});

server.listen(0, '127.0.0.1', async () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  print({ ready: true, port, uid: process.geteuid?.(), own: await (lookups.proc as SessionLookup).own() });
  const commands = createInterface({ input: process.stdin });
  commands.on('line', async (line) => {
    const match = /^lookup (\d+)$/.exec(line.trim());
    if (!match) return;
    const clientPort = Number(match[1]);
    const connection = {
      localAddress: '127.0.0.1',
      localPort: port,
      remoteAddress: '127.0.0.1',
      remotePort: clientPort,
    };
    print({ lookup: clientPort, ...(await lookUp(connection)) });
  });
  commands.on('close', () => process.exit(0));
});
