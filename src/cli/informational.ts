// The informational actions of the command line (--version, --help, --licenses, a usage error,
// and a start with neither parent app nor terminal): each prints its text and exits without
// reading settings or touching the port. Texts are in command-line.ts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_PORT, readEnvironment, readLogDirectory } from '../config';
import { readEmbeddedBuildInfo, readEmbeddedNotices } from '../embedded/embedded-secrets';
import { slotFiles } from '../util/log-file';
import { BUILD_COMMIT, VERSION } from '../version';
import {
  type CommandLineAction,
  helpText,
  NO_PARENT_TEXT,
  USAGE_EXIT_CODE,
  versionText,
} from './command-line';

/** The notices file written beside dist/main.cjs by scripts/bundle.mjs. */
export const NOTICES_FILE = 'THIRD_PARTY_NOTICES.txt';

/**
 * Writes `text` and exits with `code` once it is out. A closed stdout (`--licenses | head`)
 * ends the program quietly with the same code instead of an EPIPE crash.
 */
function printAndExit(stream: NodeJS.WriteStream, text: string, code: number): void {
  const exit = (): never => process.exit(code);
  stream.on('error', exit);
  stream.write(`${text}\n`, exit);
}

/** The notices: embedded in an executable, else the file beside the bundle. */
function readNotices(): string | undefined {
  const embedded = readEmbeddedNotices();
  if (embedded !== undefined) return embedded;
  const beside = join(__dirname, NOTICES_FILE);
  return existsSync(beside) ? readFileSync(beside, 'utf8') : undefined;
}

/**
 * Carries out an action that does not serve. Returns false for `serve` (the caller serves).
 *
 * @example
 * if (runInformational(parseCommandLine(process.argv.slice(2)))) return;
 */
export function runInformational(action: CommandLineAction): boolean {
  switch (action.kind) {
    case 'serve':
      return false;
    case 'version': {
      const build = readEmbeddedBuildInfo();
      const text = versionText({
        version: VERSION,
        nodeVersion: process.versions.node,
        target: build?.target ?? `${process.platform}-${process.arch}`,
        executable: build !== undefined,
        commit: BUILD_COMMIT,
        builtAt: build?.builtAt,
      });
      printAndExit(process.stdout, text, 0);
      return true;
    }
    case 'help': {
      // The port is only shown (the diagnostics address): an invalid value gives the default.
      const port = readEnvironment(process.env).port ?? DEFAULT_PORT;
      const logDirectory = readLogDirectory(process.env);
      const logFile = logDirectory === undefined ? undefined : slotFiles(logDirectory, 1).current;
      printAndExit(process.stdout, helpText(port, logFile), 0);
      return true;
    }
    case 'licenses': {
      const notices = readNotices();
      if (notices === undefined) {
        printAndExit(
          process.stderr,
          `entry-hw-server: ${NOTICES_FILE} is missing beside ${__dirname}; \`npm run build:js\` writes it`,
          1,
        );
      } else {
        printAndExit(process.stdout, notices.trimEnd(), 0);
      }
      return true;
    }
    case 'usage-error':
      printAndExit(
        process.stderr,
        `entry-hw-server: ${action.message}\nUsage: entry-hw-server [--version | --help | --licenses | --console]`,
        USAGE_EXIT_CODE,
      );
      return true;
  }
}

/** Said when the program has neither a parent app nor a terminal; then it exits with code 2. */
export function refuseWithoutParent(): void {
  printAndExit(process.stderr, NO_PARENT_TEXT, USAGE_EXIT_CODE);
}
