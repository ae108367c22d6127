// The program Entry HW spawns. It reads its settings and secrets, builds an EntryServer, and
// connects it to the parent over IPC; started without a parent it is a developer run with a
// console. It also owns the process's lifetime: signals, parent loss, last-resort error logging.
import { DEV_PASSPHRASE, readEnvironment } from './config';
import { ConsoleSink, startDeveloperConsole } from './dev-console';
import { DIAGNOSTICS_PATH } from './diagnostics/diagnostics';
import { ProblemLog, recordProblems } from './diagnostics/problems';
import { readEmbeddedBuildInfo, readEmbeddedSecrets } from './embedded/embedded-secrets';
import { EntryServer } from './entry-server';
import { IpcParentChannel } from './ipc/parent-channel';
import { createParentCommandHandler, forwardServerEvents } from './ipc/parent-commands';
import { loadCertificate } from './listener/certificates';
import { createLogger } from './util/log';
import { VERSION } from './version';

/** How long a graceful close may take before the process exits anyway. */
const EXIT_GRACE_MS = 700;

function main(): void {
  const problems = new ProblemLog();
  const logger = recordProblems(createLogger(), problems);
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
    // ENTRY_HW_ROOM_STATS=off: no per-room counting (bench:throughput measures what it costs).
    roomStats: process.env.ENTRY_HW_ROOM_STATS !== 'off',
  });
  logger.info(
    `entry-hw-server ${VERSION} (node ${process.versions.node}), port ${settings.port}, ` +
      `certificate: ${certificate ? `${certificate.source}, valid until ${certificate.notAfter.toISOString()}` : 'none'}`,
  );
  logger.info(`diagnostics page: http://127.0.0.1:${settings.port}${DIAGNOSTICS_PATH}`);
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
  // Last resort: every entry point guards itself, so reaching here is a bug; log it and keep
  // serving rather than drop every student's connection.
  process.on('uncaughtException', (error) => logger.error(`uncaught: ${error.stack ?? error}`));
  process.on('unhandledRejection', (reason) => logger.error(`unhandled rejection: ${String(reason)}`));

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
