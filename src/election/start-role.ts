// How a role is brought up, apart from deciding when (that is the election,
// election/election-runner.ts): a host binds a bare TCP server first, so an instance that finds the
// port taken becomes a peer without ever loading the host's machinery (socket.io server, TLS,
// routing, mailbox: 2.4 MB of every peer's memory, docs/BENCHMARKS.md, memory per seat); only a
// winner loads HostRole, with require(), and hands it the bound server, so the port is never free
// in between. A peer connects its PeerRole to the host. Each role is given its owner (EntryServer)
// when it is created, so it reports from its first moment.
import { createServer as createNetServer } from 'node:net';
import { TCP_SERVER_OPTIONS } from '../config';
import type { RoleOwner } from '../contracts/role';
import type { MatchTargetValue } from '../contracts/socket-events';
import type { HostRole, HostRoleOptions } from '../host/host-role';
import { PeerRole } from '../peer/peer-role';

/**
 * Binds the port with a bare TCP server, then (while `stillWanted()`) loads HostRole and hands
 * it the bound server in the same tick, before any connection is accepted. Resolves undefined
 * (the port freed again) when no longer wanted; rejects with the bind's error.
 *
 * @example
 * const role = await startHost(() => hostOptions(), () => phase === 'binding', 23518, '127.0.0.1'); // EADDRINUSE rejects
 */
export function startHost(
  options: () => HostRoleOptions,
  stillWanted: () => boolean,
  port: number,
  host: string,
): Promise<HostRole | undefined> {
  return new Promise((resolve, reject) => {
    const bound = createNetServer(TCP_SERVER_OPTIONS);
    bound.once('error', reject);
    bound.listen({ port, host, exclusive: true }, () => {
      bound.off('error', reject);
      if (!stillWanted()) return void bound.close(() => resolve(undefined));
      // Loaded on the first election this instance wins (esbuild evaluates it on this require).
      const { HostRole } = require('../host/host-role') as typeof import('../host/host-role');
      HostRole.listen({ ...options(), bound }).then(resolve, (error: Error) => {
        bound.close();
        reject(error);
      });
    });
  });
}

/**
 * Creates a PeerRole reporting to `owner` and connects it; `joined` rejects (the role closed) when
 * the host cannot be reached. `lost` is called once if the host is lost after `joined` resolved.
 *
 * @example
 * const { role, joined } = startPeer(23518, () => ({ roomId: '0a1b2c3d4e' }), owner, (reason) => elect());
 */
export function startPeer(
  port: number,
  claim: () => MatchTargetValue | undefined,
  owner: RoleOwner,
  lost: (reason: string) => void,
): { role: PeerRole; joined: Promise<void> } {
  const role = new PeerRole(port, owner, lost);
  const joined = role.join(claim).catch((error: Error) => {
    void role.close();
    throw error;
  });
  return { role, joined };
}
