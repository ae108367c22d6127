// The soak's periodic samples: each server process's memory, open files and CPU time (from /proc),
// and the host's /status debug view.
import { readdirSync, readFileSync } from 'node:fs';
import { fetchStatus, lastValue } from '../cloud-cluster';
import type { Classroom } from './classroom';

/** Clock ticks per second of /proc/PID/stat's CPU times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

function procStatus(pid: number): { rss: number; priv: number; fds: number; cpuMs: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
    let priv = Number.NaN;
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const clean = Number(/^Private_Clean:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      const dirty = Number(/^Private_Dirty:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      priv = clean + dirty;
    } catch {
      priv = Number(/^RssAnon:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
    }
    const fds = readdirSync(`/proc/${pid}/fd`).length;
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
    return { rss, priv, fds, cpuMs };
  } catch {
    return undefined;
  }
}

/** Samples every live instance's memory, open files and CPU, and the host's /status debug. */
export async function sample(classroom: Classroom): Promise<void> {
  const { raw } = classroom;
  const t = Math.round(classroom.now() - raw.t0);
  for (const inst of classroom.liveInstances()) {
    const pid = inst.proc.child.pid;
    if (pid === undefined) continue;
    const s = procStatus(pid);
    if (!s) continue;
    const mode = lastValue(inst.proc, 'runningModeChanged');
    raw.processSamples.push({
      t,
      name: inst.name,
      pid,
      role: mode === 2 ? 'host' : mode === 3 ? 'peer' : 'other',
      rssKiB: s.rss,
      privateKiB: s.priv,
      fds: s.fds,
      cpuMs: s.cpuMs,
    });
  }
  const status = (await fetchStatus(classroom.port, 2000)) as
    | { debug?: { hub?: { members?: number } } }
    | undefined;
  const host = classroom.hostsNow()[0];
  if (status?.debug && host)
    raw.hostDebug.push({
      t,
      name: host.name,
      members: status.debug.hub?.members ?? -1,
      debug: status.debug,
    });
}
