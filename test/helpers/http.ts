// Small HTTP(S) and raw-TCP clients for poking the listener from outside.
import { once } from 'node:events';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { type Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RequestOptions {
  port: number;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Use TLS through this agent (see browser-client `tlsAgent`), with `host` as the name to verify. */
  tls?: { agent: HttpsAgent; host: string };
  timeoutMs?: number;
}

/** One request, one response; rejects on network errors and after `timeoutMs` (default 5 s). */
export function request(options: RequestOptions): Promise<HttpResult> {
  const { port, path = '/', method = 'GET', headers = {}, body, tls, timeoutMs = 5000 } = options;
  return new Promise((resolve, reject) => {
    const settings = tls
      ? { host: tls.host, port, path, method, headers, agent: tls.agent }
      : { host: '127.0.0.1', port, path, method, headers, agent: false as const };
    const req = (tls ? httpsRequest : httpRequest)(settings, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => {
      req.destroy(new Error(`${method} ${path} on port ${port}: no response within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(body);
  });
}

/** Polls GET / until the listener answers (for runs without a parent to tell us it is open). */
export async function waitForListening(port: number, timeoutMs = 10_000): Promise<HttpResult> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await request({ port, path: '/', timeoutMs: 1000 });
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(
    `nothing answered on 127.0.0.1:${port} within ${timeoutMs} ms (last error: ${String(lastError)})`,
  );
}

/** Opens a raw TCP connection to the loopback port. */
export async function rawConnect(port: number): Promise<Socket> {
  const socket = netConnect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
}

/**
 * Writes `bytes` on a fresh TCP connection and collects whatever comes back until the server
 * closes it or `waitMs` passes; then closes our side.
 */
export async function rawExchange(port: number, bytes: Buffer | string, waitMs = 1000): Promise<Buffer> {
  const socket = await rawConnect(port);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(bytes);
  await Promise.race([closed, new Promise((r) => setTimeout(r, waitMs))]);
  socket.destroy();
  return Buffer.concat(chunks);
}

let clientHello: Buffer | undefined;

/** The first flight of a real Node TLS client (a ClientHello for hw.playentry.org), captured once. */
export async function captureClientHello(): Promise<Buffer> {
  if (clientHello) return clientHello;
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const got = new Promise<Buffer>((resolve) => {
    server.once('connection', (socket: Socket) => {
      socket.once('data', (chunk: Buffer) => {
        resolve(chunk);
        socket.destroy();
      });
    });
  });
  const client = tlsConnect({ host: '127.0.0.1', port: address.port, servername: 'hw.playentry.org' });
  client.on('error', () => {});
  const hello = await got;
  client.destroy();
  server.close();
  clientHello = hello;
  return hello;
}
