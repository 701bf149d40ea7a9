import { PresentationContextResult, UserIdentityType } from '@netdicom/pdu';
import { describe, expect, it } from 'vitest';
import { AssociationOptionsError } from './errors.js';
import {
  buildAssociateAc,
  buildAssociateRq,
  DEFAULT_MAX_PDU_LENGTH,
  decodeUserIdentity,
  deriveNegotiated,
  encodeUserIdentity,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  isValidUidValue,
  MAX_PDU_LENGTH_TO_SEND_CAP,
  maxPduLengthToSend,
  type UserIdentity,
} from './negotiation.js';

const VERIFICATION = '1.2.840.10008.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const IMPLICIT = '1.2.840.10008.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const remote = { remoteAddress: '127.0.0.1', remotePort: 4000 };

describe('implementation identification (PS3.7 D.3.3.2)', () => {
  it('is a valid 2.25 UID and a version name of at most 16 characters', () => {
    expect(isValidUidValue(IMPLEMENTATION_CLASS_UID)).toBe(true);
    expect(IMPLEMENTATION_CLASS_UID.startsWith('2.25.')).toBe(true);
    expect(IMPLEMENTATION_VERSION_NAME).toMatch(/^NETDICOM_/);
    expect(IMPLEMENTATION_VERSION_NAME.length).toBeLessThanOrEqual(16);
  });
});

describe('buildAssociateRq', () => {
  it('assigns odd context ids, announces our limits and implementation, and maps roles to role selections', () => {
    const rq = buildAssociateRq({
      callingAeTitle: 'ME',
      calledAeTitle: 'PACS',
      presentationContexts: [
        { abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT] },
        { abstractSyntax: CT, transferSyntaxes: [EXPLICIT, IMPLICIT], scuRole: true, scpRole: true },
        { id: 7, abstractSyntax: CT, transferSyntaxes: [IMPLICIT], scuRole: true, scpRole: true },
      ],
      asynchronousOperationsWindow: { maxOperationsInvoked: 8, maxOperationsPerformed: 1 },
      userIdentity: {
        type: 'username-passcode',
        username: 'ann',
        passcode: 'pässword',
        positiveResponseRequested: true,
      },
    });
    expect(rq.presentationContexts.map((pc) => pc.id)).toEqual([1, 3, 7]);
    expect(rq.userInformation.maximumLength).toBe(DEFAULT_MAX_PDU_LENGTH);
    expect(rq.userInformation.implementationClassUid).toBe(IMPLEMENTATION_CLASS_UID);
    expect(rq.userInformation.implementationVersionName).toBe(IMPLEMENTATION_VERSION_NAME);
    expect(rq.userInformation.roleSelections).toEqual([{ sopClassUid: CT, scuRole: 1, scpRole: 1 }]);
    expect(rq.userInformation.asynchronousOperationsWindow).toEqual({
      maxOperationsInvoked: 8,
      maxOperationsPerformed: 1,
    });
    expect(rq.userInformation.userIdentity?.userIdentityType).toBe(UserIdentityType.UsernameAndPasscode);
    expect(new TextDecoder().decode(rq.userInformation.userIdentity?.secondaryField)).toBe('pässword');
  });

  it.each([
    ['a calling AE title of 17 characters', { callingAeTitle: 'A'.repeat(17) }],
    ['a blank called AE title', { calledAeTitle: '   ' }],
    ['a backslash in an AE title', { callingAeTitle: 'A\\B' }],
    ['no presentation context', { presentationContexts: [] }],
    [
      'an even context id',
      { presentationContexts: [{ id: 2, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT] }] },
    ],
    [
      'an invalid abstract syntax',
      { presentationContexts: [{ abstractSyntax: '1.2.x', transferSyntaxes: [IMPLICIT] }] },
    ],
    ['no transfer syntax', { presentationContexts: [{ abstractSyntax: VERIFICATION, transferSyntaxes: [] }] }],
    ['a tiny max PDU length', { maxPduLength: 100 }],
    [
      'conflicting roles',
      {
        presentationContexts: [
          { abstractSyntax: CT, transferSyntaxes: [IMPLICIT], scpRole: true },
          { abstractSyntax: CT, transferSyntaxes: [EXPLICIT], scpRole: false },
        ],
      },
    ],
  ])('refuses %s with AssociationOptionsError', (_name, override) => {
    const base = {
      callingAeTitle: 'ME',
      calledAeTitle: 'PACS',
      presentationContexts: [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT] }],
    };
    expect(() => buildAssociateRq({ ...base, ...override })).toThrow(AssociationOptionsError);
  });

  it('refuses more than 128 contexts (ids run out at 255)', () => {
    const presentationContexts = Array.from({ length: 129 }, () => ({
      abstractSyntax: CT,
      transferSyntaxes: [IMPLICIT],
    }));
    expect(() => buildAssociateRq({ callingAeTitle: 'A', calledAeTitle: 'B', presentationContexts })).toThrow(
      /between 1 and 128/,
    );
  });
});

describe('user identity (PS3.7 D.3.3.7), all five types round-trip', () => {
  const identities: UserIdentity[] = [
    { type: 'username', username: 'anne', positiveResponseRequested: false },
    { type: 'username-passcode', username: 'bob', passcode: 's3cret', positiveResponseRequested: true },
    { type: 'kerberos', ticket: new Uint8Array([1, 2, 3, 250]), positiveResponseRequested: true },
    { type: 'saml', assertion: '<saml:Assertion>…</saml:Assertion>', positiveResponseRequested: false },
    { type: 'jwt', token: 'eyJhbGciOiJIUzI1NiJ9.e30.sig', positiveResponseRequested: true },
  ];
  it.each(identities)('$type', (identity) => {
    const item = encodeUserIdentity(identity);
    expect(item.userIdentityType).toBe(
      { username: 1, 'username-passcode': 2, kerberos: 3, saml: 4, jwt: 5 }[identity.type],
    );
    expect(decodeUserIdentity(item)).toEqual(identity);
  });

  it('keeps an unknown type as raw fields', () => {
    const raw = {
      userIdentityType: 9,
      positiveResponseRequested: false,
      primaryField: new Uint8Array([1]),
      secondaryField: new Uint8Array(0),
    };
    expect(decodeUserIdentity(raw)).toEqual({ type: 'unknown', ...raw });
  });
});

describe('buildAssociateAc and deriveNegotiated', () => {
  const rq = buildAssociateRq({
    callingAeTitle: 'SCU',
    calledAeTitle: 'SCP',
    maxPduLength: 32768,
    presentationContexts: [
      { abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT] },
      { abstractSyntax: CT, transferSyntaxes: [EXPLICIT, IMPLICIT], scuRole: true, scpRole: true },
      { abstractSyntax: '1.2.3', transferSyntaxes: [IMPLICIT] },
    ],
    asynchronousOperationsWindow: { maxOperationsInvoked: 5, maxOperationsPerformed: 5 },
    userIdentity: { type: 'jwt', token: 'abc', positiveResponseRequested: true },
    sopClassExtendedNegotiations: [{ sopClassUid: CT, serviceClassApplicationInformation: new Uint8Array([1]) }],
  });

  it('answers every proposed context and only proposed sub-items', () => {
    const ac = buildAssociateAc(
      rq,
      {
        accept: true,
        presentationContexts: [
          { id: 1, result: 0, transferSyntax: IMPLICIT },
          { id: 3, result: 0, transferSyntax: EXPLICIT },
        ],
        roleSelections: [
          { sopClassUid: CT, scuRole: 1, scpRole: 0 },
          { sopClassUid: '9.9', scuRole: 1, scpRole: 1 },
        ],
        asynchronousOperationsWindow: { maxOperationsInvoked: 3, maxOperationsPerformed: 1 },
        sopClassExtendedNegotiations: [{ sopClassUid: CT, serviceClassApplicationInformation: new Uint8Array([0]) }],
        userIdentityServerResponse: new Uint8Array([7, 7]),
      },
      { maxPduLength: 65536 },
    );
    expect(ac.presentationContexts).toEqual([
      { id: 1, result: 0, transferSyntax: IMPLICIT },
      { id: 3, result: 0, transferSyntax: EXPLICIT },
      { id: 5, result: PresentationContextResult.NoReason, transferSyntax: IMPLICIT },
    ]);
    expect(ac.userInformation.roleSelections).toEqual([{ sopClassUid: CT, scuRole: 1, scpRole: 0 }]);
    expect(ac.userInformation.userIdentityResponse?.serverResponse).toEqual(new Uint8Array([7, 7]));
    expect(ac.userInformation.maximumLength).toBe(65536);
    expect(ac.calledAeTitle).toBe('SCP');

    const requestorView = deriveNegotiated(rq, ac, 'requestor', remote);
    const acceptorView = deriveNegotiated(rq, ac, 'acceptor', remote);
    expect(requestorView.maxPduLengthToSend).toBe(65536);
    expect(requestorView.maxPduLengthReceived).toBe(32768);
    expect(acceptorView.maxPduLengthToSend).toBe(32768);
    expect(acceptorView.maxPduLengthReceived).toBe(65536);
    expect(requestorView.acceptedContexts.map((pc) => [pc.id, pc.transferSyntax, pc.scuRole, pc.scpRole])).toEqual([
      [1, IMPLICIT, true, false],
      [3, EXPLICIT, true, false],
    ]);
    expect(requestorView.presentationContexts[2]).toEqual({
      id: 5,
      abstractSyntax: '1.2.3',
      result: PresentationContextResult.NoReason,
      scuRole: true,
      scpRole: false,
    });
    expect(requestorView.asynchronousOperationsWindow).toEqual({ maxOperationsInvoked: 3, maxOperationsPerformed: 1 });
    expect(requestorView.userIdentityResponse).toEqual(new Uint8Array([7, 7]));
    expect(requestorView.peerImplementationClassUid).toBe(IMPLEMENTATION_CLASS_UID);
    expect(acceptorView.remotePort).toBe(4000);
  });

  it('refuses an answer with a transfer syntax that was not proposed, or an unknown context', () => {
    expect(() =>
      buildAssociateAc(
        rq,
        { accept: true, presentationContexts: [{ id: 1, result: 0, transferSyntax: EXPLICIT }] },
        {
          maxPduLength: 16384,
        },
      ),
    ).toThrow(/not proposed/);
    expect(() =>
      buildAssociateAc(
        rq,
        { accept: true, presentationContexts: [{ id: 9, result: 0, transferSyntax: IMPLICIT }] },
        {
          maxPduLength: 16384,
        },
      ),
    ).toThrow(/never proposed/);
  });

  it('window defaults to 1/1 when not answered; roles default to SCU-only when not answered', () => {
    const ac = buildAssociateAc(rq, { accept: true, presentationContexts: [] }, { maxPduLength: 16384 });
    const negotiated = deriveNegotiated(rq, ac, 'requestor', remote);
    expect(negotiated.asynchronousOperationsWindow).toEqual({ maxOperationsInvoked: 1, maxOperationsPerformed: 1 });
    expect(negotiated.acceptedContexts).toEqual([]);
    expect(negotiated.presentationContexts[1]?.scpRole).toBe(false);
    expect(ac.userInformation.userIdentityResponse).toBeUndefined();
  });
});

describe('maxPduLengthToSend (PS3.8 D.1)', () => {
  it('maps 0 (unlimited) and oversized values to the cap and keeps smaller ones', () => {
    expect(maxPduLengthToSend(0)).toBe(MAX_PDU_LENGTH_TO_SEND_CAP);
    expect(maxPduLengthToSend(undefined)).toBe(MAX_PDU_LENGTH_TO_SEND_CAP);
    expect(maxPduLengthToSend(0xffffffff)).toBe(MAX_PDU_LENGTH_TO_SEND_CAP);
    expect(maxPduLengthToSend(16384)).toBe(16384);
    expect(maxPduLengthToSend(0, 4096)).toBe(4096);
  });
});
