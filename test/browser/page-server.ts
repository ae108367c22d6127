// A small https server for the browser tests: serves the test page (page/), its script, the
// attack pages (a sandboxed iframe, a JSONP <script> page) and the socket.io-client 2.5.0
// browser bundle from node_modules. It answers for any Host, so one
// server is both https://playentry.test:<port> (an allowed origin) and https://evil.test:<port>
// (a refused one); Chromium maps both names to 127.0.0.1 with --host-resolver-rules.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';

const PAGE_DIR = join(__dirname, 'page');

export interface PageServer {
  port: number;
  /** `https://<host>:<port>` for a name the page certificate lists. */
  origin(host: string): string;
  close(): Promise<void>;
}

/** Starts the page server on 127.0.0.1 with a certificate directory from makeTestPki. */
export async function startPageServer(certDir: string): Promise<PageServer> {
  const html = 'text/html; charset=utf-8';
  const js = 'text/javascript; charset=utf-8';
  const pages: [path: string, file: string, type: string][] = [
    ['/', join(PAGE_DIR, 'index.html'), html],
    ['/entry-hw-page.js', join(PAGE_DIR, 'entry-hw-page.js'), js],
    ['/sandboxed.html', join(PAGE_DIR, 'sandboxed.html'), html],
    ['/jsonp.html', join(PAGE_DIR, 'jsonp.html'), html],
    ['/jsonp-attack.js', join(PAGE_DIR, 'jsonp-attack.js'), js],
    ['/socket.io.js', require.resolve('socket.io-client-v2/dist/socket.io.js'), js],
  ];
  const files: Record<string, { type: string; body: Buffer }> = Object.fromEntries(
    pages.map(([path, file, type]) => [path, { type, body: readFileSync(file) }]),
  );
  const server: Server = createServer(
    {
      key: readFileSync(join(certDir, 'hardware.key')),
      cert: Buffer.concat([
        readFileSync(join(certDir, 'cert.pem')),
        readFileSync(join(certDir, 'ChainCA1.crt')),
      ]),
    },
    (request, response) => {
      const path = new URL(request.url ?? '/', 'https://page.invalid').pathname;
      const file = request.method === 'GET' ? files[path] : undefined;
      if (file === undefined) {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
    },
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('page server has no port');
  const { port } = address;
  return {
    port,
    origin: (host) => `https://${host}:${port}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
