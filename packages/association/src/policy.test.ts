import type { AAssociateRq } from '@netdicom/pdu';
import { describe, expect, it } from 'vitest';
import { buildAssociateRq } from './negotiation.js';
import { createAcceptancePolicy } from './policy.js';

const VERIFICATION = '1.2.840.10008.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const MR = '1.2.840.10008.5.1.4.1.1.4';
const IMPLICIT = '1.2.840.10008.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const JPEG_LOSSLESS = '1.2.840.10008.1.2.4.70';
const info = { remoteAddress: '127.0.0.1', remotePort: 1234 };

function request(overrides: Partial<Parameters<typeof buildAssociateRq>[0]> = {}): AAssociateRq {
  return buildAssociateRq({
    callingAeTitle: 'MODALITY',
    calledAeTitle: 'ARCHIVE',
    presentationContexts: [
      { abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT] },
      { abstractSyntax: CT, transferSyntaxes: [IMPLICIT, EXPLICIT, JPEG_LOSSLESS] },
      { abstractSyntax: MR, transferSyntaxes: [JPEG_LOSSLESS] },
      { abstractSyntax: '1.2.3.4', transferSyntaxes: [IMPLICIT] },
    ],
    ...overrides,
  });
}

describe('createAcceptancePolicy (PS3.8 Tables 9-18 and 9-21)', () => {
  const policy = createAcceptancePolicy({
    aeTitle: 'ARCHIVE',
    callingAeTitles: ['MODALITY'],
    abstractSyntaxes: [VERIFICATION, CT, MR],
    transferSyntaxes: [EXPLICIT, IMPLICIT],
  });

  it('accepts with our transfer syntax preference and per-context reasons', async () => {
    const decision = await policy(request(), info);
    expect(decision).toEqual({
      accept: true,
      presentationContexts: [
        { id: 1, result: 0, transferSyntax: IMPLICIT },
        { id: 3, result: 0, transferSyntax: EXPLICIT },
        { id: 5, result: 4 },
        { id: 7, result: 3 },
      ],
    });
  });

  it('rejects a request without presentation contexts (an A-ASSOCIATE-AC needs one, PS3.8 9.3.3)', async () => {
    expect(await policy({ ...request(), presentationContexts: [] }, info)).toEqual({
      accept: false,
      result: 1,
      source: 1,
      reason: 1,
    });
  });

  it('rejects an unknown called AE title: permanent, service-user, reason 7', async () => {
    expect(await policy(request({ calledAeTitle: 'OTHER' }), info)).toEqual({
      accept: false,
      result: 1,
      source: 1,
      reason: 7,
    });
  });

  it('rejects an unknown calling AE title: permanent, service-user, reason 3', async () => {
    expect(await policy(request({ callingAeTitle: 'STRANGER' }), info)).toEqual({
      accept: false,
      result: 1,
      source: 1,
      reason: 3,
    });
  });

  it('rejects a foreign application context: permanent, service-user, reason 2', async () => {
    const rq = { ...request(), applicationContextName: '1.2.3.4.5' };
    expect(await policy(rq, info)).toEqual({ accept: false, result: 1, source: 1, reason: 2 });
  });

  it("'any' takes the requestor's first transfer syntax and any abstract syntax", async () => {
    const open = createAcceptancePolicy({ abstractSyntaxes: 'any', transferSyntaxes: 'any' });
    const decision = await open(request(), info);
    expect(decision.accept && decision.presentationContexts.map((pc) => pc.transferSyntax)).toEqual([
      IMPLICIT,
      IMPLICIT,
      JPEG_LOSSLESS,
      IMPLICIT,
    ]);
  });

  it('verifies the user identity: false rejects (1, 1, 1), a server response is returned when asked', async () => {
    const seen: unknown[] = [];
    const guarded = createAcceptancePolicy({
      abstractSyntaxes: 'any',
      transferSyntaxes: 'any',
      verifyUserIdentity: (identity) => {
        seen.push(identity);
        if (identity?.type === 'username-passcode' && identity.passcode === 'right') return true;
        if (identity?.type === 'jwt') return { serverResponse: new TextEncoder().encode('ok') };
        return false;
      },
    });
    expect(await guarded(request(), info)).toEqual({ accept: false, result: 1, source: 1, reason: 1 });
    expect(
      await guarded(request({ userIdentity: { type: 'username-passcode', username: 'u', passcode: 'wrong' } }), info),
    ).toMatchObject({ accept: false, reason: 1 });
    expect(
      await guarded(request({ userIdentity: { type: 'username-passcode', username: 'u', passcode: 'right' } }), info),
    ).toMatchObject({ accept: true, userIdentityServerResponse: new Uint8Array(0) });
    expect(
      await guarded(request({ userIdentity: { type: 'jwt', token: 't', positiveResponseRequested: true } }), info),
    ).toMatchObject({ accept: true, userIdentityServerResponse: new TextEncoder().encode('ok') });
    expect(seen[0]).toBeUndefined();
    expect(seen[1]).toEqual({
      type: 'username-passcode',
      username: 'u',
      passcode: 'wrong',
      positiveResponseRequested: false,
    });
  });

  it('answers windows with the smaller non-zero value, roles as proposed (or SCU only), extended negotiation', async () => {
    const rq = request({
      asynchronousOperationsWindow: { maxOperationsInvoked: 0, maxOperationsPerformed: 10 },
      presentationContexts: [{ abstractSyntax: CT, transferSyntaxes: [IMPLICIT], scuRole: true, scpRole: true }],
      sopClassExtendedNegotiations: [{ sopClassUid: CT, serviceClassApplicationInformation: new Uint8Array([1, 0]) }],
    });
    const generous = createAcceptancePolicy({
      abstractSyntaxes: 'any',
      transferSyntaxes: 'any',
      asynchronousOperationsWindow: { maxOperationsInvoked: 4, maxOperationsPerformed: 16 },
      sopClassExtendedNegotiation: (item) => item.serviceClassApplicationInformation.slice(0, 1),
    });
    expect(await generous(rq, info)).toMatchObject({
      asynchronousOperationsWindow: { maxOperationsInvoked: 4, maxOperationsPerformed: 10 },
      roleSelections: [{ sopClassUid: CT, scuRole: 1, scpRole: 1 }],
      sopClassExtendedNegotiations: [{ sopClassUid: CT, serviceClassApplicationInformation: new Uint8Array([1]) }],
    });
    const strict = createAcceptancePolicy({
      abstractSyntaxes: 'any',
      transferSyntaxes: 'any',
      acceptProposedRoles: false,
    });
    const decision = await strict(rq, info);
    expect(decision).toMatchObject({ roleSelections: [{ sopClassUid: CT, scuRole: 1, scpRole: 0 }] });
    expect(decision).not.toHaveProperty('asynchronousOperationsWindow');
  });
});
