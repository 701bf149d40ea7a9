/**
 * Test builders for @netdicom/association: a server on loopback, a raw peer that speaks PDUs by hand, and small
 * waiting helpers. Only loopback, only ephemeral ports.
 */
import { once } from 'node:events';
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { createPduReader, encodePdu, type Pdu } from '@netdicom/pdu';
import { type AssociationServer, type AssociationServerOptions, createAssociationServer } from '../server.js';
import type { ConnectOptions } from '../types.js';

export const LOOPBACK = '127.0.0.1';
export const VERIFICATION = '1.2.840.10008.1.1';
export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

/** Starts an association server on 127.0.0.1, port 0. */
export async function startServer(
  options: AssociationServerOptions = {},
): Promise<{ server: AssociationServer; port: number; close: () => Promise<void> }> {
  const server = createAssociationServer(options);
  const { port } = await server.listen(0, LOOPBACK);
  return { server, port, close: () => server.close() };
}

/** Connect options for a Verification association to 127.0.0.1:port. */
export function verificationOptions(port: number, extra: Partial<ConnectOptions> = {}): ConnectOptions {
  return {
    host: LOOPBACK,
    port,
    callingAeTitle: 'NETDICOM-SCU',
    calledAeTitle: 'NETDICOM-SCP',
    presentationContexts: [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LITTLE_ENDIAN] }],
    ...extra,
  };
}

/**
 * A peer that writes PDUs (or raw bytes) by hand and collects the PDUs it receives: lets tests play a broken or
 * hostile peer against our side.
 */
export class RawPeer {
  readonly received: Pdu[] = [];
  readonly socket: Socket;
  private readonly reader = createPduReader({ maxPduLength: 0xffffffff });
  private waiters: { predicate: (pdu: Pdu) => boolean; resolve: (pdu: Pdu) => void }[] = [];
  readonly closed: Promise<void>;
  receivedBytes = 0;

  /**
   * @param closeOnAbort close the connection on receiving an A-ABORT, as a conforming peer does (AA-3); `false`
   * plays a peer that lingers, so the other side's ARTIM must close it.
   */
  constructor(socket: Socket, closeOnAbort = true) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.receivedBytes += chunk.length;
      let pdus: Pdu[] = [];
      try {
        pdus = this.reader.push(chunk);
      } catch {
        return;
      }
      for (const pdu of pdus) {
        this.received.push(pdu);
        if (pdu.kind === 'A-ABORT' && closeOnAbort) socket.destroy();
        this.waiters = this.waiters.filter((w) => {
          if (!w.predicate(pdu)) return true;
          w.resolve(pdu);
          return false;
        });
      }
    });
    socket.on('error', () => undefined);
    this.closed = once(socket, 'close').then(() => undefined);
  }

  static async connect(port: number, closeOnAbort = true): Promise<RawPeer> {
    const socket = netConnect({ host: LOOPBACK, port });
    await once(socket, 'connect');
    return new RawPeer(socket, closeOnAbort);
  }

  send(pdu: Pdu): void {
    this.socket.write(encodePdu(pdu));
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Resolves with the first received PDU of that kind (already received ones count). */
  next<K extends Pdu['kind']>(kind: K): Promise<Extract<Pdu, { kind: K }>> {
    const seen = this.received.find((pdu) => pdu.kind === kind);
    if (seen) return Promise.resolve(seen as Extract<Pdu, { kind: K }>);
    return new Promise((resolve) => {
      this.waiters.push({ predicate: (pdu) => pdu.kind === kind, resolve: resolve as (pdu: Pdu) => void });
    });
  }
}

/** A plain TCP server on loopback whose connections are handed to the test as RawPeers (to play an acceptor). */
export async function startRawServer(): Promise<{
  port: number;
  peers: RawPeer[];
  next: () => Promise<RawPeer>;
  close: () => Promise<void>;
}> {
  const peers: RawPeer[] = [];
  let waiting: ((peer: RawPeer) => void)[] = [];
  const server: Server = createServer((socket) => {
    const peer = new RawPeer(socket);
    peers.push(peer);
    const w = waiting;
    waiting = [];
    for (const resolve of w) resolve(peer);
  });
  server.listen(0, LOOPBACK);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    peers,
    next: () =>
      new Promise<RawPeer>((resolve) => {
        const unclaimed = peers.length > 0 ? peers[peers.length - 1] : undefined;
        if (unclaimed && !claimed.has(unclaimed)) {
          claimed.add(unclaimed);
          resolve(unclaimed);
          return;
        }
        waiting.push((peer) => {
          claimed.add(peer);
          resolve(peer);
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const peer of peers) peer.socket.destroy();
        server.close(() => resolve());
      }),
  };
}
const claimed = new WeakSet<RawPeer>();

/** Collects the values of an Observable into an array. */
export function collect<T>(observable: { subscribe(observer: (value: T) => void): unknown }): T[] {
  const values: T[] = [];
  observable.subscribe((value: T) => values.push(value));
  return values;
}

/**
 * Two connected in-memory Duplex streams (what one side writes, the other reads), with backpressure: a write is
 * acknowledged only when the other side has room. Destroying one end closes the other, like a TCP connection.
 */
export function duplexPair(): [Duplex, Duplex] {
  const a = new PipeEnd();
  const b = new PipeEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

class PipeEnd extends Duplex {
  peer!: PipeEnd;
  private blocked: ((error?: Error | null) => void) | undefined;

  override _read(): void {
    const resume = this.peer.blocked;
    this.peer.blocked = undefined;
    resume?.();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.peer.destroyed) {
      callback(new Error('the other end is closed'));
      return;
    }
    if (this.peer.push(chunk)) callback();
    else this.blocked = callback;
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.peer.destroyed) this.peer.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const blocked = this.blocked;
    this.blocked = undefined;
    blocked?.(new Error('closed'));
    if (!this.peer.destroyed) this.peer.destroy();
    callback(error);
  }
}
