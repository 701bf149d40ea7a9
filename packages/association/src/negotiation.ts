/**
 * Association negotiation, PS3.8 section 7.1 and PS3.7 Annex D.3: building the A-ASSOCIATE-RQ from user options,
 * answering it with an A-ASSOCIATE-AC, and deriving what both sides agreed on. Pure functions, no I/O.
 */
import {
  type AAssociateAc,
  type AAssociateRq,
  type AsynchronousOperationsWindow,
  DICOM_APPLICATION_CONTEXT_NAME,
  type PresentationContextAc,
  PresentationContextResult,
  type PresentationContextResultCode,
  type ScpScuRoleSelection,
  type SopClassCommonExtendedNegotiation,
  type SopClassExtendedNegotiation,
  type UserIdentityRq,
  UserIdentityType,
  type UserInformation,
} from '@netdicom/pdu';
import { AssociationOptionsError } from './errors.js';

/**
 * netdicom's Implementation Class UID (PS3.7 D.3.3.2): a UUID-derived UID under the `2.25` arc (PS3.5 B.2), so it
 * belongs to no one else's root.
 */
export const IMPLEMENTATION_CLASS_UID = '2.25.145274191008026985164741622619328143749';

/** netdicom's Implementation Version Name (PS3.7 D.3.3.2), at most 16 characters. */
export const IMPLEMENTATION_VERSION_NAME = 'NETDICOM_0.1.0';

/**
 * Our default Maximum Length Received (PS3.8 D.1), chosen by measurement (`pnpm bench` in this package: throughput
 * over loopback between two netdicom associations for several sizes; see README).
 */
export const DEFAULT_MAX_PDU_LENGTH = 262_144;

/**
 * The largest P-DATA-TF we send, whatever the peer allows: a peer announcing 0 ("no limit", PS3.8 D.1) or more than
 * this gets PDUs of at most this size.
 */
export const MAX_PDU_LENGTH_TO_SEND_CAP = 1_048_576;

/**
 * Bytes an association lets its transport hold unsent before `sendPData` reports backpressure (returns false) and
 * `drain()` waits: four of the PDUs it sends, at least 1 MiB. Node's own high-water mark (16 KiB) is smaller than one
 * P-DATA-TF of our default size, which made every PDU wait for 'drain'. With a few PDUs queued, the kernel's socket
 * buffer keeps the link busy while the next ones are prepared, and what is held per association stays bounded (views
 * of the data being sent, not copies). Applies to any transport, including a socket or Duplex handed to us.
 */
export function transportHighWaterMark(maxPduLengthToSend: number): number {
  return Math.max(1_048_576, 4 * maxPduLengthToSend);
}

/** The smallest Maximum Length Received we accept from a peer: one PDV header (6 bytes) and one byte of data. */
export const MIN_PEER_MAX_PDU_LENGTH = 7;

/** The largest Maximum Length Received we announce: the PDU length field is 32 bits (PS3.8 9.3.5). */
export const MAX_MAX_PDU_LENGTH = 0xffff_ffff;

/** A presentation context to propose, PS3.8 7.1.1.13. Roles map to an SCP/SCU Role Selection sub-item, PS3.7 D.3.3.4. */
export interface PresentationContextProposal {
  /** Odd, 1–255; assigned in order (1, 3, 5, ...) when omitted. */
  readonly id?: number;
  readonly abstractSyntax: string;
  /** In the requestor's order of preference. */
  readonly transferSyntaxes: readonly string[];
  /** Propose a role selection for this abstract syntax: may the requestor act as SCU? */
  readonly scuRole?: boolean;
  /** Propose a role selection for this abstract syntax: may the requestor act as SCP? */
  readonly scpRole?: boolean;
}

/** Common fields of a user identity, PS3.7 D.3.3.7. */
interface UserIdentityBase {
  /** Ask the acceptor to answer with a User Identity sub-item (PS3.7 D.3.3.7.2). */
  readonly positiveResponseRequested?: boolean;
}

/** User identity negotiation, PS3.7 D.3.3.7 (all five types of Table D.3-14). Strings travel as UTF-8. */
export type UserIdentity =
  | (UserIdentityBase & { readonly type: 'username'; readonly username: string })
  | (UserIdentityBase & { readonly type: 'username-passcode'; readonly username: string; readonly passcode: string })
  | (UserIdentityBase & { readonly type: 'kerberos'; readonly ticket: Uint8Array })
  | (UserIdentityBase & { readonly type: 'saml'; readonly assertion: string })
  | (UserIdentityBase & { readonly type: 'jwt'; readonly token: string });

/** A user identity of a type this implementation does not know, as received (PS3.7 D.3.3.7.1). */
export interface UnknownUserIdentity {
  readonly type: 'unknown';
  readonly userIdentityType: number;
  readonly positiveResponseRequested: boolean;
  readonly primaryField: Uint8Array;
  readonly secondaryField: Uint8Array;
}

/** What the requestor proposes, PS3.8 7.1.1 and PS3.7 D.3.3. */
export interface AssociationProposal {
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly presentationContexts: readonly PresentationContextProposal[];
  /** Our Maximum Length Received, PS3.8 D.1 (0 = unlimited, not recommended). */
  readonly maxPduLength?: number;
  /** PS3.7 D.3.3.3; omitted means the default window of 1/1. 0 means unlimited. */
  readonly asynchronousOperationsWindow?: AsynchronousOperationsWindow;
  readonly sopClassExtendedNegotiations?: readonly SopClassExtendedNegotiation[];
  readonly sopClassCommonExtendedNegotiations?: readonly SopClassCommonExtendedNegotiation[];
  readonly userIdentity?: UserIdentity;
  readonly implementationClassUid?: string;
  readonly implementationVersionName?: string;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: false });

/** An AE title per PS3.5 Table 6.2-1 (AE): 1–16 characters of ISO 646 G0 without backslash or control, not blank. */
export function isValidAeTitleValue(value: string): boolean {
  return value.length >= 1 && value.length <= 16 && /^[\x20-\x5b\x5d-\x7e]*$/.test(value) && value.trim().length > 0;
}

/** A UID per PS3.5 9.1: components of digits without leading zeros, dot separated, at most 64 characters. */
export function isValidUidValue(value: string): boolean {
  return value.length >= 1 && value.length <= 64 && /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(value);
}

function checkUid(value: string, what: string): void {
  if (!isValidUidValue(value)) throw new AssociationOptionsError(`Invalid ${what} UID: ${JSON.stringify(value)}`);
}

function checkMaxPduLength(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_MAX_PDU_LENGTH || (value > 0 && value < 1024)) {
    throw new AssociationOptionsError(`${what} must be 0 (unlimited) or an integer from 1024 to 2^32-1, got ${value}`);
  }
}

/** Checks our own Maximum Length Received option and returns the value to announce. */
export function resolveMaxPduLength(value: number | undefined): number {
  const result = value ?? DEFAULT_MAX_PDU_LENGTH;
  checkMaxPduLength(result, 'maxPduLength');
  return result;
}

/** Encodes a user identity into the A-ASSOCIATE-RQ sub-item, PS3.7 D.3.3.7.1. */
export function encodeUserIdentity(identity: UserIdentity): UserIdentityRq {
  const positiveResponseRequested = identity.positiveResponseRequested ?? false;
  const empty = new Uint8Array(0);
  switch (identity.type) {
    case 'username':
      return {
        userIdentityType: UserIdentityType.Username,
        positiveResponseRequested,
        primaryField: textEncoder.encode(identity.username),
        secondaryField: empty,
      };
    case 'username-passcode':
      return {
        userIdentityType: UserIdentityType.UsernameAndPasscode,
        positiveResponseRequested,
        primaryField: textEncoder.encode(identity.username),
        secondaryField: textEncoder.encode(identity.passcode),
      };
    case 'kerberos':
      return {
        userIdentityType: UserIdentityType.Kerberos,
        positiveResponseRequested,
        primaryField: identity.ticket,
        secondaryField: empty,
      };
    case 'saml':
      return {
        userIdentityType: UserIdentityType.Saml,
        positiveResponseRequested,
        primaryField: textEncoder.encode(identity.assertion),
        secondaryField: empty,
      };
    case 'jwt':
      return {
        userIdentityType: UserIdentityType.Jwt,
        positiveResponseRequested,
        primaryField: textEncoder.encode(identity.token),
        secondaryField: empty,
      };
  }
}

/** Decodes the User Identity sub-item of a received A-ASSOCIATE-RQ, PS3.7 D.3.3.7.1. */
export function decodeUserIdentity(item: UserIdentityRq): UserIdentity | UnknownUserIdentity {
  const base = { positiveResponseRequested: item.positiveResponseRequested };
  switch (item.userIdentityType) {
    case UserIdentityType.Username:
      return { ...base, type: 'username', username: textDecoder.decode(item.primaryField) };
    case UserIdentityType.UsernameAndPasscode:
      return {
        ...base,
        type: 'username-passcode',
        username: textDecoder.decode(item.primaryField),
        passcode: textDecoder.decode(item.secondaryField),
      };
    case UserIdentityType.Kerberos:
      return { ...base, type: 'kerberos', ticket: item.primaryField };
    case UserIdentityType.Saml:
      return { ...base, type: 'saml', assertion: textDecoder.decode(item.primaryField) };
    case UserIdentityType.Jwt:
      return { ...base, type: 'jwt', token: textDecoder.decode(item.primaryField) };
    default:
      return {
        type: 'unknown',
        userIdentityType: item.userIdentityType,
        positiveResponseRequested: item.positiveResponseRequested,
        primaryField: item.primaryField,
        secondaryField: item.secondaryField,
      };
  }
}

function checkWindow(window: AsynchronousOperationsWindow): void {
  for (const value of [window.maxOperationsInvoked, window.maxOperationsPerformed]) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
      throw new AssociationOptionsError(`Asynchronous operations window values must be 0–65535, got ${value}`);
    }
  }
}

/**
 * Builds and validates the A-ASSOCIATE-RQ for a proposal, PS3.8 9.3.2 and PS3.7 D.3.3. Throws
 * {@link AssociationOptionsError} for invalid AE titles, UIDs, context ids, or conflicting role proposals.
 */
export function buildAssociateRq(proposal: AssociationProposal): AAssociateRq {
  for (const [name, value] of [
    ['callingAeTitle', proposal.callingAeTitle],
    ['calledAeTitle', proposal.calledAeTitle],
  ] as const) {
    if (typeof value !== 'string' || !isValidAeTitleValue(value)) {
      throw new AssociationOptionsError(
        `${name} must be 1–16 printable ASCII characters, not blank and without backslash, got ${JSON.stringify(value)}`,
      );
    }
  }
  const contexts = proposal.presentationContexts;
  if (contexts.length === 0 || contexts.length > 128) {
    throw new AssociationOptionsError(`Propose between 1 and 128 presentation contexts, got ${contexts.length}`);
  }
  const usedIds = new Set<number>();
  let nextId = 1;
  const roles = new Map<string, ScpScuRoleSelection>();
  const presentationContexts = contexts.map((context) => {
    let id = context.id;
    if (id === undefined) {
      while (usedIds.has(nextId)) nextId += 2;
      id = nextId;
    }
    if (!Number.isInteger(id) || id < 1 || id > 255 || id % 2 === 0 || usedIds.has(id)) {
      throw new AssociationOptionsError(`Presentation context ids must be unique odd integers 1–255, got ${id}`);
    }
    usedIds.add(id);
    checkUid(context.abstractSyntax, 'abstract syntax');
    if (context.transferSyntaxes.length === 0) {
      throw new AssociationOptionsError(`Presentation context ${id} proposes no transfer syntax`);
    }
    for (const ts of context.transferSyntaxes) checkUid(ts, 'transfer syntax');
    if (context.scuRole !== undefined || context.scpRole !== undefined) {
      const selection: ScpScuRoleSelection = {
        sopClassUid: context.abstractSyntax,
        scuRole: (context.scuRole ?? true) ? 1 : 0,
        scpRole: (context.scpRole ?? false) ? 1 : 0,
      };
      const previous = roles.get(context.abstractSyntax);
      if (previous && (previous.scuRole !== selection.scuRole || previous.scpRole !== selection.scpRole)) {
        throw new AssociationOptionsError(`Conflicting role selections proposed for ${context.abstractSyntax}`);
      }
      roles.set(context.abstractSyntax, selection);
    }
    return { id, abstractSyntax: context.abstractSyntax, transferSyntaxes: [...context.transferSyntaxes] };
  });

  const maximumLength = resolveMaxPduLength(proposal.maxPduLength);
  const implementationClassUid = proposal.implementationClassUid ?? IMPLEMENTATION_CLASS_UID;
  checkUid(implementationClassUid, 'implementation class');
  const implementationVersionName = proposal.implementationVersionName ?? IMPLEMENTATION_VERSION_NAME;
  if (!/^[\x20-\x7e]{1,16}$/.test(implementationVersionName)) {
    throw new AssociationOptionsError('implementationVersionName must be 1–16 printable ASCII characters');
  }
  if (proposal.asynchronousOperationsWindow) checkWindow(proposal.asynchronousOperationsWindow);
  for (const ext of proposal.sopClassExtendedNegotiations ?? []) checkUid(ext.sopClassUid, 'SOP class');
  for (const ext of proposal.sopClassCommonExtendedNegotiations ?? []) {
    checkUid(ext.sopClassUid, 'SOP class');
    checkUid(ext.serviceClassUid, 'service class');
    for (const uid of ext.relatedGeneralSopClassUids) checkUid(uid, 'related general SOP class');
  }

  const userInformation: UserInformation = {
    maximumLength,
    implementationClassUid,
    ...(proposal.asynchronousOperationsWindow
      ? { asynchronousOperationsWindow: proposal.asynchronousOperationsWindow }
      : {}),
    ...(roles.size > 0 ? { roleSelections: [...roles.values()] } : {}),
    implementationVersionName,
    ...(proposal.sopClassExtendedNegotiations?.length
      ? { sopClassExtendedNegotiations: proposal.sopClassExtendedNegotiations }
      : {}),
    ...(proposal.sopClassCommonExtendedNegotiations?.length
      ? { sopClassCommonExtendedNegotiations: proposal.sopClassCommonExtendedNegotiations }
      : {}),
    ...(proposal.userIdentity ? { userIdentity: encodeUserIdentity(proposal.userIdentity) } : {}),
  };
  return {
    kind: 'A-ASSOCIATE-RQ',
    protocolVersion: 1,
    calledAeTitle: proposal.calledAeTitle,
    callingAeTitle: proposal.callingAeTitle,
    applicationContextName: DICOM_APPLICATION_CONTEXT_NAME,
    presentationContexts,
    userInformation,
  };
}

/** The acceptor's answer for one presentation context, PS3.8 9.3.3.2 and Table 9-18. */
export interface PresentationContextDecision {
  readonly id: number;
  readonly result: PresentationContextResultCode;
  /** Required when accepted: one of the proposed transfer syntaxes. */
  readonly transferSyntax?: string;
}

/** Accept the association, PS3.8 7.1.1.7 (result: accepted), with per-context results. */
export interface AcceptAssociation {
  readonly accept: true;
  /** One answer per proposed context; a proposed context left out is answered "no-reason" (2). */
  readonly presentationContexts: readonly PresentationContextDecision[];
  /** Answers to proposed role selections (PS3.7 D.3.3.4); unanswered proposals fall back to the default roles. */
  readonly roleSelections?: readonly ScpScuRoleSelection[];
  /** Answer to a proposed asynchronous operations window (PS3.7 D.3.3.3). */
  readonly asynchronousOperationsWindow?: AsynchronousOperationsWindow;
  /** Answers to proposed SOP class extended negotiations (PS3.7 D.3.3.5). */
  readonly sopClassExtendedNegotiations?: readonly SopClassExtendedNegotiation[];
  /**
   * Positive user identity response (PS3.7 D.3.3.7.2), sent only when the requestor asked for one. Empty for
   * username types; the Kerberos server ticket, SAML response or JWT otherwise.
   */
  readonly userIdentityServerResponse?: Uint8Array;
}

/** Reject the association with an A-ASSOCIATE-RJ, PS3.8 9.3.4 and Table 9-21. */
export interface RejectAssociation {
  readonly accept: false;
  /** 1 rejected-permanent, 2 rejected-transient. */
  readonly result: 1 | 2;
  /** 1 service-user, 2 service-provider (ACSE), 3 service-provider (presentation). */
  readonly source: 1 | 2 | 3;
  readonly reason: number;
}

/** What the acceptor's `onAssociationRequest` decides, PS3.8 7.1.2.3. */
export type AssociationDecision = AcceptAssociation | RejectAssociation;

/** Our side's fixed parameters for an A-ASSOCIATE-AC. */
export interface AcceptorParameters {
  readonly maxPduLength: number;
  readonly implementationClassUid?: string;
  readonly implementationVersionName?: string;
}

/**
 * Builds the A-ASSOCIATE-AC that answers `request` with `decision`, PS3.8 9.3.3 and PS3.7 D.3.3. Only sub-items the
 * requestor proposed are answered. Throws {@link AssociationOptionsError} for an answer that names an unproposed
 * context or transfer syntax.
 */
export function buildAssociateAc(
  request: AAssociateRq,
  decision: AcceptAssociation,
  local: AcceptorParameters,
): AAssociateAc {
  const answers = new Map<number, PresentationContextDecision>();
  for (const answer of decision.presentationContexts) answers.set(answer.id, answer);
  const presentationContexts: PresentationContextAc[] = request.presentationContexts.map((proposed) => {
    const answer = answers.get(proposed.id);
    answers.delete(proposed.id);
    if (answer === undefined || answer.result !== PresentationContextResult.Acceptance) {
      // The transfer syntax sub-item is present but not significant when not accepted (PS3.8 9.3.3.2).
      const fallback = proposed.transferSyntaxes[0];
      return {
        id: proposed.id,
        result: answer?.result ?? PresentationContextResult.NoReason,
        ...(fallback !== undefined ? { transferSyntax: fallback } : {}),
      };
    }
    if (answer.transferSyntax === undefined || !proposed.transferSyntaxes.includes(answer.transferSyntax)) {
      throw new AssociationOptionsError(
        `Presentation context ${proposed.id} accepted with transfer syntax ${answer.transferSyntax ?? '(none)'} that was not proposed`,
      );
    }
    return { id: proposed.id, result: PresentationContextResult.Acceptance, transferSyntax: answer.transferSyntax };
  });
  if (answers.size > 0) {
    throw new AssociationOptionsError(
      `Answer for presentation context(s) never proposed: ${[...answers.keys()].join(', ')}`,
    );
  }

  const proposedInfo = request.userInformation;
  const proposedRoles = new Set((proposedInfo.roleSelections ?? []).map((r) => r.sopClassUid));
  const roleSelections = (decision.roleSelections ?? []).filter((r) => proposedRoles.has(r.sopClassUid));
  const proposedExt = new Set((proposedInfo.sopClassExtendedNegotiations ?? []).map((r) => r.sopClassUid));
  const extended = (decision.sopClassExtendedNegotiations ?? []).filter((r) => proposedExt.has(r.sopClassUid));
  const window =
    proposedInfo.asynchronousOperationsWindow !== undefined ? decision.asynchronousOperationsWindow : undefined;
  if (window) checkWindow(window);
  const identityResponse =
    proposedInfo.userIdentity?.positiveResponseRequested && decision.userIdentityServerResponse !== undefined
      ? { serverResponse: decision.userIdentityServerResponse }
      : undefined;
  checkMaxPduLength(local.maxPduLength, 'maxPduLength');

  const userInformation: UserInformation = {
    maximumLength: local.maxPduLength,
    implementationClassUid: local.implementationClassUid ?? IMPLEMENTATION_CLASS_UID,
    ...(window ? { asynchronousOperationsWindow: window } : {}),
    ...(roleSelections.length > 0 ? { roleSelections } : {}),
    implementationVersionName: local.implementationVersionName ?? IMPLEMENTATION_VERSION_NAME,
    ...(extended.length > 0 ? { sopClassExtendedNegotiations: extended } : {}),
    ...(identityResponse ? { userIdentityResponse: identityResponse } : {}),
  };
  return {
    kind: 'A-ASSOCIATE-AC',
    protocolVersion: 1,
    calledAeTitle: request.calledAeTitle,
    callingAeTitle: request.callingAeTitle,
    applicationContextName: request.applicationContextName,
    presentationContexts,
    userInformation,
  };
}

/** One presentation context as negotiated, PS3.8 7.1.1.14. */
export interface NegotiatedPresentationContext {
  readonly id: number;
  readonly abstractSyntax: string;
  /** The accepted transfer syntax; only when `result` is 0 (acceptance). */
  readonly transferSyntax?: string;
  readonly result: PresentationContextResultCode;
  /** Whether the association-requestor may act as SCU for this abstract syntax (PS3.7 D.3.3.4). */
  readonly scuRole: boolean;
  /** Whether the association-requestor may act as SCP for this abstract syntax (PS3.7 D.3.3.4). */
  readonly scpRole: boolean;
}

/** What both sides agreed on (PS3.8 7.1.1, PS3.7 D.3.3), the same for requestor and acceptor. */
export interface NegotiatedAssociation {
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly presentationContexts: readonly NegotiatedPresentationContext[];
  /** Only the accepted contexts. */
  readonly acceptedContexts: readonly NegotiatedPresentationContext[];
  /**
   * The largest P-DATA-TF PDU we may send (the peer's Maximum Length Received, PS3.8 D.1), counting PDV items but
   * not the 6-byte PDU header. A peer's 0 (unlimited), or anything above it, is mapped to
   * {@link MAX_PDU_LENGTH_TO_SEND_CAP}.
   */
  readonly maxPduLengthToSend: number;
  /** The Maximum Length Received we announced. */
  readonly maxPduLengthReceived: number;
  /**
   * The effective window (PS3.7 D.3.3.3): operations the requestor may invoke, and be asked to perform,
   * asynchronously. 1/1 when not negotiated; 0 means unlimited.
   */
  readonly asynchronousOperationsWindow: AsynchronousOperationsWindow;
  readonly peerImplementationClassUid: string | undefined;
  readonly peerImplementationVersionName: string | undefined;
  /** The acceptor's positive user identity response, PS3.7 D.3.3.7.2. */
  readonly userIdentityResponse?: Uint8Array;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
}

/** Maps the peer's Maximum Length Received to the largest PDU we will send. PS3.8 D.1. */
export function maxPduLengthToSend(peerMaximumLength: number | undefined, cap = MAX_PDU_LENGTH_TO_SEND_CAP): number {
  if (peerMaximumLength === undefined || peerMaximumLength === 0) return cap;
  return Math.min(peerMaximumLength, cap);
}

/**
 * Derives the negotiated parameters from the request and the acceptance, PS3.8 7.1 and PS3.7 D.3.3. `role` is our
 * side; the peer's implementation and maximum length come from the other PDU.
 */
export function deriveNegotiated(
  request: AAssociateRq,
  response: AAssociateAc,
  role: 'requestor' | 'acceptor',
  remote: { remoteAddress: string | undefined; remotePort: number | undefined },
  sendCap = MAX_PDU_LENGTH_TO_SEND_CAP,
): NegotiatedAssociation {
  const answers = new Map(response.presentationContexts.map((pc) => [pc.id, pc]));
  const proposedRoles = new Map((request.userInformation.roleSelections ?? []).map((r) => [r.sopClassUid, r]));
  const answeredRoles = new Map((response.userInformation.roleSelections ?? []).map((r) => [r.sopClassUid, r]));
  const presentationContexts = request.presentationContexts.map((proposed): NegotiatedPresentationContext => {
    const answer = answers.get(proposed.id);
    const result = answer?.result ?? PresentationContextResult.NoReason;
    const accepted = result === PresentationContextResult.Acceptance && answer?.transferSyntax !== undefined;
    const proposedRole = proposedRoles.get(proposed.abstractSyntax);
    const answeredRole = answeredRoles.get(proposed.abstractSyntax);
    // PS3.7 D.3.3.4: without a (proposed and answered) role selection the requestor is SCU and the acceptor SCP.
    const scuRole = proposedRole && answeredRole ? proposedRole.scuRole === 1 && answeredRole.scuRole === 1 : true;
    const scpRole = proposedRole && answeredRole ? proposedRole.scpRole === 1 && answeredRole.scpRole === 1 : false;
    return {
      id: proposed.id,
      abstractSyntax: proposed.abstractSyntax,
      ...(accepted && answer?.transferSyntax !== undefined ? { transferSyntax: answer.transferSyntax } : {}),
      result: accepted
        ? PresentationContextResult.Acceptance
        : result === 0
          ? PresentationContextResult.NoReason
          : result,
      scuRole,
      scpRole,
    };
  });
  const peerInfo = role === 'requestor' ? response.userInformation : request.userInformation;
  const ourInfo = role === 'requestor' ? request.userInformation : response.userInformation;
  const window =
    request.userInformation.asynchronousOperationsWindow && response.userInformation.asynchronousOperationsWindow
      ? response.userInformation.asynchronousOperationsWindow
      : { maxOperationsInvoked: 1, maxOperationsPerformed: 1 };
  const identity = response.userInformation.userIdentityResponse?.serverResponse;
  return {
    callingAeTitle: request.callingAeTitle,
    calledAeTitle: request.calledAeTitle,
    presentationContexts,
    acceptedContexts: presentationContexts.filter((pc) => pc.result === PresentationContextResult.Acceptance),
    maxPduLengthToSend: maxPduLengthToSend(peerInfo.maximumLength, sendCap),
    maxPduLengthReceived: ourInfo.maximumLength ?? 0,
    asynchronousOperationsWindow: {
      maxOperationsInvoked: window.maxOperationsInvoked,
      maxOperationsPerformed: window.maxOperationsPerformed,
    },
    peerImplementationClassUid: peerInfo.implementationClassUid,
    peerImplementationVersionName: peerInfo.implementationVersionName,
    ...(identity !== undefined ? { userIdentityResponse: identity } : {}),
    remoteAddress: remote.remoteAddress,
    remotePort: remote.remotePort,
  };
}
