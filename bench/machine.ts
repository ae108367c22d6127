// What every benchmark prints about where it ran: CPU model and cores, Node version, load average
// and the commit, so figures in docs/BENCHMARKS.md can be traced to a machine and a tree.
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** CPU model, core count and Node version, e.g. "AMD EPYC, 2 cores, Node v20.20.2". */
export function machine(): string {
  let model = cpus()[0]?.model?.trim() || 'unknown CPU';
  try {
    model = execSync("lscpu | sed -n 's/^Model name:[[:space:]]*//p'", { encoding: 'utf8' }).trim() || model;
  } catch {
    // not Linux: keep the model node reports
  }
  return `${model}, ${cpus().length} cores, Node ${process.version}`;
}

/** The 1, 5 and 15 minute load averages, or "n/a" off Linux. */
export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
}

/** The short commit, flagged when src/ has uncommitted changes. */
export function commit(): string {
  try {
    const head = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
    const dirty = execSync('git status --porcelain -- src', { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} with uncommitted changes in src/` : head;
  } catch {
    return 'unknown';
  }
}
