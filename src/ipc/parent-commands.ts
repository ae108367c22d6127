// IPC in: carries out each parent → server message on the EntryServer, answers encrypt/decrypt,
// and turns malformed input into one log line (or an error reply) instead of an exception.
// Shared by the IPC adapter (main.ts) and the developer console.
import { decryptText, encryptText } from '../crypto/passphrase-cipher';
import type { EntryServer, EntryServerEvents } from '../entry-server';
import type { Logger } from '../util/log';
import { type CipherReply, type ParentMessage, parseParentMessage } from './messages';
import type { ParentSink } from './parent-channel';

export interface ParentCommandContext {
  server: EntryServer;
  sink: ParentSink;
  passphrase: string;
  logger: Logger;
  /** Called for the bare `"exit"` command. */
  exit: () => void;
}

/** Computes the reply to `encrypt` / `decrypt`; a failure replies with `value: ''` and `error`. */
export function cipherReply(message: ParentMessage<'encrypt' | 'decrypt'>, passphrase: string): CipherReply {
  const idPart = message.id === undefined ? {} : { id: message.id };
  try {
    const value =
      message.key === 'encrypt'
        ? encryptText(message.value, passphrase)
        : decryptText(message.value, passphrase);
    return { key: message.key, value, ...idPart };
  } catch (error) {
    return { key: message.key, value: '', error: (error as Error).message, ...idPart };
  }
}

/**
 * Sends every server event to the parent as `{ key, value }`.
 *
 * @example
 * forwardServerEvents(server, channel); // server.emit('data', v) → channel.send({ key: 'data', value: v })
 */
export function forwardServerEvents(server: EntryServer, sink: ParentSink): void {
  const keys: (keyof EntryServerEvents)[] = [
    'runningModeChanged',
    'cloudModeChanged',
    'data',
    'connection',
    'close',
    'error',
  ];
  for (const key of keys) {
    server.on(key, (value: unknown) => sink.send({ key, value } as never));
  }
}

/**
 * Returns the handler for raw parent input. Never throws.
 *
 * @example
 * const handle = createParentCommandHandler({ server, sink: channel, passphrase, logger, exit });
 * process.on('message', handle);
 */
export function createParentCommandHandler(context: ParentCommandContext): (raw: unknown) => void {
  const { server, sink, passphrase, logger } = context;
  const run = (message: ParentMessage): void => {
    switch (message.key) {
      case 'open':
        void server.open(message.value);
        return;
      case 'addRoomId':
        server.addRoomId(message.value);
        return;
      case 'send':
        server.sendToClient(message.value);
        return;
      case 'disconnectHardware':
        server.disconnectHardware();
        return;
      case 'connectHardwareSuccess':
        server.reportDeviceConnected(String(message.value));
        return;
      case 'connectHardwareFailed':
        server.reportDeviceFailed();
        return;
      case 'encrypt':
      case 'decrypt':
        sink.send(cipherReply(message, passphrase));
        return;
    }
  };
  return (raw: unknown) => {
    try {
      const parsed = parseParentMessage(raw);
      if (parsed.kind === 'exit') return context.exit();
      if (parsed.kind === 'message') return run(parsed.message);
      logger.warn(`ignoring a parent message: ${parsed.reason}`);
      if (parsed.key === 'encrypt' || parsed.key === 'decrypt') {
        const idPart = parsed.id === undefined ? {} : { id: parsed.id };
        sink.send({ key: parsed.key, value: '', error: parsed.reason, ...idPart });
      }
    } catch (error) {
      logger.error(`parent message handler failed: ${(error as Error).stack ?? error}`);
    }
  };
}
