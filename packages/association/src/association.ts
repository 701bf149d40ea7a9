/**
 * The imperative shell around the PS3.8 9.2 state machine: owns the transport, frames incoming bytes into PDUs,
 * feeds events to the pure transition function and runs its effects in order, keeps the timers, and exposes the
 * result as an {@link Association}.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import {
  type AAssociateAc,
  type AAssociateRj,
  type AAssociateRq,
  AbortReason,
  type AbortReasonCode,
  DICOM_APPLICATION_CONTEXT_NAME,
  type PDataTf,
  type Pdu,
  type Pdv,
  RejectReason,
  RejectResult,
  RejectSource,
} from '@netdicom/pdu';
// The three classes used, not rxjs's index (200+ modules, ~80 ms of every process start); same classes as 'rxjs'.
import { BehaviorSubject } from 'rxjs/internal/BehaviorSubject';
import type { Observable } from 'rxjs/internal/Observable';
import { Subject } from 'rxjs/internal/Subject';
import { createPduReader, encodePduParts, PduError } from './codec.js';
import { pduReceivedChannel, pduSentChannel, stateChannel } from './diagnostics.js';
import {
  AssociationAbortedError,
  AssociationClosedError,
  AssociationError,
  AssociationOptionsError,
  AssociationProviderAbortError,
  AssociationRejectedError,
  AssociationStateError,
  AssociationTimeoutError,
  type AssociationTimer,
  AssociationTlsError,
  AssociationTransportError,
} from './errors.js';
import {
  actionFor,
  type Effect,
  transition,
  type UlContext,
  type UlEvent,
  type UlInput,
  type UlPrimitive,
  type UlState,
} from './fsm/index.js';
import {
  type AssociationDecision,
  buildAssociateAc,
  deriveNegotiated,
  MAX_PDU_LENGTH_TO_SEND_CAP,
  MIN_PEER_MAX_PDU_LENGTH,
  type NegotiatedAssociation,
  transportHighWaterMark,
} from './negotiation.js';
import type { AssociationRequestInfo } from './policy.js';
import {
  type Association,
  type AssociationClosed,
  type AssociationEvent,
  type AssociationTimeouts,
  DEFAULT_TIMEOUTS,
} from './types.js';

/** Local primitives: an empty cell for one of these is the caller's mistake (PS3.8 Table 9-10). */
const LOCAL_PRIMITIVES: ReadonlySet<UlEvent> = new Set(['Evt1', 'Evt7', 'Evt8', 'Evt9', 'Evt11', 'Evt14', 'Evt15']);

/** States in which the association is already being released or torn down. */
const ENDING_STATES: ReadonlySet<UlState> = new Set([
  'Sta1',
  'Sta7',
  'Sta8',
  'Sta9',
  'Sta10',
  'Sta11',
  'Sta12',
  'Sta13',
]);

/** Record types of TLS (RFC 8446 5.1): handshake and alert. Neither is a PDU type (PS3.8 Table 9-11). */
const TLS_HANDSHAKE_RECORD = 0x16;
const TLS_ALERT_RECORD = 0x15;

/** Connection-level errors: the peer was never reached. */
const CONNECT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EADDRNOTAVAIL',
  'EAI_AGAIN',
]);

/** Resolves timeouts against the defaults, checking each value. */
export function resolveTimeouts(timeouts: AssociationTimeouts | undefined): Required<AssociationTimeouts> {
  const resolved = { ...DEFAULT_TIMEOUTS, ...timeouts };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isFinite(value) || value < 0 || value > 2_147_483_647) {
      throw new AssociationOptionsError(`timeouts.${name} must be 0 (off) or a positive number of ms, got ${value}`);
    }
  }
  return resolved;
}

/** How the shell obtains its transport for AE-1: a stream plus the event that says it is ready (null: it is). */
export interface TransportConnector {
  readonly describe: string;
  readonly isTls: boolean;
  open(): { socket: Duplex; readyEvent: 'connect' | 'secureConnect' | null };
}

/** Configuration of one association shell. */
export interface ShellConfig {
  readonly role: 'requestor' | 'acceptor';
  readonly timeouts: Required<AssociationTimeouts>;
  /** Our Maximum Length Received (bounds incoming P-DATA-TF). */
  readonly maxPduLength: number;
  readonly sendCap?: number;
  /** See `ConnectOptions.splitPData`. */
  readonly splitPData?: boolean;
  readonly onReleaseRequest?: () => void | Promise<void>;
}

/** Acceptor-side parameters. */
export interface AcceptorConfig {
  readonly decide: (
    request: AAssociateRq,
    info: AssociationRequestInfo,
  ) => AssociationDecision | Promise<AssociationDecision>;
  /** Returns an A-ASSOCIATE-RJ when the service-provider itself cannot accept (AE-6 "otherwise"). */
  readonly providerCheck?: (request: AAssociateRq) => AAssociateRj | undefined;
  readonly implementationClassUid?: string;
  readonly implementationVersionName?: string;
  readonly info: AssociationRequestInfo;
  readonly onEstablished: (association: Association) => void;
}

type QueueItem = { readonly pdu: Pdu } | { readonly invalid: AbortReasonCode; readonly error: AssociationError };

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

/**
 * One association, either side: the shell of the PS3.8 9.2 machine. Internal; users get it as an
 * {@link Association} from `connect`, `openAssociation` or an `AssociationServer`.
 */
export class UlAssociation implements Association {
  readonly role: 'requestor' | 'acceptor';
  readonly closed: Promise<AssociationClosed>;
  onReleaseRequest: (() => void | Promise<void>) | undefined;

  private ulState: UlState = 'Sta1';
  private context: UlContext;
  private readonly config: ShellConfig;
  private readonly stateSubject = new BehaviorSubject<UlState>('Sta1');
  private readonly eventsSubject = new Subject<AssociationEvent>();
  private readonly pDataSubject = new Subject<PDataTf>();
  readonly state$: Observable<UlState> = this.stateSubject.asObservable();
  readonly events$: Observable<AssociationEvent> = this.eventsSubject.asObservable();
  readonly pData$: Observable<PDataTf> = this.pDataSubject.asObservable();

  private socket: Duplex | undefined;
  private readonly reader;
  private readonly queue: QueueItem[] = [];
  private processing = false;
  private pauseCount = 0;
  private discardInput = false;
  private receivedAny = false;
  private finalized = false;
  private outcome: AssociationClosed | undefined;
  private transportError: AssociationError | undefined;
  private resolveClosed!: (closed: AssociationClosed) => void;
  private establishment: Waiter | undefined;
  private readonly drainWaiters = new Set<Waiter>();
  private releasing: Promise<void> | undefined;
  private lastWriteOk = true;
  /** The `onWritten` of the P-DATA-TF being sent, handed to its last socket write. */
  private writeCallback: ((error?: Error | null) => void) | undefined;
  private pendingAutoRelease = false;
  private connected = false;
  private connector: TransportConnector | undefined;
  private acceptor: AcceptorConfig | undefined;

  private artimTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Whether the idle timer runs; while it does, traffic only updates {@link lastActivity}. */
  private idleArmed = false;
  /** `performance.now()` of the last traffic (or of arming the idle timer). */
  private lastActivity = 0;
  private writeTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private responseTimer: NodeJS.Timeout | undefined;
  private releaseTimer: NodeJS.Timeout | undefined;

  private requestPdu: AAssociateRq | undefined;
  private responsePdu: AAssociateAc | undefined;
  private negotiatedValue: NegotiatedAssociation | undefined;
  private remote: { remoteAddress: string | undefined; remotePort: number | undefined } = {
    remoteAddress: undefined,
    remotePort: undefined,
  };

  constructor(config: ShellConfig) {
    this.config = config;
    this.role = config.role;
    this.context = { role: config.role };
    this.onReleaseRequest = config.onReleaseRequest;
    this.reader = createPduReader({
      maxPduLength: config.maxPduLength === 0 ? 0xffff_ffff : config.maxPduLength,
      // Asked for: a P-DATA-TF spanning socket reads goes on in parts, as views of the reads, instead of being copied
      // together. Unless the PDUs received are being traced: then the trace shows them whole, as on the wire.
      splitPData: config.splitPData === true && !pduReceivedChannel.hasSubscribers,
    });
    this.closed = new Promise<AssociationClosed>((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  get state(): UlState {
    return this.ulState;
  }

  /**
   * Received bytes held in memory and not yet delivered: the partial PDU in the reader, PDUs queued while incoming
   * is paused, and the transport's read buffer. Stays bounded under a slow consumer (diagnostics).
   */
  get incomingBufferedBytes(): number {
    let queued = 0;
    for (const item of this.queue) {
      if ('pdu' in item && item.pdu.kind === 'P-DATA-TF') {
        for (const pdv of item.pdu.pdvs) queued += pdv.data.length + 6;
      }
    }
    return this.reader.bufferedBytes + queued + (this.socket?.readableLength ?? 0);
  }

  get request(): AAssociateRq {
    if (!this.requestPdu) throw new AssociationStateError('No A-ASSOCIATE-RQ yet', this.ulState);
    return this.requestPdu;
  }

  get response(): AAssociateAc {
    if (!this.responsePdu) throw new AssociationStateError('The association is not established', this.ulState);
    return this.responsePdu;
  }

  get negotiated(): NegotiatedAssociation {
    if (!this.negotiatedValue) throw new AssociationStateError('The association is not established', this.ulState);
    return this.negotiatedValue;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Entry points

  /** Requestor: A-ASSOCIATE request (Evt1); resolves on A-ASSOCIATE-AC, rejects on RJ or failure. */
  establish(request: AAssociateRq, connector: TransportConnector, signal?: AbortSignal): Promise<Association> {
    this.requestPdu = request;
    this.context = { role: 'requestor', associateRq: request };
    this.connector = connector;
    const promise = new Promise<Association>((resolve, reject) => {
      this.establishment = { resolve: () => resolve(this), reject };
    });
    if (signal) {
      const onAbort = (): void => {
        if (this.finalized) return;
        this.setOutcome(
          'aborted',
          new AssociationClosedError('Cancelled by the AbortSignal', { cause: signal.reason }),
        );
        this.abortNow();
      };
      if (signal.aborted) onAbort();
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        void this.closed.then(() => signal.removeEventListener('abort', onAbort));
      }
    }
    if (!this.finalized) this.dispatch({ event: 'Evt1', request });
    return promise;
  }

  /** Acceptor: a transport connection indication (Evt5) on an accepted socket. */
  accept(socket: Duplex, acceptor: AcceptorConfig): void {
    this.acceptor = acceptor;
    this.attach(socket);
    this.dispatch({ event: 'Evt5' });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Public API

  sendPData(pdvs: readonly Pdv[], onWritten?: (error?: Error | null) => void): boolean {
    if (this.ulState !== 'Sta6' && this.ulState !== 'Sta8') {
      if (this.finalized || this.ulState === 'Sta13') {
        throw new AssociationClosedError(`Cannot send P-DATA: the association is closed (${this.ulState})`, {
          cause: this.outcome?.error,
        });
      }
      throw new AssociationStateError(`Cannot send P-DATA in ${this.ulState}`, this.ulState);
    }
    if (pdvs.length === 0) throw new AssociationOptionsError('sendPData needs at least one PDV');
    const negotiated = this.negotiated;
    let length = 0;
    for (const pdv of pdvs) {
      const context = negotiated.acceptedContexts.find((pc) => pc.id === pdv.presentationContextId);
      if (!context) {
        throw new AssociationOptionsError(
          `Presentation context ${pdv.presentationContextId} was not accepted on this association`,
        );
      }
      length += 6 + pdv.data.length;
    }
    if (length > negotiated.maxPduLengthToSend) {
      throw new AssociationOptionsError(
        `P-DATA-TF of ${length} bytes exceeds the peer's maximum of ${negotiated.maxPduLengthToSend}: fragment the PDVs`,
      );
    }
    this.lastWriteOk = true;
    this.writeCallback = onWritten;
    try {
      this.dispatch({ event: 'Evt9', pdu: { kind: 'P-DATA-TF', pdvs } });
    } finally {
      // Not consumed by a write (the table sent nothing): the data will never go out.
      const unused = this.writeCallback;
      this.writeCallback = undefined;
      if (unused !== undefined) {
        process.nextTick(unused, new AssociationClosedError('The P-DATA-TF was not sent: the association ended'));
      }
    }
    return this.lastWriteOk;
  }

  drain(): Promise<void> {
    if (this.finalized) {
      return Promise.reject(new AssociationClosedError('The association is closed', { cause: this.outcome?.error }));
    }
    if (!this.transportFull()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.drainWaiters.add({ resolve, reject });
    });
  }

  pauseIncoming(): void {
    this.pauseCount += 1;
    if (this.pauseCount === 1) {
      this.socket?.pause();
      this.clearTimer('idleTimer');
      this.idleArmed = false;
    }
  }

  resumeIncoming(): void {
    if (this.pauseCount === 0) return;
    this.pauseCount -= 1;
    if (this.pauseCount === 0 && !this.finalized) {
      this.armIdleTimer();
      this.processQueue();
      if (this.pauseCount === 0) this.socket?.resume();
    }
  }

  release(): Promise<void> {
    if (this.releasing) return this.releasing;
    const state = this.ulState;
    if (state === 'Sta6') {
      this.releasing = this.closed.then((closed) => {
        if (closed.reason !== 'released') {
          throw closed.error ?? new AssociationClosedError(`The association ended (${closed.reason}) before release`);
        }
      });
      // Callers may ignore the promise (openAssociation's teardown does); the outcome is in `closed` anyway.
      this.releasing.catch(() => undefined);
      this.armTimer('releaseTimer', this.config.timeouts.release, () => {
        this.timeout('release', this.config.timeouts.release, 'No A-RELEASE-RP from the peer: aborting');
      });
      this.dispatch({ event: 'Evt11' });
      return this.releasing;
    }
    if (ENDING_STATES.has(state)) {
      // Already ending (peer release, collision, abort): report how it ends.
      return this.closed.then((closed) => {
        if (closed.reason !== 'released') {
          throw closed.error ?? new AssociationClosedError(`The association ended (${closed.reason})`);
        }
      });
    }
    return Promise.reject(new AssociationStateError(`Cannot release in ${state}`, state));
  }

  abort(): Promise<void> {
    if (!this.finalized) {
      this.setOutcome('aborted');
      this.abortNow();
    }
    return this.closed.then(() => undefined);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The machine

  private dispatch(input: UlInput): void {
    const from = this.ulState;
    const result = transition(this.context, from, input);
    this.ulState = result.next;
    if (stateChannel.hasSubscribers) {
      stateChannel.publish({ association: this, from, to: result.next, event: input.event, action: result.action });
    }
    if (result.next !== from) this.stateSubject.next(result.next);
    for (const effect of result.effects) this.runEffect(effect, input);
    this.afterTransition(input, result.action, from);
    if (result.next === 'Sta1' && from !== 'Sta1') this.finalize();
    if (this.pendingAutoRelease && !this.finalized) {
      this.pendingAutoRelease = false;
      this.respondToRelease();
    }
  }

  private runEffect(effect: Effect, input: UlInput): void {
    switch (effect.type) {
      case 'connect-transport':
        this.openTransport();
        return;
      case 'accept-transport':
        return;
      case 'send-pdu':
        this.writePdu(effect.pdu);
        return;
      case 'start-artim':
        this.armTimer('artimTimer', this.config.timeouts.artim, () => this.onArtimExpired());
        return;
      case 'stop-artim':
        this.clearTimer('artimTimer');
        return;
      case 'close-transport':
        this.socket?.destroy();
        return;
      case 'indicate':
        this.onPrimitive(effect.primitive);
        return;
      case 'ignore-pdu':
        return;
      case 'invalid-event':
        if (LOCAL_PRIMITIVES.has(effect.event)) {
          throw new AssociationStateError(
            `${input.event} is not allowed in ${effect.state} (PS3.8 Table 9-10 has no action for it)`,
            effect.state,
          );
        }
        return;
    }
  }

  /** Outcome bookkeeping for actions that issue no primitive of their own. */
  private afterTransition(input: UlInput, action: string | undefined, from: UlState): void {
    if (action === 'AA-1' && input.event !== 'Evt15') {
      // Sta2: the peer sent something other than an A-ASSOCIATE-RQ.
      const reason = input.event === 'Evt19' ? input.abortReason : AbortReason.UnexpectedPdu;
      const error =
        this.pendingProtocolError ??
        new AssociationProviderAbortError(reason, 'protocol-error', `${input.event} before any A-ASSOCIATE-RQ`);
      this.pendingProtocolError = undefined;
      this.setOutcome('provider-aborted', error);
      this.emit({ type: 'protocol-error', reason, error });
    } else if (action === 'AA-7') {
      const reason = input.event === 'Evt19' ? input.abortReason : AbortReason.UnexpectedPdu;
      this.emit({
        type: 'protocol-error',
        reason,
        error: new AssociationProviderAbortError(reason, 'protocol-error', `${input.event} in Sta13`),
      });
    } else if (action === 'AA-2' && input.event === 'Evt16' && from === 'Sta2') {
      this.setOutcome('peer-aborted', new AssociationAbortedError(input.pdu.source, input.pdu.reason));
    } else if (action === 'AA-5') {
      this.setOutcome(
        'transport-closed',
        this.transportError ??
          new AssociationTransportError('The peer closed the connection before sending an A-ASSOCIATE-RQ'),
      );
    } else if (action === 'AE-6' && input.event === 'Evt6' && input.providerRejection) {
      const rj = input.providerRejection;
      this.setOutcome('error', new AssociationRejectedError(rj.result, rj.source, rj.reason));
    } else if (action === 'AE-8' && input.event === 'Evt8') {
      this.setOutcome('error', new AssociationRejectedError(input.pdu.result, input.pdu.source, input.pdu.reason));
    }
  }

  private pendingProtocolError: AssociationError | undefined;

  private onPrimitive(primitive: UlPrimitive): void {
    switch (primitive.kind) {
      case 'A-ASSOCIATE-indication':
        this.decideOnRequest(primitive.request).catch((error: unknown) => this.failInternal(error));
        return;
      case 'A-ASSOCIATE-confirmation-accept': {
        this.clearTimer('responseTimer');
        this.responsePdu = primitive.response;
        this.negotiatedValue = deriveNegotiated(
          this.request,
          primitive.response,
          'requestor',
          this.remote,
          this.config.sendCap ?? MAX_PDU_LENGTH_TO_SEND_CAP,
        );
        this.emit({ type: 'associated', negotiated: this.negotiatedValue });
        const waiter = this.establishment;
        this.establishment = undefined;
        waiter?.resolve();
        return;
      }
      case 'A-ASSOCIATE-confirmation-reject': {
        this.clearTimer('responseTimer');
        const rj = primitive.rejection;
        this.setOutcome('error', new AssociationRejectedError(rj.result, rj.source, rj.reason));
        return;
      }
      case 'P-DATA-indication':
        this.pDataSubject.next(primitive.pdu);
        return;
      case 'A-RELEASE-indication':
        this.emit({ type: 'release-requested', collision: primitive.collision });
        if (primitive.collision) {
          // Our own release is under way, so the local user's answer is yes: requestor side answers now (AR-9);
          // acceptor side answers after the peer's A-RELEASE-RP (AR-10, then AR-4).
          if (this.role === 'requestor') this.pendingAutoRelease = true;
        } else {
          const hook = this.onReleaseRequest;
          if (hook === undefined) {
            this.pendingAutoRelease = true;
          } else {
            Promise.resolve()
              .then(hook)
              .catch(() => undefined)
              .then(() => {
                if (this.ulState === 'Sta8') this.respondToRelease();
              })
              .catch((error: unknown) => this.failInternal(error));
          }
        }
        return;
      case 'A-RELEASE-confirmation':
        this.clearTimer('releaseTimer');
        this.setOutcome('released');
        this.emit({ type: 'release-confirmed' });
        if (this.ulState === 'Sta12') this.pendingAutoRelease = true;
        return;
      case 'A-ABORT-indication':
        this.emit({ type: 'abort-received', source: primitive.source, reason: primitive.reason });
        this.setOutcome('peer-aborted', new AssociationAbortedError(primitive.source, primitive.reason));
        return;
      case 'A-P-ABORT-indication':
        if (primitive.origin === 'peer-provider') {
          this.emit({ type: 'abort-received', source: 2, reason: primitive.reason });
          this.setOutcome('provider-aborted', new AssociationProviderAbortError(primitive.reason, 'peer-provider'));
        } else if (primitive.origin === 'protocol-error') {
          const error =
            this.pendingProtocolError ?? new AssociationProviderAbortError(primitive.reason, 'protocol-error');
          this.pendingProtocolError = undefined;
          this.emit({ type: 'protocol-error', reason: primitive.reason, error });
          this.setOutcome('provider-aborted', error);
        } else {
          const beforeAnswer = this.role === 'requestor' && this.responsePdu === undefined && this.connected;
          const hint = this.connector?.isTls ? '' : ' (if it expects TLS, connect with the tls option)';
          this.setOutcome(
            'transport-closed',
            this.transportError ??
              new AssociationTransportError(
                beforeAnswer
                  ? `${this.connector?.describe ?? 'The peer'} closed the connection without answering the A-ASSOCIATE-RQ${hint}`
                  : 'The transport connection closed unexpectedly',
              ),
          );
        }
        return;
    }
  }

  /** Answers a peer's A-RELEASE-RQ (Evt14: AR-4 in Sta8/Sta12, AR-9 in Sta9). */
  private respondToRelease(): void {
    const state = this.ulState;
    if (state !== 'Sta8' && state !== 'Sta9' && state !== 'Sta12') return;
    if (state === 'Sta8') this.setOutcome('released');
    this.dispatch({ event: 'Evt14' });
  }

  private async decideOnRequest(request: AAssociateRq): Promise<void> {
    const acceptor = this.acceptor;
    if (!acceptor) return;
    this.requestPdu = request;
    let decision: AssociationDecision;
    if (request.applicationContextName !== DICOM_APPLICATION_CONTEXT_NAME) {
      decision = {
        accept: false,
        result: RejectResult.RejectedPermanent,
        source: RejectSource.ServiceUser,
        reason: RejectReason.ApplicationContextNameNotSupported,
      };
    } else {
      try {
        decision = await acceptor.decide(request, acceptor.info);
      } catch {
        decision = {
          accept: false,
          result: RejectResult.RejectedTransient,
          source: RejectSource.ServiceUser,
          reason: RejectReason.NoReasonGiven,
        };
      }
    }
    if (this.ulState !== 'Sta3') return;
    if (decision.accept) {
      let ac: AAssociateAc | undefined;
      try {
        ac = buildAssociateAc(request, decision, {
          maxPduLength: this.config.maxPduLength,
          ...(acceptor.implementationClassUid ? { implementationClassUid: acceptor.implementationClassUid } : {}),
          ...(acceptor.implementationVersionName
            ? { implementationVersionName: acceptor.implementationVersionName }
            : {}),
        });
      } catch {
        ac = undefined;
      }
      if (ac) {
        this.responsePdu = ac;
        this.negotiatedValue = deriveNegotiated(
          request,
          ac,
          'acceptor',
          this.remote,
          this.config.sendCap ?? MAX_PDU_LENGTH_TO_SEND_CAP,
        );
        this.dispatch({ event: 'Evt7', pdu: ac });
        if ((this.ulState as UlState) === 'Sta6') {
          this.emit({ type: 'associated', negotiated: this.negotiatedValue });
          acceptor.onEstablished(this);
        }
        return;
      }
      decision = {
        accept: false,
        result: RejectResult.RejectedTransient,
        source: RejectSource.ServiceUser,
        reason: RejectReason.NoReasonGiven,
      };
    }
    this.dispatch({
      event: 'Evt8',
      pdu: { kind: 'A-ASSOCIATE-RJ', result: decision.result, source: decision.source, reason: decision.reason },
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Transport

  private openTransport(): void {
    const connector = this.connector;
    if (!connector) throw new AssociationStateError('No transport to connect', this.ulState);
    let opened: ReturnType<TransportConnector['open']>;
    try {
      opened = connector.open();
    } catch (error) {
      this.transportError = new AssociationTransportError(`Could not connect to ${connector.describe}`, {
        cause: error,
      });
      queueMicrotask(() => {
        if (!this.finalized) this.dispatch({ event: 'Evt17' });
      });
      return;
    }
    const { socket, readyEvent } = opened;
    this.attach(socket);
    this.armTimer('connectTimer', this.config.timeouts.connect, () => {
      this.timeout('connect', this.config.timeouts.connect, `Connecting to ${connector.describe} timed out`);
    });
    const ready = (): void => {
      this.clearTimer('connectTimer');
      if (this.ulState !== 'Sta4') return;
      this.connected = true;
      this.updateRemote(socket);
      this.armTimer('responseTimer', this.config.timeouts.artim, () => {
        this.timeout('artim', this.config.timeouts.artim, 'No A-ASSOCIATE-AC or A-ASSOCIATE-RJ from the peer');
      });
      this.dispatch({ event: 'Evt2' });
    };
    if (readyEvent === null) queueMicrotask(ready);
    else socket.once(readyEvent, ready);
  }

  private attach(socket: Duplex): void {
    this.socket = socket;
    const net = socket as Partial<Socket>;
    if (typeof net.setNoDelay === 'function') net.setNoDelay(true);
    this.updateRemote(socket);
    let tcpConnected = !(net.connecting ?? false);
    socket.on('connect', () => {
      tcpConnected = true;
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        this.onData(chunk);
      } catch (error) {
        this.failInternal(error);
      }
    });
    socket.on('drain', () => this.onDrain());
    socket.on('error', (error: Error & { code?: string }) => {
      if (this.transportError) return;
      const connector = this.connector;
      const where = connector?.describe ?? this.describeRemote();
      if (connector && this.ulState === 'Sta4' && (!tcpConnected || CONNECT_ERROR_CODES.has(error.code ?? ''))) {
        this.transportError = new AssociationTransportError(`Could not connect to ${where}: ${error.message}`, {
          cause: error,
        });
      } else if (connector?.isTls && this.ulState === 'Sta4') {
        const hint = /wrong version number|packet length too long|unknown protocol|record layer failure/i.test(
          error.message,
        )
          ? ' (the peer does not seem to speak TLS)'
          : '';
        this.transportError = new AssociationTlsError(
          `TLS handshake with ${where} failed: ${error.message.trim()}${hint}`,
          {
            cause: error,
          },
        );
      } else {
        this.transportError = new AssociationTransportError(`Transport error with ${where}: ${error.message}`, {
          cause: error,
        });
      }
    });
    socket.on('close', () => {
      if (!this.finalized) this.dispatch({ event: 'Evt17' });
    });
    // The peer closed its side (TCP FIN). A net.Socket ends ours by itself (allowHalfOpen false); a generic Duplex
    // may not, so end it: the stream then closes (Evt17) once our pending writes are flushed.
    socket.on('end', () => {
      if (socket.writable && (socket as Duplex & { allowHalfOpen?: boolean }).allowHalfOpen !== false) socket.end();
    });
    if (this.role === 'acceptor' || !(net.connecting ?? false)) this.armIdleTimer();
    else socket.once('connect', () => this.armIdleTimer());
  }

  private updateRemote(socket: Duplex): void {
    const net = socket as Partial<Socket>;
    if (net.remoteAddress !== undefined) {
      this.remote = { remoteAddress: net.remoteAddress, remotePort: net.remotePort };
    }
  }

  private describeRemote(): string {
    return this.remote.remoteAddress ? `${this.remote.remoteAddress}:${this.remote.remotePort}` : 'the peer';
  }

  private onData(chunk: Buffer): void {
    if (this.finalized || this.discardInput) return;
    this.touchIdle();
    if (!this.receivedAny) {
      this.receivedAny = true;
      const first = chunk[0];
      if (
        (first === TLS_HANDSHAKE_RECORD || first === TLS_ALERT_RECORD) &&
        (this.ulState === 'Sta2' || this.ulState === 'Sta5')
      ) {
        const message =
          this.ulState === 'Sta2'
            ? 'A TLS handshake arrived on a plain (non-TLS) DICOM port: the peer expects TLS'
            : 'The peer answered with TLS records: it expects a TLS connection';
        this.transportError = new AssociationTlsError(message);
        this.pendingProtocolError = this.transportError;
      }
    }
    let pdus: Pdu[];
    try {
      pdus = this.reader.push(chunk);
    } catch (error) {
      this.discardInput = true;
      const reason: AbortReasonCode = error instanceof PduError ? error.abortReason : AbortReason.NotSpecified;
      const detail = error instanceof Error ? error.message : String(error);
      const protocolError =
        this.pendingProtocolError ??
        new AssociationProviderAbortError(reason, 'protocol-error', detail, { cause: error });
      this.queue.push({ invalid: reason, error: protocolError });
      this.processQueue();
      return;
    }
    for (const pdu of pdus) this.queue.push({ pdu });
    this.processQueue();
  }

  private processQueue(): void {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length > 0 && this.pauseCount === 0 && !this.finalized) {
        const item = this.queue.shift()!;
        if ('invalid' in item) {
          this.pendingProtocolError = item.error;
          this.setOutcomeError(item.error);
          this.dispatch({ event: 'Evt19', abortReason: item.invalid, detail: item.error.message });
          continue;
        }
        if (pduReceivedChannel.hasSubscribers) pduReceivedChannel.publish({ association: this, pdu: item.pdu });
        this.dispatch(this.inputFor(item.pdu));
      }
    } finally {
      this.processing = false;
    }
  }

  /** Records a protocol error as the outcome when the table will abort (the error is then the closing reason). */
  private setOutcomeError(error: AssociationError): void {
    if (this.ulState !== 'Sta13' && this.ulState !== 'Sta1') this.setOutcome('provider-aborted', error);
  }

  /** Maps a received PDU to its event, with the semantic checks the codec cannot make. PS3.8 Table 9-10. */
  private inputFor(pdu: Pdu): UlInput {
    const invalid = (detail: string): UlInput => {
      const reason = AbortReason.InvalidPduParameterValue;
      const error = new AssociationProviderAbortError(reason, 'protocol-error', detail);
      this.pendingProtocolError = error;
      this.setOutcomeError(error);
      return { event: 'Evt19', abortReason: reason, detail };
    };
    switch (pdu.kind) {
      case 'A-ASSOCIATE-RQ': {
        if (this.ulState !== 'Sta2') return { event: 'Evt6', pdu };
        const peerMax = pdu.userInformation.maximumLength ?? 0;
        if (peerMax !== 0 && peerMax < MIN_PEER_MAX_PDU_LENGTH) {
          return invalid(`Maximum Length Received of ${peerMax} cannot carry any data`);
        }
        this.requestPdu = pdu;
        let rejection: AAssociateRj | undefined;
        if ((pdu.protocolVersion & 1) === 0) {
          rejection = {
            kind: 'A-ASSOCIATE-RJ',
            result: RejectResult.RejectedPermanent,
            source: RejectSource.ServiceProviderAcse,
            reason: RejectReason.ProtocolVersionNotSupported,
          };
        } else {
          rejection = this.acceptor?.providerCheck?.(pdu);
        }
        return rejection ? { event: 'Evt6', pdu, providerRejection: rejection } : { event: 'Evt6', pdu };
      }
      case 'A-ASSOCIATE-AC': {
        if (this.ulState === 'Sta5') {
          const peerMax = pdu.userInformation.maximumLength ?? 0;
          if (peerMax !== 0 && peerMax < MIN_PEER_MAX_PDU_LENGTH) {
            return invalid(`Maximum Length Received of ${peerMax} cannot carry any data`);
          }
        }
        return { event: 'Evt3', pdu };
      }
      case 'A-ASSOCIATE-RJ':
        return { event: 'Evt4', pdu };
      case 'P-DATA-TF': {
        if ((this.ulState === 'Sta6' || this.ulState === 'Sta7') && this.negotiatedValue) {
          const accepted = this.negotiatedValue.acceptedContexts;
          for (const pdv of pdu.pdvs) {
            if (!accepted.some((pc) => pc.id === pdv.presentationContextId)) {
              return invalid(`P-DATA on presentation context ${pdv.presentationContextId}, which was not accepted`);
            }
          }
        }
        return { event: 'Evt10', pdu };
      }
      case 'A-RELEASE-RQ':
        return { event: 'Evt12', pdu };
      case 'A-RELEASE-RP':
        return { event: 'Evt13', pdu };
      case 'A-ABORT':
        return { event: 'Evt16', pdu };
    }
  }

  private writePdu(pdu: Pdu): void {
    const socket = this.socket;
    const onWritten = pdu.kind === 'P-DATA-TF' ? this.writeCallback : undefined;
    if (onWritten !== undefined) this.writeCallback = undefined;
    if (!socket || socket.destroyed || !socket.writable) {
      this.lastWriteOk = false;
      if (onWritten !== undefined) {
        process.nextTick(onWritten, new AssociationClosedError('The P-DATA-TF was not sent: the transport is closed'));
      }
      return;
    }
    // Traffic either way keeps the association from being idle (a long send to a quiet peer is not idle).
    if (this.idleArmed) this.lastActivity = performance.now();
    const parts = encodePduParts(pdu);
    // Published before the write: on an in-memory transport the peer may answer within the write call.
    if (pduSentChannel.hasSubscribers) pduSentChannel.publish({ association: this, pdu });
    let ok = true;
    socket.cork();
    const last = parts.length - 1;
    for (let i = 0; i < last; i++) ok = socket.write(parts[i]!);
    ok = onWritten === undefined ? socket.write(parts[last]!) : socket.write(parts[last]!, onWritten);
    socket.uncork();
    ok = ok || !this.transportFull();
    this.lastWriteOk = ok;
    if (!ok && !this.writeTimer) {
      this.armTimer('writeTimer', this.config.timeouts.write, () => {
        this.transportError ??= new AssociationTimeoutError(
          'write',
          this.config.timeouts.write,
          `The peer has not read our data for ${this.config.timeouts.write} ms`,
        );
        this.timeout('write', this.config.timeouts.write, 'The peer stopped reading');
      });
    }
    if (pdu.kind === 'A-ABORT') this.emit({ type: 'abort-sent', source: pdu.source, reason: pdu.reason });
  }

  private onDrain(): void {
    this.clearTimer('writeTimer');
    const waiters = [...this.drainWaiters];
    this.drainWaiters.clear();
    for (const waiter of waiters) waiter.resolve();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Timers

  private armTimer(
    name: 'artimTimer' | 'idleTimer' | 'writeTimer' | 'connectTimer' | 'responseTimer' | 'releaseTimer',
    ms: number,
    onExpiry: () => void,
  ): void {
    this.clearTimer(name);
    if (ms <= 0 || this.finalized) return;
    const timer = setTimeout(() => {
      this[name] = undefined;
      if (!this.finalized) onExpiry();
    }, ms);
    this[name] = timer;
  }

  private clearTimer(
    name: 'artimTimer' | 'idleTimer' | 'writeTimer' | 'connectTimer' | 'responseTimer' | 'releaseTimer',
  ): void {
    const timer = this[name];
    if (timer !== undefined) {
      clearTimeout(timer);
      this[name] = undefined;
    }
  }

  /**
   * (Re)starts the idle timer from now. Traffic does not re-arm it (a clear + setTimeout per PDU is costly): it only
   * records the time ({@link touchIdle}); the timer, when it fires, re-arms itself for what is left since then.
   */
  private armIdleTimer(): void {
    if (this.pauseCount > 0) return;
    const idle = this.config.timeouts.idle;
    this.lastActivity = performance.now();
    this.idleArmed = idle > 0 && !this.finalized;
    const check = (): void => {
      const left = idle - (performance.now() - this.lastActivity);
      if (left > 0) {
        this.armTimer('idleTimer', left, check);
        return;
      }
      this.idleArmed = false;
      this.timeout('idle', idle, `Nothing received for ${idle} ms`);
    };
    this.armTimer('idleTimer', idle, check);
  }

  /** Traffic: the association is not idle now. Arms the idle timer if it is not running. */
  private touchIdle(): void {
    if (this.idleArmed) this.lastActivity = performance.now();
    else this.armIdleTimer();
  }

  /** Whether the transport holds more unsent bytes than we let it (see {@link transportHighWaterMark}). */
  private transportFull(): boolean {
    const socket = this.socket;
    if (socket === undefined || !socket.writableNeedDrain) return false;
    return !(socket.writableLength < transportHighWaterMark(this.negotiatedValue?.maxPduLengthToSend ?? 0));
  }

  private onArtimExpired(): void {
    if (this.ulState === 'Sta2') {
      const error = new AssociationTimeoutError(
        'artim',
        this.config.timeouts.artim,
        `No A-ASSOCIATE-RQ within ${this.config.timeouts.artim} ms (ARTIM)`,
      );
      this.setOutcome('error', error);
      this.emit({ type: 'timeout', timer: 'artim', error });
    }
    this.dispatch({ event: 'Evt18' });
  }

  /** A netdicom timer expired: record it, then abort (or drop the transport when no abort can get through). */
  private timeout(timer: AssociationTimer, ms: number, message: string): void {
    const error = new AssociationTimeoutError(timer, ms, `${message} (${timer} timeout, ${ms} ms)`);
    this.setOutcome('error', error);
    this.emit({ type: 'timeout', timer, error });
    if (timer === 'write' || timer === 'connect') {
      this.socket?.destroy();
      return;
    }
    this.abortNow();
  }

  /** A-ABORT request (Evt15) where the table has one; otherwise close the transport. */
  private abortNow(): void {
    if (actionFor('Evt15', this.ulState) !== undefined) {
      this.dispatch({ event: 'Evt15' });
    } else if (this.ulState === 'Sta1' && !this.socket) {
      this.finalize();
    } else if (this.ulState !== 'Sta13') {
      this.socket?.destroy();
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Endings

  /**
   * Last line of defence: an exception escaped while handling the transport (a bug here, or a throwing subscriber).
   * The association cannot be trusted any more: record it and drop the connection rather than crash the process.
   */
  private failInternal(error: unknown): void {
    this.setOutcome(
      'error',
      new AssociationError(
        `Internal error while handling the association: ${error instanceof Error ? error.message : String(error)}`,
        'ERR_NETDICOM_ASSOCIATION',
        { cause: error },
      ),
    );
    if (this.socket && !this.socket.destroyed) this.socket.destroy();
    else this.finalize();
  }

  private setOutcome(reason: AssociationClosed['reason'], error?: AssociationError): void {
    if (this.outcome) return;
    this.outcome = error ? { reason, error } : { reason };
  }

  private emit(event: AssociationEvent): void {
    if (!this.eventsSubject.closed) this.eventsSubject.next(event);
  }

  private finalize(): void {
    if (this.finalized) return;
    this.finalized = true;
    for (const name of [
      'artimTimer',
      'idleTimer',
      'writeTimer',
      'connectTimer',
      'responseTimer',
      'releaseTimer',
    ] as const) {
      this.clearTimer(name);
    }
    this.queue.length = 0;
    if (this.socket && !this.socket.destroyed) this.socket.destroy();
    const outcome: AssociationClosed =
      this.outcome ??
      (this.transportError
        ? { reason: 'transport-closed', error: this.transportError }
        : { reason: 'transport-closed', error: new AssociationTransportError('The transport connection closed') });
    this.outcome = outcome;
    const closedError = outcome.error ?? new AssociationClosedError(`The association ended (${outcome.reason})`);
    if (this.establishment) {
      const waiter = this.establishment;
      this.establishment = undefined;
      waiter.reject(closedError);
    }
    for (const waiter of this.drainWaiters)
      waiter.reject(new AssociationClosedError('The association closed', { cause: outcome.error }));
    this.drainWaiters.clear();
    if (this.ulState !== 'Sta1') {
      this.ulState = 'Sta1';
      this.stateSubject.next('Sta1');
    }
    this.emit({ type: 'closed', closed: outcome });
    this.pDataSubject.complete();
    this.eventsSubject.complete();
    this.stateSubject.complete();
    this.resolveClosed(outcome);
  }
}

/** Ensures the remote address is known for a server socket; used by the server. */
export function remoteInfo(socket: Duplex): { remoteAddress: string | undefined; remotePort: number | undefined } {
  const net = socket as Partial<Socket & TLSSocket>;
  return { remoteAddress: net.remoteAddress, remotePort: net.remotePort };
}
