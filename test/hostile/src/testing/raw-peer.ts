/**
 * A hostile peer: a plain TCP socket on loopback that writes whatever bytes it is given and records every byte the
 * SCP sends back, and how the connection ended. It never interprets anything unless asked (PS3.8 9.3 framing through
 * `splitPdus`).
 */
import { connect, type Socket } from 'node:net';
import { type AAssociateAc, decodePdu, type Pdu } from '@netdicom/pdu';
import { PeerTimeoutError } from '../errors.js';
import { type AssociateRqOptions, associateRq, splitPdus } from './wire.js';

/** How the connection ended, seen from the peer. */
export interface PeerClosed {
  /** The SCP closed (FIN) or reset the connection, as opposed to us destroying it. */
  readonly byScp: boolean;
  /** The socket saw an error (ECONNRESET, EPIPE...). */
  readonly error: string | undefined;
}

/** A raw TCP peer of the SCP. */
export class RawPeer {
  readonly socket: Socket;
  private chunks: Buffer[] = [];
  private length = 0;
  private waiters = new Set<() => void>();
  private destroyedByUs = false;
  private socketError: string | undefined;
  private isClosed = false;
  /** Resolves once the socket is fully closed. */
  readonly closed: Promise<PeerClosed>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.length += chunk.length;
      this.notify();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.socketError ??= error.code ?? error.message;
    });
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.isClosed = true;
        this.notify();
        resolve({ byScp: !this.destroyedByUs, error: this.socketError });
      });
    });
  }

  /** Connects to 127.0.0.1:`port`. */
  static connect(port: number, timeoutMs = 10_000): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new PeerTimeoutError(`connect to 127.0.0.1:${port} took more than ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RawPeer(socket));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** Every byte received so far. */
  get received(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.length)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  /** Whether the connection is closed. */
  get isDone(): boolean {
    return this.isClosed;
  }

  /** Writes bytes (ignored once the socket is gone: the SCP may close it first). Returns false under backpressure. */
  write(bytes: Uint8Array): boolean {
    if (this.socket.destroyed || this.socket.writableEnded) return false;
    return this.socket.write(bytes);
  }

  /** Writes bytes and waits until they are handed to the kernel, or the connection closes. */
  async writeAll(bytes: Uint8Array): Promise<void> {
    if (this.write(bytes)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }

  /** Stops reading what the SCP sends (a peer that never reads its responses). */
  stopReading(): void {
    this.socket.pause();
  }

  /** Half-closes our side (TCP FIN). */
  end(): void {
    this.socket.end();
  }

  /** Closes the connection abruptly. */
  destroy(): void {
    if (!this.isClosed) this.destroyedByUs = true;
    this.socket.destroy();
  }

  /** Resolves once at least `count` bytes arrived or the connection closed; rejects after `timeoutMs`. */
  async waitForBytes(count: number, timeoutMs = 10_000): Promise<Buffer> {
    await this.until(() => this.length >= count || this.isClosed, timeoutMs, `${count} bytes`);
    return this.received;
  }

  /** The next whole PDU after the first `skip` whole PDUs, as raw bytes; undefined if the connection closed first. */
  async waitForPdu(skip = 0, timeoutMs = 10_000): Promise<Uint8Array | undefined> {
    await this.until(
      () => splitPdus(this.received).pdus.length > skip || this.isClosed,
      timeoutMs,
      `PDU number ${skip + 1}`,
    );
    return splitPdus(this.received).pdus[skip];
  }

  /** Waits until the SCP closes the connection; rejects after `timeoutMs` (the bound within which it must). */
  async waitClosed(timeoutMs = 10_000): Promise<PeerClosed> {
    await this.until(() => this.isClosed, timeoutMs, 'the connection to close');
    return this.closed;
  }

  /** Sends an A-ASSOCIATE-RQ and returns the decoded A-ASSOCIATE-AC (throws on anything else). */
  async associate(options: AssociateRqOptions = {}, timeoutMs = 10_000): Promise<AAssociateAc> {
    this.write(associateRq(options));
    const first = await this.waitForPdu(0, timeoutMs);
    if (first === undefined) throw new PeerTimeoutError('the SCP closed instead of answering the A-ASSOCIATE-RQ');
    const pdu: Pdu = decodePdu(first);
    if (pdu.kind !== 'A-ASSOCIATE-AC') {
      throw new PeerTimeoutError(`expected an A-ASSOCIATE-AC, got ${pdu.kind}`);
    }
    return pdu;
  }

  /** Bytes received after the first `skipPdus` whole PDUs. */
  receivedAfter(skipPdus: number): Buffer {
    const all = this.received;
    const { pdus } = splitPdus(all);
    let at = 0;
    for (const pdu of pdus.slice(0, skipPdus)) at += pdu.length;
    return all.subarray(at);
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new PeerTimeoutError(`waited ${timeoutMs} ms for ${what}; received ${this.length} bytes`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }
}
