// Bundles the program into single CommonJS files with esbuild:
//   dist/main.cjs  - the program Entry HW spawns (IPC child, or developer console without a parent)
//   dist/index.cjs - the library entry for in-process use (entry-offline)
import { readFile } from 'node:fs/promises';
import { build } from 'esbuild';

/**
 * ws (socket.io-client's WebSocket in Node) loads `https` and `tls` at start although a peer only
 * ever dials ws://127.0.0.1; they cost about 2 MB per instance (docs/BENCHMARKS.md, memory per
 * seat). This loads them on first use instead. The exact lines are required, so an update of ws
 * that changes them fails the build instead of silently dropping the saving.
 */
const lazyTlsInWs = {
  name: 'lazy-tls-in-ws',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]ws[\\/]lib[\\/]websocket\.js$/ }, async (args) => {
      let contents = await readFile(args.path, 'utf8');
      const swaps = [
        [
          "const https = require('https');",
          "const https = { get request() { return require('https').request; } };",
        ],
        [
          "const tls = require('tls');",
          "const tls = { connect: (options) => require('tls').connect(options) };",
        ],
      ];
      for (const [from, to] of swaps) {
        if (!contents.includes(from)) throw new Error(`lazy-tls-in-ws: ${args.path} no longer has ${from}`);
        contents = contents.replace(from, to);
      }
      return { contents, loader: 'js' };
    });
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  // socket.io's optional native helpers are never installed; keep them out of the bundle.
  external: ['bufferutil', 'utf-8-validate'],
  plugins: [lazyTlsInWs],
};

await build({ ...common, entryPoints: ['src/main.ts'], outfile: 'dist/main.cjs' });
await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.cjs' });
