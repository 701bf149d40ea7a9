/**
 * Loopback ports for interop tests: never fixed, always found free at run time, so suites run in parallel.
 *
 * @packageDocumentation
 */
import { connect, createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { PortTimeoutError } from './errors.js';

/** The only address test traffic goes to. */
export const LOOPBACK = '127.0.0.1';

/**
 * Returns a TCP port that is free on 127.0.0.1 right now (the kernel picks it: listen on port 0, read, close).
 * Another process may take it before you bind it; helpers that start peers retry with a new port when that happens.
 */
export function freePort(host: string = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close((error) => (error ? reject(error) : resolve(port)));
    });
  });
}

/** Options of {@link waitForPort}. */
export interface WaitForPortOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Give up after this many ms (default 10 000) with `PortTimeoutError`. */
  readonly timeoutMs?: number;
  /** Delay between attempts in ms (default 20). */
  readonly intervalMs?: number;
  /** Stop waiting early (rejects with the signal's reason). */
  readonly signal?: AbortSignal;
}

/** Resolves true once a TCP connection to host:port succeeds (the probe is closed at once), false on refusal. */
export function probePort(port: number, host: string = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const finish = (ok: boolean) => {
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
    socket.setTimeout(1000, () => finish(false));
  });
}

/**
 * Polls with `net.connect` until something accepts TCP connections on the port. Rejects with `PortTimeoutError`.
 */
export async function waitForPort(port: number, options: WaitForPortOptions = {}): Promise<void> {
  const host = options.host ?? LOOPBACK;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    options.signal?.throwIfAborted();
    if (await probePort(port, host)) return;
    if (Date.now() >= deadline) throw new PortTimeoutError(host, port, timeoutMs);
    try {
      await delay(intervalMs, undefined, options.signal ? { signal: options.signal } : undefined);
    } catch (error) {
      options.signal?.throwIfAborted();
      throw error;
    }
  }
}
