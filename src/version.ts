// The program's version, from package.json (esbuild inlines just this field into the bundle), and
// the git commit the bundle was built from (scripts/bundle.mjs defines it; 'unknown' unbundled).
import { version } from '../package.json';

export const VERSION: string = version;

declare const __ENTRY_HW_BUILD_COMMIT__: string | undefined;

/** The commit of the build: a short hash, `-dirty` when the tree had uncommitted changes. */
export const BUILD_COMMIT: string =
  typeof __ENTRY_HW_BUILD_COMMIT__ === 'string' ? __ENTRY_HW_BUILD_COMMIT__ : 'unknown (not bundled)';
