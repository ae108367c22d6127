// The one fake Logger of the tests: it records every call, in order, with its level (and the key
// or refusal kind), and prints nothing. It applies none of the real logger's rules (no warnOnce
// memory, no rate limit, no clipping): a test sees exactly what the code under test asked to log.
import type { Logger, RefusalKind } from '../../src/util/log';

export type LoggedLevel = 'info' | 'warn' | 'error' | 'warnOnce' | 'refused';

export interface LoggedCall {
  level: LoggedLevel;
  message: string;
  /** The warnOnce key or the refusal kind. */
  key?: string;
}

export class FakeLogger implements Logger {
  readonly calls: LoggedCall[] = [];

  info(message: string): void {
    this.calls.push({ level: 'info', message });
  }
  warn(message: string): void {
    this.calls.push({ level: 'warn', message });
  }
  error(message: string): void {
    this.calls.push({ level: 'error', message });
  }
  warnOnce(key: string, message: string): void {
    this.calls.push({ level: 'warnOnce', key, message });
  }
  refused(kind: RefusalKind, detail: string): void {
    this.calls.push({ level: 'refused', key: kind, message: detail });
  }

  /** The messages of every call, in order. */
  messages(): string[] {
    return this.calls.map((call) => call.message);
  }

  /** One readable line per call (`level [key] message`), for an assertion's failure message. */
  text(): string {
    return this.calls
      .map((c) => [c.level, c.key, c.message].filter((part) => part !== undefined).join(' '))
      .join('\n');
  }
}
