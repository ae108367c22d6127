// The command line of the program: which action its arguments ask for (parseCommandLine, pure),
// and the texts of --version and --help. Entry HW passes no arguments; these are for the people
// who ship, install and support it. Exit codes: 0 done, 1 fatal error, 2 usage (an unknown
// argument, or started with neither a parent app nor a terminal).
import { parseArgs } from 'node:util';

/** Exit code for a command line the program does not understand, or a start it cannot serve. */
export const USAGE_EXIT_CODE = 2;

export type CommandLineAction =
  /** Serve: under Entry HW (IPC), or a developer console (`console`: asked for with --console). */
  | { kind: 'serve'; console: boolean }
  | { kind: 'version' }
  | { kind: 'help' }
  | { kind: 'licenses' }
  | { kind: 'usage-error'; message: string };

const OPTIONS = {
  version: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
  licenses: { type: 'boolean' },
  console: { type: 'boolean' },
} as const;

/**
 * Reads the program's arguments (without the node and script paths). The informational options
 * win over serving; an unknown option or any positional argument is a usage error.
 *
 * @example
 * parseCommandLine([])              // { kind: 'serve', console: false }
 * parseCommandLine(['--version'])   // { kind: 'version' }
 * parseCommandLine(['--port=1'])    // { kind: 'usage-error', message: "unknown option '--port=1'" }
 */
export function parseCommandLine(args: readonly string[]): CommandLineAction {
  let values: { version?: boolean; help?: boolean; licenses?: boolean; console?: boolean };
  try {
    ({ values } = parseArgs({ args: [...args], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    return { kind: 'usage-error', message: usageMessage(error) };
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  if (values.licenses) return { kind: 'licenses' };
  return { kind: 'serve', console: values.console === true };
}

/** A short reason for a refused command line, naming the argument (clipped: it comes from outside). */
function usageMessage(error: unknown): string {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  // Node quotes the argument first ('--bogus'; '-v, --version' for a value given to a flag).
  const message = error instanceof Error ? error.message : '';
  const quoted = (/'([^']*)'/.exec(message)?.[1] ?? '').split(', ').pop() ?? '';
  const shown = JSON.stringify(quoted.slice(0, 80)).slice(1, -1);
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument '${shown}'`;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option '${shown}'`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `option '${shown}' takes no value`;
  return 'bad command line';
}

/** What --version reports. */
export interface VersionFacts {
  version: string;
  nodeVersion: string;
  /** `win-x86` etc. inside an executable; the platform-arch of this Node for the bundle. */
  target: string;
  /** Whether this is a single executable (else `node dist/main.cjs` or the library). */
  executable: boolean;
  /** The build's git commit (short hash, `-dirty` when the tree had changes), or 'unknown'. */
  commit: string;
  /** When the executable was built (ISO), when known. */
  builtAt?: string;
}

/**
 * The --version text: the first line is `entry-hw-server <version>` alone, for scripts.
 *
 * @example
 * versionText({ version: '3.0.0', nodeVersion: '26.10.0', target: 'win-x86', executable: true, commit: 'abc1234' })
 */
export function versionText(facts: VersionFacts): string {
  return [
    `entry-hw-server ${facts.version}`,
    `node ${facts.nodeVersion}`,
    `target ${facts.target} (${facts.executable ? 'single executable' : 'node bundle'})`,
    `commit ${facts.commit}`,
    ...(facts.builtAt ? [`built ${facts.builtAt}`] : []),
  ].join('\n');
}

/** One setting of the environment, for --help. */
export interface HelpSetting {
  name: string;
  value: string;
  meaning: string;
}

/**
 * The settings --help lists: the environment variables the program reads (src/config.ts and
 * main.ts; the README's Settings table says the same, and test/integration/command-line.test.ts checks that all three agree).
 */
export const HELP_SETTINGS: readonly HelpSetting[] = [
  { name: 'ENTRY_HW_PORT', value: '23518', meaning: 'port to listen on (or to join, on a cloud PC)' },
  {
    name: 'ENTRY_HW_CERT_DIR',
    value: 'embedded',
    meaning: 'folder of hardware.key, cert.pem and the chain',
  },
  { name: 'ENTRY_HW_SECRET', value: 'embedded', meaning: 'passphrase for encrypt/decrypt' },
  { name: 'ENTRY_HW_ALLOWED_ORIGINS', value: '-', meaning: 'extra browser origins, comma separated' },
  {
    name: 'ENTRY_HW_HEADERS_TIMEOUT_MS',
    value: '10000',
    meaning: 'time for a connection to send its first request',
  },
  { name: 'ENTRY_HW_MAX_CONNECTIONS', value: '1000', meaning: 'open connections beyond this are closed' },
  { name: 'ENTRY_HW_ROOM_STATS', value: 'on', meaning: '`off` stops the per-room counting (diagnostics)' },
  {
    name: 'ENTRY_HW_SESSION_PAIRING',
    value: 'on',
    meaning: '`off`: pair tabs only by roomId, not by OS session',
  },
  {
    name: 'ENTRY_HW_GC_INTERVAL_MS',
    value: '60000',
    meaning: 'a full garbage collection this often (0: off)',
  },
  { name: 'ENTRY_HW_LOG_DIR', value: 'per user', meaning: 'folder of the log file (below); `off`: no file' },
];

/**
 * The --help text: one screen (under 40 lines of at most 100 characters).
 *
 * @example
 * process.stdout.write(`${helpText(23518, '/home/kim/.local/state/entry-hw-server/entry-hw-server.log')}\n`);
 */
export function helpText(port: number, logFile?: string): string {
  const width = Math.max(...HELP_SETTINGS.map((s) => s.name.length));
  const valueWidth = Math.max(...HELP_SETTINGS.map((s) => s.value.length));
  return [
    'entry-hw-server: the local server between the Entry web workspace (playentry.org) and the',
    'Entry HW desktop app. Browsers connect to 127.0.0.1 over socket.io (wss and ws on one port);',
    'on a shared "cloud PC" several copies share the port and each student reaches only their robot.',
    '',
    'Entry HW starts it with no arguments and an IPC channel (stdio ignore/inherit/inherit/ipc)',
    'and sends { key, value } messages (open, send, addRoomId, ...); it exits when Entry HW goes.',
    'Started from a terminal without Entry HW, it opens a developer console that plays the app.',
    '',
    'Usage: entry-hw-server [--version | --help | --licenses | --console]',
    '  -v, --version   version, Node version, target and build commit',
    '  -h, --help      this text',
    '      --licenses  the licenses of everything inside (THIRD_PARTY_NOTICES.txt)',
    '      --console   the developer console even without a terminal (stdin may be a pipe)',
    '',
    `Settings (environment variables; default in brackets):`,
    ...HELP_SETTINGS.map(
      (s) => `  ${s.name.padEnd(width)}  [${s.value}]${' '.repeat(valueWidth - s.value.length)} ${s.meaning}`,
    ),
    '',
    `Diagnostics, while it runs: http://127.0.0.1:${port}/diagnostics (status: /status)`,
    `Log file (2 x 1 MiB; a second copy writes -2.log...):${logFile === undefined ? ' off' : ''}`,
    ...(logFile === undefined ? [] : [`  ${logFile}`]),
    'Exit codes: 0 done, 1 internal error (also sent to the app), 2 bad command line or no app.',
    'Documentation: README.md and docs/PROTOCOL.md of the entry-hw-server repository.',
  ].join('\n');
}

/** What the program says when it has neither a parent app nor a terminal (and no --console). */
export const NO_PARENT_TEXT = [
  'entry-hw-server: this is the server Entry HW starts for the Entry website; it has no window.',
  'Started here with neither Entry HW (no IPC channel) nor a terminal, it has nobody to serve and',
  'exits. Start Entry HW instead, or run it in a terminal (or with --console) for the developer',
  'console. --help says more.',
].join('\n');
