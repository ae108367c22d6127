// The developer console: what `npm start` runs when no parent app is attached. It plays the
// parent: each typed line becomes a parent → server message, and every message the server
// would send to the parent is printed.
import { createInterface } from 'node:readline';
import type { ServerMessage, ServerToParentKey } from './ipc/messages';
import type { ParentSink } from './ipc/parent-channel';

export const CONSOLE_HELP = [
  'commands (the parent messages of docs/PROTOCOL.md §2):',
  '  open [production|development|<telemetry url>|<json options>]',
  '  addRoomId <roomId>',
  '  send <json or text>            e.g. send {"company":1,"model":1,"a0":512}',
  '  disconnectHardware',
  '  connectHardwareSuccess <id> | connectHardwareFailed',
  '  encrypt <text> | decrypt <ciphertext>',
  '  help | exit',
].join('\n');

/**
 * Turns a console line into the raw message the IPC channel would have carried.
 * Values are read as JSON when they parse, else as text.
 *
 * @example
 * parseConsoleLine('send {"a":1}')     // { key: 'send', value: { a: 1 } }
 * parseConsoleLine('addRoomId abc')    // { key: 'addRoomId', value: 'abc' }
 * parseConsoleLine('exit')             // 'exit'
 */
export function parseConsoleLine(line: string): unknown {
  const trimmed = line.trim();
  if (trimmed === 'exit' || trimmed === 'quit') return 'exit';
  const space = trimmed.indexOf(' ');
  const key = space === -1 ? trimmed : trimmed.slice(0, space);
  const rest = space === -1 ? '' : trimmed.slice(space + 1).trim();
  if (rest === '') return { key };
  // encrypt/decrypt take text as typed; JSON is only for the other keys.
  if (key === 'encrypt' || key === 'decrypt') return { key, value: rest };
  try {
    return { key, value: JSON.parse(rest) };
  } catch {
    return { key, value: rest };
  }
}

/** Prints server → parent messages the way the parent would receive them. */
export class ConsoleSink implements ParentSink {
  constructor(private readonly write: (line: string) => void = (line) => console.log(line)) {}

  send<K extends ServerToParentKey>(message: ServerMessage<K>): void {
    this.write(`<- ${JSON.stringify(message)}`);
  }
}

/**
 * Reads commands from stdin. End of input exits only on a terminal: a developer run with stdin
 * closed (a service, a test) keeps serving until a signal.
 *
 * @example
 * startDeveloperConsole(handleParentInput, () => server.close());
 */
export function startDeveloperConsole(handle: (raw: unknown) => void, onEnd: () => void): void {
  console.log('entry-hw-server developer console (no parent app attached). Type "help".');
  const rl = createInterface({ input: process.stdin, terminal: false });
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    if (line.trim() === 'help') {
      console.log(CONSOLE_HELP);
      return;
    }
    handle(parseConsoleLine(line));
  });
  rl.on('close', () => {
    if (process.stdin.isTTY) onEnd();
  });
}
