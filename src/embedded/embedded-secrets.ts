// Secrets built into the single executable (SEA assets): the TLS certificate files and the
// encrypt/decrypt passphrase. Outside an executable (node dist/main.cjs, tests, library use)
// there is nothing embedded and every field is undefined.
//
// The assets are sealed at build time (see sealed-secrets.ts and scripts/sea/build.ts) and are
// decrypted here, in memory only: nothing is ever written to disk.
import type { CertificateFiles } from '../crypto/certificates';
import { type EmbeddedBuildInfo, SEA_ASSETS, unsealSecrets } from './sealed-secrets';

export type { EmbeddedBuildInfo } from './sealed-secrets';

export interface EmbeddedSecrets {
  certificates?: CertificateFiles;
  passphrase?: string;
}

type SeaModule = typeof import('node:sea');

/**
 * node:sea when running as a single executable, else undefined. Loaded lazily and guarded: the
 * library build runs inside hosts whose Node has no node:sea (older Electron).
 */
function seaModule(): SeaModule | undefined {
  let sea: SeaModule;
  try {
    sea = require('node:sea') as SeaModule;
  } catch {
    return undefined;
  }
  try {
    return sea.isSea() ? sea : undefined;
  } catch {
    return undefined;
  }
}

/** The asset's bytes, or undefined when the build did not include it. */
function readAsset(sea: SeaModule, name: string): Uint8Array | undefined {
  try {
    return new Uint8Array(sea.getAsset(name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_SINGLE_EXECUTABLE_APPLICATION_ASSET_NOT_FOUND') {
      return undefined;
    }
    throw error;
  }
}

let cached: EmbeddedSecrets | undefined;

/**
 * Reads and decrypts the embedded secrets, in memory only. Never throws: a damaged asset is
 * reported through `warn` and treated as absent. The result is computed once per process.
 *
 * @example
 * const { certificates, passphrase } = readEmbeddedSecrets(console.warn);
 */
export function readEmbeddedSecrets(warn: (message: string) => void = () => {}): EmbeddedSecrets {
  if (cached) return { ...cached };
  const sea = seaModule();
  if (!sea) return {};
  let result: EmbeddedSecrets = {};
  try {
    const secrets = readAsset(sea, SEA_ASSETS.secrets);
    const keyA = readAsset(sea, SEA_ASSETS.keyA);
    const keyB = readAsset(sea, SEA_ASSETS.keyB);
    if (secrets && keyA && keyB) {
      const payload = unsealSecrets(secrets, keyA, keyB);
      result = {};
      if (payload.certificates) result.certificates = payload.certificates;
      if (payload.passphrase) result.passphrase = payload.passphrase;
    } else if (secrets || keyA || keyB) {
      warn('embedded secrets are incomplete; running without them');
    }
  } catch (error) {
    warn(`embedded secrets are unusable: ${(error as Error).message}`);
    result = {};
  }
  cached = result;
  return { ...result };
}

/**
 * The non-secret description of the build (target, Node version, certificate expiry), or
 * undefined outside a single executable.
 *
 * @example
 * readEmbeddedBuildInfo()?.certificate?.notAfter // '2027-01-01T00:00:00.000Z'
 */
export function readEmbeddedBuildInfo(): EmbeddedBuildInfo | undefined {
  const sea = seaModule();
  if (!sea) return undefined;
  try {
    const bytes = readAsset(sea, SEA_ASSETS.buildInfo);
    return bytes ? (JSON.parse(Buffer.from(bytes).toString('utf8')) as EmbeddedBuildInfo) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The license notices built into the executable (THIRD_PARTY_NOTICES.txt of its target), or
 * undefined outside one or when the build did not include them.
 *
 * @example
 * process.stdout.write(readEmbeddedNotices() ?? 'no notices');
 */
export function readEmbeddedNotices(): string | undefined {
  const sea = seaModule();
  if (!sea) return undefined;
  try {
    const bytes = readAsset(sea, SEA_ASSETS.notices);
    return bytes ? Buffer.from(bytes).toString('utf8') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True inside the shipped single executable, false under `node dist/main.cjs`, tests and library
 * use. Test-only hooks check it so that they can never fire in production.
 *
 * @example
 * if (!isSingleExecutable() && process.env.ENTRY_HW_TEST === '1') armTestHooks();
 */
export function isSingleExecutable(): boolean {
  return seaModule() !== undefined;
}
