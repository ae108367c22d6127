// The OS-session lookup's public surface (docs/SESSIONS.md): what the host and peers import.
export type { AcceptedConnection, ConnectionEnds, Endpoint } from './endpoint';
export {
  describeAnswer,
  describeSession,
  parseSessionIdentity,
  type SessionAnswer,
  type SessionIdentity,
  sameSession,
  sessionOf,
  type UnknownReason,
} from './identity';
export {
  createSessionLookup,
  DEFAULT_LOOKUP_TIMEOUT_MS,
  type SessionLookup,
  type SessionLookupOptions,
} from './session-lookup';
