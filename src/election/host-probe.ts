// Who holds the port? Asked after a listen fails with EADDRINUSE, before joining as a peer
// (docs/PROTOCOL.md §5): an Entry HW server answers GET /status with its name; the original v2
// server answers `hello entry` on every path, over TLS only (so it is asked over TLS too when
// plain HTTP gets no usable answer); anything else is a foreign program, and joining it would
// hang silently.
import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import { request as tlsRequest } from 'node:https';
import { asRecord } from '../util/wire';

export type PortHolder =
  | { kind: 'entry-hw-server'; version: string | undefined }
  | { kind: 'older-entry-hw-server'; detail: string }
  | { kind: 'nobody' }
  | {
      kind: 'foreign';
      detail: string;
      /** The exchange itself failed (reset, unparsable answer): what a TLS-only server gives plain HTTP. */
      failed?: true;
    };

/** Reads a /status body; pure, so the recognition rule is unit-testable. */
export function recognizeStatusBody(statusCode: number | undefined, body: string): PortHolder {
  if (statusCode === 200) {
    try {
      const parsed = asRecord(JSON.parse(body));
      if (parsed?.name === 'entry-hw-server') {
        return {
          kind: 'entry-hw-server',
          version: typeof parsed.version === 'string' ? parsed.version : undefined,
        };
      }
    } catch {
      // not JSON: fall through
    }
  }
  if (body.trim() === 'hello entry') {
    return {
      kind: 'older-entry-hw-server',
      detail:
        'an older entry-hw-server (v2) holds the port and cannot take peers from this version; ' +
        'every instance on one PC must run the same version',
    };
  }
  return {
    kind: 'foreign',
    detail: `GET /status answered ${statusCode ?? 'nothing'} without the entry-hw-server name`,
  };
}

type Transport = 'plain' | 'tls';

/** One GET /status over plain HTTP or TLS (any certificate: only the answer's words count). */
function askStatus(transport: Transport, port: number, host: string, timeoutMs: number): Promise<PortHolder> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (holder: PortHolder) => {
      if (settled) return;
      settled = true;
      resolve(holder);
    };
    const options = { host, port, path: '/status', method: 'GET', timeout: timeoutMs, agent: false };
    const onResponse = (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > 64 * 1024) {
          req.destroy();
          finish({ kind: 'foreign', detail: 'GET /status answered more than 64 KiB' });
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () =>
        finish(recognizeStatusBody(res.statusCode, Buffer.concat(chunks).toString('utf8'))),
      );
      res.on('error', (error) =>
        finish({ kind: 'foreign', detail: `GET /status failed: ${error.message}`, failed: true }),
      );
    };
    const req: ClientRequest =
      transport === 'plain'
        ? request(options, onResponse)
        : tlsRequest({ ...options, rejectUnauthorized: false, servername: 'hw.playentry.org' }, onResponse);
    req.on('timeout', () => {
      req.destroy();
      finish({ kind: 'foreign', detail: `no answer to GET /status within ${timeoutMs} ms` });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // Refused, or reset before any answer: nobody (or a dying process) holds the port.
      if (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET') finish({ kind: 'nobody' });
      else
        finish({
          kind: 'foreign',
          detail: `GET /status failed: ${error.code ?? error.message}`,
          failed: true,
        });
    });
    req.end();
  });
}

/**
 * Whether a plain answer leaves room for a TLS-only server: the original closes or answers
 * garbage (a TLS alert) when spoken to in plain HTTP.
 */
function worthAskingOverTls(holder: PortHolder): boolean {
  if (holder.kind === 'nobody') return true;
  // A silent holder (timeout) or one that answered HTTP is not a TLS server; a failed parse is.
  return holder.kind === 'foreign' && holder.failed === true;
}

/**
 * Probes 127.0.0.1:port over plain HTTP, then over TLS when plain HTTP got no usable answer.
 *
 * @example
 * const holder = await probePortHolder(23518);
 * if (holder.kind === 'entry-hw-server') joinAsPeer();
 * else if (holder.kind === 'older-entry-hw-server') report('HOST_IS_OLDER_VERSION');
 */
export async function probePortHolder(
  port: number,
  host = '127.0.0.1',
  timeoutMs = 1500,
): Promise<PortHolder> {
  const plain = await askStatus('plain', port, host, timeoutMs);
  if (!worthAskingOverTls(plain)) return plain;
  return combineProbeAnswers(plain, await askStatus('tls', port, host, timeoutMs));
}

/**
 * What the two asks say together, when plain HTTP got no usable answer. Only the original (v2)
 * serves TLS alone. This version serves plain HTTP on the same port, so if plain found nobody
 * and TLS, a moment later, found this version, the port changed hands in between (a failover):
 * that is "nobody", and the election tries to bind again instead of alarming the user.
 *
 * @example
 * combineProbeAnswers({ kind: 'nobody' }, { kind: 'entry-hw-server', version: '3.0.0' }); // { kind: 'nobody' }
 * combineProbeAnswers({ kind: 'nobody' }, { kind: 'older-entry-hw-server', detail });      // the older server
 */
export function combineProbeAnswers(plain: PortHolder, tls: PortHolder): PortHolder {
  if (tls.kind === 'older-entry-hw-server') return tls;
  if (tls.kind !== 'entry-hw-server') return plain;
  if (plain.kind === 'nobody') return plain;
  return {
    kind: 'foreign',
    detail: 'an entry-hw-server answers over TLS only; this version joins over plain ws',
  };
}
