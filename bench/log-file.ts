// Cost of the log file: each line is one synchronous append, so what matters is
// how long one write holds the event loop, rotation included. Writes `lines` warning-sized lines
// (150 bytes) into a temporary folder with the real 1 MiB bound and reports the time per line and
// its quantiles, then the time of tail(200) (what the diagnostics will read). For the choice of
// synchronous appends, the same lines are then written raw with fs.writeSync and through a
// buffered fs.WriteStream (time to queue, time until flushed, and the memory the queue took).
//
// Usage: node --import tsx bench/log-file.ts [lines]      (default 200000)
import { closeSync, createWriteStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogFile } from '../src/util/log-file';
import { quantile } from './support';

const LINES = Number(process.argv[2] ?? 200_000);
const directory = mkdtempSync(join(tmpdir(), 'entry-hw-bench-log-'));
const file = LogFile.open({ directory });
const line = `[entry-hw-server] warning: ${'x'.repeat(120)}`;
const micros: number[] = [];
const started = process.hrtime.bigint();
for (let i = 0; i < LINES; i += 1) {
  const t = process.hrtime.bigint();
  file.write(line);
  micros.push(Number(process.hrtime.bigint() - t) / 1000);
}
const totalMs = Number(process.hrtime.bigint() - started) / 1e6;
const tailStart = performance.now();
const tail = file.tail(200);
const tailMs = performance.now() - tailStart;
file.close();
micros.sort((a, b) => a - b);

const stamped = `${new Date().toISOString()} ${line}\n`;
const fd = openSync(join(directory, 'raw.log'), 'a');
let t = process.hrtime.bigint();
for (let i = 0; i < LINES; i += 1) writeSync(fd, stamped);
const rawSyncUs = Number(process.hrtime.bigint() - t) / 1000 / LINES;
closeSync(fd);
const stream = createWriteStream(join(directory, 'buffered.log'), { flags: 'a' });
const rssBefore = process.memoryUsage().rss;
t = process.hrtime.bigint();
for (let i = 0; i < LINES; i += 1) stream.write(stamped);
const queuedUs = Number(process.hrtime.bigint() - t) / 1000 / LINES;
const queueMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
stream.end(() => {
  const flushedUs = Number(process.hrtime.bigint() - t) / 1000 / LINES;
  rmSync(directory, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      node: process.versions.node,
      cpu: cpus()[0]?.model,
      lines: LINES,
      perLineUs: Number(((totalMs * 1000) / LINES).toFixed(2)),
      p50Us: Number(quantile(micros, 0.5).toFixed(1)),
      p99Us: Number(quantile(micros, 0.99).toFixed(1)),
      p999Us: Number(quantile(micros, 0.999).toFixed(1)),
      maxUs: Math.round(micros.at(-1) ?? 0),
      tailLines: tail.length,
      tailMs: Number(tailMs.toFixed(2)),
      rawWriteSyncUs: Number(rawSyncUs.toFixed(2)),
      bufferedQueueUs: Number(queuedUs.toFixed(2)),
      bufferedFlushedUs: Number(flushedUs.toFixed(2)),
      bufferedQueueMiB: Math.round(queueMiB),
    }),
  );
});
