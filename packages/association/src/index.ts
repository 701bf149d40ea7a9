/**
 * @netdicom/association: the DICOM Upper Layer (PS3.8) association: the state machine of PS3.8 9.2 as data, TCP and
 * TLS transport with backpressure and timers, association negotiation (PS3.8 7.1, PS3.7 Annex D.3), and an RxJS face.
 *
 * @packageDocumentation
 */
export { connect, openAssociation } from './connect.js';
export type { PduMessage, StateMessage } from './diagnostics.js';
export {
  AssociationAbortedError,
  AssociationCancelledError,
  AssociationClosedError,
  AssociationError,
  AssociationOptionsError,
  AssociationProviderAbortError,
  AssociationRejectedError,
  AssociationStateError,
  type AssociationTimer,
  AssociationTimeoutError,
  AssociationTlsError,
  AssociationTransportError,
  describeAbortReason,
  describeRejection,
} from './errors.js';
export * from './fsm/index.js';
export {
  type AcceptAssociation,
  type AcceptorParameters,
  type AssociationDecision,
  type AssociationProposal,
  buildAssociateAc,
  buildAssociateRq,
  DEFAULT_MAX_PDU_LENGTH,
  decodeUserIdentity,
  deriveNegotiated,
  encodeUserIdentity,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  MAX_PDU_LENGTH_TO_SEND_CAP,
  maxPduLengthToSend,
  type NegotiatedAssociation,
  type NegotiatedPresentationContext,
  type PresentationContextDecision,
  type PresentationContextProposal,
  type RejectAssociation,
  type UnknownUserIdentity,
  type UserIdentity,
} from './negotiation.js';
export {
  type AcceptancePolicyOptions,
  type AssociationRequestHandler,
  type AssociationRequestInfo,
  createAcceptancePolicy,
  type UserIdentityVerdict,
} from './policy.js';
export { type AssociationServer, type AssociationServerOptions, createAssociationServer } from './server.js';
export {
  type Association,
  type AssociationClosed,
  type AssociationEvent,
  type AssociationTimeouts,
  type ConnectOptions,
  DEFAULT_TIMEOUTS,
} from './types.js';
