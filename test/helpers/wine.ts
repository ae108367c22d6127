// Whether the suites that need Wine (the win-x86 executable, its blob) can run here: skipped with a
// reason on a developer machine without Wine, a failure under CI, which must run them (.ci/run
// installs wine32), in the manner of the browser suite and Chromium.
import { WINE_INSTALL_HINT, wineVersion } from '../../scripts/sea/wine';

export interface WineAvailability {
  /** Wine's version when it is installed. */
  version?: string;
  /** Why the suite is skipped (no Wine, CI not set). */
  skip?: string;
  /** Why the suite fails (no Wine under CI). */
  failure?: string;
}

/**
 * @example
 * const { skip, failure } = wineAvailability('the Wine suite');
 * describe('win-x86 under Wine', { skip }, () => { before(() => assert.equal(failure, undefined, failure)); });
 */
export function wineAvailability(what: string): WineAvailability {
  const version = wineVersion();
  if (version) return { version };
  if (process.env.CI) {
    return {
      failure: `Wine is missing on CI: ${what} must run there (.ci/run installs it: ${WINE_INSTALL_HINT})`,
    };
  }
  return { skip: `skipped: Wine is not installed (${WINE_INSTALL_HINT}); CI always runs ${what}` };
}
