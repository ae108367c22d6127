// Bundles the program into single CommonJS files with esbuild:
//   dist/main.cjs  - the program Entry HW spawns (IPC child, or developer console without a parent)
//   dist/index.cjs - the library entry for in-process use (entry-offline)
import { build } from 'esbuild';

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
};

await build({ ...common, entryPoints: ['src/main.ts'], outfile: 'dist/main.cjs' });
await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.cjs' });
