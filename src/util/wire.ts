// The one way a value from outside (IPC, socket.io, an HTTP body) is narrowed from `unknown`: read
// as a record of unknown fields, then each field checked where it is parsed. No `as { f?: unknown }`.

/** A value from the wire read as an object whose fields are still unchecked. */
export type WireRecord = Readonly<Record<string, unknown>>;

/**
 * The value as a record of unchecked fields when it is a non-null, non-array object; else undefined.
 *
 * @example
 * asRecord({ roomId: 'abc' })?.roomId; // 'abc'
 * asRecord([1, 2]);                    // undefined
 * asRecord(null);                      // undefined
 */
export function asRecord(value: unknown): WireRecord | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return value as WireRecord;
}

/**
 * A finite number above 0 as itself, anything else (a missing field, NaN, a string, a negative) as 0.
 *
 * @example
 * positiveOrZero(1200);  // 1200
 * positiveOrZero('12');  // 0
 * positiveOrZero(-5);    // 0
 */
export function positiveOrZero(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}
