// parseCommandLine decides what the program's arguments ask for, without running anything.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { helpText, parseCommandLine, versionText } from '../../src/cli/command-line';

describe('parseCommandLine', () => {
  it('serves with no arguments (what Entry HW passes), a console only when asked', () => {
    assert.deepEqual(parseCommandLine([]), { kind: 'serve', console: false });
    assert.deepEqual(parseCommandLine(['--console']), { kind: 'serve', console: true });
  });

  it('reads the informational options, long and short; help wins over the others', () => {
    assert.deepEqual(parseCommandLine(['--version']), { kind: 'version' });
    assert.deepEqual(parseCommandLine(['-v']), { kind: 'version' });
    assert.deepEqual(parseCommandLine(['-h']), { kind: 'help' });
    assert.deepEqual(parseCommandLine(['--licenses']), { kind: 'licenses' });
    assert.deepEqual(parseCommandLine(['--version', '--help']), { kind: 'help' });
    assert.deepEqual(parseCommandLine(['--console', '--version']), { kind: 'version' });
  });

  it('refuses unknown options, positionals and values given to flags, naming the argument', () => {
    const cases: Array<[string[], string]> = [
      [['--bogus'], "unknown option '--bogus'"],
      [['-x'], "unknown option '-x'"],
      [['serve'], "unexpected argument 'serve'"],
      [['--version=2'], "option '--version' takes no value"],
      [['--console', '--', 'x'], "unexpected argument 'x'"],
    ];
    for (const [args, message] of cases) {
      assert.deepEqual(parseCommandLine(args), { kind: 'usage-error', message }, JSON.stringify(args));
    }
  });

  it('clips and escapes a hostile argument in the message', () => {
    const action = parseCommandLine([`--${'a'.repeat(500)}\u001b[2J`]);
    assert.equal(action.kind, 'usage-error');
    const { message } = action as { message: string };
    assert.ok(message.length < 120, message);
    assert.equal(message.includes(String.fromCharCode(27)), false, message);
  });
});

describe('texts', () => {
  it('--version starts with the name and version alone on the first line', () => {
    const text = versionText({
      version: '3.0.0',
      nodeVersion: '22.23.2',
      target: 'win-x86',
      executable: true,
      commit: 'abcdef123456',
      builtAt: '2026-12-06T00:00:00.000Z',
    });
    assert.deepEqual(text.split('\n'), [
      'entry-hw-server 3.0.0',
      'node 22.23.2',
      'target win-x86 (single executable)',
      'commit abcdef123456',
      'built 2026-12-06T00:00:00.000Z',
    ]);
  });

  it('--help names the port it was given', () => {
    assert.ok(helpText(30001).includes('http://127.0.0.1:30001/diagnostics'));
  });
});
