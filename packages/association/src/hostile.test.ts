/**
 * Our acceptor and requestor against a hand-driven peer: hostile and broken input (PS3.8 9.2 Evt19, AA-1, AA-8),
 * framing at arbitrary split points, and every timer.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { once } from 'node:events';
import { type AAssociateAc, type AAssociateRq, AbortReason, encodePdu, type PDataTf, type Pdu } from '@netdicom/pdu';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from './connect.js';
import { AssociationProviderAbortError, AssociationTimeoutError } from './errors.js';
import { buildAssociateAc, buildAssociateRq } from './negotiation.js';
import {
  IMPLICIT_VR_LITTLE_ENDIAN,
  RawPeer,
  startRawServer,
  startServer,
  VERIFICATION,
  verificationOptions,
} from './testing/helpers.js';
import type { Association, AssociationServerOptions } from './index.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const request: AAssociateRq = buildAssociateRq({
  callingAeTitle: 'RAW',
  calledAeTitle: 'NETDICOM',
  presentationContexts: [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LITTLE_ENDIAN] }],
  maxPduLength: 16384,
});

const pData = (id: number, size: number, fill = 0): PDataTf => ({
  kind: 'P-DATA-TF',
  pdvs: [{ presentationContextId: id, isCommand: false, isLast: true, data: new Uint8Array(size).fill(fill) }],
});

/** Our acceptor on loopback, and a raw peer already associated with it (unless `associate` is false). */
async function acceptorWithRawPeer(options: AssociationServerOptions = {}, associate = true, closeOnAbort = false) {
  const started = await startServer({ timeouts: { artim: 150 }, ...options });
  cleanups.push(started.close);
  const accepted: Association[] = [];
  started.server.associations$.subscribe((a) => accepted.push(a));
  const peer = await RawPeer.connect(started.port, closeOnAbort);
  cleanups.push(async () => {
    peer.socket.destroy();
  });
  if (associate) {
    peer.send(request);
    await peer.next('A-ASSOCIATE-AC');
    await until(() => accepted.length > 0);
  }
  return { ...started, peer, accepted };
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('hostile input at the acceptor: the A-ABORT PS3.8 prescribes, then the connection closes', () => {
  it.each([
    [
      'an oversized P-DATA-TF (above our Maximum Length Received)',
      () => encodePdu(pData(1, 300_000)),
      2,
      AbortReason.InvalidPduParameterValue,
    ],
    ['an unknown PDU type', () => new Uint8Array([0x09, 0, 0, 0, 0, 2, 0, 0]), 2, AbortReason.UnrecognizedPdu],
    [
      'a header announcing 4 GiB',
      () => new Uint8Array([0x04, 0, 0xff, 0xff, 0xff, 0xff]),
      2,
      AbortReason.InvalidPduParameterValue,
    ],
    [
      'an A-RELEASE-RQ with a wrong length',
      () => new Uint8Array([0x05, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0]),
      2,
      AbortReason.InvalidPduParameterValue,
    ],
    [
      'a PDV of length 1',
      () => new Uint8Array([0x04, 0, 0, 0, 0, 5, 0, 0, 0, 1, 1]),
      2,
      AbortReason.InvalidPduParameterValue,
    ],
    [
      'an A-ASSOCIATE-AC (wrong PDU for the state)',
      () => encodePdu(buildAssociateAc(request, { accept: true, presentationContexts: [] }, { maxPduLength: 16384 })),
      2,
      AbortReason.UnexpectedPdu,
    ],
    ['a second A-ASSOCIATE-RQ', () => encodePdu(request), 2, AbortReason.UnexpectedPdu],
    [
      'an A-RELEASE-RP without a release request',
      () => encodePdu({ kind: 'A-RELEASE-RP' }),
      2,
      AbortReason.UnexpectedPdu,
    ],
    [
      'P-DATA on a presentation context never negotiated',
      () => encodePdu(pData(3, 10)),
      2,
      AbortReason.InvalidPduParameterValue,
    ],
  ])('%s', async (_name, bytes, source, reason) => {
    const { peer, accepted } = await acceptorWithRawPeer();
    const association = accepted[0]!;
    peer.write(bytes());
    const abort = await peer.next('A-ABORT');
    expect(abort).toMatchObject({ source, reason });
    await peer.closed;
    const closed = await association.closed;
    expect(closed.reason).toBe('provider-aborted');
    expect(closed.error).toBeInstanceOf(AssociationProviderAbortError);
    expect(closed.error).toMatchObject({ reason, origin: 'protocol-error' });
  });

  it('P-DATA before any A-ASSOCIATE-RQ (Sta2): AA-1, then the connection closes', async () => {
    const { peer } = await acceptorWithRawPeer({}, false);
    peer.send(pData(1, 10));
    expect(await peer.next('A-ABORT')).toMatchObject({ source: 0, reason: 0 });
    await peer.closed;
  });

  it('a TLS ClientHello on a plain port is refused at once, with an A-ABORT the TLS client cannot mistake', async () => {
    const { peer } = await acceptorWithRawPeer({}, false);
    // The start of a TLS 1.2 ClientHello record: content type 0x16, version 3.1, length 0x00c8.
    peer.write(new Uint8Array([0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03, 0x03]));
    expect(await peer.next('A-ABORT')).toMatchObject({ source: 0 });
    await peer.closed;
  });

  it('an A-ASSOCIATE-RQ of another protocol version: rejected-permanent, ACSE, protocol-version-not-supported', async () => {
    const { peer, server } = await acceptorWithRawPeer({}, false);
    const events: unknown[] = [];
    server.associations$.subscribe((a) => events.push(a));
    peer.send({ ...request, protocolVersion: 2 });
    expect(await peer.next('A-ASSOCIATE-RJ')).toMatchObject({ result: 1, source: 2, reason: 2 });
    await peer.closed;
    expect(events).toEqual([]);
  });

  it('a peer A-ABORT with service-provider source is an A-P-ABORT indication', async () => {
    const { peer, accepted } = await acceptorWithRawPeer();
    peer.send({ kind: 'A-ABORT', source: 2, reason: AbortReason.UnexpectedPdu });
    const closed = await accepted[0]!.closed;
    expect(closed.reason).toBe('provider-aborted');
    expect(closed.error).toMatchObject({ origin: 'peer-provider', reason: 2 });
    await peer.closed;
  });

  it('many garbage connections leave no association, timer or socket behind', async () => {
    const { server, port } = await acceptorWithRawPeer({}, false);
    for (let i = 0; i < 50; i++) {
      const peer = await RawPeer.connect(port, true);
      peer.write(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
      await peer.closed;
    }
    await until(() => server.connectionCount <= 1);
  });
});

describe('framing (PS3.8 9.3): bytes split anywhere', () => {
  it('delivers every P-DATA in order whatever the split points', async () => {
    const { port, server, close } = await startServer();
    cleanups.push(close);
    const writeInPieces = async (peer: RawPeer, bytes: Buffer, cuts: number[]): Promise<void> => {
      let at = 0;
      for (const cut of cuts) {
        if (at >= bytes.length) break;
        peer.write(bytes.subarray(at, at + cut));
        at += cut;
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (at < bytes.length) peer.write(bytes.subarray(at));
    };
    const cutsArb = fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 30 });
    await fc.assert(
      fc.asyncProperty(cutsArb, cutsArb, async (rqCuts, dataCuts) => {
        const received: number[] = [];
        const done = new Promise<void>((resolve) => {
          const sub = server.associations$.subscribe((association) => {
            sub.unsubscribe();
            association.pData$.subscribe((pdu) => {
              for (const pdv of pdu.pdvs) received.push(pdv.data[0]!);
              if (received.length === 6) resolve();
            });
          });
        });
        const peer = await RawPeer.connect(port);
        await writeInPieces(peer, Buffer.from(encodePdu(request)), rqCuts);
        await peer.next('A-ASSOCIATE-AC');
        const pdus: PDataTf[] = [1, 2, 3, 4].map((n) => pData(1, 40 * n, n));
        // Two PDVs in one PDU as well.
        pdus.push({ kind: 'P-DATA-TF', pdvs: [pData(1, 1, 5).pdvs[0]!, pData(1, 2, 6).pdvs[0]!] });
        await writeInPieces(peer, Buffer.concat(pdus.map((p) => encodePdu(p))), dataCuts);
        await done;
        expect(received).toEqual([1, 2, 3, 4, 5, 6]);
        peer.send({ kind: 'A-RELEASE-RQ' });
        await peer.next('A-RELEASE-RP');
        peer.socket.end();
        await peer.closed;
      }),
      { numRuns: 25 },
    );
  });

  it('an A-ASSOCIATE-AC and the first P-DATA-TF in one segment reach the requestor in order', async () => {
    const raw = await startRawServer();
    cleanups.push(raw.close);
    const pending = connect(verificationOptions(raw.port));
    const peer = await raw.next();
    const rq = await peer.next('A-ASSOCIATE-RQ');
    const ac: AAssociateAc = buildAssociateAc(
      rq,
      { accept: true, presentationContexts: [{ id: 1, result: 0, transferSyntax: IMPLICIT_VR_LITTLE_ENDIAN }] },
      { maxPduLength: 16384 },
    );
    const early: number[] = [];
    const listener = (message: unknown): void => {
      const m = message as { pdu: Pdu };
      if (m.pdu.kind === 'P-DATA-TF') early.push(m.pdu.pdvs[0]!.data[0]!);
    };
    subscribe('netdicom:pdu:received', listener);
    cleanups.push(async () => {
      unsubscribe('netdicom:pdu:received', listener);
    });
    peer.write(Buffer.concat([encodePdu(ac), encodePdu(pData(1, 5, 7))]));
    const association = await pending;
    // The P-DATA that shared the segment was decoded and handled right after the A-ASSOCIATE-AC (in Sta6).
    expect(early).toEqual([7]);
    expect(association.state).toBe('Sta6');
    peer.send(pData(1, 3, 8));
    const next = await new Promise<PDataTf>((resolve) => association.pData$.subscribe(resolve));
    expect(next.pdvs[0]?.data[0]).toBe(8);
    await association.abort();
  });
});

describe('timers', () => {
  it('ARTIM: a connection that never sends an A-ASSOCIATE-RQ is closed', async () => {
    const { peer, server } = await acceptorWithRawPeer({ timeouts: { artim: 150 } }, false);
    await peer.closed;
    await until(() => server.connectionCount === 0);
    expect(peer.received).toEqual([]);
  });

  it('ARTIM: after an abort, a peer that never closes is disconnected', async () => {
    const { peer, accepted } = await acceptorWithRawPeer({ timeouts: { artim: 150 } });
    void accepted[0]!.abort();
    expect(await peer.next('A-ABORT')).toMatchObject({ source: 0 });
    await peer.closed;
    expect((await accepted[0]!.closed).reason).toBe('aborted');
  });

  it('idle: nothing received for the idle time aborts the association', async () => {
    const { peer, accepted } = await acceptorWithRawPeer({ timeouts: { artim: 300, idle: 200 } });
    const abort = await peer.next('A-ABORT');
    expect(abort).toMatchObject({ source: 0 });
    const closed = await accepted[0]!.closed;
    expect(closed.reason).toBe('error');
    expect(closed.error).toBeInstanceOf(AssociationTimeoutError);
    expect(closed.error).toMatchObject({ timer: 'idle', code: 'ERR_NETDICOM_ASSOCIATION_TIMEOUT' });
  });

  it('idle: sending keeps the association alive even when the peer says nothing', async () => {
    const { peer, accepted } = await acceptorWithRawPeer({ timeouts: { artim: 300, idle: 300 } });
    const association = accepted[0]!;
    for (let i = 0; i < 30; i++) {
      association.sendPData([{ presentationContextId: 1, isCommand: false, isLast: true, data: new Uint8Array(10) }]);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    expect(association.state).toBe('Sta6');
    expect(peer.received.filter((p) => p.kind === 'P-DATA-TF')).toHaveLength(30);
    expect(peer.received.some((p) => p.kind === 'A-ABORT')).toBe(false);
  });

  it('idle: once traffic stops, the idle time counts from the last PDU', async () => {
    const { peer, accepted } = await acceptorWithRawPeer({ timeouts: { artim: 300, idle: 200 } });
    const association = accepted[0]!;
    let lastSent = 0;
    for (let i = 0; i < 10; i++) {
      association.sendPData([{ presentationContextId: 1, isCommand: false, isLast: true, data: new Uint8Array(10) }]);
      lastSent = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // 500 ms of traffic with an idle time of 200 ms: still up.
    expect(association.state).toBe('Sta6');
    expect(await peer.next('A-ABORT')).toMatchObject({ source: 0 });
    expect(performance.now() - lastSent).toBeGreaterThanOrEqual(190);
    const closed = await association.closed;
    expect(closed.error).toMatchObject({ timer: 'idle', code: 'ERR_NETDICOM_ASSOCIATION_TIMEOUT' });
  });

  it('write: a peer that stops reading is dropped, and a pending drain() rejects', async () => {
    const { peer, accepted } = await acceptorWithRawPeer({ timeouts: { artim: 300, write: 300 } });
    peer.socket.pause();
    const association = accepted[0]!;
    const max = association.negotiated.maxPduLengthToSend;
    const data = new Uint8Array(max - 6);
    let sent = 0;
    const pump = async (): Promise<never> => {
      for (;;) {
        sent += data.length;
        if (!association.sendPData([{ presentationContextId: 1, isCommand: false, isLast: false, data }])) {
          await association.drain();
        }
      }
    };
    await expect(pump()).rejects.toMatchObject({ code: 'ERR_NETDICOM_ASSOCIATION_CLOSED' });
    expect(sent).toBeGreaterThan(max);
    const closed = await association.closed;
    expect(closed.error).toMatchObject({ timer: 'write' });
  });

  it('connect response: no A-ASSOCIATE-AC within ARTIM rejects connect with a timeout and aborts', async () => {
    const raw = await startRawServer();
    cleanups.push(raw.close);
    const pending = connect(verificationOptions(raw.port, { timeouts: { artim: 150 } }));
    const peer = await raw.next();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_NETDICOM_ASSOCIATION_TIMEOUT', timer: 'artim' });
    expect(await peer.next('A-ABORT')).toMatchObject({ source: 0 });
  });

  it('release: no A-RELEASE-RP within the release time rejects release() and aborts', async () => {
    const raw = await startRawServer();
    cleanups.push(raw.close);
    const pending = connect(verificationOptions(raw.port, { timeouts: { release: 150, artim: 150 } }));
    const peer = await raw.next();
    const rq = await peer.next('A-ASSOCIATE-RQ');
    peer.send(
      buildAssociateAc(
        rq,
        { accept: true, presentationContexts: [{ id: 1, result: 0, transferSyntax: IMPLICIT_VR_LITTLE_ENDIAN }] },
        { maxPduLength: 16384 },
      ),
    );
    const association = await pending;
    await expect(association.release()).rejects.toMatchObject({ timer: 'release' });
    expect(peer.received.map((p) => p.kind)).toEqual(['A-ASSOCIATE-RQ', 'A-RELEASE-RQ', 'A-ABORT']);
  });
});

describe('flow control', () => {
  it('a slow consumer pauses the socket: buffered bytes stay bounded while the peer keeps writing', async () => {
    const { peer, accepted } = await acceptorWithRawPeer({ maxPduLength: 65536 });
    const association = accepted[0]!;
    let delivered = 0;
    association.pData$.subscribe((pdu) => {
      delivered += pdu.pdvs[0]!.data.length;
      if (delivered === 65530) association.pauseIncoming(); // the consumer "stalls" after the first PDU
    });
    const pdu = encodePdu(pData(1, 65530));
    const total = 64 * 1024 * 1024;
    let offered = 0;
    // Write until TCP pushes back for good (the peer's own buffer fills once the kernel buffers are full).
    while (offered < total) {
      offered += pdu.length;
      if (!peer.socket.write(pdu)) {
        const drained = await Promise.race([
          once(peer.socket, 'drain').then(() => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 300)),
        ]);
        if (!drained) break;
      }
    }
    const held = (association as unknown as { incomingBufferedBytes: number }).incomingBufferedBytes;
    expect(offered).toBeLessThan(total); // backpressure reached the writer
    expect(delivered).toBe(65530);
    expect(held).toBeLessThan(1024 * 1024); // one chunk or so, never the megabytes the peer tried to send
    association.resumeIncoming();
    await until(() => delivered >= offered - 16 * pdu.length);
    await association.abort();
  });
});

describe('abort in every state a user can reach (PS3.8 Table 9-10, Evt15)', () => {
  async function rawAcceptor() {
    const raw = await startRawServer();
    cleanups.push(raw.close);
    return raw;
  }
  const acOf = (rq: AAssociateRq) =>
    buildAssociateAc(
      rq,
      { accept: true, presentationContexts: [{ id: 1, result: 0, transferSyntax: IMPLICIT_VR_LITTLE_ENDIAN }] },
      { maxPduLength: 16384 },
    );

  it('requestor in Sta4 (connecting): AA-2, no PDU, cancelled', async () => {
    const raw = await rawAcceptor();
    const controller = new AbortController();
    const pending = connect(verificationOptions(raw.port, { signal: controller.signal }));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_NETDICOM_ASSOCIATION_CANCELLED' });
  });

  it('requestor in Sta5 (awaiting the A-ASSOCIATE-AC): AA-1', async () => {
    const raw = await rawAcceptor();
    const controller = new AbortController();
    const pending = connect(verificationOptions(raw.port, { signal: controller.signal }));
    const peer = await raw.next();
    await peer.next('A-ASSOCIATE-RQ');
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_NETDICOM_ASSOCIATION_CANCELLED' });
    expect(await peer.next('A-ABORT')).toMatchObject({ source: 0, reason: 0 });
  });

  it('requestor in Sta6 and Sta7: AA-1, closed as aborted', async () => {
    for (const releaseFirst of [false, true]) {
      const raw = await rawAcceptor();
      const pending = connect(verificationOptions(raw.port));
      const peer = await raw.next();
      peer.send(acOf(await peer.next('A-ASSOCIATE-RQ')));
      const association = await pending;
      if (releaseFirst) {
        association.release().catch(() => undefined);
        await peer.next('A-RELEASE-RQ');
        expect(association.state).toBe('Sta7');
      }
      await association.abort();
      expect(await peer.next('A-ABORT')).toMatchObject({ source: 0, reason: 0 });
      expect((await association.closed).reason).toBe('aborted');
    }
  });

  it('acceptor in Sta3 (deciding) and Sta2 (awaiting the request): server.close() aborts or drops them', async () => {
    let decide: (() => void) | undefined;
    const started = await startServer({
      timeouts: { artim: 150 },
      onAssociationRequest: () =>
        new Promise((resolve) => {
          decide = () => resolve({ accept: false, result: 1, source: 1, reason: 1 });
        }),
    });
    const deciding = await RawPeer.connect(started.port, false);
    const silent = await RawPeer.connect(started.port, false);
    deciding.send(request);
    await until(() => decide !== undefined);
    await started.close();
    expect(await deciding.next('A-ABORT')).toMatchObject({ source: 0, reason: 0 });
    await silent.closed;
    expect(silent.received).toEqual([]);
    decide?.();
  });

  it('acceptor in Sta8 (peer asked to release, hook pending): AA-1', async () => {
    const { peer, accepted } = await acceptorWithRawPeer();
    const association = accepted[0]!;
    association.onReleaseRequest = () => new Promise<void>(() => undefined);
    peer.send({ kind: 'A-RELEASE-RQ' });
    await until(() => association.state === 'Sta8');
    await Promise.all([association.abort(), peer.next('A-ABORT')]);
    expect((await association.closed).reason).toBe('aborted');
  });

  it('in Sta13 abort() just waits for the close; after Sta1 it resolves at once', async () => {
    const { peer, accepted } = await acceptorWithRawPeer();
    const association = accepted[0]!;
    void association.abort();
    expect(association.state).toBe('Sta13');
    await association.abort();
    await association.abort();
    expect(association.state).toBe('Sta1');
    peer.socket.destroy();
  });
});
