// The soak's traffic: each room sends at the real rates on a fixed-rate schedule, tagged with its
// room and a per-room sequence number (the ledger's send side), padded to real message sizes.
import type { Classroom } from './classroom';

const pad = (n: number) => 'x'.repeat(Math.max(0, n));
// ~100 B like entryjs's sendQueue JSON, and ~200 B like an Arduino frame.
const B2P_PAD = pad(100 - JSON.stringify({ r: '0123456789', s: 100000, SET: {}, GET: {}, p: '' }).length);
const P2B_PAD = pad(
  200 -
    JSON.stringify({
      data: {
        r: '0123456789',
        s: 100000,
        ANALOG: { 0: 512, 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 },
        DIGITAL: { 2: 0, 3: 1 },
        p: '',
      },
    }).length,
);

/**
 * One tick of the ticker: each room sends what its schedule has due, skipping slots while its
 * sender cannot send (entryjs sends nothing while its socket is down; a parent without a server
 * process sends nothing).
 */
export function tick(classroom: Classroom): void {
  const { raw, opts, ended } = classroom;
  if (!classroom.traffic) return;
  const t = classroom.now();
  const elapsed = t - raw.trafficFrom;
  for (const room of raw.rooms) {
    if (room.endedAt !== undefined) continue;
    const since = elapsed - Math.max(0, room.createdAt - raw.trafficFrom);
    const b2pDue = Math.floor((since * opts.browserHz) / 1000);
    for (; room.b2pSlots < b2pDue; room.b2pSlots += 1) {
      const tab = room.tab;
      if (!tab?.connected) continue;
      const seq = room.b2p.send(t);
      tab.emit({
        data: JSON.stringify({ r: room.id, s: seq, SET: {}, GET: {}, p: B2P_PAD }),
        mode: 0,
        type: 'utf8',
      });
    }
    const p2bDue = Math.floor((since * opts.parentHz) / 1000);
    for (; room.p2bSlots < p2bDue; room.p2bSlots += 1) {
      const inst = room.instance;
      if (!inst || ended.has(inst) || !inst.proc.alive || !inst.proc.child.connected) continue;
      const seq = room.p2b.send(t);
      try {
        inst.proc.send({
          key: 'send',
          value: {
            r: room.id,
            s: seq,
            ANALOG: { 0: 512, 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 },
            DIGITAL: { 2: 0, 3: 1 },
            p: P2B_PAD,
          },
        });
      } catch {
        // the channel closed between the check and the send: the message is lost like any other
      }
    }
  }
}
