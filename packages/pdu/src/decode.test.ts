import { describe, expect, it } from 'vitest';
import { decodePdu, pduKindOf } from './decode.js';
import { encodePdu } from './encode.js';
import {
  InvalidPduParameterValueError,
  type PduError,
  TruncatedPduError,
  UnexpectedPduParameterError,
  UnrecognizedPduError,
  UnrecognizedPduParameterError,
} from './errors.js';
import {
  abort,
  abstractSyntax,
  aeField,
  applicationContext,
  associateRj,
  associateRq,
  asynchronousOperationsWindow,
  cat,
  commonExtendedNegotiation,
  extendedNegotiation,
  implementationClassUid,
  implementationVersionName,
  item,
  maximumLength,
  minimalAc,
  minimalRq,
  pDataTf,
  pcAc,
  pcRq,
  pdu,
  pdv,
  releaseRp,
  releaseRq,
  roleSelection,
  text,
  transferSyntax,
  u16,
  u32,
  userIdentityAc,
  userIdentityRq,
  userInformation,
} from './testing/builders.js';
import type { AAssociateAc, AAssociateRq, PDataTf } from './types.js';
import { thrown } from './testing/thrown.js';

const VERIFICATION = '1.2.840.10008.1.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';

/** Decodes, expecting success, and checks the bytes re-encode exactly. */
function roundTrip<T>(bytes: Uint8Array): T {
  const decoded = decodePdu(bytes);
  expect(encodePdu(decoded)).toEqual(bytes);
  return decoded as T;
}

function expectRejected(bytes: Uint8Array, errorClass: abstract new (...args: never[]) => PduError, offset?: number) {
  const error = thrown(() => decodePdu(bytes));
  expect(error).toBeInstanceOf(errorClass);
  if (offset !== undefined) expect(error.offset).toBe(offset);
  return error;
}

describe('PDU header', () => {
  it.each([0x00, 0x08, 0x10, 0x41, 0xff])('refuses PDU-type %i as unrecognized (A-ABORT reason 1)', (type) => {
    const error = expectRejected(pdu(type, [0, 0, 0, 0]), UnrecognizedPduError, 0);
    expect(error.abortReason).toBe(1);
    expect(error.pduType).toBe(type);
    // Even a lone type byte is enough to know.
    expect(thrown(() => decodePdu(Uint8Array.of(type)))).toBeInstanceOf(UnrecognizedPduError);
  });

  it('maps PDU types to kinds', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(pduKindOf)).toEqual([
      'A-ASSOCIATE-RQ',
      'A-ASSOCIATE-AC',
      'A-ASSOCIATE-RJ',
      'P-DATA-TF',
      'A-RELEASE-RQ',
      'A-RELEASE-RP',
      'A-ABORT',
    ]);
    expect(pduKindOf(0)).toBeUndefined();
    expect(pduKindOf(8)).toBeUndefined();
  });

  it('refuses input shorter than a header, or shorter than announced, as truncated', () => {
    expect(thrown(() => decodePdu(new Uint8Array(0)))).toBeInstanceOf(TruncatedPduError);
    expectRejected(Uint8Array.of(5, 0, 0, 0, 0), TruncatedPduError);
    expectRejected(releaseRq().subarray(0, 9), TruncatedPduError);
    expectRejected(cat([4, 0], u32(0xffffffff), pdv(1, 3, [1, 2])), TruncatedPduError);
  });

  it('refuses an argument that is not bytes with a TypeError', () => {
    const error = thrown(() => decodePdu('0100' as unknown as Uint8Array));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.code).toBe('ERR_INVALID_ARG_TYPE');
  });

  it('refuses bytes after the announced end', () => {
    const error = expectRejected(cat(releaseRq(), [0]), InvalidPduParameterValueError, 10);
    expect(error.message).toMatch(/PDU-length is 4 but 5 bytes/);
  });

  it.each([
    [0x03, 5],
    [0x05, 3],
    [0x06, 0],
    [0x07, 8],
  ])('refuses PDU-type %i with a PDU-length other than 4 (%i)', (type, length) => {
    expectRejected(pdu(type, new Uint8Array(length)), InvalidPduParameterValueError, 2);
  });

  it('refuses an A-ASSOCIATE-RQ shorter than its fixed fields', () => {
    expectRejected(pdu(1, new Uint8Array(67)), InvalidPduParameterValueError, 2);
  });
});

describe('A-ASSOCIATE-RJ, A-RELEASE-RQ/RP, A-ABORT', () => {
  it('decodes the fields, tolerating values outside the tables, and keeps reserved bytes', () => {
    expect(roundTrip(associateRj(2, 3, 2))).toEqual({ kind: 'A-ASSOCIATE-RJ', result: 2, source: 3, reason: 2 });
    expect(roundTrip(associateRj(9, 9, 9))).toEqual({ kind: 'A-ASSOCIATE-RJ', result: 9, source: 9, reason: 9 });
    expect(roundTrip(abort(2, 6))).toEqual({ kind: 'A-ABORT', source: 2, reason: 6 });
    expect(roundTrip(releaseRq())).toEqual({ kind: 'A-RELEASE-RQ' });
    expect(roundTrip(releaseRp())).toEqual({ kind: 'A-RELEASE-RP' });
    const odd = roundTrip<{ preserved?: unknown }>(releaseRq([1, 2, 3, 4, 5]));
    expect(odd.preserved).toEqual({ reserved: Uint8Array.of(1, 2, 3, 4, 5) });
    roundTrip(abort(0, 0, [0xff, 0xee, 0xdd]));
    roundTrip(associateRj(1, 1, 1, [0x80, 0x40]));
  });
});

describe('P-DATA-TF (PS3.8 9.3.5)', () => {
  it('decodes PDVs with their message control header bits, as views of the input', () => {
    const bytes = pDataTf([pdv(1, 0b11, [1, 2, 3]), pdv(3, 0b00, [4]), pdv(255, 0b10, [])]);
    const p = roundTrip<PDataTf>(bytes);
    expect(p.pdvs).toEqual([
      { presentationContextId: 1, isCommand: true, isLast: true, data: Uint8Array.of(1, 2, 3) },
      { presentationContextId: 3, isCommand: false, isLast: false, data: Uint8Array.of(4) },
      { presentationContextId: 255, isCommand: false, isLast: true, data: new Uint8Array(0) },
    ]);
    expect(p.pdvs[0]?.data.buffer).toBe(bytes.buffer);
    expect(p.pdvs[0]?.data.byteOffset).toBe(bytes.byteOffset + 12);
  });

  it('keeps reserved bits of the message control header and the reserved header byte', () => {
    const bytes = pDataTf([pdv(1, 0b1111_1101, [7])], 0x42);
    const p = roundTrip<PDataTf>(bytes);
    expect(p.pdvs[0]).toMatchObject({ isCommand: true, isLast: false });
  });

  it.each([0, 1])('refuses a PDV Item-length of %i', (length) => {
    const error = expectRejected(pDataTf([cat(u32(length), [1, 3]), pdv(1, 0, [])]), InvalidPduParameterValueError, 6);
    expect(error.abortReason).toBe(6);
  });

  it('refuses a PDV that runs past the PDU, and stray bytes after the last PDV', () => {
    expectRejected(pDataTf([cat(u32(10), [1, 3, 0, 0])]), InvalidPduParameterValueError, 6);
    expectRejected(pDataTf([pdv(1, 3, [1, 2]), [0, 0, 0]]), InvalidPduParameterValueError, 14);
  });

  it.each([0, 2, 254])('refuses presentation-context-ID %i', (id) => {
    expectRejected(pDataTf([pdv(1, 3, []), pdv(id, 3, [])]), InvalidPduParameterValueError, 16);
  });

  it('refuses an empty P-DATA-TF (one or more PDVs are required)', () => {
    expectRejected(pdu(4, []), InvalidPduParameterValueError, 2);
    expectRejected(pdu(4, [0, 0, 0, 2, 1]), InvalidPduParameterValueError, 2);
  });
});

describe('A-ASSOCIATE-RQ (PS3.8 9.3.2)', () => {
  it('decodes a minimal request', () => {
    const rq = roundTrip<AAssociateRq>(minimalRq({ calledAeTitle: 'STORESCP', callingAeTitle: 'ME' }));
    expect(rq).toEqual({
      kind: 'A-ASSOCIATE-RQ',
      protocolVersion: 1,
      calledAeTitle: 'STORESCP',
      callingAeTitle: 'ME',
      applicationContextName: '1.2.840.10008.3.1.1.1',
      presentationContexts: [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }],
      userInformation: { maximumLength: 16384, implementationClassUid: '1.2.3.4' },
    });
  });

  it('tolerates a protocol version without bit 0 (the association layer answers with A-ASSOCIATE-RJ)', () => {
    expect(roundTrip<AAssociateRq>(minimalRq({ protocolVersion: 2 })).protocolVersion).toBe(2);
  });

  it('removes non-significant leading and trailing spaces and trailing NULs from AE titles', () => {
    const rq = roundTrip<AAssociateRq>(
      minimalRq({ calledAeTitle: aeField('  LEADING'), callingAeTitle: aeField('NULPADDED', '\0') }),
    );
    expect(rq.calledAeTitle).toBe('LEADING');
    expect(rq.callingAeTitle).toBe('NULPADDED');
    expect(rq.preserved).toBeDefined();
  });

  it.each([
    ['all spaces', aeField('')],
    ['a control character', aeField('AB\tCD')],
    ['a backslash', aeField('AB\\CD')],
    ['a byte above 7EH', aeField('CAF\xc9')],
    ['a NUL inside', aeField('AB\0CD')],
    ['only NULs', aeField('', '\0')],
  ])('refuses a Called-AE-title with %s (A-ABORT reason 6)', (_, field) => {
    const error = expectRejected(minimalRq({ calledAeTitle: field }), InvalidPduParameterValueError, 10);
    expect(error.abortReason).toBe(6);
    expect(error.message).toMatch(/Called-AE-title/);
  });

  it('refuses an invalid Calling-AE-title at its offset', () => {
    expectRejected(minimalRq({ callingAeTitle: aeField('') }), InvalidPduParameterValueError, 26);
  });

  it('accepts UIDs padded with a trailing NUL or space and keeps the padding', () => {
    const bytes = minimalRq({
      pcs: [pcRq(1, [abstractSyntax(`${VERIFICATION}\0`), transferSyntax(`${IMPLICIT_LE} `)])],
    });
    const rq = roundTrip<AAssociateRq>(bytes);
    expect(rq.presentationContexts[0]).toMatchObject({ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] });
  });

  it.each([
    ['letters', '1.2.abc'],
    ['65 characters', `1.${'2'.repeat(63)}`],
    ['nothing', ''],
    ['only padding', '\0\0'],
  ])('refuses an abstract syntax of %s', (_, uid) => {
    const error = expectRejected(
      minimalRq({ pcs: [pcRq(1, [abstractSyntax(uid), transferSyntax(IMPLICIT_LE)])] }),
      InvalidPduParameterValueError,
    );
    expect(error.message).toMatch(/abstract syntax/);
  });

  it('tolerates UIDs with leading zeros or empty components (PS3.5 forbids them; peers send them)', () => {
    const rq = roundTrip<AAssociateRq>(minimalRq({ ui: [maximumLength(0), implementationClassUid('1.02..3')] }));
    expect(rq.userInformation.implementationClassUid).toBe('1.02..3');
  });

  it.each([0, 2, 128])('refuses presentation-context-ID %i', (id) => {
    const error = expectRejected(
      minimalRq({ pcs: [pcRq(id, [abstractSyntax(VERIFICATION), transferSyntax(IMPLICIT_LE)])] }),
      InvalidPduParameterValueError,
      74 + 25 + 4,
    );
    expect(error.message).toMatch(/presentation-context-ID/);
  });

  it('tolerates a context with no transfer syntax (the acceptor rejects it) but not one without abstract syntax', () => {
    const rq = roundTrip<AAssociateRq>(minimalRq({ pcs: [pcRq(1, [abstractSyntax(VERIFICATION)])] }));
    expect(rq.presentationContexts[0]?.transferSyntaxes).toEqual([]);
    expectRejected(minimalRq({ pcs: [pcRq(1, [transferSyntax(IMPLICIT_LE)])] }), InvalidPduParameterValueError);
    expectRejected(
      minimalRq({ pcs: [pcRq(1, [abstractSyntax(VERIFICATION), abstractSyntax(VERIFICATION)])] }),
      UnexpectedPduParameterError,
    );
  });

  it('refuses a presentation context item shorter than its 4 fixed bytes', () => {
    expectRejected(minimalRq({ pcs: [item(0x20, [1, 0, 0])] }), InvalidPduParameterValueError, 99);
  });

  it('tolerates zero presentation contexts (the acceptor rejects the association)', () => {
    const rq = roundTrip<AAssociateRq>(minimalRq({ pcs: [] }));
    expect(rq.presentationContexts).toEqual([]);
  });

  it('requires exactly one Application Context item and one User Information item', () => {
    const pc = pcRq(1, [abstractSyntax(VERIFICATION), transferSyntax(IMPLICIT_LE)]);
    const ui = userInformation([maximumLength(1)]);
    expectRejected(associateRq({ items: [pc, ui] }), InvalidPduParameterValueError, 74);
    expectRejected(associateRq({ items: [applicationContext(), pc] }), InvalidPduParameterValueError, 74);
    expectRejected(
      associateRq({ items: [applicationContext(), applicationContext(), pc, ui] }),
      UnexpectedPduParameterError,
      74 + 25,
    );
    const error = expectRejected(
      associateRq({ items: [applicationContext(), pc, ui, ui] }),
      UnexpectedPduParameterError,
    );
    expect(error.abortReason).toBe(5);
  });

  it.each([
    ['a presentation context item of an AC (21H)', pcAc(1, 0, [transferSyntax(IMPLICIT_LE)])],
    ['an abstract syntax sub-item (30H)', abstractSyntax(VERIFICATION)],
    ['a maximum length sub-item (51H)', maximumLength(1)],
  ])('refuses %s among its items as unexpected (A-ABORT reason 5)', (_, misplaced) => {
    const items = [
      applicationContext(),
      misplaced,
      pcRq(1, [abstractSyntax(VERIFICATION)]),
      userInformation([maximumLength(1)]),
    ];
    expectRejected(associateRq({ items }), UnexpectedPduParameterError, 74 + 25);
  });

  it('keeps unknown items and sub-items, in their places, and re-encodes them exactly', () => {
    const bytes = associateRq({
      items: [
        item(0x05, [1, 2, 3]),
        applicationContext(),
        pcRq(1, [item(0x35, [9]), abstractSyntax(VERIFICATION), transferSyntax(IMPLICIT_LE)]),
        item(0x60, []),
        userInformation([maximumLength(0), item(0x5f, text('future')), implementationClassUid('1.2')]),
        item(0xff, [0xff], 0x77),
      ],
    });
    const rq = roundTrip<AAssociateRq>(bytes);
    expect(rq.unknownItems).toEqual([
      { itemType: 0x05, data: Uint8Array.of(1, 2, 3) },
      { itemType: 0x60, data: new Uint8Array(0) },
      { itemType: 0xff, data: Uint8Array.of(0xff) },
    ]);
    expect(rq.presentationContexts[0]?.unknownSubItems).toEqual([{ itemType: 0x35, data: Uint8Array.of(9) }]);
    expect(rq.userInformation.unknownSubItems).toEqual([{ itemType: 0x5f, data: text('future') }]);
  });

  it("refuses unknown items with unknownItems: 'reject' (A-ABORT reason 4)", () => {
    const withUnknown = minimalRq({ ui: [maximumLength(0), item(0x5f, [])] });
    const error = thrown(() => decodePdu(withUnknown, { unknownItems: 'reject' }));
    expect(error).toBeInstanceOf(UnrecognizedPduParameterError);
    expect(error.abortReason).toBe(4);
    expect(decodePdu(minimalRq(), { unknownItems: 'reject' }).kind).toBe('A-ASSOCIATE-RQ');
  });

  it('refuses item lengths that run past their container, and stray bytes', () => {
    const rq = minimalRq();
    const tooLong = rq.slice();
    tooLong[74 + 3] = 200; // application context Item-length
    expectRejected(tooLong, InvalidPduParameterValueError, 74);
    expectRejected(associateRq({ items: [applicationContext(), [0x50, 0]] }), InvalidPduParameterValueError, 99);
    const badSub = minimalRq({ pcs: [pcRq(1, [abstractSyntax(VERIFICATION), [0x40, 0, 0, 99]])] });
    expectRejected(badSub, InvalidPduParameterValueError);
  });
});

describe('User Information sub-items (PS3.8 D.1, PS3.7 D.3.3)', () => {
  const rqWith = (...ui: Uint8Array[]) => minimalRq({ ui });
  const acWith = (...ui: Uint8Array[]) => minimalAc({ ui });

  it('decodes every sub-item of a request', () => {
    const rq = roundTrip<AAssociateRq>(
      rqWith(
        maximumLength(0x12345678),
        implementationClassUid('1.2.3'),
        asynchronousOperationsWindow(5, 0),
        roleSelection('1.2.840.10008.5.1.4.1.1.2', 1, 0),
        implementationVersionName('NETDICOM_1'),
        extendedNegotiation('1.2.840.10008.5.1.4.1.2.1.1', [1, 0, 1]),
        commonExtendedNegotiation('1.2.840.10008.5.1.4.1.1.88.22', '1.2.840.10008.4.2', [
          '1.2.840.10008.5.1.4.1.1.88.11',
        ]),
        userIdentityRq(5, 1, text('eyJ0'), []),
      ),
    );
    expect(rq.userInformation).toEqual({
      maximumLength: 0x12345678,
      implementationClassUid: '1.2.3',
      asynchronousOperationsWindow: { maxOperationsInvoked: 5, maxOperationsPerformed: 0 },
      roleSelections: [{ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', scuRole: 1, scpRole: 0 }],
      implementationVersionName: 'NETDICOM_1',
      sopClassExtendedNegotiations: [
        { sopClassUid: '1.2.840.10008.5.1.4.1.2.1.1', serviceClassApplicationInformation: Uint8Array.of(1, 0, 1) },
      ],
      sopClassCommonExtendedNegotiations: [
        {
          sopClassUid: '1.2.840.10008.5.1.4.1.1.88.22',
          serviceClassUid: '1.2.840.10008.4.2',
          relatedGeneralSopClassUids: ['1.2.840.10008.5.1.4.1.1.88.11'],
        },
      ],
      userIdentity: {
        userIdentityType: 5,
        positiveResponseRequested: true,
        primaryField: text('eyJ0'),
        secondaryField: new Uint8Array(0),
      },
    });
  });

  it('decodes a User Identity response in an accept', () => {
    const ac = roundTrip<AAssociateAc>(acWith(maximumLength(0), userIdentityAc(text('ticket'))));
    expect(ac.userInformation.userIdentityResponse).toEqual({ serverResponse: text('ticket') });
    expect(roundTrip<AAssociateAc>(acWith(userIdentityAc([]))).userInformation.userIdentityResponse).toEqual({
      serverResponse: new Uint8Array(0),
    });
  });

  it('decodes a common extended negotiation without related classes, and keeps a non-zero sub-item version', () => {
    const rq = roundTrip<AAssociateRq>(rqWith(commonExtendedNegotiation('1.2', '1.3', [], 7)));
    expect(rq.userInformation.sopClassCommonExtendedNegotiations).toEqual([
      { sopClassUid: '1.2', serviceClassUid: '1.3', relatedGeneralSopClassUids: [] },
    ]);
  });

  it('keeps a positive-response-requested byte other than 0 and 1 while reading it as true', () => {
    const rq = roundTrip<AAssociateRq>(rqWith(userIdentityRq(1, 0x80, text('u'), [])));
    expect(rq.userInformation.userIdentity?.positiveResponseRequested).toBe(true);
  });

  it.each([
    ['a User Identity response (59H) in a request', () => rqWith(userIdentityAc([]))],
    ['a User Identity request (58H) in an accept', () => acWith(userIdentityRq(1, 0, [1], []))],
    ['common extended negotiation (57H) in an accept', () => acWith(commonExtendedNegotiation('1', '2', []))],
    ['a second Maximum Length', () => rqWith(maximumLength(1), maximumLength(2))],
    ['a second Implementation Class UID', () => rqWith(implementationClassUid('1'), implementationClassUid('1'))],
    [
      'a second Implementation Version Name',
      () => rqWith(implementationVersionName('A'), implementationVersionName('B')),
    ],
    [
      'a second Asynchronous Operations Window',
      () => rqWith(asynchronousOperationsWindow(1, 1), asynchronousOperationsWindow(1, 1)),
    ],
    ['a second User Identity', () => rqWith(userIdentityRq(1, 0, [1], []), userIdentityRq(1, 0, [1], []))],
    ['a presentation context item inside', () => rqWith(pcRq(1, [abstractSyntax('1.2')]))],
  ])('refuses %s as unexpected', (_, make) => {
    expectRejected(make(), UnexpectedPduParameterError);
  });

  it.each([
    ['a Maximum Length of 3 bytes', () => rqWith(item(0x51, [0, 0, 1]))],
    ['an Asynchronous Operations Window of 5 bytes', () => rqWith(item(0x53, [0, 1, 0, 1, 0]))],
    ['a Role Selection whose UID length runs past it', () => rqWith(item(0x54, cat(u16(9), text('1.2'), [1, 1])))],
    ['a Role Selection with a byte too many', () => rqWith(item(0x54, cat(u16(3), text('1.2'), [1, 1, 0])))],
    ['a Role Selection without roles', () => rqWith(item(0x54, cat(u16(3), text('1.2'))))],
    ['a Role Selection with an invalid UID', () => rqWith(roleSelection('1.x', 1, 1))],
    ['an Extended Negotiation with a UID length past it', () => rqWith(item(0x56, cat(u16(40), text('1.2'))))],
    ['an Implementation Class UID with letters', () => rqWith(implementationClassUid('OFFIS'))],
    ['a User Identity shorter than its fixed fields', () => rqWith(item(0x58, [1, 0, 0]))],
    ['a User Identity with a primary length past it', () => rqWith(item(0x58, cat([1, 0], u16(50), [1, 2], u16(0))))],
    ['a User Identity without secondary length', () => rqWith(item(0x58, cat([1, 0], u16(1), [65])))],
    ['a User Identity with trailing bytes', () => rqWith(item(0x58, cat([1, 0], u16(1), [65], u16(0), [9])))],
    [
      'a common extended negotiation whose related length does not fill it',
      () => rqWith(item(0x57, cat(u16(1), text('1'), u16(1), text('2'), u16(9)))),
    ],
    [
      'a common extended negotiation with a related UID length past its end',
      () => rqWith(item(0x57, cat(u16(1), text('1'), u16(1), text('2'), u16(4), u16(5), text('12')))),
    ],
    [
      'a common extended negotiation missing its related length',
      () => rqWith(item(0x57, cat(u16(1), text('1'), u16(1), text('2')))),
    ],
  ])('refuses %s as an invalid parameter value', (_, make) => {
    expectRejected(make(), InvalidPduParameterValueError);
  });

  it('refuses a User Identity response whose length disagrees', () => {
    expectRejected(acWith(item(0x59, cat(u16(5), [1]))), InvalidPduParameterValueError);
    expectRejected(acWith(item(0x59, [1])), InvalidPduParameterValueError);
  });

  it('keeps the implementation version name as sent, unchecked (padding and length included)', () => {
    const rq = roundTrip<AAssociateRq>(rqWith(implementationVersionName('A VERY LONG VERSION NAME\0')));
    expect(rq.userInformation.implementationVersionName).toBe('A VERY LONG VERSION NAME\0');
  });

  it('keeps sub-items in the order received', () => {
    const rq = roundTrip<AAssociateRq>(
      rqWith(implementationVersionName('V'), userIdentityRq(2, 0, text('a'), text('b')), maximumLength(4096)),
    );
    expect(rq.userInformation.maximumLength).toBe(4096);
    expect(rq.userInformation.preserved).toBeDefined();
  });
});

describe('A-ASSOCIATE-AC (PS3.8 9.3.3)', () => {
  it('does not test the reserved AE title fields', () => {
    const ac = roundTrip<AAssociateAc>(
      minimalAc({ calledAeTitle: new Uint8Array(16), callingAeTitle: text('\x01\x02\\\xff            ') }),
    );
    expect(ac.calledAeTitle).toBe('');
    expect(ac.callingAeTitle).toBe('\x01\x02\\\xff');
  });

  it('decodes results of presentation contexts and tolerates what is not significant for rejected ones', () => {
    const ac = roundTrip<AAssociateAc>(
      minimalAc({
        pcs: [
          pcAc(1, 0, [transferSyntax(IMPLICIT_LE)]),
          pcAc(3, 1, []),
          pcAc(5, 2, [transferSyntax('')]),
          pcAc(7, 3, [transferSyntax('not a uid!')]),
          pcAc(9, 4, [transferSyntax(`${IMPLICIT_LE}\0`)]),
        ],
      }),
    );
    // The padded one keeps its received bytes in `preserved`.
    expect(ac.presentationContexts[4]?.preserved).toBeDefined();
    expect(ac.presentationContexts.map(({ preserved, ...fields }) => fields)).toEqual([
      { id: 1, result: 0, transferSyntax: IMPLICIT_LE },
      { id: 3, result: 1 },
      { id: 5, result: 2, transferSyntax: '' },
      { id: 7, result: 3, transferSyntax: 'not a uid!' },
      { id: 9, result: 4, transferSyntax: IMPLICIT_LE },
    ]);
  });

  it('refuses an accepted context without a valid transfer syntax, a result above 4, and two transfer syntaxes', () => {
    expectRejected(minimalAc({ pcs: [pcAc(1, 0, [])] }), InvalidPduParameterValueError);
    expectRejected(minimalAc({ pcs: [pcAc(1, 0, [transferSyntax('abc')])] }), InvalidPduParameterValueError);
    expectRejected(minimalAc({ pcs: [pcAc(1, 5, [transferSyntax(IMPLICIT_LE)])] }), InvalidPduParameterValueError);
    expectRejected(
      minimalAc({ pcs: [pcAc(1, 0, [transferSyntax(IMPLICIT_LE), transferSyntax(IMPLICIT_LE)])] }),
      UnexpectedPduParameterError,
    );
    expectRejected(minimalAc({ pcs: [pcAc(2, 0, [transferSyntax(IMPLICIT_LE)])] }), InvalidPduParameterValueError);
    expectRejected(minimalAc({ pcs: [pcAc(1, 0, [abstractSyntax(IMPLICIT_LE)])] }), UnexpectedPduParameterError);
  });

  it('refuses a presentation context item of an RQ (20H) inside an AC', () => {
    expectRejected(minimalAc({ pcs: [pcRq(1, [abstractSyntax(VERIFICATION)])] }), UnexpectedPduParameterError);
  });
});

describe('Node.js Buffers as input (socket chunks)', () => {
  it('copies what it keeps of an association PDU, although Buffer.prototype.slice makes views', () => {
    const original = minimalRq({
      calledAeTitle: aeField('  LEADING'),
      ui: [maximumLength(0), userIdentityRq(2, 0, text('u'), text('p')), item(0x5f, [1, 2])],
    });
    const bytes = Buffer.from(original);
    const rq = decodePdu(bytes) as AAssociateRq;
    bytes.fill(0);
    expect(rq.userInformation.userIdentity).toEqual({
      userIdentityType: 2,
      positiveResponseRequested: false,
      primaryField: text('u'),
      secondaryField: text('p'),
    });
    expect(rq.userInformation.userIdentity?.primaryField.constructor).toBe(Uint8Array);
    expect(rq.userInformation.unknownSubItems).toEqual([{ itemType: 0x5f, data: Uint8Array.of(1, 2) }]);
    expect(encodePdu(rq)).toEqual(original);
  });

  it('gives P-DATA-TF fragments as views of the Buffer', () => {
    const bytes = Buffer.from(pDataTf([pdv(1, 2, [1, 2, 3])]));
    const p = decodePdu(bytes) as PDataTf;
    expect(p.pdvs[0]?.data.buffer).toBe(bytes.buffer);
    expect([...(p.pdvs[0]?.data ?? [])]).toEqual([1, 2, 3]);
  });
});

describe('reserved fields are never tested and always kept (PS3.8 9.3)', () => {
  it('in an A-ASSOCIATE-RQ: header byte, bytes 9-10, 43-74, item and sub-item reserved bytes', () => {
    const bytes = associateRq({
      reserved: { header: 0xaa, bytes9to10: 0xbbcc, bytes43to74: new Uint8Array(32).fill(0xdd) },
      items: [
        applicationContext(undefined, 0x11),
        pcRq(1, [abstractSyntax(VERIFICATION, 0x22), transferSyntax(IMPLICIT_LE, 0x33)], [0x44, 0x55, 0x66, 0x77]),
        userInformation([maximumLength(0)], 0x88),
      ],
    });
    const rq = roundTrip<AAssociateRq>(bytes);
    expect(rq.presentationContexts[0]).toMatchObject({ id: 1, abstractSyntax: VERIFICATION });
    expect(rq.userInformation.maximumLength).toBe(0);
  });

  it('in an A-ASSOCIATE-AC presentation context item', () => {
    roundTrip(minimalAc({ pcs: [pcAc(1, 0, [transferSyntax(IMPLICIT_LE)], [1, 2, 3])] }));
  });
});
