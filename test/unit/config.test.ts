// The numeric settings are clamped to sane ranges (3e9 ms would overflow a timer to
// 1 ms; a cap of 1 connection or a collection every millisecond burns a core), each with one
// warning at start, and an allowed-origins list with `*` or `null` is said loudly.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  boundedSetting,
  HEADERS_TIMEOUT_RANGE,
  readEnvironment,
  readGcInterval,
  readListenerLimits,
  windowsDirectory,
} from '../../src/config';

describe('settings', () => {
  it('clamps each numeric setting to its range; nonsense gives the default', () => {
    assert.deepEqual(
      readListenerLimits({ ENTRY_HW_HEADERS_TIMEOUT_MS: '3000000000', ENTRY_HW_MAX_CONNECTIONS: '1' }),
      {
        headersTimeoutMs: 600_000,
        maxConnections: 10,
      },
    );
    assert.deepEqual(
      readListenerLimits({ ENTRY_HW_HEADERS_TIMEOUT_MS: '1', ENTRY_HW_MAX_CONNECTIONS: '1e9' }),
      {
        headersTimeoutMs: 100,
        maxConnections: 10_000,
      },
    );
    assert.deepEqual(
      readListenerLimits({ ENTRY_HW_HEADERS_TIMEOUT_MS: 'soon', ENTRY_HW_MAX_CONNECTIONS: '-3' }),
      {
        headersTimeoutMs: 10_000,
        maxConnections: 1000,
      },
    );
    assert.deepEqual(readListenerLimits({}), { headersTimeoutMs: 10_000, maxConnections: 1000 });
    assert.equal(readGcInterval({ ENTRY_HW_GC_INTERVAL_MS: '1' }), 1000);
    assert.equal(readGcInterval({ ENTRY_HW_GC_INTERVAL_MS: '0' }), 0);
    assert.deepEqual(boundedSetting('2500', HEADERS_TIMEOUT_RANGE), { value: 2500 });
  });

  it('says once at start what it changed, and loudly when every page is allowed', () => {
    const warnings: string[] = [];
    readEnvironment(
      {
        ENTRY_HW_HEADERS_TIMEOUT_MS: '3000000000',
        ENTRY_HW_MAX_CONNECTIONS: '1',
        ENTRY_HW_GC_INTERVAL_MS: '1',
        ENTRY_HW_ALLOWED_ORIGINS: 'https://school.example, *, null',
      },
      (m) => warnings.push(m),
    );
    assert.equal(warnings.length, 5, warnings.join('\n'));
    assert.match(
      warnings[0] as string,
      /ENTRY_HW_HEADERS_TIMEOUT_MS="3000000000" is above the most, 600000; using 600000/,
    );
    assert.match(warnings[1] as string, /ENTRY_HW_MAX_CONNECTIONS="1" is below the least, 10; using 10/);
    assert.match(warnings[2] as string, /ENTRY_HW_GC_INTERVAL_MS="1" is below the least, 1000; using 1000/);
    assert.match(warnings[3] as string, /^!!! ENTRY_HW_ALLOWED_ORIGINS contains "\*": EVERY web page/);
    assert.match(warnings[4] as string, /contains "null"/);
    const quiet: string[] = [];
    readEnvironment(
      { ENTRY_HW_GC_INTERVAL_MS: '0', ENTRY_HW_ALLOWED_ORIGINS: 'https://school.example' },
      (m) => quiet.push(m),
    );
    assert.deepEqual(quiet, []);
  });
});

describe('windowsDirectory (where the OS-session lookup finds netstat and tasklist)', () => {
  it('takes %SystemRoot%, else %windir%, else C:\\Windows', () => {
    assert.equal(windowsDirectory({ SystemRoot: 'D:\\Win', windir: 'E:\\Other' }), 'D:\\Win');
    assert.equal(windowsDirectory({ windir: 'E:\\Other' }), 'E:\\Other');
    assert.equal(windowsDirectory({}), 'C:\\Windows');
  });
});
