/**
 * The acceptor's decision on an A-ASSOCIATE-RQ, PS3.8 7.1.2.3: a ready-made policy for the usual checks (AE titles,
 * application context, abstract and transfer syntaxes in our preference order, user identity).
 */
import type { PeerCertificate } from 'node:tls';
import {
  type AAssociateRq,
  type AsynchronousOperationsWindow,
  DICOM_APPLICATION_CONTEXT_NAME,
  PresentationContextResult,
  RejectReason,
  RejectResult,
  RejectSource,
  type SopClassExtendedNegotiation,
} from '@netdicom/pdu';
import {
  type AssociationDecision,
  decodeUserIdentity,
  type PresentationContextDecision,
  type RejectAssociation,
  type UnknownUserIdentity,
  type UserIdentity,
} from './negotiation.js';

/** Where an association request came from, given to `onAssociationRequest`. */
export interface AssociationRequestInfo {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  /** For TLS connections: whether the peer's certificate was verified against our CA list. */
  readonly tlsAuthorized?: boolean;
  /** For TLS connections with a client certificate. */
  readonly peerCertificate?: PeerCertificate;
}

/** Decides on an A-ASSOCIATE-RQ (PS3.8 7.1.2.3): accept with per-context results, or reject. */
export type AssociationRequestHandler = (
  request: AAssociateRq,
  info: AssociationRequestInfo,
) => AssociationDecision | Promise<AssociationDecision>;

/**
 * The outcome of a user identity check (PS3.7 D.3.3.7): `false` rejects the association; `true` accepts; an object
 * accepts and gives the server response sent when the requestor asked for a positive response (Kerberos server
 * ticket, SAML response, JWT; empty for username types).
 */
export type UserIdentityVerdict = boolean | { readonly serverResponse?: Uint8Array };

/** Options of {@link createAcceptancePolicy}. */
export interface AcceptancePolicyOptions {
  /** Our AE title(s): a request calling another title is rejected "called-AE-title-not-recognized". Any if omitted. */
  readonly aeTitle?: string | readonly string[];
  /** Calling AE titles we serve: others are rejected "calling-AE-title-not-recognized". Any if omitted. */
  readonly callingAeTitles?: readonly string[];
  /** Abstract syntaxes (SOP classes) we accept; others get result 3 "abstract-syntax-not-supported". */
  readonly abstractSyntaxes: readonly string[] | 'any';
  /**
   * Transfer syntaxes we accept, in our order of preference: the first of these that the requestor proposed wins;
   * none in common gives result 4 "transfer-syntaxes-not-supported". `'any'` takes the requestor's first choice.
   */
  readonly transferSyntaxes: readonly string[] | 'any';
  /**
   * Checks the requestor's user identity (PS3.7 D.3.3.7; `undefined` when it sent none). A `false` verdict
   * rejects the association: rejected-permanent, service-user, no-reason-given.
   */
  readonly verifyUserIdentity?: (
    identity: UserIdentity | UnknownUserIdentity | undefined,
    request: AAssociateRq,
    info: AssociationRequestInfo,
  ) => UserIdentityVerdict | Promise<UserIdentityVerdict>;
  /**
   * Our limits for asynchronous operations (PS3.7 D.3.3.3); answered only when proposed, with the smaller of the two
   * for each value (0 = unlimited). Omitted: the proposal is not answered, so the window stays 1/1.
   */
  readonly asynchronousOperationsWindow?: AsynchronousOperationsWindow;
  /**
   * Accept the roles a requestor proposes in SCP/SCU Role Selection sub-items (PS3.7 D.3.3.4). Default `true`;
   * `false` answers 0 for the SCP role (the requestor stays SCU only).
   */
  readonly acceptProposedRoles?: boolean;
  /** Answers a SOP Class Extended Negotiation sub-item (PS3.7 D.3.3.5); return `undefined` to not answer. */
  readonly sopClassExtendedNegotiation?: (proposed: SopClassExtendedNegotiation) => Uint8Array | undefined;
}

function reject(result: 1 | 2, source: 1 | 2 | 3, reason: number): RejectAssociation {
  return { accept: false, result, source, reason };
}

function minNonZero(proposed: number, ours: number): number {
  if (proposed === 0) return ours;
  if (ours === 0) return proposed;
  return Math.min(proposed, ours);
}

/**
 * Builds an `onAssociationRequest` handler (PS3.8 7.1.2.3) that rejects with the reasons of PS3.8 Table 9-21
 * (application context name not supported, called/calling AE title not recognized) and answers each presentation
 * context with the results of PS3.8 Table 9-18, choosing transfer syntaxes in our order of preference.
 */
export function createAcceptancePolicy(options: AcceptancePolicyOptions): AssociationRequestHandler {
  const calledTitles =
    options.aeTitle === undefined
      ? undefined
      : typeof options.aeTitle === 'string'
        ? [options.aeTitle]
        : options.aeTitle;
  const abstractSyntaxes = options.abstractSyntaxes === 'any' ? 'any' : new Set(options.abstractSyntaxes);
  const transferSyntaxes = options.transferSyntaxes;
  const acceptRoles = options.acceptProposedRoles ?? true;

  return async (request, info) => {
    if (request.applicationContextName !== DICOM_APPLICATION_CONTEXT_NAME) {
      return reject(
        RejectResult.RejectedPermanent,
        RejectSource.ServiceUser,
        RejectReason.ApplicationContextNameNotSupported,
      );
    }
    if (calledTitles && !calledTitles.includes(request.calledAeTitle)) {
      return reject(RejectResult.RejectedPermanent, RejectSource.ServiceUser, RejectReason.CalledAeTitleNotRecognized);
    }
    if (options.callingAeTitles && !options.callingAeTitles.includes(request.callingAeTitle)) {
      return reject(RejectResult.RejectedPermanent, RejectSource.ServiceUser, RejectReason.CallingAeTitleNotRecognized);
    }
    // An A-ASSOCIATE-AC must carry at least one presentation context item (PS3.8 9.3.3): with none proposed there
    // is nothing to accept.
    if (request.presentationContexts.length === 0) {
      return reject(RejectResult.RejectedPermanent, RejectSource.ServiceUser, RejectReason.NoReasonGiven);
    }
    let serverResponse: Uint8Array | undefined;
    if (options.verifyUserIdentity) {
      const item = request.userInformation.userIdentity;
      const verdict = await options.verifyUserIdentity(item ? decodeUserIdentity(item) : undefined, request, info);
      if (verdict === false) {
        return reject(RejectResult.RejectedPermanent, RejectSource.ServiceUser, RejectReason.NoReasonGiven);
      }
      serverResponse = verdict === true ? new Uint8Array(0) : (verdict.serverResponse ?? new Uint8Array(0));
    }

    const presentationContexts: PresentationContextDecision[] = request.presentationContexts.map((pc) => {
      if (abstractSyntaxes !== 'any' && !abstractSyntaxes.has(pc.abstractSyntax)) {
        return { id: pc.id, result: PresentationContextResult.AbstractSyntaxNotSupported };
      }
      const chosen =
        transferSyntaxes === 'any'
          ? pc.transferSyntaxes[0]
          : transferSyntaxes.find((ts) => pc.transferSyntaxes.includes(ts));
      if (chosen === undefined) return { id: pc.id, result: PresentationContextResult.TransferSyntaxesNotSupported };
      return { id: pc.id, result: PresentationContextResult.Acceptance, transferSyntax: chosen };
    });

    const proposed = request.userInformation;
    const window =
      proposed.asynchronousOperationsWindow && options.asynchronousOperationsWindow
        ? {
            maxOperationsInvoked: minNonZero(
              proposed.asynchronousOperationsWindow.maxOperationsInvoked,
              options.asynchronousOperationsWindow.maxOperationsInvoked,
            ),
            maxOperationsPerformed: minNonZero(
              proposed.asynchronousOperationsWindow.maxOperationsPerformed,
              options.asynchronousOperationsWindow.maxOperationsPerformed,
            ),
          }
        : undefined;
    const roleSelections = (proposed.roleSelections ?? []).map((r) => ({
      sopClassUid: r.sopClassUid,
      scuRole: r.scuRole,
      scpRole: acceptRoles ? r.scpRole : 0,
    }));
    const extended: SopClassExtendedNegotiation[] = [];
    if (options.sopClassExtendedNegotiation) {
      for (const item of proposed.sopClassExtendedNegotiations ?? []) {
        const answer = options.sopClassExtendedNegotiation(item);
        if (answer !== undefined) {
          extended.push({ sopClassUid: item.sopClassUid, serviceClassApplicationInformation: answer });
        }
      }
    }
    return {
      accept: true,
      presentationContexts,
      ...(roleSelections.length > 0 ? { roleSelections } : {}),
      ...(window ? { asynchronousOperationsWindow: window } : {}),
      ...(extended.length > 0 ? { sopClassExtendedNegotiations: extended } : {}),
      ...(serverResponse !== undefined ? { userIdentityServerResponse: serverResponse } : {}),
    };
  };
}
