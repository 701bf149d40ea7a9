/**
 * A minimal PDU connection for interoperability tests: a TCP socket on loopback, our encoder on the way out
 * (`encodePduParts`, written under one cork) and our reader on the way in. Not an association: the test drives the
 * PDU exchange itself.
 */
import { connect, type Socket } from 'node:net';
import { encodePduParts } from '../encode.js';
import { createPduReader } from '../reader.js';
import type { Pdu } from '../types.js';

export interface PduConnection {
  readonly socket: Socket;
  send(pdu: Pdu): void;
  /** The next PDU received; rejects on a reader error, on close, or after `timeoutMs`. */
  next(timeoutMs?: number): Promise<Pdu>;
  /** Resolves when the peer has closed the connection. */
  readonly closed: Promise<void>;
}

export async function connectPdus(port: number, maxPduLength: number): Promise<PduConnection> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.setNoDelay(true);
  const reader = createPduReader({ maxPduLength });
  const queue: Pdu[] = [];
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    try {
      queue.push(...reader.push(chunk));
    } catch (err) {
      failure = err as Error;
      socket.destroy();
    }
    wake?.();
  });
  const closed = new Promise<void>((resolve) => {
    socket.on('close', () => {
      failure ??= new Error('connection closed');
      wake?.();
      resolve();
    });
  });
  socket.on('error', (err) => {
    failure ??= err;
  });
  return {
    socket,
    closed,
    send(pdu) {
      socket.cork();
      for (const part of encodePduParts(pdu)) socket.write(part);
      socket.uncork();
    },
    async next(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (queue.length === 0) {
        if (failure) throw failure;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no PDU within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
      return queue.shift() as Pdu;
    },
  };
}

/**
 * A DIMSE command set in Implicit VR Little Endian (PS3.7 6.3, E.1) with its Command Group Length, for tests that
 * need a real peer to answer. `elements` are [element number of group 0000, value] in ascending order; strings are
 * UIDs (padded to even length with NUL), numbers are US.
 */
export function commandSet(elements: readonly (readonly [number, string | number])[]): Uint8Array {
  const parts: number[] = [];
  const push16 = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff);
  const push32 = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  for (const [element, value] of elements) {
    push16(0x0000);
    push16(element);
    if (typeof value === 'number') {
      push32(2);
      push16(value);
    } else {
      const padded = value.length % 2 === 1 ? `${value}\0` : value;
      push32(padded.length);
      for (const c of padded) parts.push(c.charCodeAt(0));
    }
  }
  const groupLength = [0, 0, 0, 0, 4, 0, 0, 0];
  const length = parts.length;
  return Uint8Array.from([
    ...groupLength,
    length & 0xff,
    (length >>> 8) & 0xff,
    (length >>> 16) & 0xff,
    length >>> 24,
    ...parts,
  ]);
}
