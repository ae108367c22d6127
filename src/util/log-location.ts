// Where the log file lives: a per-user folder that survives a reboot and that
// a help desk can name on each platform, or the folder ENTRY_HW_LOG_DIR gives, or none (`off`).
// Pure: the platform, the environment and the home folder come in as arguments.
import { isAbsolute, posix, resolve, win32 } from 'node:path';

/** The folder's name under the platform's per-user folder. */
export const LOG_FOLDER_NAME = 'entry-hw-server';

export interface LogLocationInput {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** The user's home folder ('' when unknown). */
  home: string;
  /** The per-user temporary folder, the last resort when there is no home. */
  tmp: string;
  /** The user's name, to keep the temporary fallback apart from other users' ('' when unknown). */
  user: string;
}

/**
 * The default log folder: per-user application data, never roaming and never the temp folder
 * (cleaners empty it, and on macOS it is a random path nobody can find):
 * - Windows: `%LOCALAPPDATA%\entry-hw-server\logs` (Local, not Roaming: a roaming profile on a
 *   school network would copy the log at every logon);
 * - macOS: `~/Library/Logs/entry-hw-server` (Console.app lists it);
 * - others: `$XDG_STATE_HOME/entry-hw-server`, else `~/.local/state/entry-hw-server` (the XDG
 *   base directory spec puts logs under state).
 * Without a home folder: `<tmp>/entry-hw-server-<user>`.
 *
 * @example
 * defaultLogDirectory({ platform: 'darwin', env: {}, home: '/Users/kim', tmp: '/tmp', user: 'kim' })
 * // '/Users/kim/Library/Logs/entry-hw-server'
 */
export function defaultLogDirectory({ platform, env, home, tmp, user }: LogLocationInput): string {
  if (platform === 'win32') {
    const local = env.LOCALAPPDATA;
    if (local && win32.isAbsolute(local)) return win32.join(local, LOG_FOLDER_NAME, 'logs');
    if (home) return win32.join(home, 'AppData', 'Local', LOG_FOLDER_NAME, 'logs');
    return win32.join(tmp, `${LOG_FOLDER_NAME}-${user || 'user'}`);
  }
  if (!home) return posix.join(tmp, `${LOG_FOLDER_NAME}-${user || 'user'}`);
  if (platform === 'darwin') return posix.join(home, 'Library', 'Logs', LOG_FOLDER_NAME);
  const state = env.XDG_STATE_HOME;
  // The spec: a relative XDG_STATE_HOME is invalid and must be ignored.
  if (state && posix.isAbsolute(state)) return posix.join(state, LOG_FOLDER_NAME);
  return posix.join(home, '.local', 'state', LOG_FOLDER_NAME);
}

/**
 * The log folder from ENTRY_HW_LOG_DIR: unset or empty gives the default; `off` (any case) gives
 * undefined, no file; another value is that folder (a relative one from the working directory).
 *
 * @example
 * logDirectory('off', input)        // undefined
 * logDirectory('/var/log/x', input) // '/var/log/x'
 */
export function logDirectory(setting: string | undefined, input: LogLocationInput): string | undefined {
  const value = setting?.trim() ?? '';
  if (value === '') return defaultLogDirectory(input);
  if (value.toLowerCase() === 'off') return undefined;
  return isAbsolute(value) ? value : resolve(value);
}
