/**
 * The shell over in-memory Duplex pairs (`socket` option of connect, `server.handle()`), diagnostics channels, and
 * resource hygiene: no timer or socket left behind.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Pdu } from '@netdicom/pdu';
import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { connect } from './connect.js';
import type { PduMessage } from './diagnostics.js';
import { createAcceptancePolicy } from './policy.js';
import { createAssociationServer } from './server.js';
import { duplexPair, RawPeer, startServer, verificationOptions } from './testing/helpers.js';
import type { Association } from './types.js';

function pairedAssociation() {
  const server = createAssociationServer();
  const accepted = firstValueFrom(server.associations$);
  const [ours, theirs] = duplexPair();
  server.handle(theirs);
  const { host: _host, port: _port, ...options } = verificationOptions(0);
  return { server, accepted, client: connect({ ...options, socket: ours }) };
}

describe('over an in-memory Duplex pair', () => {
  it('associates, exchanges P-DATA with backpressure and releases', async () => {
    const { client: pending, accepted } = pairedAssociation();
    const client = await pending;
    const server: Association = await accepted;
    expect(client.negotiated.remoteAddress).toBeUndefined();

    let received = 0;
    server.pData$.subscribe((pdu) => {
      received += pdu.pdvs[0]!.data.length;
    });
    const data = new Uint8Array(client.negotiated.maxPduLengthToSend - 6);
    let waits = 0;
    // The receiver stops reading until the sender feels backpressure, then reads until it has drained.
    server.pauseIncoming();
    for (let i = 0; i < 64; i++) {
      if (!client.sendPData([{ presentationContextId: 1, isCommand: false, isLast: i === 63, data }])) {
        waits++;
        const drained = client.drain();
        server.resumeIncoming();
        await drained;
        server.pauseIncoming();
      }
    }
    server.resumeIncoming();
    expect(waits).toBeGreaterThan(0);
    await client.release();
    expect(received).toBe(64 * data.length);
    expect(await client.closed).toEqual({ reason: 'released' });
    expect(await server.closed).toEqual({ reason: 'released' });
  });

  it('the other end going away is a transport error on both sides', async () => {
    const { client: pending, accepted } = pairedAssociation();
    const client = await pending;
    const server = await accepted;
    (client as unknown as { socket: { destroy(): void } }).socket.destroy();
    expect((await server.closed).reason).toBe('transport-closed');
    expect((await client.closed).reason).toBe('transport-closed');
  });
});

describe('diagnostics channels', () => {
  it('publishes every PDU sent and received', async () => {
    const sent: string[] = [];
    const received: string[] = [];
    const onSent = (m: unknown) => sent.push((m as PduMessage).pdu.kind);
    const onReceived = (m: unknown) => received.push((m as PduMessage).pdu.kind);
    subscribe('netdicom:pdu:sent', onSent);
    subscribe('netdicom:pdu:received', onReceived);
    try {
      const { client: pending } = pairedAssociation();
      const client = await pending;
      await client.release();
    } finally {
      unsubscribe('netdicom:pdu:sent', onSent);
      unsubscribe('netdicom:pdu:received', onReceived);
    }
    // Both sides live in this process: each PDU is seen once sent and once received.
    const kinds: Pdu['kind'][] = ['A-ASSOCIATE-RQ', 'A-ASSOCIATE-AC', 'A-RELEASE-RQ', 'A-RELEASE-RP'];
    expect(sent).toEqual(kinds);
    expect(received).toEqual(kinds);
  });
});

describe('resource hygiene', () => {
  function handles(): { timers: number; sockets: number } {
    const info = process.getActiveResourcesInfo();
    return {
      timers: info.filter((r) => r === 'Timeout').length,
      sockets: info.filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length,
    };
  }

  it('releases, aborts, rejections and garbage leave no timer or socket behind', async () => {
    const before = handles();
    const started = await startServer({
      timeouts: { artim: 200 },
      onAssociationRequest: createAcceptancePolicy({
        aeTitle: 'NETDICOM-SCP',
        abstractSyntaxes: 'any',
        transferSyntaxes: 'any',
      }),
    });
    for (let i = 0; i < 10; i++) {
      const released = await connect(verificationOptions(started.port));
      await released.release();
      const aborted = await connect(verificationOptions(started.port));
      await aborted.abort();
      await expect(connect(verificationOptions(started.port, { calledAeTitle: 'OTHER' }))).rejects.toMatchObject({
        reason: 7,
      });
      const garbage = await RawPeer.connect(started.port);
      garbage.write(new Uint8Array([0x42, 0, 0, 0, 0, 0]));
      await garbage.closed;
    }
    await started.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = handles();
    expect(after.sockets).toBeLessThanOrEqual(before.sockets);
    expect(after.timers).toBeLessThanOrEqual(before.timers);
  });
});
