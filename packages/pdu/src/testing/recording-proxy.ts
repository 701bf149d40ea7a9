/**
 * A loopback TCP proxy that forwards both directions unchanged and records each direction's bytes. Used to capture
 * golden PDUs from real DCMTK peers (see `record-golden.ts`); not part of the published package.
 */
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';

/** The bytes of one proxied TCP connection, per direction, plus the chunk boundaries as they were read. */
export interface RecordedConnection {
  /** Everything the connecting side (the association requestor) sent. */
  readonly clientToServer: Uint8Array;
  /** Everything the listening side (the association acceptor) sent. */
  readonly serverToClient: Uint8Array;
}

export interface RecordingProxy {
  /** The ephemeral loopback port the proxy listens on. */
  readonly port: number;
  /**
   * Resolves with the recording of the next connection that is accepted and fully closed (in accept order); rejects
   * when none is accepted within `timeoutMs`.
   */
  nextConnection(timeoutMs?: number): Promise<RecordedConnection>;
  close(): Promise<void>;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Starts a recording proxy on 127.0.0.1 (ephemeral port) that forwards to `targetHost:targetPort`. */
export async function startRecordingProxy(options: {
  readonly targetPort: number;
  readonly targetHost?: string;
}): Promise<RecordingProxy> {
  const targetHost = options.targetHost ?? '127.0.0.1';
  const finished: Promise<RecordedConnection>[] = [];
  const sockets = new Set<Socket>();
  let handed = 0;

  const server: Server = createServer((client) => {
    client.setNoDelay(true);
    sockets.add(client);
    const upstream = connect({ host: targetHost, port: options.targetPort });
    upstream.setNoDelay(true);
    sockets.add(upstream);
    const c2s: Uint8Array[] = [];
    const s2c: Uint8Array[] = [];
    client.on('data', (chunk: Buffer) => {
      c2s.push(new Uint8Array(chunk));
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      s2c.push(new Uint8Array(chunk));
      client.write(chunk);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    const closed = (s: Socket) =>
      new Promise<void>((resolve) => {
        s.on('close', () => {
          sockets.delete(s);
          resolve();
        });
      });
    finished.push(
      Promise.all([closed(client), closed(upstream)]).then(() => ({
        clientToServer: concat(c2s),
        serverToClient: concat(s2c),
      })),
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    port,
    async nextConnection(timeoutMs = 30_000) {
      const index = handed++;
      const deadline = Date.now() + timeoutMs;
      // Wait until the connection has been accepted, then until it has closed.
      while (finished.length <= index) {
        if (Date.now() > deadline) throw new Error(`recording proxy: no connection within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return finished[index] as Promise<RecordedConnection>;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
