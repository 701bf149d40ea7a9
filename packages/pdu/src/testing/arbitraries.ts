/**
 * fast-check arbitraries of every PDU kind, in the form the decoder produces (AE titles without padding, UIDs
 * without padding, optional fields absent rather than undefined, lists absent rather than empty), so that
 * `decodePdu(encodePdu(x))` must equal `x`.
 */
import fc from 'fast-check';
import { isKnownItemType } from '../encode.js';
import type {
  AAbort,
  AAssociateAc,
  AAssociateRj,
  AAssociateRq,
  AReleaseRp,
  AReleaseRq,
  PDataTf,
  Pdu,
  PresentationContextAc,
  PresentationContextResultCode,
  PresentationContextRq,
  UnknownItem,
  UserInformation,
} from '../types.js';

const byte = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const oddId = fc.integer({ min: 0, max: 127 }).map((i) => 2 * i + 1);
const bytes = (maxLength: number) => fc.uint8Array({ maxLength });

const realUids = [
  '1.2.840.10008.1.1',
  '1.2.840.10008.1.2',
  '1.2.840.10008.1.2.1',
  '1.2.840.10008.1.2.4.50',
  '1.2.840.10008.5.1.4.1.1.2',
  '1.2.840.10008.3.1.1.1',
  '1.2.276.0.7230010.3.0.3.6.7',
  '2.25.302741290587436125698742015487123560',
];

/** UIDs the codec accepts: real ones, and any 1..64 digits and dots. */
export const uid: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...realUids),
  fc.array(fc.constantFrom(...'0123456789.'), { minLength: 1, maxLength: 64 }).map((a) => a.join('')),
);

const latin1Char = byte.map((b) => String.fromCharCode(b));
const latin1 = (maxLength: number) => fc.array(latin1Char, { maxLength }).map((a) => a.join(''));
const aeChar = fc
  .integer({ min: 0x20, max: 0x7e })
  .filter((c) => c !== 0x5c)
  .map((c) => String.fromCharCode(c));

/** AE titles as decoded from an A-ASSOCIATE-RQ: valid, without leading or trailing spaces. */
export const aeTitle: fc.Arbitrary<string> = fc
  .array(aeChar, { minLength: 1, maxLength: 16 })
  .map((a) => a.join('').replace(/^ +| +$/g, ''))
  .filter((s) => s.length > 0);

/** The reserved AE title fields of an A-ASSOCIATE-AC as decoded: any bytes, without the padding decode removes. */
export const acAeTitle: fc.Arbitrary<string> = fc.oneof(
  aeTitle,
  latin1(16).map((s) => s.replace(/^ +/, '').replace(/[ \0]+$/, '')),
);

export const unknownItem: fc.Arbitrary<UnknownItem> = fc.record({
  itemType: byte.filter((t) => !isKnownItemType(t)),
  data: bytes(24),
});

const someUnknown = fc.array(unknownItem, { minLength: 1, maxLength: 2 });

export const presentationContextRq: fc.Arbitrary<PresentationContextRq> = fc.record(
  {
    id: oddId,
    abstractSyntax: uid,
    transferSyntaxes: fc.array(uid, { maxLength: 4 }),
    unknownSubItems: someUnknown,
  },
  { requiredKeys: ['id', 'abstractSyntax', 'transferSyntaxes'] },
);

export const presentationContextAc: fc.Arbitrary<PresentationContextAc> = fc.oneof(
  fc.record(
    { id: oddId, result: fc.constant(0 as const), transferSyntax: uid, unknownSubItems: someUnknown },
    { requiredKeys: ['id', 'result', 'transferSyntax'] },
  ),
  fc.record(
    {
      id: oddId,
      result: fc.constantFrom<PresentationContextResultCode>(1, 2, 3, 4),
      transferSyntax: fc.oneof(
        uid,
        latin1(20).map((s) => s.replace(/[ \0]+$/, '')),
      ),
      unknownSubItems: someUnknown,
    },
    { requiredKeys: ['id', 'result'] },
  ),
);

function userInformation(isRq: boolean): fc.Arbitrary<UserInformation> {
  const common = {
    maximumLength: u32,
    implementationClassUid: uid,
    implementationVersionName: latin1(16),
    asynchronousOperationsWindow: fc.record({ maxOperationsInvoked: u16, maxOperationsPerformed: u16 }),
    roleSelections: fc.array(fc.record({ sopClassUid: uid, scuRole: byte, scpRole: byte }), {
      minLength: 1,
      maxLength: 3,
    }),
    sopClassExtendedNegotiations: fc.array(
      fc.record({ sopClassUid: uid, serviceClassApplicationInformation: bytes(16) }),
      { minLength: 1, maxLength: 3 },
    ),
    unknownSubItems: someUnknown,
  };
  if (isRq) {
    return fc.record(
      {
        ...common,
        sopClassCommonExtendedNegotiations: fc.array(
          fc.record({
            sopClassUid: uid,
            serviceClassUid: uid,
            relatedGeneralSopClassUids: fc.array(uid, { maxLength: 3 }),
          }),
          { minLength: 1, maxLength: 2 },
        ),
        userIdentity: fc.record({
          userIdentityType: byte,
          positiveResponseRequested: fc.boolean(),
          primaryField: bytes(40),
          secondaryField: bytes(40),
        }),
      },
      { requiredKeys: [] },
    );
  }
  return fc.record({ ...common, userIdentityResponse: fc.record({ serverResponse: bytes(40) }) }, { requiredKeys: [] });
}

export const associateRq: fc.Arbitrary<AAssociateRq> = fc.record(
  {
    kind: fc.constant('A-ASSOCIATE-RQ' as const),
    protocolVersion: u16,
    calledAeTitle: aeTitle,
    callingAeTitle: aeTitle,
    applicationContextName: uid,
    presentationContexts: fc.array(presentationContextRq, { maxLength: 5 }),
    userInformation: userInformation(true),
    unknownItems: someUnknown,
  },
  {
    requiredKeys: [
      'kind',
      'protocolVersion',
      'calledAeTitle',
      'callingAeTitle',
      'applicationContextName',
      'presentationContexts',
      'userInformation',
    ],
  },
);

export const associateAc: fc.Arbitrary<AAssociateAc> = fc.record(
  {
    kind: fc.constant('A-ASSOCIATE-AC' as const),
    protocolVersion: u16,
    calledAeTitle: acAeTitle,
    callingAeTitle: acAeTitle,
    applicationContextName: uid,
    presentationContexts: fc.array(presentationContextAc, { maxLength: 5 }),
    userInformation: userInformation(false),
    unknownItems: someUnknown,
  },
  {
    requiredKeys: [
      'kind',
      'protocolVersion',
      'calledAeTitle',
      'callingAeTitle',
      'applicationContextName',
      'presentationContexts',
      'userInformation',
    ],
  },
);

export const associateRj: fc.Arbitrary<AAssociateRj> = fc.record({
  kind: fc.constant('A-ASSOCIATE-RJ' as const),
  result: byte,
  source: byte,
  reason: byte,
});

export const pDataTf: fc.Arbitrary<PDataTf> = fc.record({
  kind: fc.constant('P-DATA-TF' as const),
  pdvs: fc.array(
    fc.record({ presentationContextId: oddId, isCommand: fc.boolean(), isLast: fc.boolean(), data: bytes(64) }),
    { minLength: 1, maxLength: 4 },
  ),
});

export const releaseRq: fc.Arbitrary<AReleaseRq> = fc.constant({ kind: 'A-RELEASE-RQ' as const });
export const releaseRp: fc.Arbitrary<AReleaseRp> = fc.constant({ kind: 'A-RELEASE-RP' as const });
export const abort: fc.Arbitrary<AAbort> = fc.record({
  kind: fc.constant('A-ABORT' as const),
  source: byte,
  reason: byte,
});

/** Any PDU, every kind equally likely. */
export const pdu: fc.Arbitrary<Pdu> = fc.oneof(
  associateRq,
  associateAc,
  associateRj,
  pDataTf,
  releaseRq,
  releaseRp,
  abort,
);

/** A deep copy of a decoded value without its `preserved` records, to compare typed fields only. */
export function withoutPreserved<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => withoutPreserved(v)) as T;
  if (value instanceof Uint8Array || typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (k !== 'preserved') out[k] = withoutPreserved(v);
  return out as T;
}
