import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PortTimeoutError } from './errors.js';
import { freePort, LOOPBACK, probePort, waitForPort } from './ports.js';

describe('freePort', () => {
  it('returns a port that can then be bound on loopback', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, LOOPBACK, resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

describe('waitForPort', () => {
  it('resolves once a listener appears', async () => {
    const port = await freePort();
    const server = createServer((socket) => socket.destroy());
    setTimeout(() => server.listen(port, LOOPBACK), 150);
    await waitForPort(port, { timeoutMs: 5000 });
    expect(await probePort(port)).toBe(true);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('rejects with PortTimeoutError when nothing listens', async () => {
    const port = await freePort();
    const error = await waitForPort(port, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortTimeoutError);
    expect((error as PortTimeoutError).code).toBe('ERR_NETDICOM_PEERS_PORT_TIMEOUT');
    expect((error as PortTimeoutError).port).toBe(port);
  });

  it('stops when its signal aborts', async () => {
    const port = await freePort();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('enough')), 100);
    await expect(waitForPort(port, { timeoutMs: 10_000, signal: controller.signal })).rejects.toThrow('enough');
  });
});
