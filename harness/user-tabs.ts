// Students played by real OS users: each student's tab is an entryjs-like process run as
// that student's user (harness/user-tab.cjs), so the host's OS-session lookup sees the true
// owner of its connection, as on a cloud PC; with the student's instance (CloudCluster.start with
// `user`), one exchange checks that everything reached its own student and nothing crossed.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { browserTags, type Instance, parentTags, sleep, type Tag, until } from './cloud-cluster';
import type { OsUser } from './os-users';
import { REPO_ROOT } from './server-process';

const TAB_SCRIPT = join(REPO_ROOT, 'harness', 'user-tab.cjs');
const CLIENT_V2 = require.resolve('socket.io-client-v2');

/** An entryjs-like tab (socket.io-client 2.5.0) running as an OS user. */
export class UserTab {
  readonly child: ChildProcess;
  /** When each (re)connection opened, by this process's clock. */
  readonly connects: number[] = [];
  readonly payloads: unknown[] = [];
  /** When each payload arrived, by this process's clock. */
  readonly arrivals: number[] = [];
  connected = false;

  constructor(
    readonly name: string,
    port: number,
    readonly roomId: string,
    user: OsUser | undefined,
    delayMs = 300,
  ) {
    this.child = spawn(process.execPath, [TAB_SCRIPT, CLIENT_V2, String(port), roomId, String(delayMs)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
    this.child.on('error', () => {});
    this.child.on('message', (event: { ev: string; at?: number; payload?: unknown }) => {
      if (event.ev === 'connect') {
        this.connected = true;
        this.connects.push(Date.now());
      } else if (event.ev === 'disconnect') this.connected = false;
      else if (event.ev === 'message') {
        this.payloads.push(event.payload);
        this.arrivals.push(Date.now());
      }
    });
  }

  emit(tag: Tag): void {
    if (this.child.connected)
      this.child.send({ op: 'emit', message: { data: JSON.stringify(tag), type: 'utf8' } });
  }

  /** Closes its socket and opens a new one with the same roomId at once, as a reload does. */
  reload(): void {
    this.connected = false;
    this.child.send({ op: 'reload' });
  }

  /** Tags of the `{ data: tag }` payloads it received from index `from` on. */
  tags(from = 0): Tag[] {
    return browserTags(this.payloads.slice(from));
  }

  async waitConnected(after = 0, timeoutMs = 10_000): Promise<number> {
    await until(() => this.connected && this.connects.length > after, {
      timeoutMs,
      describe: () => `${this.name} to connect (${this.connects.length} connections so far)`,
    });
    return this.connects.at(-1) as number;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

/** One student: their roomId, their Entry HW and their tab. */
export interface UserStudent {
  room: string;
  instance: Instance;
  tab: UserTab;
}

/**
 * Each instance's parent sends and each tab emits tagged messages, every `everyMs`, until every
 * student got its own both ways (or `timeoutMs`); then waits `settleMs` for stragglers. Returns what
 * reached the wrong student (should be nothing), who never got its own both ways, and per room how
 * long until its first own message had arrived both ways.
 */
export async function exchangeAll(
  students: readonly UserStudent[],
  kind: string,
  { timeoutMs = 10_000, everyMs = 50, settleMs = 300 } = {},
): Promise<{ crossed: string[]; missing: string[]; firstMs: Map<string, number> }> {
  const parentFrom = new Map(students.map((s) => [s, s.instance.proc.messages.length]));
  const tabFrom = new Map(students.map((s) => [s, s.tab.payloads.length]));
  const started = Date.now();
  const firstMs = new Map<string, number>();
  const own = (s: UserStudent) => ({
    toTab: s.tab.tags(tabFrom.get(s)).some((t) => t.room === s.room && t.kind === `${kind}-p2b`),
    toParent: parentTags(s.instance.proc, parentFrom.get(s)).some(
      (t) => t.room === s.room && t.kind === `${kind}-b2p`,
    ),
  });
  let seq = 0;
  while (Date.now() - started < timeoutMs) {
    seq += 1;
    for (const s of students) {
      if (s.instance.proc.alive)
        s.instance.proc.send({ key: 'send', value: { room: s.room, kind: `${kind}-p2b`, seq } });
      s.tab.emit({ room: s.room, kind: `${kind}-b2p`, seq });
    }
    await sleep(everyMs);
    for (const s of students) {
      const o = own(s);
      if (o.toTab && o.toParent && !firstMs.has(s.room)) firstMs.set(s.room, Date.now() - started);
    }
    if (firstMs.size === students.length) break;
  }
  await sleep(settleMs);
  const crossed: string[] = [];
  for (const s of students) {
    for (const tag of parentTags(s.instance.proc, parentFrom.get(s)))
      if (tag.room !== s.room)
        crossed.push(`${s.instance.name}'s parent got ${tag.room}/${tag.kind}#${tag.seq}`);
    for (const tag of s.tab.tags(tabFrom.get(s)))
      if (tag.room !== s.room) crossed.push(`${s.tab.name} got ${tag.room}/${tag.kind}#${tag.seq}`);
  }
  const missing = students
    .filter((s) => !firstMs.has(s.room))
    .map((s) => `${s.tab.name}: ${JSON.stringify(own(s))}`);
  return { crossed, missing, firstMs };
}
