// The Node options every executable runs with: one list, read by the build and by the tests
// that check each blob carries it.

/**
 * Node options baked into every executable (Node 26 and 22.23.2 read `execArgv`); each one is kept
 * only because a measurement showed it helps (docs/BENCHMARKS.md).
 */
export const SEA_EXEC_ARGV: readonly string[] = [
  // Without the global WebSocket, engine.io-client's check for it no longer loads undici and http2
  // in every instance (2.8 MB each); engine.io-client uses the `ws` package in Node either way.
  '--no-experimental-websocket',
  // SIGUSR1 would otherwise open the inspector on 127.0.0.1:9229, where any local user can attach.
  '--disable-sigusr1',
];
