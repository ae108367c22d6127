// The one guard for values from outside (src/util/wire.ts): only a plain non-null, non-array object
// reads as a record, and a number field reads as a finite positive number or 0.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asRecord, positiveOrZero } from '../../src/util/wire';

describe('wire values', () => {
  it('asRecord reads objects only', () => {
    assert.deepEqual(asRecord({ roomId: 'abc' }), { roomId: 'abc' });
    assert.equal(asRecord({ roomId: 'abc' })?.roomId, 'abc');
    for (const value of [null, undefined, [1, 2], [], 'text', 42, true])
      assert.equal(asRecord(value), undefined, String(value));
    assert.equal(asRecord(JSON.parse('{"__proto__": {"key": 1}}'))?.key, undefined);
  });

  it('positiveOrZero keeps finite positive numbers and turns the rest into 0', () => {
    assert.equal(positiveOrZero(1200), 1200);
    assert.equal(positiveOrZero(0.5), 0.5);
    for (const value of [0, -5, Number.NaN, Number.POSITIVE_INFINITY, '12', null, undefined, {}])
      assert.equal(positiveOrZero(value), 0, String(value));
  });
});
