// An entryjs-like tab for the in-process (library) tests: socket.io-client 4 over websocket with
// entryjs's query, no reconnection, recording every `message` it receives.
import { io, type Socket } from 'socket.io-client';

export interface LibraryTab {
  socket: Socket;
  /** Every `message` payload, in order (shared between tabs when the caller passes one array). */
  received: unknown[];
}

/**
 * Connects a tab of `roomId` to a server on 127.0.0.1:`port`; resolves once it is connected.
 *
 * @example
 * const tab = await openTab(port, '0a1b2c3d4e');
 * tab.socket.emit('message', { data: 1 });
 */
export async function openTab(port: number, roomId: string, received: unknown[] = []): Promise<LibraryTab> {
  const socket = io(`http://127.0.0.1:${port}`, {
    transports: ['websocket'],
    query: { client: 'true', roomId },
    reconnection: false,
    forceNew: true,
  });
  socket.on('message', (payload: unknown) => received.push(payload));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, received };
}
