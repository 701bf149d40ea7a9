/**
 * PDU and item types of the DICOM Upper Layer protocol, PS3.8 section 9.3 and Annex D.
 *
 * PDUs are plain readonly objects discriminated by `kind`, spelled as the standard spells them. Decoding is
 * lossless: whatever the typed fields cannot express (reserved fields, padding, unknown items, the original order of
 * items) is kept in the optional `preserved` record, which `encodePdu` reuses when it still agrees with the typed
 * fields. Builders of new PDUs never need to set `preserved`.
 */

/** PDU type codes, PS3.8 Table 9-11 and 9.3.1. */
export const PduType = {
  'A-ASSOCIATE-RQ': 0x01,
  'A-ASSOCIATE-AC': 0x02,
  'A-ASSOCIATE-RJ': 0x03,
  'P-DATA-TF': 0x04,
  'A-RELEASE-RQ': 0x05,
  'A-RELEASE-RP': 0x06,
  'A-ABORT': 0x07,
} as const;
/** The `kind` of a PDU: its name as PS3.8 9.3 spells it. */
export type PduKind = keyof typeof PduType;

/** Item and sub-item type codes, PS3.8 9.3.2, 9.3.3 and Annex D. */
export const ItemType = {
  ApplicationContext: 0x10,
  PresentationContextRq: 0x20,
  PresentationContextAc: 0x21,
  AbstractSyntax: 0x30,
  TransferSyntax: 0x40,
  UserInformation: 0x50,
  MaximumLength: 0x51,
  ImplementationClassUid: 0x52,
  AsynchronousOperationsWindow: 0x53,
  ScpScuRoleSelection: 0x54,
  ImplementationVersionName: 0x55,
  SopClassExtendedNegotiation: 0x56,
  SopClassCommonExtendedNegotiation: 0x57,
  UserIdentityRq: 0x58,
  UserIdentityAc: 0x59,
} as const;

/** The DICOM application context name, PS3.7 Annex A.2.1. */
export const DICOM_APPLICATION_CONTEXT_NAME = '1.2.840.10008.3.1.1.1';

/** Presentation context result/reason of an A-ASSOCIATE-AC, PS3.8 Table 9-18. */
export const PresentationContextResult = {
  Acceptance: 0,
  UserRejection: 1,
  NoReason: 2,
  AbstractSyntaxNotSupported: 3,
  TransferSyntaxesNotSupported: 4,
} as const;
/** A Result/Reason value of PS3.8 Table 9-18. */
export type PresentationContextResultCode = (typeof PresentationContextResult)[keyof typeof PresentationContextResult];

/** A-ASSOCIATE-RJ Result field, PS3.8 Table 9-21. */
export const RejectResult = { RejectedPermanent: 1, RejectedTransient: 2 } as const;
/** A-ASSOCIATE-RJ Source field, PS3.8 Table 9-21. */
export const RejectSource = {
  ServiceUser: 1,
  ServiceProviderAcse: 2,
  ServiceProviderPresentation: 3,
} as const;
/** A-ASSOCIATE-RJ Reason/Diag. field, PS3.8 Table 9-21: the meaning of a code depends on the source. */
export const RejectReason = {
  /** Source 1 (service-user). */
  NoReasonGiven: 1,
  ApplicationContextNameNotSupported: 2,
  CallingAeTitleNotRecognized: 3,
  CalledAeTitleNotRecognized: 7,
  /** Source 2 (service-provider, ACSE related). */
  AcseNoReasonGiven: 1,
  ProtocolVersionNotSupported: 2,
  /** Source 3 (service-provider, presentation related). */
  TemporaryCongestion: 1,
  LocalLimitExceeded: 2,
} as const;

/** A-ABORT Source field, PS3.8 Table 9-26. */
export const AbortSource = { ServiceUser: 0, ServiceProvider: 2 } as const;
/** A-ABORT Reason/Diag. field when the source is the service-provider, PS3.8 Table 9-26. */
export const AbortReason = {
  NotSpecified: 0,
  UnrecognizedPdu: 1,
  UnexpectedPdu: 2,
  UnrecognizedPduParameter: 4,
  UnexpectedPduParameter: 5,
  InvalidPduParameterValue: 6,
} as const;
/** An A-ABORT Reason/Diag. value of PS3.8 Table 9-26. */
export type AbortReasonCode = (typeof AbortReason)[keyof typeof AbortReason];

/**
 * Bytes that a typed field cannot express, kept by the decoder so that re-encoding is byte-exact. Opaque to users:
 * the encoder reuses a preserved piece only while it still matches the typed fields it was decoded with. Two kinds
 * of pieces: non-zero reserved fields (always written back, they cannot contradict a typed field), and, where the
 * received bytes of an A-ASSOCIATE-RQ/AC, a Presentation Context item or a User Information item differ from the
 * canonical encoding of the decoded fields (item order, padding, reserved bytes of sub-items...), those received
 * bytes together with the canonical encoding they stand for; they are written instead of the canonical encoding only
 * while the typed fields still encode to exactly that. Copy `preserved` along freely (`{ ...pdu, calledAeTitle }`):
 * a stale record is simply not used. Builders of new PDUs never set it.
 */
export interface Preserved {
  readonly [key: string]: unknown;
}

/**
 * An item or sub-item of a type this codec does not know, kept because PS3.8 9.3.1 says such items "shall be ignored
 * and skipped" (a known type in a place it does not belong is an error instead).
 */
export interface UnknownItem {
  readonly itemType: number;
  /** The item's value, without its 4-byte header. */
  readonly data: Uint8Array;
}

/** Presentation context item of an A-ASSOCIATE-RQ, PS3.8 9.3.2.2. */
export interface PresentationContextRq {
  /** Odd integer 1–255. */
  readonly id: number;
  readonly abstractSyntax: string;
  /** One or more per PS3.8; an empty list is tolerated on decode (the acceptor then rejects the context). */
  readonly transferSyntaxes: readonly string[];
  /** Sub-items of unknown type, in the order received (PS3.8 9.3.1: ignored and skipped, but kept). */
  readonly unknownSubItems?: readonly UnknownItem[];
  readonly preserved?: Preserved;
}

/** Presentation context item of an A-ASSOCIATE-AC, PS3.8 9.3.3.2. */
export interface PresentationContextAc {
  readonly id: number;
  readonly result: PresentationContextResultCode;
  /**
   * The accepted transfer syntax. Required when `result` is acceptance (0). For a rejected context the sub-item is
   * "not significant" and "not tested when received" (PS3.8 9.3.3.2): whatever was sent is given here unchecked
   * (DCMTK sends a transfer syntax, others an empty string), or `undefined` when the sub-item was absent.
   */
  readonly transferSyntax?: string;
  /** Sub-items of unknown type, in the order received. */
  readonly unknownSubItems?: readonly UnknownItem[];
  readonly preserved?: Preserved;
}

/** Asynchronous Operations Window sub-item, PS3.7 D.3.3.3. 0 means unlimited. */
export interface AsynchronousOperationsWindow {
  readonly maxOperationsInvoked: number;
  readonly maxOperationsPerformed: number;
}

/** SCP/SCU Role Selection sub-item, PS3.7 D.3.3.4. Each role is 0 (not supported/rejected) or 1. */
export interface ScpScuRoleSelection {
  readonly sopClassUid: string;
  readonly scuRole: number;
  readonly scpRole: number;
}

/** SOP Class Extended Negotiation sub-item, PS3.7 D.3.3.5. */
export interface SopClassExtendedNegotiation {
  readonly sopClassUid: string;
  readonly serviceClassApplicationInformation: Uint8Array;
}

/** SOP Class Common Extended Negotiation sub-item, PS3.7 D.3.3.6 (A-ASSOCIATE-RQ only). */
export interface SopClassCommonExtendedNegotiation {
  readonly sopClassUid: string;
  readonly serviceClassUid: string;
  readonly relatedGeneralSopClassUids: readonly string[];
}

/** User Identity Type, PS3.7 Table D.3-14. */
export const UserIdentityType = {
  Username: 1,
  UsernameAndPasscode: 2,
  Kerberos: 3,
  Saml: 4,
  Jwt: 5,
} as const;
/** A User-Identity-Type value of PS3.7 Table D.3-14. */
export type UserIdentityTypeCode = (typeof UserIdentityType)[keyof typeof UserIdentityType];

/** User Identity sub-item of an A-ASSOCIATE-RQ, PS3.7 D.3.3.7.1. */
export interface UserIdentityRq {
  readonly userIdentityType: number;
  readonly positiveResponseRequested: boolean;
  readonly primaryField: Uint8Array;
  /** Only meaningful for type 2 (passcode); empty otherwise. */
  readonly secondaryField: Uint8Array;
}

/** User Identity sub-item of an A-ASSOCIATE-AC, PS3.7 D.3.3.7.2. */
export interface UserIdentityAc {
  readonly serverResponse: Uint8Array;
}

/** User Information item, PS3.8 9.3.2.3 / 9.3.3.3 and PS3.7 Annex D.3.3. */
export interface UserInformation {
  /** Maximum Length Received, PS3.8 D.1. 0 means no limit. */
  readonly maximumLength?: number;
  readonly implementationClassUid?: string;
  readonly implementationVersionName?: string;
  readonly asynchronousOperationsWindow?: AsynchronousOperationsWindow;
  readonly roleSelections?: readonly ScpScuRoleSelection[];
  readonly sopClassExtendedNegotiations?: readonly SopClassExtendedNegotiation[];
  readonly sopClassCommonExtendedNegotiations?: readonly SopClassCommonExtendedNegotiation[];
  /** Only in an A-ASSOCIATE-RQ. */
  readonly userIdentity?: UserIdentityRq;
  /** Only in an A-ASSOCIATE-AC. */
  readonly userIdentityResponse?: UserIdentityAc;
  /** Sub-items of unknown type, in the order received. */
  readonly unknownSubItems?: readonly UnknownItem[];
  readonly preserved?: Preserved;
}

/** A-ASSOCIATE-RQ, PS3.8 9.3.2. AE titles are given without their space padding. */
export interface AAssociateRq {
  readonly kind: 'A-ASSOCIATE-RQ';
  /** Bit 0 set = version 1; PS3.8 9.3.2. */
  readonly protocolVersion: number;
  readonly calledAeTitle: string;
  readonly callingAeTitle: string;
  readonly applicationContextName: string;
  readonly presentationContexts: readonly PresentationContextRq[];
  readonly userInformation: UserInformation;
  /** Variable items of unknown type, in the order received. */
  readonly unknownItems?: readonly UnknownItem[];
  readonly preserved?: Preserved;
}

/**
 * A-ASSOCIATE-AC, PS3.8 9.3.3. The AE title fields are reserved here ("not tested when received"); DICOM
 * implementations echo the request's values, and the decoder keeps what was sent.
 */
export interface AAssociateAc {
  readonly kind: 'A-ASSOCIATE-AC';
  readonly protocolVersion: number;
  readonly calledAeTitle: string;
  readonly callingAeTitle: string;
  readonly applicationContextName: string;
  readonly presentationContexts: readonly PresentationContextAc[];
  readonly userInformation: UserInformation;
  readonly unknownItems?: readonly UnknownItem[];
  readonly preserved?: Preserved;
}

/** A-ASSOCIATE-RJ, PS3.8 9.3.4. */
export interface AAssociateRj {
  readonly kind: 'A-ASSOCIATE-RJ';
  readonly result: number;
  readonly source: number;
  readonly reason: number;
  readonly preserved?: Preserved;
}

/** One Presentation Data Value item of a P-DATA-TF, PS3.8 9.3.5.1 and Annex E. */
export interface Pdv {
  readonly presentationContextId: number;
  /** Message Control Header bit 0: the fragment belongs to a command (true) or a data set (false). */
  readonly isCommand: boolean;
  /** Message Control Header bit 1: the last fragment of the command or data set. */
  readonly isLast: boolean;
  /** The fragment. A view of the received bytes, not a copy, wherever the PDU arrived in one chunk. */
  readonly data: Uint8Array;
  readonly preserved?: Preserved;
}

/** P-DATA-TF, PS3.8 9.3.5. */
export interface PDataTf {
  readonly kind: 'P-DATA-TF';
  readonly pdvs: readonly Pdv[];
  readonly preserved?: Preserved;
}

/** A-RELEASE-RQ, PS3.8 9.3.6. */
export interface AReleaseRq {
  readonly kind: 'A-RELEASE-RQ';
  readonly preserved?: Preserved;
}

/** A-RELEASE-RP, PS3.8 9.3.7. */
export interface AReleaseRp {
  readonly kind: 'A-RELEASE-RP';
  readonly preserved?: Preserved;
}

/** A-ABORT, PS3.8 9.3.8. */
export interface AAbort {
  readonly kind: 'A-ABORT';
  readonly source: number;
  readonly reason: number;
  readonly preserved?: Preserved;
}

/** Any PDU of PS3.8 9.3. */
export type Pdu = AAssociateRq | AAssociateAc | AAssociateRj | PDataTf | AReleaseRq | AReleaseRp | AAbort;
