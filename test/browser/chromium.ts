// Finds and launches the system Chromium for the browser suite, trusting the tests' own CAs only.
//
// Trust: preferred is an NSS database in a throw-away HOME with the test root CAs added as trust
// anchors (needs `certutil`, Debian package libnss3-tools). Then Chromium verifies certificates
// normally, so an expired leaf fails as expired (ERR_CERT_DATE_INVALID) although its root is
// trusted: exactly what happens to users when the real certificate expires.
// Fallback without certutil: --ignore-certificate-errors-spki-list. Tried with Chromium 156: it
// needs the hash of a key in the chain the server presents (the LEAF's key works; the root's key
// does not, because the server does not send its root), and it then ignores every error of that
// chain, expiry included. So in that mode only the valid chains are listed, and an expired chain is
// refused because it is both untrusted and expired.
// Never --ignore-certificate-errors.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.ENTRY_HW_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Whether the suite can run here. Without Chromium it is skipped on a developer machine, but on CI
 * (CI set) it must run, so there a missing browser is a failure, reported by the suite itself.
 */
export function chromiumAvailability(): { skip?: string; failure?: string } {
  if (existsSync(CHROMIUM_PATH)) return {};
  if (process.env.CI) {
    return {
      failure: `${CHROMIUM_PATH} is missing on CI: the browser suite must run there (.ci/run installs Debian's chromium)`,
    };
  }
  return {
    skip: `skipped: ${CHROMIUM_PATH} not found (apt-get install -y chromium, or set ENTRY_HW_CHROMIUM); CI always runs this suite`,
  };
}

function hasCertutil(): boolean {
  try {
    execFileSync('certutil', ['-H'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // certutil -H prints help and exits 1; only ENOENT means it is not installed.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

export interface TrustedChain {
  /** Directory from makeTestPki (holds RootCA.crt). */
  dir: string;
  /** The leaf's SPKI hash (used only in the fallback mode). */
  leafSpkiHash: string;
}

export interface LaunchOptions {
  /** Scratch directory (becomes HOME for the browser; holds the NSS db). */
  workDir: string;
  /** Chains whose roots Chromium should trust. */
  trusted: TrustedChain[];
  /** Roots trusted as anchors but whose leaves are meant to fail verification (e.g. expired). */
  trustedRootsOnly: TrustedChain[];
  /** Host names mapped to 127.0.0.1. */
  hosts: string[];
  /** More Chromium flags. */
  extraArgs?: string[];
}

export interface LaunchedBrowser {
  browser: Browser;
  trustMode: 'nss' | 'spki';
}

export async function launchChromium(options: LaunchOptions): Promise<LaunchedBrowser> {
  const home = join(options.workDir, 'home');
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--host-resolver-rules=${options.hosts.map((host) => `MAP ${host} 127.0.0.1`).join(', ')}`,
    ...(options.extraArgs ?? []),
  ];
  // ENTRY_HW_BROWSER_TRUST=nss|spki forces a mode (default: nss when certutil is installed).
  const forced = process.env.ENTRY_HW_BROWSER_TRUST;
  if (forced !== undefined && forced !== 'nss' && forced !== 'spki') {
    throw new Error(`ENTRY_HW_BROWSER_TRUST must be nss or spki, not ${JSON.stringify(forced)}`);
  }
  if (forced === 'nss' && !hasCertutil()) {
    throw new Error('ENTRY_HW_BROWSER_TRUST=nss needs certutil (apt-get install -y libnss3-tools)');
  }
  let trustMode: LaunchedBrowser['trustMode'];
  if (forced === 'nss' || (forced === undefined && hasCertutil())) {
    trustMode = 'nss';
    const db = `sql:${join(home, '.pki', 'nssdb')}`;
    mkdirSync(join(home, '.pki', 'nssdb'), { recursive: true });
    execFileSync('certutil', ['-d', db, '-N', '--empty-password'], { stdio: 'pipe' });
    [...options.trusted, ...options.trustedRootsOnly].forEach((chain, index) => {
      execFileSync(
        'certutil',
        [
          '-d',
          db,
          '-A',
          '-t',
          'C,,',
          '-n',
          `entry-hw-test-root-${index}`,
          '-i',
          join(chain.dir, 'RootCA.crt'),
        ],
        { stdio: 'pipe' },
      );
    });
  } else {
    trustMode = 'spki';
    mkdirSync(home, { recursive: true });
    args.push(
      `--ignore-certificate-errors-spki-list=${options.trusted.map((c) => c.leafSpkiHash).join(',')}`,
    );
  }
  // Playwright adds --headless and a fresh temporary --user-data-dir itself.
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args,
    env: { ...process.env, HOME: home },
    timeout: 30_000,
  });
  return { browser, trustMode };
}
