// The soak's failover windows (harness/soak/windows.ts): which undelivered messages count as lost
// inside a window. Regression for docs/RELIABILITY.md finding 13: a message sent in the same
// millisecond as the one that ended a window, but before it, was scored "lost outside".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeqStream } from '../../harness/soak/ledger';
import { inWindow, windowFor } from '../../harness/soak/windows';

/** A stream with one message per entry of `sends`: [send time, delivered?]. */
function stream(sends: [number, boolean][]): SeqStream {
  const s = new SeqStream();
  for (const [at, delivered] of sends) {
    const seq = s.send(at);
    if (delivered) s.receive(seq, at + 1);
  }
  return s;
}

describe('soak failover windows', () => {
  it('counts a loss sent in the same millisecond as, and before, the message that ended the window', () => {
    // Event at 1000, settled at 1200; #3 and #4 both sent at 1500, only #4 arrived.
    const s = stream([
      [900, true], // #0: last delivered before the event
      [1100, false], // #1
      [1300, false], // #2
      [1500, false], // #3
      [1500, true], // #4: ends the window
      [1600, false], // #5: after the window
    ]);
    const { window, recovered } = windowFor(s, 1000, 1200, 9999);
    assert.equal(recovered, true);
    assert.deepEqual(window, { start: 900, end: 1500, firstSeq: 0, endSeq: 4 });
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((seq) => inWindow(window, seq)),
      [true, true, true, true, false, false],
    );
  });

  it('does not count a loss sent before the last message delivered before the event', () => {
    const s = stream([
      [800, false], // #0: lost, then #1 in the same millisecond arrived: not the event's
      [800, true], // #1
      [1100, false], // #2
      [1300, true], // #3
    ]);
    const { window } = windowFor(s, 1000, 1200, 9999);
    assert.equal(inWindow(window, 0), false);
    assert.equal(inWindow(window, 2), true);
  });

  it('starts one in-flight second before the event when nothing recent was delivered', () => {
    const s = stream([
      [-500, true], // #0: too old to start the window
      [200, false], // #1: sent within a second before the event
      [1300, true], // #2
    ]);
    const { window } = windowFor(s, 1000, 1200, 9999);
    assert.deepEqual(window, { start: 0, end: 1300, firstSeq: 1, endSeq: 2 });
  });

  it('a room that sent after the settle time but never got through ends the window at the run end', () => {
    const s = stream([
      [900, true],
      [1300, false],
      [1400, false],
    ]);
    const { window, recovered } = windowFor(s, 1000, 1200, 9999);
    assert.equal(recovered, false);
    assert.equal(window.end, 9999);
    assert.equal(inWindow(window, 2), true);
  });
});
