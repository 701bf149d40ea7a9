/**
 * What an action of the Upper Layer protocol machine asks the shell to do, PS3.8 section 9.2.2. Actions never do
 * I/O themselves: they return these descriptions and the shell runs them in order.
 */
import type { AAssociateAc, AAssociateRj, AAssociateRq, PDataTf, Pdu } from '@netdicom/pdu';
import type { UlEvent } from './events.js';
import type { UlState } from './states.js';

/**
 * A service primitive the Upper Layer issues to its local user (PS3.8 section 7: indications and confirmations).
 * `A-P-ABORT-indication.origin` tells why the provider aborted: the peer's provider sent an A-ABORT (AA-3), the
 * transport closed (AA-4), or this provider detected a protocol error (AA-8).
 */
export type UlPrimitive =
  | { readonly kind: 'A-ASSOCIATE-indication'; readonly request: AAssociateRq }
  | { readonly kind: 'A-ASSOCIATE-confirmation-accept'; readonly response: AAssociateAc }
  | { readonly kind: 'A-ASSOCIATE-confirmation-reject'; readonly rejection: AAssociateRj }
  | { readonly kind: 'P-DATA-indication'; readonly pdu: PDataTf }
  | { readonly kind: 'A-RELEASE-indication'; readonly collision: boolean }
  | { readonly kind: 'A-RELEASE-confirmation' }
  | { readonly kind: 'A-ABORT-indication'; readonly source: number; readonly reason: number }
  | {
      readonly kind: 'A-P-ABORT-indication';
      readonly reason: number;
      readonly origin: 'peer-provider' | 'transport-closed' | 'protocol-error';
    };

/** One step for the shell, PS3.8 9.2.2 (Tables 9-6 to 9-9). */
export type Effect =
  /** AE-1: issue a TRANSPORT CONNECT request. */
  | { readonly type: 'connect-transport' }
  /** AE-5: issue the transport connection response (accept the incoming connection). */
  | { readonly type: 'accept-transport' }
  /** Write one PDU on the transport connection. */
  | { readonly type: 'send-pdu'; readonly pdu: Pdu }
  /** Start, or restart if running, the ARTIM timer (PS3.8 9.1.5). */
  | { readonly type: 'start-artim' }
  /** Stop the ARTIM timer if running. */
  | { readonly type: 'stop-artim' }
  /** Close the transport connection. */
  | { readonly type: 'close-transport' }
  /** Issue a primitive to the local user. */
  | { readonly type: 'indicate'; readonly primitive: UlPrimitive }
  /** AA-6: the received PDU is ignored. */
  | { readonly type: 'ignore-pdu'; readonly event: UlEvent }
  /**
   * The event has no action in this state (an empty cell of Table 9-10). A local primitive (Evt1, 7, 8, 9, 11, 14,
   * 15) is refused to its caller; a late transport or timer event is dropped. The state does not change.
   */
  | { readonly type: 'invalid-event'; readonly event: UlEvent; readonly state: UlState };
