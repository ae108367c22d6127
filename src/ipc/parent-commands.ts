// The IPC hand-off, both ways: carries out each parent → server message on the server (anything
// implementing ParentCommandTarget; EntryServer does), answers encrypt/decrypt, turns malformed
// input into one log line (or an error reply) instead of an exception, and forwards the server's
// events to the parent. Shared by the IPC adapter (main.ts) and the developer console.
import { decryptText, encryptText } from '../crypto/passphrase-cipher';
import type { Logger } from '../util/log';
import {
  type CipherReply,
  type ParentMessage,
  type ParentToServerMessages,
  parseParentMessage,
  SERVER_EVENT_KEYS,
  type ServerEventKey,
  type ServerEvents,
} from './messages';
import type { ParentSink } from './parent-channel';

/** What the IPC layer needs of the server: the parent's commands and the server's events. */
export interface ParentCommandTarget {
  open(options?: ParentToServerMessages['open']): Promise<void>;
  addRoomId(roomId: string): void;
  sendToClient(value: unknown): void;
  disconnectHardware(): void;
  reportDeviceConnected(hardwareId: string): void;
  reportDeviceFailed(): void;
  on<K extends ServerEventKey>(event: K, listener: (...args: ServerEvents[K]) => void): unknown;
}

export interface ParentCommandContext {
  server: ParentCommandTarget;
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
export function forwardServerEvents(server: ParentCommandTarget, sink: ParentSink): void {
  for (const key of SERVER_EVENT_KEYS) forwardEvent(server, sink, key);
}

/** Forwards one event as the IPC message of the same key. */
function forwardEvent<K extends ServerEventKey>(server: ParentCommandTarget, sink: ParentSink, key: K): void {
  server.on(key, (...[value]: ServerEvents[K]) => sink.send<K>({ key, value }));
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
