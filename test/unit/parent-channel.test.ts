// The IPC channel to the parent (src/ipc/parent-channel.ts): a bounded backlog that drops only
// browser data while the parent is far behind, and never throws once the channel is gone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServerMessage } from '../../src/ipc/messages';
import { IpcParentChannel, type IpcProcess, MAX_IPC_BACKLOG_BYTES } from '../../src/ipc/parent-channel';
import { FakeLogger } from '../helpers/fake-logger';

/** A parent that accepts writes but completes them only when told to (a parent that stopped reading). */
class StalledParent implements IpcProcess {
  connected = true;
  readonly written: ServerMessage[] = [];
  private readonly pending: ((error: Error | null) => void)[] = [];
  send(message: unknown, callback: (error: Error | null) => void): boolean {
    this.written.push(message as ServerMessage);
    this.pending.push(callback);
    return this.pending.length < 10;
  }
  on(): unknown {
    return this;
  }
  /** The parent reads everything: every pending write completes. */
  drain(): void {
    for (const callback of this.pending.splice(0)) callback(null);
  }
}

describe('IPC channel backlog', () => {
  it('drops browser data, and only that, while the parent is far behind; resumes when it catches up', () => {
    const parent = new StalledParent();
    const logger = new FakeLogger();
    const channel = new IpcParentChannel(parent, logger);
    const chunk = 'x'.repeat(4096);
    const flood = 3 * Math.ceil(MAX_IPC_BACKLOG_BYTES / 4096);
    for (let i = 0; i < flood; i += 1) channel.send({ key: 'data', value: { data: chunk, seq: i } });
    const delivered = parent.written.filter((m) => m.key === 'data').length;
    assert.ok(delivered < flood / 2, `only about the bound is queued (${delivered} of ${flood})`);
    // Each message serializes to a little over 4 KiB; everything up to the bound goes through.
    assert.ok(delivered >= Math.floor(MAX_IPC_BACKLOG_BYTES / 4200), 'up to the bound nothing is dropped');
    assert.equal(channel.congested, true);

    channel.send({ key: 'cloudModeChanged', value: 1 });
    channel.send({ key: 'decrypt', value: '', error: 'x' });
    assert.deepEqual(
      parent.written.slice(-2).map((m) => m.key),
      ['cloudModeChanged', 'decrypt'],
      'control messages are never dropped',
    );
    assert.equal(
      logger.messages().filter((l) => l.includes('not reading')).length,
      1,
      'one warning per episode',
    );

    parent.drain();
    assert.equal(channel.congested, false);
    channel.send({ key: 'data', value: 'after' });
    assert.deepEqual(parent.written.at(-1), { key: 'data', value: 'after' });
    assert.ok(
      logger.messages().some((l) => new RegExp(`${flood - delivered} browser messages were dropped`).test(l)),
    );
  });

  it('counts large messages from the first one: a stalled parent holds the bound behind the one being written', () => {
    const parent = new StalledParent();
    const channel = new IpcParentChannel(parent, new FakeLogger());
    const large = 'x'.repeat(20 * 1024 * 1024);
    const small = { data: '{"a0":512}', type: 'utf8' };
    // One 95 MB message being written does not hold up the small ones behind it.
    channel.send({ key: 'data', value: { data: 'x'.repeat(95_000_000), type: 'utf8' } });
    for (let i = 0; i < 100; i += 1) channel.send({ key: 'data', value: small });
    assert.equal(parent.written.length, 101);
    assert.equal(channel.congested, false);
    // Behind it, at most the bound: 20 + 20 MiB queued, the rest dropped.
    for (let i = 0; i < 10; i += 1) channel.send({ key: 'data', value: { data: large, type: 'utf8' } });
    assert.equal(
      parent.written.length,
      103,
      'two 20 MiB messages queue; then the 32 MiB bound drops the rest',
    );
    assert.equal(channel.congested, true);
    // The small ones of other tabs still go through: they queue behind, they are not dropped.
    for (let i = 0; i < 100; i += 1) channel.send({ key: 'data', value: small });
    assert.equal(parent.written.length, 203);
    parent.drain();
    channel.send({ key: 'data', value: { data: large, type: 'utf8' } });
    assert.equal(parent.written.length, 204, 'the parent caught up');
  });

  it('counts the first large messages at once, with nothing small before them', () => {
    // Before the fix the backlog was measured only once 64 messages waited: eleven large ones in a
    // row (1.9 GB of JSON for a stalled parent) all queued.
    const parent = new StalledParent();
    const channel = new IpcParentChannel(parent, new FakeLogger());
    const large = 'x'.repeat(20 * 1024 * 1024);
    channel.send({ key: 'data', value: { data: 'x'.repeat(95_000_000), type: 'utf8' } });
    for (let i = 0; i < 10; i += 1) channel.send({ key: 'data', value: { data: large, type: 'utf8' } });
    assert.equal(parent.written.length, 3, 'the one being written, then two 20 MiB within the 32 MiB bound');
    assert.equal(channel.congested, true);
  });

  it('never throws when the channel is gone', () => {
    const parent = new StalledParent();
    parent.connected = false;
    const channel = new IpcParentChannel(parent, new FakeLogger());
    channel.send({ key: 'data', value: 1 });
    assert.equal(parent.written.length, 0);
    const throwing: IpcProcess = {
      connected: true,
      send: () => {
        throw new Error('ERR_IPC_CHANNEL_CLOSED');
      },
      on: () => throwing,
    };
    new IpcParentChannel(throwing, new FakeLogger()).send({ key: 'data', value: 1 });
  });
});
