/**
 * Association slots (maxAssociations, PS3.8 Table 9-21 local-limit-exceeded): a request that was accepted but whose
 * peer went away before the association was established (an A-ABORT, or a P-DATA-TF before the A-ASSOCIATE-AC,
 * PS3.8 Table 9-10 Sta3) must not keep holding a slot.
 */
import { connect, type Socket } from 'node:net';
import { encodePdu } from '@netdicom/pdu';
import { afterEach, describe, expect, it } from 'vitest';
import { connectScu, startScp, type TestScp } from './testing/scp.js';

const VERIFICATION = '1.2.840.10008.1.1';
const IMPLICIT = '1.2.840.10008.1.2';

let scp: TestScp | undefined;
afterEach(async () => {
  await scp?.close();
  scp = undefined;
});

/** An A-ASSOCIATE-RQ and, in the same segment, a P-DATA-TF: the acceptor aborts in Sta3, never establishing. */
function requestThenPData(): Uint8Array {
  const rq = encodePdu({
    kind: 'A-ASSOCIATE-RQ',
    protocolVersion: 1,
    calledAeTitle: 'NETDICOM',
    callingAeTitle: 'DROPPER',
    applicationContextName: '1.2.840.10008.3.1.1.1',
    presentationContexts: [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT] }],
    userInformation: { maximumLength: 16384, implementationClassUid: '2.25.1' },
  });
  const pData = encodePdu({
    kind: 'P-DATA-TF',
    pdvs: [{ presentationContextId: 1, isCommand: true, isLast: true, data: new Uint8Array(8) }],
  });
  return Buffer.concat([rq, pData]);
}

async function sendAndWaitForClose(port: number, bytes: Uint8Array): Promise<Buffer> {
  const socket: Socket = connect({ host: '127.0.0.1', port });
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => {
    received.push(chunk);
    socket.destroy(); // the abort arrived: hang up like a real peer
  });
  socket.on('error', () => undefined);
  socket.write(bytes);
  await new Promise((resolve) => socket.once('close', resolve));
  return Buffer.concat(received);
}

describe('association slots', () => {
  it('are not held by accepted requests whose peer left before the association was established', async () => {
    scp = await startScp({ maxAssociations: 2 });
    for (let i = 0; i < 5; i++) {
      // A-ABORT, service-provider (2), unexpected-PDU (2).
      expect((await sendAndWaitForClose(scp.port, requestThenPData())).toString('hex')).toBe('07000000000400000202');
    }
    // Within the old 10 s reservation time: both slots must be free.
    const first = await connectScu(scp.port, [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT] }]);
    const second = await connectScu(scp.port, [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT] }]);
    expect((await first.client.echo()).status.code).toBe(0);
    expect((await second.client.echo()).status.code).toBe(0);
    await first.release();
    await second.release();
    expect(scp.rejected).toEqual([]);
  });
});
