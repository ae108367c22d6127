// Minimal types for socket.io-client 2.5.0, installed as the alias `socket.io-client-v2` (the
// version the deployed browser workspace uses). Only what the tests touch is declared.
declare module 'socket.io-client-v2' {
  namespace lookup {
    interface ManagerV2 {
      readyState: string;
      close(): void;
      on(event: string, listener: (...args: never[]) => void): ManagerV2;
    }

    interface SocketV2 {
      readonly id: string;
      readonly connected: boolean;
      readonly disconnected: boolean;
      readonly io: ManagerV2;
      on(event: string, listener: (...args: never[]) => void): SocketV2;
      off(event?: string, listener?: (...args: never[]) => void): SocketV2;
      emit(event: string, ...args: unknown[]): SocketV2;
      open(): SocketV2;
      close(): SocketV2;
    }

    interface OptsV2 {
      forceNew?: boolean;
      multiplex?: boolean;
      reconnection?: boolean;
      timeout?: number;
      transports?: string[];
      upgrade?: boolean;
      query?: Record<string, string> | string;
      extraHeaders?: Record<string, string>;
      agent?: unknown;
      ca?: string | string[];
      path?: string;
      autoConnect?: boolean;
    }
  }

  function lookup(uri: string, opts?: lookup.OptsV2): lookup.SocketV2;
  export = lookup;
}
