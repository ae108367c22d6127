// Bundles the program into single CommonJS files with esbuild:
//   dist/main.cjs  - the program Entry HW spawns (IPC child, or developer console without a parent)
//   dist/index.cjs - the library entry for in-process use (entry-offline)
//   dist/THIRD_PARTY_NOTICES.txt - the license texts of every package bundled into them, and
//   dist/third-party-packages.json - the same list, from which scripts/sea/build.ts writes the
//   executables' notices (adding Node's license). From esbuild's metafiles (scripts/notices.mjs).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { build } from 'esbuild';
import { bundledPackages, NOTICES_FILE, renderNotices } from './notices.mjs';

/**
 * The commit this bundle is built from, for --version: ENTRY_HW_BUILD_COMMIT when set (a release
 * job), else git's short hash with `-dirty` when tracked files have changes, else 'unknown'.
 */
function buildCommit() {
  if (process.env.ENTRY_HW_BUILD_COMMIT) return process.env.ENTRY_HW_BUILD_COMMIT;
  const git = (args) =>
    execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const hash = git(['rev-parse', '--short=12', 'HEAD']);
    const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
    return `${hash}${dirty ? '-dirty' : ''}`;
  } catch {
    return 'unknown';
  }
}

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
  metafile: true,
  // socket.io's optional native helpers are never installed; keep them out of the bundle.
  external: ['bufferutil', 'utf-8-validate'],
  plugins: [lazyTlsInWs],
  define: { __ENTRY_HW_BUILD_COMMIT__: JSON.stringify(buildCommit()) },
};

const main = await build({ ...common, entryPoints: ['src/main.ts'], outfile: 'dist/main.cjs' });
const library = await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.cjs' });
const packages = bundledPackages([main.metafile, library.metafile], process.cwd());
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
await writeFile(`dist/${NOTICES_FILE}`, renderNotices({ product: `entry-hw-server ${version}`, packages }));
await writeFile('dist/third-party-packages.json', `${JSON.stringify(packages, null, 2)}\n`);
