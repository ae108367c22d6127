// Reads the sizes of the WebSocket frames a client sends (RFC 6455 §5.2) as the bytes go by, so the
// listener can count a message before the WebSocket library buffers it: each frame
// header says how long its payload is, so a 95 MB message is known at its first 14 bytes. Only
// the headers are parsed; payload bytes are counted and skipped, never copied or unmasked. Pure:
// no sockets, no timers; message-budget.ts feeds it and acts on what it reports.

/** Opcodes (RFC 6455 §5.2): continuation, text and binary frames carry a message's data. */
const CONTINUATION = 0x0;
const TEXT = 0x1;
const BINARY = 0x2;

export interface FrameMeterHooks {
  /**
   * A data frame begins: `payloadBytes` of it, `messageBytes` for the message so far including
   * it. Return false to refuse: the meter then reads nothing more.
   */
  frame(payloadBytes: number, messageBytes: number): boolean;
  /** The last byte of a message (its final frame) has arrived. */
  messageEnd(messageBytes: number): void;
}

/**
 * Follows one client's frames.
 *
 * @example
 * const meter = new WsFrameMeter({ frame: (n, total) => total <= limit, messageEnd: () => {} });
 * socket.on('data', (chunk) => { if (!meter.feed(chunk)) socket.destroy(); });
 */
export class WsFrameMeter {
  /** Header bytes of the frame being read (at most 14). */
  private readonly header = Buffer.alloc(14);
  private headerLength = 0;
  /** Payload bytes of the current frame still to come (after its header). */
  private payloadLeft = 0;
  /** Whether the current frame is the last of a data message. */
  private finalDataFrame = false;
  private messageBytes = 0;
  private refused = false;

  constructor(private readonly hooks: FrameMeterHooks) {}

  /** Reads a chunk; false once a frame was refused (and from then on). */
  feed(chunk: Buffer): boolean {
    let at = 0;
    while (at < chunk.length && !this.refused) {
      if (this.payloadLeft > 0) {
        const take = Math.min(this.payloadLeft, chunk.length - at);
        this.payloadLeft -= take;
        at += take;
        if (this.payloadLeft === 0) this.frameDone();
        continue;
      }
      this.header[this.headerLength] = chunk[at] as number;
      this.headerLength += 1;
      at += 1;
      const needed = this.headerNeeds();
      if (this.headerLength === needed) this.headerDone();
    }
    return !this.refused;
  }

  /** How long the current header is, as far as its first bytes tell (2, then 4, 8, 10 or 14). */
  private headerNeeds(): number {
    if (this.headerLength < 2) return 2;
    const second = this.header[1] as number;
    const masked = (second & 0x80) !== 0 ? 4 : 0;
    const short = second & 0x7f;
    const extended = short === 126 ? 2 : short === 127 ? 8 : 0;
    return 2 + extended + masked;
  }

  private headerDone(): void {
    const first = this.header[0] as number;
    const second = this.header[1] as number;
    const opcode = first & 0x0f;
    const fin = (first & 0x80) !== 0;
    const short = second & 0x7f;
    let length: number;
    if (short === 126) length = this.header.readUInt16BE(2);
    else if (short === 127) {
      const big = this.header.readBigUInt64BE(2);
      length = big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
    } else length = short;
    this.headerLength = 0;
    const data = opcode === CONTINUATION || opcode === TEXT || opcode === BINARY;
    this.finalDataFrame = data && fin;
    if (data) {
      this.messageBytes += length;
      if (!this.hooks.frame(length, this.messageBytes)) {
        this.refused = true;
        return;
      }
    }
    this.payloadLeft = length;
    if (length === 0) this.frameDone();
  }

  private frameDone(): void {
    if (!this.finalDataFrame) return;
    const bytes = this.messageBytes;
    this.messageBytes = 0;
    this.finalDataFrame = false;
    this.hooks.messageEnd(bytes);
  }
}
