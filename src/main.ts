// The program Entry HW spawns. It reads its command line (src/cli: --version, --help, --licenses
// print and exit), its settings and secrets, builds an EntryServer, and connects it to the parent
// over IPC; started without a parent it is a developer run with a console on a terminal (or with
// --console), and without either it says what it is and exits. It also owns the process's lifetime: signals, parent loss, and the fatal path for a
// bug that escaped every guard (log it, tell the parent, exit 1; docs/ARCHITECTURE.md).
import { parseCommandLine } from './cli/command-line';
import { refuseWithoutParent, runInformational } from './cli/informational';
import {
  DEV_PASSPHRASE,
  readEnvironment,
  readGcInterval,
  readListenerLimits,
  readLogDirectory,
  readRoomStats,
} from './config';
import { loadCertificate } from './crypto/certificates';
import { ConsoleSink, startDeveloperConsole } from './dev-console';
import { DIAGNOSTICS_PATH } from './diagnostics/diagnostics';
import { ProblemLog, recordProblems } from './diagnostics/problems';
import { isSingleExecutable, readEmbeddedBuildInfo, readEmbeddedSecrets } from './embedded/embedded-secrets';
import { IpcParentChannel } from './ipc/parent-channel';
import { createParentCommandHandler, forwardServerEvents } from './ipc/parent-commands';
import { EntryServer } from './server/entry-server';
import { ConsoleOutput } from './util/console-output';
import { createLogger, type Logger } from './util/log';
import { LogFile } from './util/log-file';
import { startPeriodicCollection } from './util/periodic-collection';
import { VERSION } from './version';

/** How long a graceful close may take before the process exits anyway. */
const EXIT_GRACE_MS = 700;
/** Exit code after a bug escaped every guard (Node's own code for an uncaught exception). */
const FATAL_EXIT_CODE = 1;
/** How long the fatal path waits for the parent to receive its `error` message. */
const FATAL_NOTIFY_MS = 1000;
/** Set once the fatal path has started; a second fault exits at once. */
let fatalStarted = false;

/**
 * The last resort for a bug that escaped every guard (socket handlers, the IPC handler and the
 * HTTP routes each guard themselves, so reaching here means state is no longer known to be
 * right). It logs the stack, sends the parent `error { code: 'INTERNAL_ERROR' }` and exits with
 * {@link FATAL_EXIT_CODE} without running any more server code: a server in an unknown state
 * may route one student's data to another, while a dead one frees the port for a peer to take
 * over (cloud PC) and shows up in Entry HW's log. The decision is in docs/ARCHITECTURE.md.
 *
 * @example
 * process.on('uncaughtException', (error) => fatal(logger, 'uncaught exception', error));
 */
function fatal(logger: Logger, what: string, error: unknown): void {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  const exitNow = () => process.exit(FATAL_EXIT_CODE);
  if (fatalStarted) return exitNow(); // the fatal path itself failed
  fatalStarted = true;
  logger.error(`fatal: ${what}, exiting with code ${FATAL_EXIT_CODE}: ${detail}`);
  const message = `entry-hw-server stopped after an internal error (${what}): ${
    error instanceof Error ? error.message : String(error)
  }`.slice(0, 500);
  try {
    if (typeof process.send === 'function' && process.connected) {
      setTimeout(exitNow, FATAL_NOTIFY_MS);
      process.send({ key: 'error', value: { code: 'INTERNAL_ERROR', message } }, exitNow);
      return;
    }
  } catch {
    // the channel is gone: nobody to tell
  }
  exitNow();
}
/**
 * Test-only fault injection: with `ENTRY_HW_TEST=1` and `ENTRY_HW_TEST_FAULT=uncaught` (or
 * `rejection`), the program throws outside every guard once `open` has settled, so the
 * integration suite can watch the fatal path. Inert inside the shipped executable, whatever the
 * environment says.
 */
function armTestFault(server: EntryServer, logger: Logger): void {
  if (process.env.ENTRY_HW_TEST !== '1' || isSingleExecutable()) return;
  const fault = process.env.ENTRY_HW_TEST_FAULT;
  if (fault !== 'uncaught' && fault !== 'rejection') return;
  logger.warn(`test hook armed: ${fault} after open`);
  server.once('runningModeChanged', () =>
    setImmediate(() => {
      const error = new Error('test fault injected by ENTRY_HW_TEST_FAULT');
      if (fault === 'uncaught') throw error;
      void Promise.reject(error);
    }),
  );
}

function main(): void {
  const action = parseCommandLine(process.argv.slice(2));
  if (runInformational(action)) return;
  const developerConsole = action.kind === 'serve' && action.console;
  // Nobody to serve: no parent app, no terminal to type into (a double-clicked file, a script).
  if (!IpcParentChannel.isAvailable(process) && !developerConsole && !process.stdin.isTTY) {
    refuseWithoutParent();
    return;
  }
  const problems = new ProblemLog();
  // Every line goes to the console (Entry HW's log) and to the log file; a
  // console that fails is left alone, a file that fails is retried: neither stops us.
  const early: string[] = [];
  let warnLater: ((message: string) => void) | undefined; // the logger, once it exists
  const warn = (message: string): void => (warnLater ? warnLater(message) : void early.push(message));
  const output = new ConsoleOutput({
    onBroken: (stream, error) =>
      warn(
        `${stream} failed (${(error as NodeJS.ErrnoException)?.code ?? String(error).slice(0, 80)}); ` +
          `nothing more is written there, the log file goes on`,
      ),
  });
  const logDirectory = readLogDirectory(process.env);
  const logFile =
    logDirectory === undefined ? undefined : LogFile.open({ directory: logDirectory, onError: warn });
  process.on('exit', () => logFile?.close());
  const logger = recordProblems(
    createLogger({
      write: (level, line) => {
        output.write(level, line);
        logFile?.write(line);
      },
    }),
    problems,
  );
  warnLater = logger.warn;
  for (const message of early.splice(0)) logger.warn(message);
  const settings = readEnvironment(process.env, logger.warn);
  const embedded = readEmbeddedSecrets(logger.warn);
  const certificate = loadCertificate(
    { directory: settings.certDir, embedded: embedded.certificates },
    logger.warn,
  );
  const passphrase = settings.passphrase ?? embedded.passphrase ?? DEV_PASSPHRASE;
  const server = new EntryServer({
    port: settings.port,
    certificate,
    allowedOrigins: settings.allowedOrigins,
    logger,
    problems,
    logFile,
    roomStats: readRoomStats(process.env),
    sessionPairing: settings.sessionPairing,
    listenerLimits: readListenerLimits(process.env),
  });
  logger.info(
    `entry-hw-server ${VERSION} (node ${process.versions.node}), port ${settings.port}, ` +
      `certificate: ${certificate ? `${certificate.source}, valid until ${certificate.notAfter.toISOString()}` : 'none'}`,
  );
  logger.info(`diagnostics page: http://127.0.0.1:${settings.port}${DIAGNOSTICS_PATH}`);
  logger.info(`log file: ${logFile?.path ?? 'off (ENTRY_HW_LOG_DIR=off)'}`);
  const build = readEmbeddedBuildInfo();
  if (build) {
    logger.info(`executable built ${build.builtAt} for ${build.target}; passphrase: ${build.passphrase}`);
  }

  let exiting = false;
  const exit = (code: number, why: string): void => {
    if (exiting) return;
    exiting = true;
    logger.info(`exiting: ${why}`);
    setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
    server.close().finally(() => process.exit(code));
  };
  process.on('SIGTERM', () => exit(0, 'SIGTERM'));
  process.on('SIGINT', () => exit(0, 'SIGINT'));
  process.on('uncaughtException', (error) => fatal(logger, 'uncaught exception', error));
  process.on('unhandledRejection', (reason) => fatal(logger, 'unhandled promise rejection', reason));
  armTestFault(server, logger);
  const gcIntervalMs = readGcInterval();
  if (gcIntervalMs > 0 && !startPeriodicCollection(gcIntervalMs))
    logger.warn(
      'periodic garbage collection unavailable in this runtime; memory may climb between collections',
    );

  if (IpcParentChannel.isAvailable(process)) {
    const channel = new IpcParentChannel(process, logger);
    forwardServerEvents(server, channel);
    channel.onMessage(
      createParentCommandHandler({
        server,
        sink: channel,
        passphrase,
        logger,
        exit: () => exit(0, '"exit" from the parent'),
      }),
    );
    channel.watchDisconnect(() => exit(0, 'the parent app went away'));
    return;
  }

  const sink = new ConsoleSink();
  forwardServerEvents(server, sink);
  const handle = createParentCommandHandler({
    server,
    sink,
    passphrase,
    logger,
    exit: () => exit(0, 'exit command'),
  });
  startDeveloperConsole(handle, () => exit(0, 'end of input'));
  handle({ key: 'open', value: 'development' });
}

main();
