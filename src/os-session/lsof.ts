// Reads the output of `lsof -F` (the field form for programs): a `p` line starts a process, `u` is
// its uid, `f` starts one of its files, `n` is the file's name (`127.0.0.1:50123->127.0.0.1:23518`
// for a connected socket) and `TST=` its TCP state (docs/SESSIONS.md §2.3). Pure: text in, sockets out.
import { type Endpoint, parseEndpoint } from './endpoint';

/** One connected TCP socket of one process. */
export interface LsofSocket {
  readonly pid: number;
  /** The process's uid; undefined when lsof printed none or not a number. */
  readonly uid: number | undefined;
  readonly local: Endpoint;
  readonly remote: Endpoint;
  /** The TCP state (`ESTABLISHED`), when lsof printed it. */
  readonly state: string | undefined;
}

/**
 * The connected sockets in lsof's field output. Files whose name is not `local->remote` (listening
 * sockets, other files) are left out; unknown field letters are ignored. Undefined when the text
 * is not field output (a line before the first process, a `p` line without a number).
 *
 * @example
 * parseLsofFields('p812\nu501\nf23\nn127.0.0.1:50123->127.0.0.1:23518\nTST=ESTABLISHED\n');
 * // [{ pid: 812, uid: 501, local: {...50123}, remote: {...23518}, state: 'ESTABLISHED' }]
 */
export function parseLsofFields(text: string): LsofSocket[] | undefined {
  const sockets: LsofSocket[] = [];
  let pid: number | undefined;
  let uid: number | undefined;
  let file: { name?: string; state?: string } | undefined;
  const finish = () => {
    if (pid === undefined || file?.name === undefined) return;
    const arrow = file.name.indexOf('->');
    if (arrow < 0) return;
    const local = parseEndpoint(file.name.slice(0, arrow));
    const remote = parseEndpoint(file.name.slice(arrow + 2));
    if (local && remote) sockets.push({ pid, uid, local, remote, state: file.state });
  };
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line === '') continue;
    const field = line[0];
    const value = line.slice(1);
    if (field === 'p') {
      finish();
      if (!/^\d{1,10}$/.test(value)) return undefined;
      pid = Number(value);
      uid = undefined;
      file = undefined;
      continue;
    }
    if (pid === undefined) return undefined;
    if (field === 'u') uid = /^\d{1,10}$/.test(value) ? Number(value) : undefined;
    else if (field === 'f') {
      finish();
      file = {};
    } else if (field === 'n') {
      // Some lsof builds print no `f` line unless asked; a second name starts a new file too.
      if (file === undefined || file.name !== undefined) {
        finish();
        file = {};
      }
      file.name = value;
    } else if (field === 'T' && value.startsWith('ST=') && file !== undefined) file.state = value.slice(3);
  }
  finish();
  return sockets;
}
