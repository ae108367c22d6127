// Who holds the port? Asked after a listen fails with EADDRINUSE, before joining as a peer
// (PROTOCOL.md §5): an Entry HW server answers GET /status with its name; anything else is a
// foreign program, and joining it would hang silently.
import { request } from 'node:http';

export type PortHolder =
  | { kind: 'entry-hw-server'; version: string | undefined }
  | { kind: 'nobody' }
  | { kind: 'foreign'; detail: string };

/** Reads a /status body; pure, so the recognition rule is unit-testable. */
export function recognizeStatusBody(statusCode: number | undefined, body: string): PortHolder {
  if (statusCode === 200) {
    try {
      const parsed = JSON.parse(body) as { name?: unknown; version?: unknown };
      if (parsed && parsed.name === 'entry-hw-server') {
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
      kind: 'foreign',
      detail: 'an older entry-hw-server (v2) holds the port; it cannot take peers from this version',
    };
  }
  return {
    kind: 'foreign',
    detail: `GET /status answered ${statusCode ?? 'nothing'} without the entry-hw-server name`,
  };
}

/**
 * Probes 127.0.0.1:port over plain HTTP.
 *
 * @example
 * const holder = await probePortHolder(23518);
 * if (holder.kind === 'entry-hw-server') joinAsPeer();
 */
export function probePortHolder(port: number, host = '127.0.0.1', timeoutMs = 1500): Promise<PortHolder> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (holder: PortHolder) => {
      if (settled) return;
      settled = true;
      resolve(holder);
    };
    const req = request(
      { host, port, path: '/status', method: 'GET', timeout: timeoutMs, agent: false },
      (res) => {
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
          finish({ kind: 'foreign', detail: `GET /status failed: ${error.message}` }),
        );
      },
    );
    req.on('timeout', () => {
      req.destroy();
      finish({ kind: 'foreign', detail: `no answer to GET /status within ${timeoutMs} ms` });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // Refused, or reset before any answer: nobody (or a dying process) holds the port.
      if (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET') finish({ kind: 'nobody' });
      else finish({ kind: 'foreign', detail: `GET /status failed: ${error.code ?? error.message}` });
    });
    req.end();
  });
}
