/**
 * Public types of associations: options, timers, events and the `Association` face, PS3.8 section 7 and 9.
 */
import type { Duplex } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import type { AAssociateAc, AAssociateRq, PDataTf, Pdv } from '@netdicom/pdu';
import type { Observable } from 'rxjs';
import type { AssociationError, AssociationTimer } from './errors.js';
import type { UlState } from './fsm/index.js';
import type { AssociationProposal, NegotiatedAssociation } from './negotiation.js';

/**
 * Timers, in milliseconds; 0 disables one. PS3.8 9.1.5 defines ARTIM; the others are netdicom's guards against
 * peers that stall (see the README for what each covers).
 */
export interface AssociationTimeouts {
  /** TCP (and TLS handshake) connection establishment. Default 30 000. */
  readonly connect?: number;
  /**
   * ARTIM (PS3.8 9.1.5): waiting for the A-ASSOCIATE-RQ after a connection is accepted, and for the transport to
   * close after a rejection, release response or abort (Sta13). Also bounds a requestor's wait for the
   * A-ASSOCIATE-AC/RJ. Default 30 000.
   */
  readonly artim?: number;
  /**
   * No PDU received or sent for this long while the connection is open: abort. Suspended while incoming is paused.
   * Default 300 000.
   */
  readonly idle?: number;
  /** Our writes not drained for this long (the peer stopped reading): drop the connection. Default 60 000. */
  readonly write?: number;
  /** Waiting for the A-RELEASE-RP after our A-RELEASE-RQ: abort then. Default 30 000. */
  readonly release?: number;
}

/** The defaults of {@link AssociationTimeouts}. */
export const DEFAULT_TIMEOUTS: Readonly<Required<AssociationTimeouts>> = {
  connect: 30_000,
  artim: 30_000,
  idle: 300_000,
  write: 60_000,
  release: 30_000,
};

/** How an association ended. `closed` never rejects. */
export interface AssociationClosed {
  readonly reason: 'released' | 'aborted' | 'peer-aborted' | 'provider-aborted' | 'transport-closed' | 'error';
  readonly error?: AssociationError;
}

/** Typed notices of an association's life (PS3.8 section 7 primitives, plus netdicom's timers). */
export type AssociationEvent =
  | { readonly type: 'associated'; readonly negotiated: NegotiatedAssociation }
  /** The peer sent an A-RELEASE-RQ (AR-2), or both sides did at once (AR-8, release collision). */
  | { readonly type: 'release-requested'; readonly collision: boolean }
  /** The peer confirmed our release (AR-3 / AR-10). */
  | { readonly type: 'release-confirmed' }
  /** We sent an A-ABORT. */
  | { readonly type: 'abort-sent'; readonly source: number; readonly reason: number }
  /** The peer sent an A-ABORT (AA-3). */
  | { readonly type: 'abort-received'; readonly source: number; readonly reason: number }
  /** The peer broke the protocol; we aborted with `reason` (AA-8, AA-1 in Sta2, AA-7 in Sta13). */
  | { readonly type: 'protocol-error'; readonly reason: number; readonly error: AssociationError }
  | { readonly type: 'timeout'; readonly timer: AssociationTimer; readonly error: AssociationError }
  | { readonly type: 'closed'; readonly closed: AssociationClosed };

/**
 * An association, requestor or acceptor side (PS3.8 section 7). Handed out only once established (Sta6).
 */
export interface Association {
  readonly role: 'requestor' | 'acceptor';
  /** The PS3.8 9.2 state: replays the current state, then each change; completes after Sta1. Read-only. */
  readonly state$: Observable<UlState>;
  readonly state: UlState;
  /** Typed events; hot. */
  readonly events$: Observable<AssociationEvent>;
  /** Incoming P-DATA-TF PDUs (P-DATA indications); hot: subscribe before data can arrive. */
  readonly pData$: Observable<PDataTf>;
  readonly request: AAssociateRq;
  readonly response: AAssociateAc;
  readonly negotiated: NegotiatedAssociation;
  /**
   * Sends one P-DATA-TF (P-DATA request, PS3.8 7.6). The PDVs must use accepted presentation contexts and fit in
   * `negotiated.maxPduLengthToSend` (6 bytes per PDV plus data). Returns `false` when the transport buffer is full:
   * await {@link Association.drain} before sending more. Throws AssociationStateError/AssociationClosedError outside
   * Sta6/Sta8, AssociationOptionsError for invalid PDVs.
   *
   * `onWritten`, when given, is called once the PDU has been handed to the operating system (the PDV data may then
   * be reused), or with an error once it never will be (the association ended first). Called exactly once, never
   * synchronously; not called when `sendPData` throws.
   */
  sendPData(pdvs: readonly Pdv[], onWritten?: (error?: Error | null) => void): boolean;
  /** Resolves when the transport buffer has drained; rejects with AssociationClosedError if the association ends first. */
  drain(): Promise<void>;
  /** Stops reading from the transport (counted: each pause needs a resume). PDUs already read are held. */
  pauseIncoming(): void;
  /** Undoes one {@link Association.pauseIncoming}. */
  resumeIncoming(): void;
  /**
   * Received bytes held in memory and not yet delivered (partial PDU, PDUs held while paused, the transport's read
   * buffer): bounded under a slow consumer. Diagnostics.
   */
  readonly incomingBufferedBytes: number;
  /**
   * Releases the association (A-RELEASE, PS3.8 7.2), handling release collisions; resolves once released and the
   * transport closed. Rejects if the association ends otherwise (abort, timeout). Falls back to abort after the
   * release timeout.
   */
  release(): Promise<void>;
  /** Aborts the association (A-ABORT, PS3.8 7.3); resolves once the transport is closed. Never rejects. */
  abort(): Promise<void>;
  /** Resolves once the association is over and its transport closed. Never rejects. */
  readonly closed: Promise<AssociationClosed>;
  /**
   * Called when the peer requests release (PS3.8 7.2, AR-2); the A-RELEASE-RP is sent once it resolves. P-DATA may
   * still be sent meanwhile (AR-7). Set it to finish outstanding work first.
   */
  onReleaseRequest: (() => void | Promise<void>) | undefined;
}

/** Options of `connect` and `openAssociation` (association-requestor, PS3.8 7.1). */
export interface ConnectOptions extends AssociationProposal {
  readonly host?: string;
  readonly port?: number;
  /** An already connected stream to use instead of host/port (TLS is then layered on it if `tls` is given). */
  readonly socket?: Duplex;
  /** TLS (PS3.15 B.1): TLS 1.2 minimum, certificate verification on unless explicitly turned off. */
  readonly tls?: ConnectionOptions;
  readonly timeouts?: AssociationTimeouts;
  /** Cancels the attempt; once established, aborts the association. */
  readonly signal?: AbortSignal;
  /** Caps the PDUs we send even below the peer's maximum (default 1 MiB, MAX_PDU_LENGTH_TO_SEND_CAP). */
  readonly maxPduLengthToSendCap?: number;
  /**
   * Hand a P-DATA-TF that spans socket reads to `pData$` in parts, as views of the reads, instead of copying it
   * together (default false). A PDV cut by a read boundary then arrives as several PDVs with the same presentation
   * context and command bit, the last-fragment bit on the final part only: the same message for a DIMSE layer that
   * joins fragments (PS3.8 E.2; `@netdicom/dimse` does), one copy of every byte received fewer. While
   * `netdicom:pdu:received` has a subscriber when the association is created, PDUs stay whole, as traced.
   */
  readonly splitPData?: boolean;
  /** See {@link Association.onReleaseRequest}. */
  readonly onReleaseRequest?: () => void | Promise<void>;
}
