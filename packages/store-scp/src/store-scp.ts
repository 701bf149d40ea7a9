/**
 * StoreScp: a Storage SCP (PS3.4 Annex B) and Verification SCP (PS3.4 Annex A) that answers Success only for an
 * instance durably on disk, streams every dataset in bounded memory, and refuses what it must with the answers the
 * standard prescribes.
 */
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import type { TlsOptions } from 'node:tls';
import {
  type Association,
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
import { createDimseServer, type DatasetHeader } from '@netdicom/dimse';
import type { AAssociateRq } from '@netdicom/pdu';
import { type Observable, Subject } from 'rxjs';
import { StoreScpError, StoreScpOptionsError, StoreStatus } from './errors.js';
import {
  type DuplicatePolicy,
  type FileStore,
  type FileStoreLayout,
  openFileStore,
  type RoutingAttributes,
} from './file-store/index.js';
import { peekHeader } from './header.js';
import { storageSopClassUids, VERIFICATION_SOP_CLASS } from './sop-classes.js';

/** A DIMSE status answer: a code, or a code with an Error Comment (0000,0902), PS3.7 9.1.1.1.9 and Annex C. */
export type StoreStatusAnswer = number | { readonly status: number; readonly errorComment?: string };

/** Who sent a store or echo, and over what. */
export interface PeerInfo {
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
}

/** What a custom {@link StoreScpOptions.onStore} handler receives. */
export interface StoreContext extends PeerInfo {
  readonly association: Association;
  readonly messageId: number;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  /** Transfer syntax of the presentation context the dataset arrived on. */
  readonly transferSyntax: string;
  /** Routing attributes read from the dataset header (PatientID, StudyInstanceUID, ...). */
  readonly attributes: RoutingAttributes;
  /** The parsed header, when it could be read within the limit. */
  readonly header: DatasetHeader | undefined;
  /** Every byte of the dataset, as received. Consume it (or let it be discarded by returning). */
  readonly dataset: AsyncIterable<Uint8Array>;
  /** Aborted when the peer cancels (C-CANCEL) or the association ends. */
  readonly signal: AbortSignal;
}

/** What a custom {@link StoreScpOptions.onEcho} handler receives. */
export interface EchoContext extends PeerInfo {
  readonly association: Association;
  readonly messageId: number;
}

/** TLS settings of the SCP (PS3.15 B.1): TLS 1.2 or later. */
export interface StoreScpTlsOptions {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  /** CA certificates that client certificates are verified against. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Require a client certificate signed by `ca` (mutual TLS). Default false. */
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
  /** SOP classes accepted: the storage SOP classes of the standard and Verification (default), or a list. */
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
  readonly tls?: StoreScpTlsOptions;
  /** Simultaneous associations (default 64); beyond: A-ASSOCIATE-RJ transient, local limit exceeded. */
  readonly maxAssociations?: number;
  /** Operations a peer may have in flight on one association (asynchronous operations window, default 16). */
  readonly maxOperationsPerformed?: number;
  /** Association timers in milliseconds (idle, ARTIM, write, ...), see @netdicom/association. */
  readonly timeouts?: AssociationTimeouts;
  /** Our Maximum Length Received (PS3.8 D.1). */
  readonly maxPduLength?: number;
  /** Largest dataset accepted, in bytes; larger ones are refused with Out of Resources (0xA702). */
  readonly maxObjectSize?: number;
  /** fsync files and directories before answering (default true). Never turn off for real data. */
  readonly fsync?: boolean;
  /** Replaces the file store: store the dataset elsewhere and answer a status. */
  readonly onStore?: (context: StoreContext) => Promise<StoreStatusAnswer> | StoreStatusAnswer;
  /** Answers C-ECHO (default Success). */
  readonly onEcho?: (context: EchoContext) => Promise<StoreStatusAnswer> | StoreStatusAnswer;
  /**
   * A program to run (no shell) after each stored instance: argv, with placeholders `{path}`, `{sopInstanceUid}`,
   * `{sopClassUid}`, `{studyInstanceUid}`, `{seriesInstanceUid}`, `{patientId}`, `{callingAeTitle}`,
   * `{transferSyntax}` replaced in each argument.
   */
  readonly execOnReception?: readonly string[];
  /** Quiet period after which a study counts as complete for `studyCompleted$`, ms (default 30 000). */
  readonly studyCompletionTimeout?: number;
  /** How long `close()` lets stores in flight finish before aborting, ms (default 30 000). */
  readonly closeTimeout?: number;
}

/** An instance stored (and durable) — one per Success answered by the default file store. */
export interface ReceivedInstance extends PeerInfo {
  readonly path: string;
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
  /** From the first byte of the dataset to the durable rename. */
  readonly durationSeconds: number;
  readonly duplicate?: 'overwritten' | 'kept-first' | 'kept-both';
}

/** An association that was accepted. */
export interface AssociationInfo extends PeerInfo {
  /** Sequence number of the association in this SCP. */
  readonly id: number;
}

/** An association that ended, with the instances it stored. */
export interface AssociationEnded extends AssociationInfo {
  readonly reason: string;
  readonly instances: readonly ReceivedInstance[];
  readonly durationSeconds: number;
}

/** A study that received no instance for the quiet period. */
export interface StudyCompleted {
  readonly studyInstanceUid: string;
  readonly patientId: string | undefined;
  readonly instances: readonly ReceivedInstance[];
}

/** An association request we refused. */
export interface RejectedAssociation {
  readonly remoteAddress: string | undefined;
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly reason: string;
}

/** A store that was answered with a failure status. */
export interface FailedStore extends PeerInfo {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly status: number;
  readonly error: Error;
}

const SUCCESS = 0x0000;

function toAnswer(answer: StoreStatusAnswer): { status: number; errorComment?: string } {
  return typeof answer === 'number' ? { status: answer } : answer;
}

/** An Error Comment (0000,0902) is LO: at most 64 characters. */
function errorComment(message: string): string {
  return message.length <= 64 ? message : `${message.slice(0, 61)}...`;
}

/**
 * A DICOM Storage SCP.
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
  private closing = false;
  private closed: Promise<void> | undefined;
  private nextId = 1;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly studies = new Map<string, { timer: NodeJS.Timeout; instances: ReceivedInstance[] }>();
  private readonly liveAssociations = new Set<Association>();
  private readonly controllers = new Set<AbortController>();

  /** Every instance stored durably (after its Success went out). */
  readonly received$: Observable<ReceivedInstance> = this.receivedSubject.asObservable();
  /** Every association accepted. */
  readonly associations$: Observable<AssociationInfo> = this.associationsSubject.asObservable();
  /** Every association that ended, with its instances. */
  readonly associationEnded$: Observable<AssociationEnded> = this.associationEndedSubject.asObservable();
  /** Studies that received nothing for `studyCompletionTimeout` (and pending ones at `close()`). */
  readonly studyCompleted$: Observable<StudyCompleted> = this.studyCompletedSubject.asObservable();
  /** Association requests we rejected, with the reason sent. */
  readonly rejected$: Observable<RejectedAssociation> = this.rejectedSubject.asObservable();
  /** Stores answered with a failure status. */
  readonly failed$: Observable<FailedStore> = this.failedSubject.asObservable();
  /** Problems that are not a peer's: exec-on-reception failures, handler errors. */
  readonly errors$: Observable<Error> = this.errorsSubject.asObservable();

  constructor(options: StoreScpOptions = {}) {
    const aeTitle = options.aeTitle ?? 'NETDICOM';
    if (aeTitle.length < 1 || aeTitle.length > 16 || /[\\\x00-\x1f]/.test(aeTitle) || aeTitle.trim() === '') {
      throw new StoreScpOptionsError(`aeTitle '${aeTitle}' is not a valid AE title (1-16 characters, no backslash)`);
    }
    for (const [name, value] of [
      ['maxAssociations', options.maxAssociations],
      ['maxOperationsPerformed', options.maxOperationsPerformed],
      ['maxObjectSize', options.maxObjectSize],
    ] as const) {
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
        throw new StoreScpOptionsError(`${name} must be a positive integer, got ${value}`);
      }
    }
    if (options.execOnReception !== undefined && options.execOnReception.length === 0) {
      throw new StoreScpOptionsError('execOnReception needs at least the program to run');
    }
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
   * Opens the file store (cleaning what a crash left) and starts accepting associations; resolves with the bound
   * address once the port accepts connections.
   */
  async listen(): Promise<AddressInfo> {
    if (this.server) throw new StoreScpOptionsError('listen() was already called');
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
      });
    }
    const abstractSyntaxes = o.acceptUnknownSopClasses
      ? ('any' as const)
      : [...new Set([VERIFICATION_SOP_CLASS, ...(o.sopClasses ?? storageSopClassUids())])];
    const policy = createAcceptancePolicy({
      ...(o.checkCalledAeTitle === false ? {} : { aeTitle: this.aeTitle }),
      ...(o.acceptCallingAeTitles ? { callingAeTitles: o.acceptCallingAeTitles } : {}),
      abstractSyntaxes,
      transferSyntaxes: o.transferSyntaxes ?? 'any',
      // PS3.7 D.3.3.3: in our A-ASSOCIATE-AC, "invoked" is what the requestor may have outstanding with us.
      asynchronousOperationsWindow: { maxOperationsInvoked: o.maxOperationsPerformed ?? 16, maxOperationsPerformed: 1 },
      ...(o.verifyUserIdentity ? { verifyUserIdentity: o.verifyUserIdentity } : {}),
    });
    const tls = o.tls
      ? {
          ...o.tls.extra,
          key: o.tls.key,
          cert: o.tls.cert,
          ...(o.tls.ca === undefined ? {} : { ca: o.tls.ca as string | Buffer | (string | Buffer)[] }),
          requestCert: o.tls.requireClientCertificate === true || o.tls.ca !== undefined,
          rejectUnauthorized: o.tls.requireClientCertificate === true,
          minVersion: 'TLSv1.2' as const,
        }
      : undefined;
    const server = createAssociationServer({
      maxAssociations: o.maxAssociations ?? 64,
      ...(o.timeouts ? { timeouts: o.timeouts } : {}),
      ...(o.maxPduLength === undefined ? {} : { maxPduLength: o.maxPduLength }),
      ...(tls ? { tls } : {}),
      onAssociationRequest: async (request, info) => {
        if (this.closing) {
          const decision = { accept: false as const, result: 2 as const, source: 3 as const, reason: 1 };
          this.noteRejection(request, info, decision);
          return decision;
        }
        const decision = await policy(request, info);
        if (!decision.accept) this.noteRejection(request, info, decision);
        return decision;
      },
    });
    this.server = server;
    server.associations$.subscribe((association) => this.serve(association));
    return server.listen(o.port ?? 11112, o.host);
  }

  /**
   * Stops accepting associations (new requests are rejected transient), lets the stores in flight finish within
   * `closeTimeout`, then aborts the associations left and closes the file store. Pending study completions are
   * emitted, then every Observable completes.
   */
  close(): Promise<void> {
    this.closed ??= this.doClose();
    return this.closed;
  }

  private async doClose(): Promise<void> {
    this.closing = true;
    const deadline = this.options.closeTimeout ?? 30_000;
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline);
        this.idleWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    for (const controller of this.controllers) controller.abort(new Error('the SCP is closing'));
    await this.server?.close();
    await this.store?.close();
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
    });
  }

  private serve(association: Association): void {
    const started = performance.now();
    const peer: PeerInfo = {
      callingAeTitle: association.negotiated.callingAeTitle,
      calledAeTitle: association.negotiated.calledAeTitle,
      remoteAddress: association.negotiated.remoteAddress,
      remotePort: association.negotiated.remotePort,
    };
    const info: AssociationInfo = { id: this.nextId++, ...peer };
    const instances: ReceivedInstance[] = [];
    this.liveAssociations.add(association);
    this.associationsSubject.next(info);
    createDimseServer(association, {
      onEcho: async (ctx) => {
        if (!this.options.onEcho) return SUCCESS;
        return toAnswer(await this.options.onEcho({ ...peer, association, messageId: ctx.messageId }));
      },
      onStore: async (ctx) => {
        const answer = await this.handleStore(association, peer, ctx);
        if ('instance' in answer && answer.instance) instances.push(answer.instance);
        return { status: answer.status, ...(answer.errorComment ? { errorComment: answer.errorComment } : {}) };
      },
    });
    void association.closed.then((closed) => {
      this.liveAssociations.delete(association);
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
      dataset: Readable;
      signal: AbortSignal;
    },
  ): Promise<{ status: number; errorComment?: string; instance?: ReceivedInstance }> {
    if (this.closing) {
      return { status: StoreStatus.OutOfResources, errorComment: 'The SCP is shutting down' };
    }
    this.inFlight++;
    const controller = new AbortController();
    this.controllers.add(controller);
    const onAbort = () => controller.abort(ctx.signal.reason);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const started = performance.now();
    try {
      const peeked = await peekHeader(ctx.dataset, ctx.transferSyntax);
      if (this.options.onStore) {
        return toAnswer(
          await this.options.onStore({
            ...peer,
            association,
            messageId: ctx.messageId,
            sopClassUid: ctx.sopClassUid,
            sopInstanceUid: ctx.sopInstanceUid,
            transferSyntax: ctx.transferSyntax,
            attributes: peeked.attributes,
            header: peeked.header,
            dataset: peeked.stream,
            signal: controller.signal,
          }),
        );
      }
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
      // The response goes out first; observers hear of the instance right after, in the same turn.
      queueMicrotask(() => this.announce(instance));
      return { status: SUCCESS, instance };
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      const status =
        error instanceof StoreScpError
          ? error.status
          : (error as { code?: string }).code === 'ERR_NETDICOM_DIMSE_MALFORMED_DATASET'
            ? StoreStatus.CannotUnderstand
            : StoreStatus.StorageFailure;
      this.failedSubject.next({
        ...peer,
        sopClassUid: ctx.sopClassUid,
        sopInstanceUid: ctx.sopInstanceUid,
        status,
        error: err,
      });
      return { status, errorComment: errorComment(err.message) };
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      this.controllers.delete(controller);
      this.inFlight--;
      if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private announce(instance: ReceivedInstance): void {
    this.receivedSubject.next(instance);
    if (instance.studyInstanceUid) this.trackStudy(instance.studyInstanceUid, instance);
    if (this.options.execOnReception) this.execute(this.options.execOnReception, instance);
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

  private execute(template: readonly string[], instance: ReceivedInstance): void {
    const values: Record<string, string> = {
      path: instance.path,
      sopInstanceUid: instance.sopInstanceUid,
      sopClassUid: instance.sopClassUid,
      studyInstanceUid: instance.studyInstanceUid ?? '',
      seriesInstanceUid: instance.seriesInstanceUid ?? '',
      patientId: instance.patientId ?? '',
      callingAeTitle: instance.callingAeTitle,
      transferSyntax: instance.transferSyntax,
    };
    const argv = template.map((arg) => arg.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole));
    const [program, ...args] = argv;
    const child = spawn(program!, args, { stdio: 'ignore', shell: false });
    child.on('error', (error) => {
      this.errorsSubject.next(
        new Error(`exec-on-reception: cannot run '${program}': ${error.message}`, { cause: error }),
      );
    });
    child.on('exit', (code, signal) => {
      if (code !== 0) {
        this.errorsSubject.next(
          new Error(`exec-on-reception: '${program}' for ${instance.sopInstanceUid} exited with ${code ?? signal}`),
        );
      }
    });
  }
}
