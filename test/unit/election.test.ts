// The host election as a pure state machine (docs/PROTOCOL.md §5): bind or join, foreign programs,
// listen errors, host loss, refused joins, older hosts, backoff; and recognising the original server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ElectionEvent,
  type ElectionState,
  electHost,
  INITIAL_ELECTION,
  QUICK_RETRIES,
  RETRY_MAX_MS,
  retryDelay,
} from '../../src/election/elect-host';
import { isOlderServerJoin } from '../../src/policy/older-version';

function run(events: ElectionEvent[], from: ElectionState = INITIAL_ELECTION) {
  let state = from;
  const actions: string[] = [];
  for (const event of events) {
    const step = electHost(state, event);
    state = step.state;
    actions.push(...step.actions.map((a) => (a.type === 'report' ? `report:${a.code}` : a.type)));
  }
  return { state, actions };
}

const inUse: ElectionEvent = { type: 'bindFailed', code: 'EADDRINUSE', message: 'in use' };

describe('electHost', () => {
  it('becomes host when the port binds', () => {
    const { state, actions } = run([{ type: 'open' }, { type: 'bound' }]);
    assert.equal(state.phase, 'host');
    assert.deepEqual(actions, ['listen', 'becomeHost']);
  });

  it('joins an Entry HW host as a peer when the port is in use', () => {
    const { state, actions } = run([
      { type: 'open' },
      inUse,
      { type: 'probed', holder: 'entry-hw-server' },
      { type: 'joined' },
    ]);
    assert.equal(state.phase, 'peer');
    assert.deepEqual(actions, ['listen', 'probe', 'join', 'becomePeer']);
  });

  it('reports a foreign program once and keeps retrying with growing delays', () => {
    const foreign: ElectionEvent = { type: 'probed', holder: 'foreign', detail: 'nginx' };
    const { state, actions } = run([
      { type: 'open' },
      inUse,
      foreign,
      { type: 'retryDue' },
      inUse,
      foreign,
      { type: 'retryDue' },
      { type: 'bound' },
    ]);
    assert.deepEqual(actions, [
      'listen',
      'probe',
      'report:PORT_HELD_BY_OTHER_PROGRAM',
      'retryAfter',
      'listen',
      'probe',
      'retryAfter',
      'listen',
      'becomeHost',
    ]);
    assert.equal(state.phase, 'host');
    assert.equal(state.failures, 0);
  });

  it('reports other listen errors as LISTEN_FAILED and retries', () => {
    const { state, actions } = run([
      { type: 'open' },
      { type: 'bindFailed', code: 'EACCES', message: 'denied' },
    ]);
    assert.equal(state.phase, 'waiting');
    assert.deepEqual(actions, ['listen', 'report:LISTEN_FAILED', 'retryAfter']);
  });

  it('retries quickly when the holder vanished, then reports after repeated silence', () => {
    const nobody: ElectionEvent = { type: 'probed', holder: 'nobody' };
    const events: ElectionEvent[] = [{ type: 'open' }];
    for (let i = 0; i <= QUICK_RETRIES; i += 1) events.push(inUse, nobody, { type: 'retryDue' });
    const { actions } = run(events);
    assert.equal(actions.filter((a) => a === 'report:PORT_HELD_BY_OTHER_PROGRAM').length, 1);
    const probesBeforeReport = actions
      .slice(0, actions.indexOf('report:PORT_HELD_BY_OTHER_PROGRAM'))
      .filter((a) => a === 'probe');
    assert.equal(probesBeforeReport.length, QUICK_RETRIES + 1);
  });

  it('elects again when the host is lost, and a peer never ignores that', () => {
    const peer = run([
      { type: 'open' },
      inUse,
      { type: 'probed', holder: 'entry-hw-server' },
      { type: 'joined' },
    ]).state;
    const { state, actions } = run([{ type: 'hostLost' }, { type: 'bound' }], peer);
    assert.equal(state.phase, 'host');
    assert.deepEqual(actions, ['listen', 'becomeHost']);
  });

  it('reports a host that keeps refusing the join instead of looping silently', () => {
    const events: ElectionEvent[] = [{ type: 'open' }];
    for (let i = 0; i < QUICK_RETRIES; i += 1) {
      events.push(
        inUse,
        { type: 'probed', holder: 'entry-hw-server' },
        { type: 'joinFailed', message: 'refused' },
        { type: 'retryDue' },
      );
    }
    assert.ok(run(events).actions.includes('report:LISTEN_FAILED'));
  });

  it('reports an older entry-hw-server host once, as HOST_IS_OLDER_VERSION, and keeps retrying', () => {
    const older: ElectionEvent = { type: 'probed', holder: 'older-entry-hw-server', detail: 'v2' };
    const { state, actions } = run([
      { type: 'open' },
      inUse,
      older,
      { type: 'retryDue' },
      inUse,
      older,
      { type: 'retryDue' },
      inUse,
      older,
    ]);
    assert.deepEqual(
      actions.filter((a) => a.startsWith('report:')),
      ['report:HOST_IS_OLDER_VERSION'],
    );
    assert.equal(actions.filter((a) => a === 'retryAfter').length, 3);
    assert.equal(state.phase, 'waiting');
    assert.equal(state.failures, 3);
  });

  it('ignores events that do not apply, and everything after close', () => {
    const host = run([{ type: 'open' }, { type: 'bound' }]).state;
    assert.deepEqual(electHost(host, { type: 'hostLost' }), { state: host, actions: [] });
    const closed = electHost(host, { type: 'close' });
    assert.deepEqual(closed.actions, [{ type: 'shutdown' }]);
    assert.deepEqual(electHost(closed.state, { type: 'open' }).actions, []);
    assert.deepEqual(electHost(closed.state, { type: 'bound' }).actions, []);
  });

  it('backs off exponentially up to a cap', () => {
    assert.equal(retryDelay(1), 250);
    assert.equal(retryDelay(2), 500);
    assert.ok(retryDelay(3) > retryDelay(2));
    assert.equal(retryDelay(50), RETRY_MAX_MS);
  });
});

describe('isOlderServerJoin', () => {
  it('recognises the original server joining (childServer with Engine.IO 3), nothing else', () => {
    assert.equal(isOlderServerJoin('/socket.io/?childServer=true&EIO=3&transport=polling&t=N1'), true);
    assert.equal(isOlderServerJoin('/socket.io/?childServer=true&EIO=3&transport=websocket'), true);
    assert.equal(isOlderServerJoin('/socket.io/?childServer=true&EIO=4&transport=websocket'), false);
    assert.equal(
      isOlderServerJoin('/socket.io/?client=true&roomId=0a1b2c3d4e&EIO=3&transport=polling'),
      false,
    );
    assert.equal(isOlderServerJoin('/socket.io/?childServer=true&EIO=4&transport=polling'), false);
    assert.equal(isOlderServerJoin(undefined), false);
  });
});
