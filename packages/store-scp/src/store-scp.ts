/**
 * StoreScp: a Storage SCP (PS3.4 Annex B) and Verification SCP (PS3.4 Annex A) that answers Success only for an
 * instance durably on disk, streams every dataset in bounded memory, and refuses what it must with the answers the
 * standard prescribes.
 */
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import type { TlsOptions } from 'node:tls';
import {
  type Association,
  type AssociationDecision,
  type AssociationRequestInfo,
  type AssociationServer,
  type AssociationTimeouts,
  createAcceptancePolicy,
  createAssociationServer,
  describeRejection,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  type UnknownUserIdentity,
  type UserIdentity,
  type UserIdentityVerdict,
} from '@netdicom/association';
import { createDimseServer, type DatasetHeader, type DimseServer } from '@netdicom/dimse';
import type { AAssociateRq } from '@netdicom/pdu';
// Not rxjs's index (200+ modules, ~80 ms of start-up): the same classes, from their own modules.
import type { Observable } from 'rxjs/internal/Observable';
import { Subject } from 'rxjs/internal/Subject';
import {
  DatasetMismatchError,
  type ExecOnReceptionError,
  ObjectTooLargeError,
  ScpClosingError,
  StoreHandlerError,
  StoreRefusedError,
  StoreScpError,
  StoreScpOptionsError,
  StoreStatus,
} from './errors.js';
import { checkExecTemplate, createExecRunner, type ExecRunner, expandExecTemplate } from './exec.js';
import {
  type DuplicatePolicy,
  type FileStore,
  type FileStoreFileSystem,
  type FileStoreLayout,
  type FileStoreStartup,
  openFileStore,
  type RoutingAttributes,
  stripDicomPadding,
} from './file-store/index.js';
import { DEFAULT_HEADER_PEEK_LIMIT, peekHeader } from './header.js';
import { storageSopClassUids, VERIFICATION_SOP_CLASS } from './sop-classes.js';

/** A DIMSE status answer: a code, or a code with an Error Comment (0000,0902), PS3.7 9.1.1.1.9 and Annex C. */
export type StoreStatusAnswer = number | { readonly status: number; readonly errorComment?: string };

/** Who sent a store or echo, and over what (PS3.8 7.1.1: the AE titles of the A-ASSOCIATE-RQ). */
export interface PeerInfo {
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
}

/** What a custom {@link StoreScpOptions.onStore} handler receives (the C-STORE-RQ of PS3.7 9.1.1.1). */
export interface StoreContext extends PeerInfo {
  readonly association: Association;
  readonly messageId: number;
  /** Affected SOP Class UID of the command. */
  readonly sopClassUid: string;
  /** Affected SOP Instance UID of the command. */
  readonly sopInstanceUid: string;
  /** Transfer syntax of the presentation context the dataset arrived on. */
  readonly transferSyntax: string;
  /** Priority (0000,0700): 0 medium, 1 high, 2 low. */
  readonly priority: number;
  /** Routing attributes read from the dataset header (PatientID, StudyInstanceUID, ...). */
  readonly attributes: RoutingAttributes;
  /** The parsed header, when it could be read within the first 4 MiB. */
  readonly header: DatasetHeader | undefined;
  /**
   * Every byte of the dataset, as received, from the first. Consume it, or return without reading it: the rest is
   * then received and dropped. With `maxObjectSize`, iterating past it throws {@link ObjectTooLargeError}.
   */
  readonly dataset: AsyncIterable<Uint8Array>;
  /** Aborted when the peer cancels (C-CANCEL), the association ends, or `close()` gives up waiting. */
  readonly signal: AbortSignal;
}

/** What a custom {@link StoreScpOptions.onEcho} handler receives (C-ECHO-RQ, PS3.7 9.1.5.1). */
export interface EchoContext extends PeerInfo {
  readonly association: Association;
  readonly messageId: number;
}

/** TLS settings of the SCP (PS3.15 B.1, the Basic TLS Secure Transport Connection Profile): TLS 1.2 or later. */
export interface StoreScpTlsOptions {
  /** Our private key (PEM). */
  readonly key: string | Buffer;
  /** Our certificate chain (PEM). */
  readonly cert: string | Buffer;
  /** CA certificates that client certificates are verified against (default: Node.js's bundled CA list). */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Require a client certificate that verifies against `ca` (mutual TLS). Default false. */
  readonly requireClientCertificate?: boolean;
  /** Further node:tls server options (ciphers, ...). */
  readonly extra?: TlsOptions;
}

/** Options of {@link StoreScp}. */
export interface StoreScpOptions {
  /** Our AE title (default `NETDICOM`). */
  readonly aeTitle?: string;
  /** TCP port (default 11112; 0 picks a free one). */
  readonly port?: number;
  /** Address to listen on (default all interfaces). */
  readonly host?: string;
  /** Where the default file store writes (default `./dicom-data`). */
  readonly storageDir?: string;
  /** `flat`, `study` (default), `patient`, or a template such as `{PatientID}/{StudyInstanceUID}/{SOPInstanceUID}.dcm`. */
  readonly layout?: FileStoreLayout;
  /** Same SOP Instance UID again: `overwrite` (default), `keep-first` or `keep-both`. */
  readonly duplicates?: DuplicatePolicy;
  /** Reject associations calling another AE title than ours (default true). */
  readonly checkCalledAeTitle?: boolean;
  /** Accept only these calling AE titles (default any). */
  readonly acceptCallingAeTitles?: readonly string[];
  /** SOP classes accepted besides Verification (default: every storage SOP class of the standard). */
  readonly sopClasses?: readonly string[];
  /** Accept any SOP class proposed, also ones we do not know (default false). */
  readonly acceptUnknownSopClasses?: boolean;
  /** Transfer syntaxes accepted, in our order of preference, or `'any'` (default: any, stored as received). */
  readonly transferSyntaxes?: readonly string[] | 'any';
  /** Checks the requestor's user identity (PS3.7 D.3.3.7); `false` rejects the association. */
  readonly verifyUserIdentity?: (
    identity: UserIdentity | UnknownUserIdentity | undefined,
    request: AAssociateRq,
    info: AssociationRequestInfo,
  ) => UserIdentityVerdict | Promise<UserIdentityVerdict>;
  /** Serve DICOM over TLS (PS3.15 B.1) instead of plain TCP. */
  readonly tls?: StoreScpTlsOptions;
  /** Simultaneous associations (default 100); beyond: A-ASSOCIATE-RJ transient, local limit exceeded. */
  readonly maxAssociations?: number;
  /**
   * Operations a peer may have outstanding on one association: the Maximum Number of Operations Invoked we grant in
   * the Asynchronous Operations Window (PS3.7 D.3.3.3; default 16, 0 = unlimited). Only answered when proposed.
   */
  readonly maxOperationsPerformed?: number;
  /** Association timers in milliseconds (idle, ARTIM, write, ...), see @netdicom/association. */
  readonly timeouts?: AssociationTimeouts;
  /** Our Maximum Length Received (PS3.8 D.1). */
  readonly maxPduLength?: number;
  /** Largest dataset accepted, in bytes; larger ones are refused with 0xA702 (Out of Resources family). */
  readonly maxObjectSize?: number;
  /** fsync files and directories before answering (default true). Never turn off for real data. */
  readonly fsync?: boolean;
  /**
   * The file-system layer of the default file store (default: node:fs/promises). Inject one to observe or fail any
   * step of the durable write protocol (fault-injection tests: a failing fsync must never be answered Success,
   * PS3.4 B.2.3). Ignored with `onStore`.
   */
  readonly fileSystem?: FileStoreFileSystem;
  /** Replaces the file store: store the dataset elsewhere and answer a status (undefined or 0 = Success). */
  readonly onStore?: (context: StoreContext) => Promise<StoreStatusAnswer | undefined> | StoreStatusAnswer | undefined;
  /** Answers C-ECHO (default Success). */
  readonly onEcho?: (context: EchoContext) => Promise<StoreStatusAnswer | undefined> | StoreStatusAnswer | undefined;
  /**
   * A program to run (no shell) after each stored instance: an argv array whose arguments may contain the
   * placeholders of `EXEC_PLACEHOLDERS` (`{path}`, `{sopInstanceUid}`, `{patientId}`, ...). Each argument stays one
   * argument whatever a peer's values contain. Runs after the Success response; never delays it.
   */
  readonly execOnReception?: readonly string[];
  /** exec-on-reception programs running at once (default 4); more wait in a queue of at most 10 000. */
  readonly execOnReceptionConcurrency?: number;
  /** Kill an exec-on-reception program running longer than this, ms (default 300 000; 0 = never). */
  readonly execOnReceptionTimeout?: number;
  /** Quiet period after which a study counts as complete for `studyCompleted$`, ms (default 30 000). */
  readonly studyCompletionTimeout?: number;
  /** How long `close()` lets stores in flight finish before aborting, ms (default 30 000). */
  readonly closeTimeout?: number;
}

/** An instance stored durably by the default file store (PS3.4 B.2.3: its Success is being answered). */
export interface ReceivedInstance extends PeerInfo {
  /** Absolute path of the Part-10 file. */
  readonly path: string;
  /** Path under `storageDir`, with `/`. */
  readonly relativePath: string;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntax: string;
  readonly patientId: string | undefined;
  readonly patientName: string | undefined;
  readonly studyInstanceUid: string | undefined;
  readonly seriesInstanceUid: string | undefined;
  readonly modality: string | undefined;
  /** Dataset bytes received. */
  readonly bytes: number;
  /** From the start of the store to the durable rename. */
  readonly durationSeconds: number;
  /** Set when an instance with this SOP Instance UID was already stored. */
  readonly duplicate?: 'overwritten' | 'kept-first' | 'kept-both';
}

/** An association that was accepted (PS3.8 7.1). */
export interface AssociationInfo extends PeerInfo {
  /** Sequence number of the association in this SCP. */
  readonly id: number;
}

/** An association that ended, with the instances it stored. */
export interface AssociationEnded extends AssociationInfo {
  /** `released`, `aborted` (by us), `peer-aborted`, `provider-aborted`, `transport-closed` or `error`. */
  readonly reason: string;
  readonly instances: readonly ReceivedInstance[];
  readonly durationSeconds: number;
}

/** A study that received no instance for the quiet period (or was still pending at `close()`). */
export interface StudyCompleted {
  readonly studyInstanceUid: string;
  readonly patientId: string | undefined;
  readonly instances: readonly ReceivedInstance[];
}

/** An association request we refused with an A-ASSOCIATE-RJ (PS3.8 7.1.1.9, Table 9-21). */
export interface RejectedAssociation {
  readonly remoteAddress: string | undefined;
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  /** Result, source and reason in words, e.g. `rejected-permanent, DICOM UL service-user: calling-AE-title-not-recognized`. */
  readonly reason: string;
  /** Result (1 permanent, 2 transient), source and reason as sent. */
  readonly result: number;
  readonly source: number;
  readonly reasonCode: number;
}

/** A store answered with a failure status. */
export interface FailedStore extends PeerInfo {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  /** The status answered (PS3.4 Table B.2-1). */
  readonly status: number;
  readonly error: Error;
}

/** How long close() waits for idle peers to release on their own before aborting them, within closeTimeout. */
const RELEASE_GRACE_MS = 2_000;
const SUCCESS = 0x0000;

/** The policy answers of PS3.8 Table 9-21 that StoreScp sends itself. */
const REJECT_TRANSIENT = 2;
const SOURCE_PROVIDER_PRESENTATION = 3;
const REASON_TEMPORARY_CONGESTION = 1;
const REASON_LOCAL_LIMIT_EXCEEDED = 2;

function toAnswer(answer: StoreStatusAnswer | undefined): { status: number; errorComment?: string } {
  if (answer === undefined) return { status: SUCCESS };
  return typeof answer === 'number' ? { status: answer } : answer;
}

/** Success (0000) and warnings (0001, Bxxx, 0107, 0116) are not failures (PS3.4 Table B.2-1, PS3.7 Annex C). */
function isFailure(status: number): boolean {
  return !(status === 0 || status === 0x0001 || status === 0x0107 || status === 0x0116 || (status & 0xf000) === 0xb000);
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function checkCount(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min)) {
    throw new StoreScpOptionsError(`${name} must be an integer >= ${min}, got ${value}`);
  }
}

/** Counts the bytes of a dataset stream and throws {@link ObjectTooLargeError} past `limit`. */
async function* limited(
  source: AsyncIterable<Uint8Array>,
  limit: number,
  onExceeded: (error: ObjectTooLargeError) => void,
): AsyncGenerator<Uint8Array> {
  let received = 0;
  for await (const chunk of source) {
    received += chunk.byteLength;
    if (received > limit) {
      const error = new ObjectTooLargeError(limit, received);
      onExceeded(error);
      throw error;
    }
    yield chunk;
  }
}

/**
 * A DICOM Storage SCP (PS3.4 Annex B) with Verification (PS3.4 Annex A): accepts associations (PS3.8 7.1) under an
 * acceptance policy, writes every C-STORE (PS3.7 9.1.1) durably as a Part-10 file (PS3.10 7.1) before answering
 * Success, and reports what happens through Observables.
 *
 * @example
 * const scp = new StoreScp({ aeTitle: 'NETDICOM', port: 11112, storageDir: './dicom-data' });
 * scp.received$.subscribe((i) => console.log(i.sopInstanceUid, i.path));
 * await scp.listen();
 * // ...
 * await scp.close();
 */
export class StoreScp {
  readonly options: StoreScpOptions;
  private readonly receivedSubject = new Subject<ReceivedInstance>();
  private readonly associationsSubject = new Subject<AssociationInfo>();
  private readonly associationEndedSubject = new Subject<AssociationEnded>();
  private readonly studyCompletedSubject = new Subject<StudyCompleted>();
  private readonly rejectedSubject = new Subject<RejectedAssociation>();
  private readonly failedSubject = new Subject<FailedStore>();
  private readonly errorsSubject = new Subject<Error>();
  private server: AssociationServer | undefined;
  private store: FileStore | undefined;
  private exec: ExecRunner | undefined;
  private listenCalled = false;
  private closing = false;
  private closed: Promise<void> | undefined;
  private nextId = 1;
  private inFlight = 0;
  private readonly studies = new Map<string, { timer: NodeJS.Timeout; instances: ReceivedInstance[] }>();
  private readonly dimseServers = new Map<Association, DimseServer>();
  /** Accepted requests not yet established, by `address:port`, with the timer that frees the slot. */
  private readonly reservations = new Map<string, NodeJS.Timeout>();
  private readonly controllers = new Set<AbortController>();

  /** Every instance stored durably; emitted as its Success response is sent. */
  readonly received$: Observable<ReceivedInstance> = this.receivedSubject.asObservable();
  /** Every association accepted. */
  readonly associations$: Observable<AssociationInfo> = this.associationsSubject.asObservable();
  /** Every association that ended, with its instances. */
  readonly associationEnded$: Observable<AssociationEnded> = this.associationEndedSubject.asObservable();
  /** Studies that received nothing for `studyCompletionTimeout` (and those still pending at `close()`). */
  readonly studyCompleted$: Observable<StudyCompleted> = this.studyCompletedSubject.asObservable();
  /** Association requests we rejected, with the reason sent. */
  readonly rejected$: Observable<RejectedAssociation> = this.rejectedSubject.asObservable();
  /** Stores answered with a failure status. */
  readonly failed$: Observable<FailedStore> = this.failedSubject.asObservable();
  /** Problems that are not a peer's: exec-on-reception failures, handler errors, unexpected failures. */
  readonly errors$: Observable<Error> = this.errorsSubject.asObservable();

  constructor(options: StoreScpOptions = {}) {
    const aeTitle = options.aeTitle ?? 'NETDICOM';
    if (aeTitle.length < 1 || aeTitle.length > 16 || /[\\\x00-\x1f\x7f]/.test(aeTitle) || aeTitle.trim() === '') {
      throw new StoreScpOptionsError(`aeTitle '${aeTitle}' is not a valid AE title (1-16 characters, no backslash)`);
    }
    checkCount('maxAssociations', options.maxAssociations, 1);
    checkCount('maxOperationsPerformed', options.maxOperationsPerformed, 0);
    checkCount('maxObjectSize', options.maxObjectSize, 1);
    checkCount('execOnReceptionConcurrency', options.execOnReceptionConcurrency, 1);
    checkCount('execOnReceptionTimeout', options.execOnReceptionTimeout, 0);
    checkCount('studyCompletionTimeout', options.studyCompletionTimeout, 0);
    checkCount('closeTimeout', options.closeTimeout, 0);
    checkCount('port', options.port, 0);
    if (options.port !== undefined && options.port > 65535) {
      throw new StoreScpOptionsError(`port must be at most 65535, got ${options.port}`);
    }
    if (options.execOnReception !== undefined) checkExecTemplate(options.execOnReception);
    this.options = { ...options, aeTitle };
  }

  /** Our AE title. */
  get aeTitle(): string {
    return this.options.aeTitle ?? 'NETDICOM';
  }

  /** Stores in progress now. */
  get storesInFlight(): number {
    return this.inFlight;
  }

  /**
   * What `listen()` cleaned in the storage directory: temporary files and session directories left by processes
   * that died mid-store. Undefined before `listen()` and with a custom `onStore`.
   */
  get startup(): FileStoreStartup | undefined {
    return this.store?.startup;
  }

  /** Associations established now. */
  get associationCount(): number {
    return this.dimseServers.size;
  }

  /**
   * Opens the file store (cleaning what a crash left) and starts accepting associations; resolves with the bound
   * address once the port accepts connections. Rejects with Node's error (`EADDRINUSE`, `EACCES`, ...) when it cannot
   * listen, having closed what it opened.
   */
  async listen(): Promise<AddressInfo> {
    if (this.listenCalled || this.closing) throw new StoreScpOptionsError('listen() was already called');
    this.listenCalled = true;
    const o = this.options;
    if (!o.onStore) {
      this.store = await openFileStore({
        storageDir: o.storageDir ?? './dicom-data',
        layout: o.layout ?? 'study',
        duplicates: o.duplicates ?? 'overwrite',
        implementationClassUid: IMPLEMENTATION_CLASS_UID,
        implementationVersionName: IMPLEMENTATION_VERSION_NAME,
        ...(o.maxObjectSize === undefined ? {} : { maxObjectSize: o.maxObjectSize }),
        ...(o.fsync === undefined ? {} : { fsync: o.fsync }),
        ...(o.fileSystem === undefined ? {} : { fileSystem: o.fileSystem }),
      });
      if (this.closing) {
        await this.store.close();
        throw new StoreScpOptionsError('close() was called before listen() finished');
      }
    }
    if (o.execOnReception) {
      this.exec = createExecRunner({
        ...(o.execOnReceptionConcurrency === undefined ? {} : { concurrency: o.execOnReceptionConcurrency }),
        ...(o.execOnReceptionTimeout === undefined ? {} : { timeout: o.execOnReceptionTimeout }),
        onError: (error: ExecOnReceptionError) => this.errorsSubject.next(error),
      });
    }
    const abstractSyntaxes = o.acceptUnknownSopClasses
      ? ('any' as const)
      : [...new Set([VERIFICATION_SOP_CLASS, ...(o.sopClasses ?? storageSopClassUids())])];
    const window = o.maxOperationsPerformed ?? 16;
    const policy = createAcceptancePolicy({
      ...(o.checkCalledAeTitle === false ? {} : { aeTitle: this.aeTitle }),
      ...(o.acceptCallingAeTitles ? { callingAeTitles: o.acceptCallingAeTitles } : {}),
      abstractSyntaxes,
      transferSyntaxes: o.transferSyntaxes ?? 'any',
      // PS3.7 D.3.3.3: in our A-ASSOCIATE-AC, "invoked" is what the requestor may have outstanding with us; we
      // invoke nothing on the requestor, so "performed" is 1.
      asynchronousOperationsWindow: { maxOperationsInvoked: window, maxOperationsPerformed: 1 },
      // We are only ever the SCP: a requestor proposing to be SCP too gets 0 for that role (PS3.7 D.3.3.4).
      acceptProposedRoles: false,
      ...(o.verifyUserIdentity ? { verifyUserIdentity: o.verifyUserIdentity } : {}),
    });
    const maxAssociations = o.maxAssociations ?? 100;
    const tls = o.tls
      ? {
          ...o.tls.extra,
          key: o.tls.key,
          cert: o.tls.cert,
          ...(o.tls.ca === undefined ? {} : { ca: o.tls.ca as string | Buffer | (string | Buffer)[] }),
          requestCert: o.tls.requireClientCertificate === true || o.tls.ca !== undefined,
          rejectUnauthorized: o.tls.requireClientCertificate === true,
          // TLS 1.2 at the least; a caller may ask for 1.3 only through `extra`.
          minVersion: o.tls.extra?.minVersion === 'TLSv1.3' ? ('TLSv1.3' as const) : ('TLSv1.2' as const),
        }
      : undefined;
    const server = createAssociationServer({
      // Connections in any state; established associations are limited below, where the refusal can be reported.
      maxAssociations: maxAssociations * 2 + 16,
      // Only @netdicom/dimse reads pData$: received P-DATA-TFs need not be copied together first.
      splitPData: true,
      implementationClassUid: IMPLEMENTATION_CLASS_UID,
      implementationVersionName: IMPLEMENTATION_VERSION_NAME,
      ...(o.timeouts ? { timeouts: o.timeouts } : {}),
      ...(o.maxPduLength === undefined ? {} : { maxPduLength: o.maxPduLength }),
      ...(tls ? { tls } : {}),
      onAssociationRequest: async (request, info) => {
        if (this.closing) {
          return this.reject(request, info, REASON_TEMPORARY_CONGESTION);
        }
        const decision = await policy(request, info);
        if (!decision.accept) {
          this.noteRejection(request, info, decision);
          return decision;
        }
        // Counted after the (possibly slow) policy, so that concurrent requests see each other's reservations.
        if (this.dimseServers.size + this.reservations.size >= maxAssociations || this.closing) {
          return this.reject(request, info, this.closing ? REASON_TEMPORARY_CONGESTION : REASON_LOCAL_LIMIT_EXCEEDED);
        }
        // The association layer acts on the decision in the microtasks that follow it: it sends the A-ASSOCIATE-AC
        // and establishes the association (serve() then frees the slot), or finds the peer gone (aborted, closed,
        // or a P-DATA-TF arrived in Sta3) and gives up. A 0 ms timer runs after those microtasks and frees the slot
        // in the second case, so that a peer dropping after its request never holds a slot.
        const key = `${info.remoteAddress}:${info.remotePort}`;
        const timer = setTimeout(() => this.reservations.delete(key), 0);
        this.reservations.set(key, timer);
        return decision;
      },
    });
    this.server = server;
    server.associations$.subscribe((association) => this.serve(association));
    try {
      return await server.listen(o.port ?? 11112, o.host);
    } catch (error) {
      // The port is taken or not ours to use: leave nothing open (the file store's session directory included).
      this.closing = true;
      await server.close();
      await this.store?.close();
      throw error;
    }
  }

  /**
   * Stops accepting associations (new requests are rejected transient, temporary congestion; new stores on open
   * associations are answered 0xA700), lets the stores in flight finish and their responses go out within
   * `closeTimeout`, gives peers up to 2 s (within it) to release on their own, then aborts what is left (stores not
   * yet durable keep nothing), closes the file store, waits for
   * exec-on-reception programs (same deadline), emits the pending study completions and completes every Observable.
   * Idempotent.
   */
  close(): Promise<void> {
    this.closed ??= this.doClose();
    return this.closed;
  }

  private async doClose(): Promise<void> {
    this.closing = true;
    const deadline = Date.now() + (this.options.closeTimeout ?? 30_000);
    const busy = [...this.dimseServers.values()].filter((s) => s.active > 0 || s.queued > 0);
    if (busy.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(busy.map((s) => s.idle())),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        }),
      ]);
      clearTimeout(timer);
    }
    // Peers usually release right after their last response: give them a moment to do so before aborting.
    const open = [...this.dimseServers.keys()];
    if (open.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(open.map((a) => a.closed)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, Math.max(0, Math.min(RELEASE_GRACE_MS, deadline - Date.now())));
        }),
      ]);
      clearTimeout(timer);
    }
    for (const controller of this.controllers) controller.abort(new ScpClosingError());
    await this.server?.close();
    for (const timer of this.reservations.values()) clearTimeout(timer);
    this.reservations.clear();
    await this.store?.close();
    await this.exec?.drain(deadline);
    for (const [uid, study] of this.studies) {
      clearTimeout(study.timer);
      this.emitStudy(uid, study.instances);
    }
    this.studies.clear();
    for (const subject of [
      this.receivedSubject,
      this.associationsSubject,
      this.associationEndedSubject,
      this.studyCompletedSubject,
      this.rejectedSubject,
      this.failedSubject,
      this.errorsSubject,
    ] as Subject<unknown>[]) {
      subject.complete();
    }
  }

  private reject(request: AAssociateRq, info: AssociationRequestInfo, reason: number): AssociationDecision {
    const decision = {
      accept: false as const,
      result: REJECT_TRANSIENT as 2,
      source: SOURCE_PROVIDER_PRESENTATION as 3,
      reason,
    };
    this.noteRejection(request, info, decision);
    return decision;
  }

  private noteRejection(
    request: AAssociateRq,
    info: AssociationRequestInfo,
    decision: { result: number; source: number; reason: number },
  ): void {
    this.rejectedSubject.next({
      remoteAddress: info.remoteAddress,
      callingAeTitle: request.callingAeTitle,
      calledAeTitle: request.calledAeTitle,
      reason: describeRejection(decision.result, decision.source, decision.reason),
      result: decision.result,
      source: decision.source,
      reasonCode: decision.reason,
    });
  }

  private serve(association: Association): void {
    const started = performance.now();
    const negotiated = association.negotiated;
    const key = `${negotiated.remoteAddress}:${negotiated.remotePort}`;
    clearTimeout(this.reservations.get(key));
    this.reservations.delete(key);
    const peer: PeerInfo = {
      callingAeTitle: negotiated.callingAeTitle,
      calledAeTitle: negotiated.calledAeTitle,
      remoteAddress: negotiated.remoteAddress,
      remotePort: negotiated.remotePort,
    };
    const info: AssociationInfo = { id: this.nextId++, ...peer };
    const instances: ReceivedInstance[] = [];
    const dimse = createDimseServer(association, {
      onEcho: async (ctx) => {
        if (!this.options.onEcho) return SUCCESS;
        return toAnswer(await this.options.onEcho({ ...peer, association, messageId: ctx.messageId }));
      },
      onStore: async (ctx) => {
        const answer = await this.handleStore(association, peer, ctx);
        if (answer.instance) instances.push(answer.instance);
        return { status: answer.status, ...(answer.errorComment ? { errorComment: answer.errorComment } : {}) };
      },
      onError: (error) => this.errorsSubject.next(toError(error)),
    });
    this.dimseServers.set(association, dimse);
    this.associationsSubject.next(info);
    void association.closed.then((closed) => {
      this.dimseServers.delete(association);
      this.associationEndedSubject.next({
        ...info,
        reason: closed.reason,
        instances,
        durationSeconds: (performance.now() - started) / 1000,
      });
    });
  }

  private async handleStore(
    association: Association,
    peer: PeerInfo,
    ctx: {
      messageId: number;
      sopClassUid: string;
      sopInstanceUid: string;
      transferSyntax: string;
      priority: number;
      dataset: Readable;
      signal: AbortSignal;
    },
  ): Promise<{ status: number; errorComment?: string; instance?: ReceivedInstance }> {
    const fail = (error: Error, status: number, errorComment?: string) => {
      this.failedSubject.next({
        ...peer,
        sopClassUid: ctx.sopClassUid,
        sopInstanceUid: ctx.sopInstanceUid,
        status,
        error,
      });
      // The DIMSE layer cuts the comment to what an LO value holds (64 characters).
      return { status, errorComment: errorComment ?? error.message };
    };
    if (this.closing) {
      const error = new ScpClosingError();
      return fail(error, error.status);
    }
    this.inFlight++;
    const controller = new AbortController();
    this.controllers.add(controller);
    const onAbort = () => controller.abort(ctx.signal.reason);
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener('abort', onAbort, { once: true });
    const started = performance.now();
    try {
      const peeked = await peekHeader(ctx.dataset, ctx.transferSyntax, DEFAULT_HEADER_PEEK_LIMIT);
      if (this.options.onStore) return await this.handleCustomStore(association, peer, ctx, peeked, controller, fail);
      const result = await this.store!.write({
        sopClassUid: ctx.sopClassUid,
        sopInstanceUid: ctx.sopInstanceUid,
        transferSyntaxUid: ctx.transferSyntax,
        callingAeTitle: peer.callingAeTitle,
        calledAeTitle: peer.calledAeTitle,
        attributes: peeked.attributes,
        dataset: peeked.stream,
        signal: controller.signal,
      });
      const a = peeked.attributes;
      const instance: ReceivedInstance = {
        ...peer,
        path: result.path,
        relativePath: result.relativePath,
        sopClassUid: ctx.sopClassUid,
        sopInstanceUid: ctx.sopInstanceUid,
        transferSyntax: ctx.transferSyntax,
        patientId: a.PatientID,
        patientName: a.PatientName,
        studyInstanceUid: a.StudyInstanceUID,
        seriesInstanceUid: a.SeriesInstanceUID,
        modality: a.Modality,
        bytes: result.bytes,
        durationSeconds: (performance.now() - started) / 1000,
        ...(result.duplicate ? { duplicate: result.duplicate } : {}),
      };
      this.announce(instance);
      return { status: SUCCESS, instance };
    } catch (error) {
      const err = toError(error);
      if (error instanceof StoreScpError) return fail(err, error.status);
      if ((error as { code?: string }).code === 'ERR_NETDICOM_DIMSE_MALFORMED_DATASET') {
        return fail(err, StoreStatus.CannotUnderstand);
      }
      // The association ended under the store, or something we did not foresee: nothing was kept.
      if (!ctx.signal.aborted) this.errorsSubject.next(err);
      return fail(err, StoreStatus.StorageFailure);
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      this.controllers.delete(controller);
      this.inFlight--;
    }
  }

  private async handleCustomStore(
    association: Association,
    peer: PeerInfo,
    ctx: { messageId: number; sopClassUid: string; sopInstanceUid: string; transferSyntax: string; priority: number },
    peeked: Awaited<ReturnType<typeof peekHeader>>,
    controller: AbortController,
    fail: (error: Error, status: number, errorComment?: string) => { status: number; errorComment?: string },
  ): Promise<{ status: number; errorComment?: string }> {
    // The dataset must match the command (PS3.4 B.2.3, 0xA900), whoever stores it.
    for (const [attribute, commandValue, datasetValue] of [
      ['SOPClassUID', ctx.sopClassUid, peeked.header?.sopClassUid],
      ['SOPInstanceUID', ctx.sopInstanceUid, peeked.header?.sopInstanceUid],
    ] as const) {
      if (datasetValue !== undefined && stripDicomPadding(datasetValue) !== stripDicomPadding(commandValue)) {
        const error = new DatasetMismatchError(attribute, commandValue, datasetValue);
        return fail(error, error.status);
      }
    }
    let tooLarge: ObjectTooLargeError | undefined;
    const limit = this.options.maxObjectSize;
    const dataset =
      limit === undefined
        ? peeked.stream
        : limited(peeked.stream, limit, (error) => {
            tooLarge = error;
          });
    let answer: { status: number; errorComment?: string };
    try {
      answer = toAnswer(
        await this.options.onStore!({
          ...peer,
          association,
          messageId: ctx.messageId,
          sopClassUid: ctx.sopClassUid,
          sopInstanceUid: ctx.sopInstanceUid,
          transferSyntax: ctx.transferSyntax,
          priority: ctx.priority,
          attributes: peeked.attributes,
          header: peeked.header,
          dataset,
          signal: controller.signal,
        }),
      );
    } catch (error) {
      if (error instanceof StoreScpError) return fail(error, error.status);
      const failure = new StoreHandlerError(`onStore failed: ${toError(error).message}`, { cause: error });
      this.errorsSubject.next(failure);
      return fail(failure, failure.status);
    }
    // A handler that caught the size error still does not get to answer Success for a truncated object.
    if (tooLarge !== undefined) return fail(tooLarge, tooLarge.status);
    if (isFailure(answer.status)) {
      fail(new StoreRefusedError(answer.status, answer.errorComment), answer.status);
    }
    return answer;
  }

  private announce(instance: ReceivedInstance): void {
    this.receivedSubject.next(instance);
    if (instance.studyInstanceUid) this.trackStudy(instance.studyInstanceUid, instance);
    if (this.exec && this.options.execOnReception) {
      this.exec.run(
        expandExecTemplate(this.options.execOnReception, {
          path: instance.path,
          relativePath: instance.relativePath,
          sopInstanceUid: instance.sopInstanceUid,
          sopClassUid: instance.sopClassUid,
          studyInstanceUid: instance.studyInstanceUid ?? '',
          seriesInstanceUid: instance.seriesInstanceUid ?? '',
          patientId: instance.patientId ?? '',
          patientName: instance.patientName ?? '',
          modality: instance.modality ?? '',
          transferSyntax: instance.transferSyntax,
          callingAeTitle: instance.callingAeTitle,
          calledAeTitle: instance.calledAeTitle,
          remoteAddress: instance.remoteAddress ?? '',
        }),
      );
    }
  }

  private trackStudy(uid: string, instance: ReceivedInstance): void {
    const existing = this.studies.get(uid);
    if (existing) clearTimeout(existing.timer);
    const instances = existing?.instances ?? [];
    instances.push(instance);
    const timer = setTimeout(() => {
      this.studies.delete(uid);
      this.emitStudy(uid, instances);
    }, this.options.studyCompletionTimeout ?? 30_000);
    timer.unref();
    this.studies.set(uid, { timer, instances });
  }

  private emitStudy(uid: string, instances: readonly ReceivedInstance[]): void {
    this.studyCompletedSubject.next({ studyInstanceUid: uid, patientId: instances[0]?.patientId, instances });
  }
}
