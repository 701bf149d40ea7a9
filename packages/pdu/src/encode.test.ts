import { describe, expect, it } from 'vitest';
import { decodePdu } from './decode.js';
import { encodePdu, encodePduParts, maxPdvDataLength, pDataTfLength, pduHeaderLength, pdvOverhead } from './encode.js';
import { InvalidPduFieldError } from './errors.js';
import {
  abort,
  abstractSyntax,
  aeField,
  applicationContext,
  associateAc,
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
  pDataTf,
  pcAc,
  pcRq,
  pdv,
  releaseRp,
  releaseRq,
  roleSelection,
  text,
  transferSyntax,
  userIdentityAc,
  userIdentityRq,
  userInformation,
} from './testing/builders.js';
import type { AAssociateAc, AAssociateRq, PDataTf, Pdu } from './types.js';
import { thrown } from './testing/thrown.js';

const VERIFICATION = '1.2.840.10008.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';

const rq: AAssociateRq = {
  kind: 'A-ASSOCIATE-RQ',
  protocolVersion: 1,
  calledAeTitle: 'STORESCP',
  callingAeTitle: 'NETDICOM',
  applicationContextName: '1.2.840.10008.3.1.1.1',
  presentationContexts: [
    { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
    { id: 3, abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE] },
  ],
  userInformation: {
    // Given out of item-type order on purpose: the encoder sorts sub-items by type.
    userIdentity: {
      userIdentityType: 2,
      positiveResponseRequested: true,
      primaryField: text('user'),
      secondaryField: text('pass'),
    },
    implementationVersionName: 'NETDICOM_0',
    maximumLength: 65536,
    implementationClassUid: '2.25.1',
    asynchronousOperationsWindow: { maxOperationsInvoked: 4, maxOperationsPerformed: 1 },
    roleSelections: [{ sopClassUid: CT, scuRole: 0, scpRole: 1 }],
    sopClassExtendedNegotiations: [{ sopClassUid: CT, serviceClassApplicationInformation: Uint8Array.of(1) }],
    sopClassCommonExtendedNegotiations: [
      { sopClassUid: CT, serviceClassUid: '1.2.840.10008.4.2', relatedGeneralSopClassUids: ['1.2', '1.3'] },
    ],
  },
};

describe('canonical encoding, checked against independently built bytes', () => {
  it('A-ASSOCIATE-RQ: fixed fields, AE titles padded with spaces, items and sub-items in item-type order', () => {
    const expected = associateRq({
      calledAeTitle: 'STORESCP',
      callingAeTitle: 'NETDICOM',
      items: [
        applicationContext(),
        pcRq(1, [abstractSyntax(VERIFICATION), transferSyntax(IMPLICIT_LE)]),
        pcRq(3, [abstractSyntax(CT), transferSyntax(EXPLICIT_LE), transferSyntax(IMPLICIT_LE)]),
        userInformation([
          maximumLength(65536),
          implementationClassUid('2.25.1'),
          asynchronousOperationsWindow(4, 1),
          roleSelection(CT, 0, 1),
          implementationVersionName('NETDICOM_0'),
          extendedNegotiation(CT, [1]),
          commonExtendedNegotiation(CT, '1.2.840.10008.4.2', ['1.2', '1.3']),
          userIdentityRq(2, 1, text('user'), text('pass')),
        ]),
      ],
    });
    expect(encodePdu(rq)).toEqual(expected);
    expect(decodePdu(expected)).toEqual({ ...rq, userInformation: { ...rq.userInformation } });
  });

  it('A-ASSOCIATE-AC: rejected contexts with and without a transfer syntax, user identity response', () => {
    const ac: AAssociateAc = {
      kind: 'A-ASSOCIATE-AC',
      protocolVersion: 1,
      calledAeTitle: 'STORESCP',
      callingAeTitle: '',
      applicationContextName: '1.2.840.10008.3.1.1.1',
      presentationContexts: [
        { id: 1, result: 0, transferSyntax: IMPLICIT_LE },
        { id: 3, result: 3 },
        { id: 5, result: 4, transferSyntax: '' },
      ],
      userInformation: { maximumLength: 0, userIdentityResponse: { serverResponse: text('ok') } },
    };
    const expected = associateAc({
      calledAeTitle: 'STORESCP',
      callingAeTitle: aeField(''),
      items: [
        applicationContext(),
        pcAc(1, 0, [transferSyntax(IMPLICIT_LE)]),
        pcAc(3, 3, []),
        pcAc(5, 4, [transferSyntax('')]),
        userInformation([maximumLength(0), userIdentityAc(text('ok'))]),
      ],
    });
    expect(encodePdu(ac)).toEqual(expected);
    expect(decodePdu(expected)).toEqual(ac);
  });

  it('unknown items are placed by item type among the known ones, keeping their given order', () => {
    const withUnknown = (unknownItems: AAssociateRq['unknownItems'] & object) =>
      encodePdu({
        ...rq,
        presentationContexts: [],
        userInformation: { maximumLength: 0, unknownSubItems: [{ itemType: 0x5a, data: Uint8Array.of(1) }] },
        unknownItems,
      });
    const low = { itemType: 0x01, data: Uint8Array.of(3) };
    const high = { itemType: 0x60, data: Uint8Array.of(2) };
    const fields = { calledAeTitle: 'STORESCP', callingAeTitle: 'NETDICOM' };
    const ui = userInformation([maximumLength(0), item(0x5a, [1])]);
    expect(withUnknown([low, high])).toEqual(
      associateRq({ ...fields, items: [item(0x01, [3]), applicationContext(), ui, item(0x60, [2])] }),
    );
    // Given out of order, they are not reordered among themselves (a decoder gives them back as given).
    expect(withUnknown([high, low])).toEqual(
      associateRq({ ...fields, items: [applicationContext(), ui, item(0x60, [2]), item(0x01, [3])] }),
    );
    expect((decodePdu(withUnknown([high, low])) as AAssociateRq).unknownItems).toEqual([high, low]);
  });

  it('A-ASSOCIATE-RJ, A-RELEASE-RQ/RP and A-ABORT', () => {
    expect(encodePdu({ kind: 'A-ASSOCIATE-RJ', result: 2, source: 3, reason: 1 })).toEqual(associateRj(2, 3, 1));
    expect(encodePdu({ kind: 'A-RELEASE-RQ' })).toEqual(releaseRq());
    expect(encodePdu({ kind: 'A-RELEASE-RP' })).toEqual(releaseRp());
    expect(encodePdu({ kind: 'A-ABORT', source: 2, reason: 6 })).toEqual(abort(2, 6));
    expect([...encodePdu({ kind: 'A-ABORT', source: 0, reason: 0 })]).toEqual([7, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
  });

  it('P-DATA-TF with several PDVs and message control header bits', () => {
    const p: PDataTf = {
      kind: 'P-DATA-TF',
      pdvs: [
        { presentationContextId: 1, isCommand: true, isLast: true, data: Uint8Array.of(1, 2) },
        { presentationContextId: 3, isCommand: false, isLast: false, data: new Uint8Array(0) },
        { presentationContextId: 5, isCommand: false, isLast: true, data: Uint8Array.of(9) },
      ],
    };
    const expected = pDataTf([pdv(1, 3, [1, 2]), pdv(3, 0, []), pdv(5, 2, [9])]);
    expect(encodePdu(p)).toEqual(expected);
    expect(decodePdu(expected)).toEqual(p);
  });
});

describe('encodePduParts', () => {
  const data1 = new Uint8Array(1000).fill(1);
  const data2 = new Uint8Array(50).fill(2);
  const p: PDataTf = {
    kind: 'P-DATA-TF',
    pdvs: [
      { presentationContextId: 1, isCommand: false, isLast: false, data: data1 },
      { presentationContextId: 1, isCommand: false, isLast: false, data: new Uint8Array(0) },
      { presentationContextId: 3, isCommand: false, isLast: true, data: data2 },
    ],
  };

  it('returns headers and the PDV fragments themselves, not copies', () => {
    const parts = encodePduParts(p);
    expect(parts).toHaveLength(4);
    expect(parts[1]).toBe(data1);
    expect(parts[3]).toBe(data2);
    expect(parts[0]?.length).toBe(pduHeaderLength + pdvOverhead);
    // The empty PDV's header joins the next PDV header in one part.
    expect(parts[2]?.length).toBe(2 * pdvOverhead);
    expect(Buffer.concat(parts)).toEqual(Buffer.from(encodePdu(p)));
  });

  it('ends with a header part when the last PDV is empty', () => {
    const q: PDataTf = {
      kind: 'P-DATA-TF',
      pdvs: [{ presentationContextId: 7, isCommand: true, isLast: true, data: new Uint8Array(0) }],
    };
    const parts = encodePduParts(q);
    expect(parts).toHaveLength(1);
    expect(parts[0]).toEqual(pDataTf([pdv(7, 3, [])]));
  });

  it('returns one buffer for other PDUs', () => {
    expect(encodePduParts({ kind: 'A-RELEASE-RQ' })).toEqual([releaseRq()]);
    expect(encodePduParts(rq)).toEqual([encodePdu(rq)]);
  });
});

describe('P-DATA-TF sizing (PS3.8 D.1: Maximum Length Received bounds the variable field)', () => {
  it('pDataTfLength counts 6 bytes per PDV plus the fragments, not the PDU header', () => {
    expect(pDataTfLength([])).toBe(0);
    expect(pDataTfLength([100])).toBe(106);
    expect(pDataTfLength([100, 0, 20])).toBe(138);
    const p = encodePdu({
      kind: 'P-DATA-TF',
      pdvs: [
        { presentationContextId: 1, isCommand: true, isLast: true, data: new Uint8Array(100) },
        { presentationContextId: 1, isCommand: false, isLast: true, data: new Uint8Array(20) },
      ],
    });
    expect(p.length).toBe(pduHeaderLength + pDataTfLength([100, 20]));
  });

  it('maxPdvDataLength is the limit minus the PDV overhead; 0 means no limit', () => {
    expect(maxPdvDataLength(16384)).toBe(16378);
    expect(maxPdvDataLength(7)).toBe(1);
    expect(maxPdvDataLength(0)).toBe(0xffffffff - 6);
    for (const bad of [6, -1, 1.5, 2 ** 32, Number.NaN]) {
      expect(thrown(() => maxPdvDataLength(bad))).toBeInstanceOf(InvalidPduFieldError);
    }
  });
});

describe('the encoder refuses what the decoder would refuse (InvalidPduFieldError)', () => {
  const cases: [string, Pdu][] = [
    [
      'an even presentation context ID',
      { ...rq, presentationContexts: [{ id: 2, abstractSyntax: CT, transferSyntaxes: [] }] },
    ],
    [
      'presentation context ID 257',
      { ...rq, presentationContexts: [{ id: 257, abstractSyntax: CT, transferSyntaxes: [] }] },
    ],
    ['an AE title of 17 characters', { ...rq, calledAeTitle: 'A'.repeat(17) }],
    ['an empty AE title in a request', { ...rq, callingAeTitle: '' }],
    ['an AE title of spaces', { ...rq, callingAeTitle: '    ' }],
    ['an AE title with a backslash', { ...rq, callingAeTitle: 'A\\B' }],
    [
      'a reserved AE title field of 17 characters',
      {
        ...decodePdu(associateAc({ items: [applicationContext(), userInformation([])] })),
        calledAeTitle: 'B'.repeat(17),
      } as Pdu,
    ],
    ['a UID with letters', { ...rq, applicationContextName: '1.2.x' }],
    [
      'a UID of 65 characters',
      { ...rq, presentationContexts: [{ id: 1, abstractSyntax: '1'.repeat(65), transferSyntaxes: [] }] },
    ],
    [
      'an empty transfer syntax UID',
      { ...rq, presentationContexts: [{ id: 1, abstractSyntax: CT, transferSyntaxes: [''] }] },
    ],
    ['a maximum length above 32 bits', { ...rq, userInformation: { maximumLength: 2 ** 32 } }],
    [
      'a negative asynchronous window',
      {
        ...rq,
        userInformation: { asynchronousOperationsWindow: { maxOperationsInvoked: -1, maxOperationsPerformed: 0 } },
      },
    ],
    ['a role of 256', { ...rq, userInformation: { roleSelections: [{ sopClassUid: CT, scuRole: 256, scpRole: 0 }] } }],
    [
      'a user identity response in a request',
      { ...rq, userInformation: { userIdentityResponse: { serverResponse: new Uint8Array(0) } } },
    ],
    ['a version name with a character above FFH', { ...rq, userInformation: { implementationVersionName: 'Ω' } }],
    [
      'a user information item above 65535 bytes',
      {
        ...rq,
        userInformation: {
          sopClassExtendedNegotiations: [
            { sopClassUid: CT, serviceClassApplicationInformation: new Uint8Array(65530) },
          ],
        },
      },
    ],
    [
      'a user identity field above 65535 bytes',
      {
        ...rq,
        userInformation: {
          userIdentity: {
            userIdentityType: 4,
            positiveResponseRequested: false,
            primaryField: new Uint8Array(65536),
            secondaryField: new Uint8Array(0),
          },
        },
      },
    ],
    ['an unknown item with a known item type', { ...rq, unknownItems: [{ itemType: 0x50, data: new Uint8Array(0) }] }],
    ['an unknown item type of 256', { ...rq, unknownItems: [{ itemType: 256, data: new Uint8Array(0) }] }],
    ['an A-ASSOCIATE-RJ result of 256', { kind: 'A-ASSOCIATE-RJ', result: 256, source: 1, reason: 1 }],
    ['an A-ABORT reason of -1', { kind: 'A-ABORT', source: 0, reason: -1 }],
    ['a P-DATA-TF without PDVs', { kind: 'P-DATA-TF', pdvs: [] }],
    [
      'a PDV with an even context ID',
      {
        kind: 'P-DATA-TF',
        pdvs: [{ presentationContextId: 4, isCommand: true, isLast: true, data: new Uint8Array(0) }],
      },
    ],
    [
      'a PDV whose data is not bytes',
      {
        kind: 'P-DATA-TF',
        pdvs: [{ presentationContextId: 1, isCommand: true, isLast: true, data: [1, 2] as unknown as Uint8Array }],
      },
    ],
    ['an unknown kind', { kind: 'A-SOMETHING' } as unknown as Pdu],
  ];

  it.each(cases)('refuses %s', (_, pdu) => {
    const error = thrown(() => encodePdu(pdu));
    expect(error).toBeInstanceOf(InvalidPduFieldError);
    expect(error.code).toBe('ERR_NETDICOM_PDU_INVALID_FIELD');
    expect(thrown(() => encodePduParts(pdu))).toBeInstanceOf(InvalidPduFieldError);
  });

  it('refuses request-only sub-items in an accept', () => {
    const ac = decodePdu(associateAc({ items: [applicationContext(), userInformation([])] })) as AAssociateAc;
    const identity = {
      userIdentityType: 1,
      positiveResponseRequested: false,
      primaryField: new Uint8Array(1),
      secondaryField: new Uint8Array(0),
    };
    expect(thrown(() => encodePdu({ ...ac, userInformation: { userIdentity: identity } }))).toBeInstanceOf(
      InvalidPduFieldError,
    );
    const common = [{ sopClassUid: '1', serviceClassUid: '2', relatedGeneralSopClassUids: [] }];
    expect(
      thrown(() => encodePdu({ ...ac, userInformation: { sopClassCommonExtendedNegotiations: common } })),
    ).toBeInstanceOf(InvalidPduFieldError);
    expect(thrown(() => encodePdu({ ...ac, presentationContexts: [{ id: 1, result: 0 }] }))).toBeInstanceOf(
      InvalidPduFieldError,
    );
  });

  it('names the offending field in the message', () => {
    expect(thrown(() => encodePdu(cases[0]?.[1] as Pdu)).message).toMatch(/presentationContexts\[0\].*odd integer/);
  });
});

describe('preserved bytes are reused only while the typed fields agree', () => {
  const odd = associateRq({
    reserved: { header: 0x99, bytes9to10: 0x1234 },
    calledAeTitle: aeField('  PADDED'),
    items: [
      applicationContext(),
      userInformation([implementationVersionName('V'), maximumLength(0)]),
      pcRq(1, [abstractSyntax(`${VERIFICATION}\0`), transferSyntax(IMPLICIT_LE)], [0, 0, 0xff, 0]),
    ],
  });

  it('re-encodes an unchanged decoded PDU exactly, also after spreading it into a new object', () => {
    const decoded = decodePdu(odd) as AAssociateRq;
    expect(encodePdu(decoded)).toEqual(odd);
    expect(encodePdu({ ...decoded })).toEqual(odd);
    expect(encodePdu(JSON.parse(JSON.stringify(decoded)))).not.toEqual(odd); // a JSON copy loses the bytes: canonical
  });

  it('falls back to the canonical form of a changed field, keeping reserved bytes that cannot disagree', () => {
    const decoded = decodePdu(odd) as AAssociateRq;
    const changed = encodePdu({ ...decoded, calledAeTitle: 'OTHER' });
    // Items are back in item-type order, AE title canonical; PDU reserved bytes kept; the unchanged
    // presentation context and User Information item still carry their own received bytes (NUL padding,
    // reserved FFH, sub-item order).
    expect(changed).toEqual(
      associateRq({
        reserved: { header: 0x99, bytes9to10: 0x1234 },
        calledAeTitle: 'OTHER',
        items: [
          applicationContext(),
          pcRq(1, [abstractSyntax(`${VERIFICATION}\0`), transferSyntax(IMPLICIT_LE)], [0, 0, 0xff, 0]),
          userInformation([implementationVersionName('V'), maximumLength(0)]),
        ],
      }),
    );
    const pc = decoded.presentationContexts[0];
    if (pc === undefined) throw new Error('no context');
    const changedPc = encodePdu({ ...decoded, presentationContexts: [{ ...pc, abstractSyntax: CT }] });
    expect(decodePdu(changedPc)).toMatchObject({ presentationContexts: [{ abstractSyntax: CT }] });
    expect(changedPc).toContainEqual(0xff); // the context's reserved byte survives the change of its UID
    expect(Buffer.from(changedPc).includes(Buffer.from(`${CT}\0`))).toBe(false);
  });

  it('ignores a preserved record taken from another PDU or made by hand', () => {
    const decoded = decodePdu(odd) as AAssociateRq;
    const other: AAssociateRq = { ...rq, preserved: decoded.preserved ?? {} };
    expect(encodePdu(other)).toEqual(encodePdu({ ...rq, preserved: { reserved: decoded.preserved?.['reserved'] } }));
    const junk = { reserved: 'x', canonical: 5, raw: null, extra: new Uint8Array(3) };
    expect(encodePdu({ ...rq, preserved: junk })).toEqual(encodePdu(rq));
    expect(encodePdu({ kind: 'A-RELEASE-RQ', preserved: { reserved: new Uint8Array(3).fill(1) } })).toEqual(
      releaseRq(),
    );
  });

  it('a P-DATA-TF keeps its reserved bits even when PDV values change', () => {
    const bytes = pDataTf([pdv(1, 0xfe, [1])], 0x10);
    const decoded = decodePdu(bytes) as PDataTf;
    const pdvIn = decoded.pdvs[0];
    if (pdvIn === undefined) throw new Error('no pdv');
    const changed = encodePdu({ ...decoded, pdvs: [{ ...pdvIn, isCommand: true, data: Uint8Array.of(5, 6) }] });
    expect(changed).toEqual(pDataTf([pdv(1, 0xff, [5, 6])], 0x10));
  });

  it('returns a fresh buffer: modifying the output does not change later encodings', () => {
    const decoded = decodePdu(odd);
    const first = encodePdu(decoded);
    first.fill(0);
    expect(encodePdu(decoded)).toEqual(odd);
  });

  it('encodes builder-made PDUs without any preserved record', () => {
    expect(decodePdu(encodePdu(rq))).not.toHaveProperty('preserved');
    expect(cat(encodePdu(rq)).length).toBeGreaterThan(74);
  });
});
