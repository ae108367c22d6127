// Runs the test suites with Node's own test runner (TypeScript through tsx).
// Usage: node scripts/test.mjs [folder-or-file ...]   (default: everything under test/)
// Node 20's runner takes no glob patterns, so the file list is collected here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) collect(join(path, name), out);
  } else if (path.endsWith('.test.ts')) {
    out.push(path);
  }
  return out;
}

const roots = process.argv.slice(2);
const files = (roots.length > 0 ? roots : ['test']).flatMap((root) => collect(root, []));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// --no-experimental-websocket: from Node 22 on, a global WebSocket exists, and socket.io-client 2.x
// (engine.io-client 3) prefers it to the ws package; that WebSocket cannot set headers, so a test
// browser's Origin would silently vanish and a refused page would look like a local program.
// The tests' browsers must send what a browser sends: they keep using ws, as on Node 20.
const result = spawnSync(
  process.execPath,
  ['--no-experimental-websocket', '--import', 'tsx', '--test', '--test-concurrency=1', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
