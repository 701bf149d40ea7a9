import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { PDataTf } from '@netdicom/pdu';
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, openAssociation } from './connect.js';
import type { StateMessage } from './diagnostics.js';
import {
  AssociationAbortedError,
  AssociationCancelledError,
  AssociationClosedError,
  AssociationOptionsError,
  AssociationRejectedError,
  AssociationTransportError,
} from './errors.js';
import { createAcceptancePolicy } from './policy.js';
import {
  CT_IMAGE_STORAGE,
  collect,
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
  LOOPBACK,
  startServer,
  VERIFICATION,
  verificationOptions,
} from './testing/helpers.js';
import type { Association } from './types.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** Records every transition of PS3.8 Table 9-10 published on `netdicom:association:state`, per association. */
function recordTransitions(): Map<object, string[]> {
  const transitions = new Map<object, string[]>();
  const listener = (message: unknown): void => {
    const m = message as StateMessage;
    if (m.from === m.to) return;
    const list = transitions.get(m.association) ?? [m.from];
    list.push(m.to);
    transitions.set(m.association, list);
  };
  subscribe('netdicom:association:state', listener);
  cleanups.push(async () => {
    unsubscribe('netdicom:association:state', listener);
  });
  return transitions;
}

async function serverWithAssociations(options: Parameters<typeof startServer>[0] = {}) {
  const started = await startServer(options);
  cleanups.push(started.close);
  const accepted: Association[] = [];
  const waiting: ((a: Association) => void)[] = [];
  started.server.associations$.subscribe((association) => {
    accepted.push(association);
    waiting.shift()?.(association);
  });
  const nextAssociation = (): Promise<Association> =>
    new Promise((resolve) => {
      const already = accepted.shift();
      if (already) resolve(already);
      else waiting.push(resolve);
    });
  return { ...started, nextAssociation };
}

const pdv = (id: number, bytes: number[], isCommand = true) => ({
  presentationContextId: id,
  isCommand,
  isLast: true,
  data: new Uint8Array(bytes),
});

describe('association over loopback, our requestor with our acceptor', () => {
  it('associates, carries P-DATA both ways and releases, walking the states of PS3.8 9.2', async () => {
    const transitions = recordTransitions();
    const { port, nextAssociation } = await serverWithAssociations();
    const client = await connect(verificationOptions(port));
    const server = await nextAssociation();

    expect(client.state).toBe('Sta6');
    expect(server.state).toBe('Sta6');
    expect(client.negotiated.acceptedContexts).toEqual([
      {
        id: 1,
        abstractSyntax: VERIFICATION,
        transferSyntax: IMPLICIT_VR_LITTLE_ENDIAN,
        result: 0,
        scuRole: true,
        scpRole: false,
      },
    ]);
    expect(server.negotiated.callingAeTitle).toBe('NETDICOM-SCU');
    expect(server.negotiated.remoteAddress).toBe(LOOPBACK);
    expect(client.negotiated.remotePort).toBe(port);

    const atServer = firstValueFrom(server.pData$);
    expect(client.sendPData([pdv(1, [1, 2, 3])])).toBe(true);
    expect(Array.from((await atServer).pdvs[0]?.data ?? [])).toEqual([1, 2, 3]);
    const atClient = firstValueFrom(client.pData$);
    server.sendPData([pdv(1, [4, 5], false)]);
    const received: PDataTf = await atClient;
    expect(received.pdvs[0]).toMatchObject({ presentationContextId: 1, isCommand: false, isLast: true });

    const clientStates = collect(client.state$);
    await client.release();
    expect(await client.closed).toEqual({ reason: 'released' });
    expect(await server.closed).toEqual({ reason: 'released' });
    expect(clientStates).toEqual(['Sta6', 'Sta7', 'Sta1']);
    expect(transitions.get(client)).toEqual(['Sta1', 'Sta4', 'Sta5', 'Sta6', 'Sta7', 'Sta1']);
    expect(transitions.get(server)).toEqual(['Sta1', 'Sta2', 'Sta3', 'Sta6', 'Sta8', 'Sta13', 'Sta1']);
  });

  it('handles a release collision on both sides (Sta9/Sta11 requestor, Sta10/Sta12 acceptor)', async () => {
    const transitions = recordTransitions();
    const { port, nextAssociation } = await serverWithAssociations();
    const client = await connect(verificationOptions(port));
    const server = await nextAssociation();
    const clientEvents = collect(client.events$);

    // The client does not read until it has sent its own A-RELEASE-RQ: both requests cross.
    client.pauseIncoming();
    const serverRelease = server.release();
    const clientRelease = client.release();
    client.resumeIncoming();
    await Promise.all([serverRelease, clientRelease]);

    expect(transitions.get(client)?.slice(-5)).toEqual(['Sta6', 'Sta7', 'Sta9', 'Sta11', 'Sta1']);
    expect(transitions.get(server)?.slice(-6)).toEqual(['Sta6', 'Sta7', 'Sta10', 'Sta12', 'Sta13', 'Sta1']);
    expect(clientEvents).toContainEqual({ type: 'release-requested', collision: true });
    expect((await client.closed).reason).toBe('released');
    expect((await server.closed).reason).toBe('released');
  });

  it('lets the peer finish sending (AR-7 / AR-6) before it answers a release request', async () => {
    const { port, nextAssociation } = await serverWithAssociations({
      onReleaseRequest: async (association) => {
        association.sendPData([pdv(1, [9, 9, 9])]);
      },
    });
    const client = await connect(verificationOptions(port));
    await nextAssociation();
    const late = collect(client.pData$);
    await client.release();
    expect(late).toHaveLength(1);
    expect(Array.from(late[0]?.pdvs[0]?.data ?? [])).toEqual([9, 9, 9]);
  });

  it('A-ABORT from the requestor: aborted here, peer-aborted there', async () => {
    const { port, nextAssociation } = await serverWithAssociations();
    const client = await connect(verificationOptions(port));
    const server = await nextAssociation();
    await client.abort();
    expect(await client.closed).toEqual({ reason: 'aborted' });
    const serverClosed = await server.closed;
    expect(serverClosed.reason).toBe('peer-aborted');
    expect(serverClosed.error).toBeInstanceOf(AssociationAbortedError);
    expect(serverClosed.error).toMatchObject({ source: 0, code: 'ERR_NETDICOM_ASSOCIATION_ABORTED' });
  });

  it('A-ABORT from the acceptor: the requestor sees peer-aborted and a pending drain rejects', async () => {
    const { port, nextAssociation } = await serverWithAssociations();
    const client = await connect(verificationOptions(port));
    const server = await nextAssociation();
    await server.abort();
    const closed = await client.closed;
    expect(closed.reason).toBe('peer-aborted');
    await expect(client.drain()).rejects.toBeInstanceOf(AssociationClosedError);
    expect(() => client.sendPData([pdv(1, [1])])).toThrow(AssociationClosedError);
    await expect(client.release()).rejects.toBeInstanceOf(AssociationAbortedError);
  });

  it('a dropped connection surfaces once as a typed transport error', async () => {
    const { server: acceptor, port } = await serverWithAssociations();
    const client = await connect(verificationOptions(port));
    const events = collect(client.events$);
    await acceptor.close();
    const closed = await client.closed;
    expect(['peer-aborted', 'transport-closed']).toContain(closed.reason);
    expect(events.filter((e) => e.type === 'closed')).toHaveLength(1);
  });

  it('transport loss without any PDU: transport-closed with AssociationTransportError', async () => {
    const { port, nextAssociation } = await serverWithAssociations();
    const client = await connect(verificationOptions(port));
    const server = await nextAssociation();
    // Reach into the acceptor's socket: destroy it without a PDU (a crash of the peer process).
    (server as unknown as { socket: { destroy(): void } }).socket.destroy();
    const closed = await client.closed;
    expect(closed.reason).toBe('transport-closed');
    expect(closed.error).toBeInstanceOf(AssociationTransportError);
    expect(closed.error?.code).toBe('ERR_NETDICOM_TRANSPORT');
  });

  it('rejections carry result, source and reason (PS3.8 Table 9-21)', async () => {
    const { port } = await serverWithAssociations({
      onAssociationRequest: createAcceptancePolicy({
        aeTitle: 'ARCHIVE',
        callingAeTitles: ['KNOWN'],
        abstractSyntaxes: 'any',
        transferSyntaxes: 'any',
      }),
    });
    const called = connect(verificationOptions(port, { calledAeTitle: 'WRONG', callingAeTitle: 'KNOWN' }));
    await expect(called).rejects.toBeInstanceOf(AssociationRejectedError);
    await expect(called).rejects.toMatchObject({ result: 1, source: 1, reason: 7 });
    await expect(
      connect(verificationOptions(port, { calledAeTitle: 'ARCHIVE', callingAeTitle: 'STRANGER' })),
    ).rejects.toMatchObject({ result: 1, source: 1, reason: 3, message: /calling-AE-title-not-recognized/ });
  });

  it('a throwing onAssociationRequest rejects the request (transient, service-user, no reason) without a crash', async () => {
    const { port } = await serverWithAssociations({
      onAssociationRequest: () => {
        throw new Error('database down');
      },
    });
    await expect(connect(verificationOptions(port))).rejects.toMatchObject({ result: 2, source: 1, reason: 1 });
  });

  it('beyond maxAssociations: rejected-transient, service-provider (presentation), local-limit-exceeded', async () => {
    const { port } = await serverWithAssociations({ maxAssociations: 1 });
    const first = await connect(verificationOptions(port));
    await expect(connect(verificationOptions(port))).rejects.toMatchObject({
      code: 'ERR_NETDICOM_ASSOCIATION_REJECTED',
      result: 2,
      source: 3,
      reason: 2,
    });
    await first.release();
    const again = await connect(verificationOptions(port));
    await again.release();
  });

  it('negotiates transfer syntax preference, roles, window and a positive user identity response', async () => {
    const { port, nextAssociation } = await serverWithAssociations({
      onAssociationRequest: createAcceptancePolicy({
        abstractSyntaxes: [VERIFICATION, CT_IMAGE_STORAGE],
        transferSyntaxes: [EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN],
        asynchronousOperationsWindow: { maxOperationsInvoked: 4, maxOperationsPerformed: 1 },
        sopClassExtendedNegotiation: (item) => item.serviceClassApplicationInformation.subarray(0, 1),
        verifyUserIdentity: (identity) =>
          identity?.type === 'saml' ? { serverResponse: new Uint8Array([1, 2]) } : false,
      }),
    });
    const client = await connect(
      verificationOptions(port, {
        presentationContexts: [
          {
            abstractSyntax: CT_IMAGE_STORAGE,
            transferSyntaxes: [IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN],
            scpRole: true,
          },
          { abstractSyntax: '1.2.3.4.5', transferSyntaxes: [IMPLICIT_VR_LITTLE_ENDIAN] },
        ],
        asynchronousOperationsWindow: { maxOperationsInvoked: 16, maxOperationsPerformed: 16 },
        userIdentity: { type: 'saml', assertion: '<Assertion/>', positiveResponseRequested: true },
        maxPduLength: 16384,
        sopClassExtendedNegotiations: [
          { sopClassUid: CT_IMAGE_STORAGE, serviceClassApplicationInformation: new Uint8Array([1, 0, 1]) },
        ],
        sopClassCommonExtendedNegotiations: [
          {
            sopClassUid: CT_IMAGE_STORAGE,
            serviceClassUid: '1.2.840.10008.4.2',
            relatedGeneralSopClassUids: ['1.2.840.10008.5.1.4.1.1.2.1'],
          },
        ],
      }),
    );
    const server = await nextAssociation();
    expect(client.negotiated.presentationContexts).toEqual([
      {
        id: 1,
        abstractSyntax: CT_IMAGE_STORAGE,
        transferSyntax: EXPLICIT_VR_LITTLE_ENDIAN,
        result: 0,
        scuRole: true,
        scpRole: true,
      },
      { id: 3, abstractSyntax: '1.2.3.4.5', result: 3, scuRole: true, scpRole: false },
    ]);
    expect(client.negotiated.asynchronousOperationsWindow).toEqual({
      maxOperationsInvoked: 4,
      maxOperationsPerformed: 1,
    });
    expect(Array.from(client.negotiated.userIdentityResponse ?? [])).toEqual([1, 2]);
    expect(server.negotiated.maxPduLengthToSend).toBe(16384);
    expect(server.request.userInformation.sopClassCommonExtendedNegotiations).toEqual([
      {
        sopClassUid: CT_IMAGE_STORAGE,
        serviceClassUid: '1.2.840.10008.4.2',
        relatedGeneralSopClassUids: ['1.2.840.10008.5.1.4.1.1.2.1'],
      },
    ]);
    const answered = client.response.userInformation.sopClassExtendedNegotiations ?? [];
    expect(answered.map((e) => [e.sopClassUid, Array.from(e.serviceClassApplicationInformation)])).toEqual([
      [CT_IMAGE_STORAGE, [1]],
    ]);
    expect(server.negotiated.presentationContexts).toEqual(client.negotiated.presentationContexts);
    expect(server.negotiated.asynchronousOperationsWindow).toEqual(client.negotiated.asynchronousOperationsWindow);
    expect(server.negotiated.maxPduLengthReceived).toBe(client.negotiated.maxPduLengthToSend);
    await client.release();
  });

  it('refuses bad P-DATA requests with typed errors and never sends more than the peer allows', async () => {
    const { port, nextAssociation } = await serverWithAssociations();
    const client = await connect(verificationOptions(port));
    const server = await nextAssociation();
    expect(() => client.sendPData([pdv(3, [1])])).toThrow(AssociationOptionsError);
    expect(() => client.sendPData([])).toThrow(AssociationOptionsError);
    const max = client.negotiated.maxPduLengthToSend;
    const fits = { presentationContextId: 1, isCommand: false, isLast: false, data: new Uint8Array(max - 6) };
    const tooBig = { ...fits, data: new Uint8Array(max - 5) };
    expect(() => client.sendPData([tooBig])).toThrow(/exceeds the peer's maximum/);
    const got = firstValueFrom(server.pData$);
    client.sendPData([fits]);
    expect((await got).pdvs[0]?.data.length).toBe(max - 6);
    await client.release();
    expect(() => client.sendPData([fits])).toThrow(AssociationClosedError);
  });

  it('tells when a P-DATA-TF was handed to the transport, or that it never will be', async () => {
    const { port, nextAssociation } = await serverWithAssociations();
    // After our A-ABORT, ARTIM bounds the wait for a peer that does not read it.
    const client = await connect({ ...verificationOptions(port), timeouts: { artim: 300 } });
    const server = await nextAssociation();
    const max = client.negotiated.maxPduLengthToSend;
    const data = new Uint8Array(max - 6);
    const outcomes: (Error | null | undefined)[] = [];
    const written = new Promise<void>((resolve) => {
      client.sendPData([{ presentationContextId: 1, isCommand: false, isLast: false, data }], (error) => {
        outcomes.push(error);
        resolve();
      });
    });
    // Never synchronously.
    expect(outcomes).toEqual([]);
    await written;
    expect(outcomes.map((error) => error ?? null)).toEqual([null]);

    // A peer that stops reading: PDUs pile up unwritten; when the association ends, each callback gets an error.
    server.pauseIncoming();
    const pending: Promise<Error | null | undefined>[] = [];
    for (let i = 0; i < 400; i++) {
      pending.push(
        new Promise((resolve) =>
          client.sendPData([{ presentationContextId: 1, isCommand: false, isLast: false, data }], resolve),
        ),
      );
    }
    void client.abort();
    const results = await Promise.all(pending);
    expect(results.length).toBe(400);
    expect(results.some((error) => error instanceof Error)).toBe(true);
    expect(outcomes.length).toBe(1);
  });

  it('refuses local primitives the table does not allow in the current state', async () => {
    const { port } = await serverWithAssociations();
    const client = await connect(verificationOptions(port));
    client.pauseIncoming();
    const releasing = client.release();
    // Sta7: a second release is the same one; P-DATA is not allowed any more (empty cell Evt9/Sta7).
    expect(client.release()).toBe(releasing);
    expect(() => client.sendPData([pdv(1, [1])])).toThrow(/Sta7/);
    client.resumeIncoming();
    await releasing;
  });

  it('connection refused is a typed transport error, not a crash', async () => {
    const { port, close } = await startServer();
    await close();
    await expect(connect(verificationOptions(port))).rejects.toMatchObject({
      code: 'ERR_NETDICOM_TRANSPORT',
      message: /ECONNREFUSED/,
    });
  });

  it('an AbortSignal cancels a pending association and aborts an established one', async () => {
    const { port, nextAssociation } = await serverWithAssociations();
    const early = new AbortController();
    const pending = connect(verificationOptions(port, { signal: early.signal }));
    early.abort();
    await expect(pending).rejects.toBeInstanceOf(AssociationCancelledError);

    const late = new AbortController();
    const client = await connect(verificationOptions(port, { signal: late.signal }));
    const server = await nextAssociation();
    late.abort();
    expect((await client.closed).reason).toBe('aborted');
    expect((await server.closed).reason).toBe('peer-aborted');
  });
});

describe('openAssociation', () => {
  it('emits once accepted and releases when unsubscribed', async () => {
    const { port, nextAssociation } = await serverWithAssociations();
    const opened = new Promise<Association>((resolve) => {
      const subscription = openAssociation(verificationOptions(port)).subscribe((association) => {
        resolve(association);
        queueMicrotask(() => subscription.unsubscribe());
      });
    });
    const client = await opened;
    const server = await nextAssociation();
    expect((await client.closed).reason).toBe('released');
    expect((await server.closed).reason).toBe('released');
  });

  it('completes after a release and errors with the rejection when refused', async () => {
    const { port } = await serverWithAssociations({
      onAssociationRequest: createAcceptancePolicy({
        aeTitle: 'ONLY',
        abstractSyntaxes: 'any',
        transferSyntaxes: 'any',
      }),
    });
    const error = await new Promise<unknown>((resolve) => {
      openAssociation(verificationOptions(port)).subscribe({ error: resolve });
    });
    expect(error).toBeInstanceOf(AssociationRejectedError);

    const completed = new Promise<string>((resolve) => {
      openAssociation(verificationOptions(port, { calledAeTitle: 'ONLY' })).subscribe({
        next: (association) => void association.release(),
        complete: () => resolve('complete'),
      });
    });
    expect(await completed).toBe('complete');
  });
});
