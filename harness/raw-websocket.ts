// A socket.io client spoken by hand over a raw TCP socket, as an attacker (or a local program)
// would: the WebSocket upgrade, the socket.io connect packet, and messages whose frames can be
// written a piece at a time, so a test can hold a large message half-sent.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

export interface RawWebSocketOptions {
  port: number;
  /** Origin header; undefined sends none (a local program or a peer). */
  origin?: string;
  /** Query after `/socket.io/?EIO=4&transport=websocket&` (e.g. `client=true&roomId=…`). */
  query?: string;
}

/**
 * The socket.io packet around a large message's filler: what goes before and after the run of `a`s.
 * The default is a browser's `message` event; a peer's `diagnosticsReport` is another.
 */
export interface Envelope {
  prefix: string;
  suffix: string;
}

/** A browser's `message` event whose `data` is the filler. */
export const MESSAGE_ENVELOPE: Envelope = { prefix: '42["message",{"data":"', suffix: '","type":"utf8"}]' };

/** One raw socket.io connection over WebSocket (Engine.IO 4). */
export class RawWebSocket {
  /** Everything the server sent, as latin1 text (frames included). */
  received = '';
  readonly closed: Promise<void>;
  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.toString('latin1');
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  get isClosed(): boolean {
    return this.socket.destroyed;
  }

  /** Upgrades, waits for the Engine.IO open packet, and joins the default namespace. */
  static async open(options: RawWebSocketOptions): Promise<RawWebSocket> {
    const socket = connect(options.port, '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'connect');
    const raw = new RawWebSocket(socket);
    socket.write(
      `GET /socket.io/?EIO=4&transport=websocket${options.query ? `&${options.query}` : ''} HTTP/1.1\r\n` +
        `Host: 127.0.0.1:${options.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
        `${options.origin === undefined ? '' : `Origin: ${options.origin}\r\n`}\r\n`,
    );
    const deadline = Date.now() + 5000;
    while (!/\r\n\r\n[\s\S]*0\{/.test(raw.received)) {
      if (raw.isClosed || Date.now() > deadline)
        throw new Error(`no WebSocket open packet: ${JSON.stringify(raw.received.slice(0, 200))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    if (!raw.received.startsWith('HTTP/1.1 101')) throw new Error(raw.received.slice(0, 80));
    raw.sendText('40');
    return raw;
  }

  /** A masked text frame's header for `length` payload bytes (mask key 0: the payload goes as is). */
  static header(length: number, fin = true, opcode = 0x1): Buffer {
    const first = (fin ? 0x80 : 0) | opcode;
    if (length < 126) return Buffer.from([first, 0x80 | length, 0, 0, 0, 0]);
    if (length < 65536) {
      const h = Buffer.from([first, 0x80 | 126, 0, 0, 0, 0, 0, 0]);
      h.writeUInt16BE(length, 2);
      return h;
    }
    const h = Buffer.alloc(14);
    h[0] = first;
    h[1] = 0x80 | 127;
    h.writeBigUInt64BE(BigInt(length), 2);
    return h;
  }

  /** One whole text frame. */
  sendText(text: string): void {
    const payload = Buffer.from(text, 'utf8');
    this.socket.write(Buffer.concat([RawWebSocket.header(payload.length), payload]));
  }

  /**
   * Starts a socket.io `message` (or another event: `envelope`) of about `bytes` whose data is a
   * string of `a`s, writes its frame header and the first `sendNow` bytes, and returns a function
   * that writes the rest.
   */
  startMessage(
    bytes: number,
    sendNow: number,
    envelope: Envelope = MESSAGE_ENVELOPE,
  ): { rest(): Promise<void>; payloadBytes: number } {
    const prefix = Buffer.from(envelope.prefix);
    const suffix = Buffer.from(envelope.suffix);
    const filler = bytes - prefix.length - suffix.length;
    const total = prefix.length + filler + suffix.length;
    this.socket.write(RawWebSocket.header(total));
    this.socket.write(prefix);
    const first = Math.min(sendNow, filler);
    this.socket.write(Buffer.alloc(first, 0x61));
    return {
      payloadBytes: total,
      rest: async () => {
        let left = filler - first;
        const piece = Buffer.alloc(1024 * 1024, 0x61);
        // Stops quietly when the server closes the connection (a refused sender).
        while (left > 0 && !this.socket.destroyed) {
          const n = Math.min(left, piece.length);
          if (!this.socket.write(n === piece.length ? piece : piece.subarray(0, n)))
            await new Promise<void>((resolve) => {
              const done = () => {
                this.socket.off('drain', done);
                this.socket.off('close', done);
                resolve();
              };
              this.socket.on('drain', done);
              this.socket.on('close', done);
            });
          left -= n;
        }
        if (this.socket.destroyed) return;
        this.socket.write(suffix);
      },
    };
  }

  close(): void {
    this.socket.destroy();
  }
}
