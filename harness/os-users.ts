// OS users created for a test and removed after it (Linux, as root): the pairing tests run each
// student's Entry HW and tab as that student's own user, as on a cloud PC. Not root: skipped with
// the reason; root without useradd or runuser: skipped, except under CI, where it fails.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin']))
    if (dir && existsSync(join(dir, command))) return join(dir, command);
  return undefined;
}

/** Whether users can be created here: `skip` says why not; `failure` when CI must run it. */
export function osUsersAvailability(): { skip?: string; failure?: string } {
  if (process.platform !== 'linux')
    return { skip: 'skipped: OS users are created for this test on Linux only' };
  const why =
    process.getuid?.() !== 0
      ? 'creating OS users needs root (CI runs as root)'
      : ['useradd', 'userdel'].some((c) => !which(c))
        ? 'useradd or userdel not installed (Debian: passwd)'
        : undefined;
  if (why === undefined) return {};
  return process.env.CI === 'true'
    ? { failure: `under CI the real-users test must run, but ${why}` }
    : { skip: `skipped: ${why}` };
}

/** Creates `count` users with no login shell and no home; remove them with {@link removeOsUsers}. */
export function createOsUsers(count: number, prefix = 'ehp'): OsUser[] {
  const users: OsUser[] = [];
  for (let i = 0; i < count; i += 1) {
    const name = `${prefix}${randomBytes(3).toString('hex')}${i}`;
    execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', name], { stdio: 'pipe' });
    const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
    users.push({ name, uid: id('-u'), gid: id('-g') });
  }
  return users;
}

export function removeOsUsers(users: readonly OsUser[]): void {
  for (const user of users) {
    try {
      execFileSync('userdel', [user.name], { stdio: 'pipe' });
    } catch {
      // already gone
    }
  }
}

/**
 * Makes the executable the suites run (ENTRY_HW_TEST_BIN) runnable by the created users: the sea
 * suite builds it in a private temporary folder (mode 0700), which other users cannot enter. Copies
 * it into a folder anyone may read and points ENTRY_HW_TEST_BIN there; the returned function undoes
 * both. Nothing to do without ENTRY_HW_TEST_BIN (`node dist/main.cjs` of the checkout is readable).
 */
export function shareTestBinWithUsers(): () => void {
  const bin = process.env.ENTRY_HW_TEST_BIN;
  if (!bin) return () => {};
  const dir = mkdtempSync(join(tmpdir(), 'entry-hw-users-bin-'));
  chmodSync(dir, 0o755);
  const copy = join(dir, basename(bin));
  copyFileSync(bin, copy);
  chmodSync(copy, 0o755);
  process.env.ENTRY_HW_TEST_BIN = copy;
  return () => {
    process.env.ENTRY_HW_TEST_BIN = bin;
    rmSync(dir, { recursive: true, force: true });
  };
}
