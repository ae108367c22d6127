// The server-side checks of the diagnostics page: do the certificate's names resolve to
// this PC, is the certificate usable, who holds the port. Each returns a small language-neutral
// result; texts.ts turns it into plain words and a fix. DNS goes through an injectable resolver
// with a short timeout and is cached, so a page polling every second does not flood the resolver.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { type CertificateHealth, certificateHealth } from '../crypto/certificates';

export type CheckStatus = 'ok' | 'warning' | 'problem' | 'pending';

/** One check's outcome: `state` names the text to show, `facts` fill its blanks. */
export interface CheckResult {
  id: string;
  status: CheckStatus;
  state: string;
  facts: Record<string, string | number | boolean | null>;
}

/** The names the browser tries for wss, in order (docs/PROTOCOL.md §3). */
export const CERTIFICATE_NAMES = ['hw.playentry.org', 'hardware.playentry.org'] as const;

/** Resolves a name to its addresses (IPv4 and IPv6 text). */
export type Resolver = (name: string) => Promise<string[]>;

/** The operating system's resolver, as the browser on this PC would ask it. */
export const systemResolver: Resolver = async (name) =>
  (await lookup(name, { all: true, verbatim: true })).map((entry) => entry.address);

/**
 * True for 127.0.0.0/8, ::1 and IPv4-mapped loopback.
 *
 * @example
 * isLoopbackAddress('127.0.0.1') // true
 * isLoopbackAddress('10.0.0.5')  // false
 */
export function isLoopbackAddress(address: string): boolean {
  const lower = address.toLowerCase();
  if (lower === '::1') return true;
  const v4 = lower.startsWith('::ffff:') ? lower.slice(7) : lower;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * Resolves one name with a timeout. Addresses other than loopback are counted, never shown:
 * the bundle carries no IP address but loopback.
 *
 * @example
 * await checkDnsName('hw.playentry.org', async () => ['127.0.0.1'])
 * // { id: 'dns:hw.playentry.org', status: 'ok', state: 'loopback', facts: { name: 'hw.playentry.org', ... } }
 */
export async function checkDnsName(name: string, resolve: Resolver, timeoutMs = 1500): Promise<CheckResult> {
  const id = `dns:${name}`;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((done) => {
    timer = setTimeout(() => done('timeout'), timeoutMs);
  });
  try {
    const answer = await Promise.race([resolve(name), timeout]);
    if (answer === 'timeout') {
      return { id, status: 'problem', state: 'timeout', facts: { name, timeoutMs } };
    }
    const addresses = Array.isArray(answer) ? answer.filter((a) => typeof a === 'string') : [];
    const loopback = addresses.filter(isLoopbackAddress);
    const others = addresses.length - loopback.length;
    const facts = { name, loopback: loopback.join(', '), otherAddresses: others };
    if (addresses.length === 0) return { id, status: 'problem', state: 'unresolved', facts };
    if (others > 0) return { id, status: 'problem', state: 'elsewhere', facts };
    return { id, status: 'ok', state: 'loopback', facts };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      id,
      status: 'problem',
      state: 'unresolved',
      facts: { name, error: typeof code === 'string' ? code.slice(0, 40) : 'lookup failed' },
    };
  } finally {
    clearTimeout(timer);
  }
}

export interface DnsCheckerOptions {
  resolve?: Resolver;
  timeoutMs?: number;
  /** How long a result is reused. Default 30 s. */
  maxAgeMs?: number;
  now?: () => number;
}

/**
 * Cached DNS checks of both certificate names.
 *
 * @example
 * const dns = new DnsChecker();
 * await dns.refresh();      // resolves both names (at most once per 30 s)
 * dns.current();            // two CheckResults; 'pending' before the first answer
 */
export class DnsChecker {
  private results: CheckResult[] | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private running: Promise<void> | undefined;
  private readonly resolve: Resolver;
  private readonly timeoutMs: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(options: DnsCheckerOptions = {}) {
    this.resolve = options.resolve ?? systemResolver;
    this.timeoutMs = options.timeoutMs ?? 1500;
    this.maxAgeMs = options.maxAgeMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** Re-checks when the last result is stale; concurrent callers share one check. */
  refresh(): Promise<void> {
    if (this.now() - this.checkedAt < this.maxAgeMs) return Promise.resolve();
    if (!this.running) {
      this.running = Promise.all(
        CERTIFICATE_NAMES.map((name) => checkDnsName(name, this.resolve, this.timeoutMs)),
      )
        .then((results) => {
          this.results = results;
          this.checkedAt = this.now();
        })
        .finally(() => {
          this.running = undefined;
        });
    }
    return this.running;
  }

  current(): CheckResult[] {
    return (
      this.results ??
      CERTIFICATE_NAMES.map((name) => ({
        id: `dns:${name}`,
        status: 'pending' as const,
        state: 'pending',
        facts: { name },
      }))
    );
  }
}

/** What the certificate check needs to know. */
export interface CertificateFacts {
  /** Expiry of the certificate the program has, if any. */
  notAfter: Date | undefined;
  /** Whether TLS is being served right now. */
  tlsActive: boolean;
  /** The embedder asked for plain http only (the original's `http: true`). */
  plainOnlyByOption: boolean;
}

/**
 * Valid, expiring within 30 days, expired, or none.
 *
 * @example
 * checkCertificate({ notAfter: new Date('2020-01-01'), tlsActive: false, plainOnlyByOption: false })
 * // { id: 'certificate', status: 'problem', state: 'expired', facts: { notAfter: '2020-01-01T…', daysLeft: -… } }
 */
export function checkCertificate(facts: CertificateFacts, now: Date = new Date()): CheckResult {
  if (facts.plainOnlyByOption)
    return { id: 'certificate', status: 'ok', state: 'plain-by-option', facts: {} };
  if (!facts.notAfter) return { id: 'certificate', status: 'warning', state: 'none', facts: {} };
  const health: CertificateHealth = certificateHealth(facts.notAfter, now);
  const base = {
    notAfter: facts.notAfter.toISOString(),
    daysLeft: health.daysLeft,
    tlsActive: facts.tlsActive,
  };
  if (health.state === 'expired')
    return { id: 'certificate', status: 'problem', state: 'expired', facts: base };
  if (health.state === 'expiring-soon') {
    return { id: 'certificate', status: 'warning', state: 'expiring-soon', facts: base };
  }
  return { id: 'certificate', status: 'ok', state: 'valid', facts: base };
}

/** What the port check needs to know. */
export interface PortFacts {
  port: number;
  role: 'host' | 'peer' | 'starting';
  /** The last PORT_HELD_BY_OTHER_PROGRAM this instance reported, if any. */
  lastForeignHolder: { at: string; message: string } | undefined;
}

/**
 * Who holds the port: this program (host), another Entry HW instance (peer), or a foreign program.
 *
 * @example
 * checkPort({ port: 23518, role: 'starting', lastForeignHolder: { at, message: 'the port is held by another program: …' } })
 * // { id: 'port', status: 'problem', state: 'foreign', facts: { port: 23518, at, detail: '…' } }
 */
export function checkPort(facts: PortFacts): CheckResult {
  const seen = facts.lastForeignHolder;
  const foreign: Record<string, string> = seen ? { foreignAt: seen.at, foreignDetail: seen.message } : {};
  if (facts.role === 'host') {
    return {
      id: 'port',
      status: seen ? 'warning' : 'ok',
      state: seen ? 'host-after-foreign' : 'host',
      facts: { port: facts.port, ...foreign },
    };
  }
  if (facts.role === 'peer') return { id: 'port', status: 'ok', state: 'peer', facts: { port: facts.port } };
  if (seen)
    return { id: 'port', status: 'problem', state: 'foreign', facts: { port: facts.port, ...foreign } };
  return { id: 'port', status: 'pending', state: 'starting', facts: { port: facts.port } };
}
