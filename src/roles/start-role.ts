// How a role is brought up, apart from deciding when (that is the election, in EntryServer):
// a host binds a bare TCP server first and frees it at once, so an instance that finds the port
// taken becomes a peer without ever loading the host's machinery (socket.io server, TLS,
// routing, mailbox: 2.4 MB of every peer's memory, docs/BENCHMARKS.md, memory per seat); only a
// winner loads HostRole, with require(). A peer connects its PeerRole to the host.
import { createServer as createNetServer } from 'node:net';
import type { MatchTargetValue } from '../socket/events';
import type { HostRole, HostRoleOptions } from './host-role';
import { PeerRole } from './peer-role';

/**
 * Checks the port with a bare bind, then (while `stillWanted()`) loads HostRole and listens.
 * Resolves undefined when no longer wanted after the check; rejects with the bind's error
 * (losing the port between the check and the real bind is the same error).
 *
 * @example
 * const role = await startHost(() => phase === 'binding', () => hostOptions()); // EADDRINUSE rejects
 */
export function startHost(
  options: () => HostRoleOptions,
  stillWanted: () => boolean,
  port: number,
  host: string,
): Promise<HostRole | undefined> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen({ port, host, exclusive: true }, () =>
      probe.close(() => {
        if (!stillWanted()) return resolve(undefined);
        // Loaded on the first election this instance wins (esbuild evaluates it on this require).
        const { HostRole } = require('./host-role') as typeof import('./host-role');
        HostRole.listen(options()).then(resolve, reject);
      }),
    );
  });
}

/**
 * Creates a PeerRole and connects it; `joined` rejects (the role closed) when the host cannot be
 * reached.
 *
 * @example
 * const { role, joined } = startPeer(23518, () => ({ roomId: '0a1b2c3d4e' }));
 */
export function startPeer(
  port: number,
  claim: () => MatchTargetValue | undefined,
): { role: PeerRole; joined: Promise<void> } {
  const role = new PeerRole(port);
  const joined = role.join(claim).catch((error: Error) => {
    void role.close();
    throw error;
  });
  return { role, joined };
}
