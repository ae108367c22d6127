// The Node options every executable runs with: one list, read by the build and by the tests
// that check each blob carries it.

/**
 * Node options baked into every executable (Node 26 and 22.23.2 read `execArgv`); each one is kept
 * only because a measurement showed it helps (docs/BENCHMARKS.md, docs/RELIABILITY.md finding 12).
 */
export const SEA_EXEC_ARGV: readonly string[] = [
  // Without the global WebSocket, engine.io-client's check for it no longer loads undici and http2
  // in every instance (2.8 MB each); engine.io-client uses the `ws` package in Node either way.
  '--no-experimental-websocket',
  // SIGUSR1 would otherwise open the inspector on 127.0.0.1:9229, where any local user can attach.
  '--disable-sigusr1',
  // No V8 background threads: optimizing compilations on worker threads left their memory in
  // those threads' malloc arenas, which grew at every failover (a peer +0.2-0.35 MB per host kill).
  // Same CPU and latency at the real rates.
  '--single-threaded',
  // Maglev is the top tier, no Turbofan: its compilations are smaller (native growth per host
  // kill 110 -> 45 KB with --single-threaded), no CPU cost measured at the real rates.
  '--max-opt=2',
  // OpenSSL reads the file OPENSSL_CONF names at start-up, and its `nodejs_conf` section can load
  // a provider (a shared library of anyone's choosing) into this process, which holds the TLS key.
  // This option names a config instead, which is empty on every platform: on Windows
  // the NUL device (`\\.\NUL`); elsewhere `/NUL`, a file in the root folder that only an
  // administrator could create and that does not exist (Node then reads no config).
  '--openssl-config=//./NUL',
];
