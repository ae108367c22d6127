// What an embedder gives EntryServer (docs/PROTOCOL.md §8): the options of the constructor and the
// events it raises, which are the server → parent IPC messages (ipc/messages.ts) by another name.

import type { ListenerLimits } from '../config';
import type { LoadedCertificate } from '../crypto/certificates';
import type { ProblemLog } from '../diagnostics/problems';
import type { ModuleHandlers } from '../host/listener/http-routes';
import type { ServerEvents } from '../ipc/messages';
import type { SessionLookup } from '../os-session';
import type { Logger } from '../util/log';
import type { LogFileView } from '../util/log-file';

/** Events of the server object: the server → parent messages except the cipher replies. */
export type EntryServerEvents = ServerEvents;

export interface EntryServerOptions extends ModuleHandlers {
  /** Compat with the original: `true` serves plain http/ws only, even when a certificate is given. */
  http?: boolean;
  /** Port to listen on or join. Default 23518. */
  port?: number;
  /** Certificate for https/wss on the same port. */
  certificate?: LoadedCertificate;
  /** Extra allowed browser origins (added to the defaults). */
  allowedOrigins?: string[];
  logger?: Logger;
  /**
   * Most parent sends held while a peer is between hosts (oldest dropped beyond). Default 1000.
   * Sends older than 5 s when a host is found, and all of them when the roomId changes, are
   * dropped (src/routing/send-queue.ts).
   */
  peerQueueLimit?: number;
  /** How often a running server re-checks its certificate's expiry. Default one hour. */
  certificateCheckMs?: number;
  /** Count per-room traffic for the diagnostics page. Default true (off only to measure its cost). */
  roomStats?: boolean;
  /** A problem log `logger` already feeds (src/diagnostics/problems.ts); default: one of its own. */
  problems?: ProblemLog;
  /**
   * The program's log file (main.ts): its path goes into /status and the diagnostics
   * page, its last lines (scrubbed) into the support bundle. Default: none.
   */
  logFile?: LogFileView;
  /**
   * Pair a tab no Entry HW named with the one instance of its OS session (docs/PROTOCOL.md §4,
   * "Pairing by OS session"). Default true; false pairs only by roomId, as before.
   */
  sessionPairing?: boolean;
  /** The OS-session lookup to use (default: this platform's, src/os-session); for tests. */
  sessionLookup?: SessionLookup;
  /**
   * Header deadline and connection cap of the port (default DEFAULT_LISTENER_LIMITS). The program
   * reads them from ENTRY_HW_HEADERS_TIMEOUT_MS and ENTRY_HW_MAX_CONNECTIONS (config.ts); the
   * library never reads the environment for them.
   */
  listenerLimits?: ListenerLimits;
}
