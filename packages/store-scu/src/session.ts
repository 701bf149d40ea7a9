/**
 * `StoreScuSession`: one association driven file by file (PS3.4 Annex B Storage SCU, PS3.7 9.1.1 C-STORE and
 * 9.1.5 C-ECHO). Connect by address or over an existing socket, then `echo()`, `store(...)`, `release()`, `abort()`.
 */

import type { Readable } from 'node:stream';
import type { Duplex } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import type { Association, UserIdentity } from '@netdicom/association';
import { ByteReader } from './byte-reader.js';
import { checkAeTitle, openAssociation, parseAddress, type StoreScuTimeouts, splitTimeouts } from './connection.js';
import { createClient, type DimseClient } from './dimse-bridge.js';
import { InvalidOptionError, InvalidStateError, StoreFileError } from './errors.js';
import { encodingOf, readFileMeta, readTopLevelStrings, sniffDicom } from './part10.js';
import { inspectFile, type PlannedFile, planAssociations, planFiles, type ProposedContext } from './plan.js';
import { chooseContext, storePlannedFile } from './sender.js';
import { describeStoreStatus, type StoreStatus } from './store-status.js';
import type { StorePriority } from './store-scu.js';
import type { DecompressionPolicy } from './transcode.js';
import {
  describeTransferSyntax,
  resolveTransferSyntaxUid,
  TransferSyntax,
  transferSyntaxName,
} from './transfer-syntax.js';

/** Verification SOP Class, PS3.4 Annex A. */
export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';

/** Common storage SOP classes proposed by default (PS3.4 Annex B.5), with uncompressed syntaxes. */
export const DEFAULT_STORAGE_SOP_CLASSES: readonly string[] = [
  '1.2.840.10008.5.1.4.1.1.1', // Computed Radiography Image Storage
  '1.2.840.10008.5.1.4.1.1.1.1', // Digital X-Ray Image Storage - For Presentation
  '1.2.840.10008.5.1.4.1.1.1.1.1', // Digital X-Ray Image Storage - For Processing
  '1.2.840.10008.5.1.4.1.1.1.2', // Digital Mammography X-Ray Image Storage - For Presentation
  '1.2.840.10008.5.1.4.1.1.2', // CT Image Storage
  '1.2.840.10008.5.1.4.1.1.2.1', // Enhanced CT Image Storage
  '1.2.840.10008.5.1.4.1.1.3.1', // Ultrasound Multi-frame Image Storage
  '1.2.840.10008.5.1.4.1.1.4', // MR Image Storage
  '1.2.840.10008.5.1.4.1.1.4.1', // Enhanced MR Image Storage
  '1.2.840.10008.5.1.4.1.1.6.1', // Ultrasound Image Storage
  '1.2.840.10008.5.1.4.1.1.7', // Secondary Capture Image Storage
  '1.2.840.10008.5.1.4.1.1.7.4', // Multi-frame True Color Secondary Capture Image Storage
  '1.2.840.10008.5.1.4.1.1.11.1', // Grayscale Softcopy Presentation State Storage
  '1.2.840.10008.5.1.4.1.1.12.1', // X-Ray Angiographic Image Storage
  '1.2.840.10008.5.1.4.1.1.20', // Nuclear Medicine Image Storage
  '1.2.840.10008.5.1.4.1.1.88.11', // Basic Text SR Storage
  '1.2.840.10008.5.1.4.1.1.88.22', // Enhanced SR Storage
  '1.2.840.10008.5.1.4.1.1.88.33', // Comprehensive SR Storage
  '1.2.840.10008.5.1.4.1.1.104.1', // Encapsulated PDF Storage
  '1.2.840.10008.5.1.4.1.1.128', // Positron Emission Tomography Image Storage
  '1.2.840.10008.5.1.4.1.1.481.1', // RT Image Storage
  '1.2.840.10008.5.1.4.1.1.481.2', // RT Dose Storage
  '1.2.840.10008.5.1.4.1.1.481.3', // RT Structure Set Storage
  '1.2.840.10008.5.1.4.1.1.481.5', // RT Plan Storage
  '1.2.840.10008.5.1.4.1.1.66', // Raw Data Storage
  '1.2.840.10008.5.1.4.1.1.77.1.4', // VL Photographic Image Storage
];

/** Options of {@link StoreScuSession.connect}. */
export interface StoreScuSessionOptions {
  /** `host:port`; or give `socket`. */
  readonly addr?: string;
  /** An already connected stream (TCP socket, TLS socket, any Duplex). */
  readonly socket?: Duplex;
  readonly callingAeTitle?: string;
  readonly calledAeTitle?: string;
  /**
   * Presentation contexts to propose (PS3.8 9.3.2.2). Default: Verification, plus contexts planned from `files` when
   * given, otherwise {@link DEFAULT_STORAGE_SOP_CLASSES} with Explicit and Implicit VR Little Endian.
   */
  readonly presentationContexts?: readonly { abstractSyntax: string; transferSyntaxes: readonly string[] }[];
  /** Files to plan the presentation contexts from (their SOP classes and transfer syntaxes). */
  readonly files?: readonly string[];
  /** Force this transfer syntax (name or UID) for every store. */
  readonly transferSyntax?: string;
  readonly maxPduLength?: number;
  readonly asynchronousOperationsWindow?: number;
  /**
   * Timers in milliseconds: the association's (connect, artim, idle, write, release) and `response`, the wait for each
   * C-STORE / C-ECHO response (default 0, no limit of its own). When it elapses the association is aborted and the
   * call rejects with `ResponseTimeoutError`; see {@link StoreScuTimeouts}.
   */
  readonly timeouts?: StoreScuTimeouts;
  readonly tls?: ConnectionOptions;
  readonly userIdentity?: UserIdentity;
  readonly decompress?: DecompressionPolicy;
  readonly priority?: StorePriority;
  readonly signal?: AbortSignal;
}

/** A dcmjs dataset: naturalized (`SOPClassUID`...) or denaturalized (`dict` / `'00080016'`). */
export type DcmjsDataset = Record<string, unknown>;

/** What {@link StoreScuSession.store} accepts: a path, Part 10 bytes, a stream of Part 10 bytes, or a dcmjs dataset. */
export type StoreInput = string | Uint8Array | Readable | AsyncIterable<Uint8Array> | DcmjsDataset;

/** The outcome of one C-STORE (PS3.4 B.2.3): the status with its name and the peer's error comment. */
export interface StoreResult extends StoreStatus {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  /** Transfer syntax on the wire. */
  readonly transferSyntax: string;
}

const PRIORITY: Record<StorePriority, number> = { medium: 0x0000, high: 0x0001, low: 0x0002 };
const MAX_STREAM_HEADER = 4 * 1024 * 1024;

function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

function dcmjsValue(dataset: DcmjsDataset, keyword: string, tag: string): string | undefined {
  const natural = dataset[keyword];
  if (typeof natural === 'string') return natural;
  const dict = (dataset['dict'] as Record<string, unknown> | undefined) ?? dataset;
  const element = dict[tag] as { Value?: unknown[] } | undefined;
  const value = element?.Value?.[0];
  return typeof value === 'string' ? value : undefined;
}

/**
 * One association to a Storage SCP, driven by hand.
 *
 * @example
 * const session = await StoreScuSession.connect({ addr: '127.0.0.1:11112', calledAeTitle: 'PACS' });
 * await session.echo();
 * const result = await session.store('scan.dcm'); // { code: 0, category: 'success', name: 'Success', ... }
 * await session.release();
 */
export class StoreScuSession {
  private readonly client: DimseClient;
  private ended = false;

  private constructor(
    /** The underlying association (`@netdicom/association`). */
    readonly association: Association,
    private readonly options: StoreScuSessionOptions,
    private readonly forcedTransferSyntax: string | undefined,
    responseTimeout: number,
  ) {
    this.client = createClient(association, { responseTimeout });
  }

  /** Connects and negotiates (PS3.8 7.1). Rejects with `ConnectError`, `AssociationRejectedError`, ... */
  static async connect(options: StoreScuSessionOptions): Promise<StoreScuSession> {
    if (!options.addr && !options.socket) throw new InvalidOptionError('Give addr (host:port) or socket');
    const target = options.addr ? parseAddress(options.addr) : undefined;
    const timeouts = splitTimeouts(options.timeouts);
    const forced = options.transferSyntax === undefined ? undefined : resolveTransferSyntaxUid(options.transferSyntax);
    const contexts: { abstractSyntax: string; transferSyntaxes: readonly string[] }[] = [
      { abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: [TransferSyntax.ImplicitVRLittleEndian] },
    ];
    if (options.presentationContexts) {
      contexts.push(...options.presentationContexts);
    } else if (options.files && options.files.length > 0) {
      const plan = await planFiles(options.files.map((path) => ({ file: path, source: { kind: 'path', path } })));
      const [first, ...more] = planAssociations(plan.files, {
        ...(forced ? { transferSyntax: forced } : {}),
        maxContexts: 127,
      });
      if (more.length > 0) {
        throw new InvalidOptionError(
          'These files need more than 127 presentation contexts: use StoreScu, which splits them',
        );
      }
      contexts.push(...(first?.presentationContexts ?? []));
    } else {
      const syntaxes = forced
        ? [forced]
        : [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian];
      for (const sopClass of DEFAULT_STORAGE_SOP_CLASSES)
        contexts.push({ abstractSyntax: sopClass, transferSyntaxes: syntaxes });
    }
    if (contexts.length > 128) throw new InvalidOptionError(`${contexts.length} presentation contexts: at most 128`);
    const proposed: ProposedContext[] = contexts.map((context, index) => ({
      id: index * 2 + 1,
      abstractSyntax: context.abstractSyntax,
      transferSyntaxes: context.transferSyntaxes,
    }));
    const association = await openAssociation({
      ...(target ? { host: target.host, port: target.port } : {}),
      ...(options.socket ? { socket: options.socket } : {}),
      callingAeTitle: checkAeTitle(options.callingAeTitle ?? 'STORE-SCU', 'calling AE title'),
      calledAeTitle: checkAeTitle(options.calledAeTitle ?? 'ANY-SCP', 'called AE title'),
      presentationContexts: proposed,
      ...(options.maxPduLength !== undefined ? { maxPduLength: options.maxPduLength } : {}),
      maxOperationsInvoked: options.asynchronousOperationsWindow ?? 1,
      ...(timeouts.association ? { timeouts: timeouts.association } : {}),
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.userIdentity ? { userIdentity: options.userIdentity } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    try {
      return new StoreScuSession(association, options, forced, timeouts.response);
    } catch (error) {
      await association.abort();
      throw error;
    }
  }

  private checkOpen(): void {
    if (this.ended || this.association.state !== 'Sta6') {
      throw new InvalidStateError('The session is released, aborted or lost');
    }
  }

  /**
   * C-ECHO (PS3.7 9.1.5): resolves to the status (Success is code 0). Rejects with `ResponseTimeoutError` when no
   * response came within `timeouts.response` (the association is then aborted).
   */
  async echo(): Promise<StoreStatus> {
    this.checkOpen();
    const response = await this.client.echo();
    return describeStoreStatus(response.status, response.errorComment);
  }

  /**
   * Stores one instance (PS3.7 9.1.1) and resolves to its status; non-success statuses are values. Rejects with
   * `StoreFileError` when the input is not a storable DICOM instance or no accepted context fits it, and with
   * `ResponseTimeoutError` when no response came within `timeouts.response` (the association is then aborted).
   */
  async store(input: StoreInput, name?: string): Promise<StoreResult> {
    this.checkOpen();
    const policy = this.options.decompress ?? 'lossless';
    const priority = PRIORITY[this.options.priority ?? 'medium'];
    const common = { forcedTransferSyntax: this.forcedTransferSyntax, policy, priority };
    let planned: PlannedFile;
    if (typeof input === 'string') {
      planned = await inspectFile({ file: name ?? input, source: { kind: 'path', path: input } });
    } else if (input instanceof Uint8Array) {
      planned = await inspectFile({ file: name ?? 'buffer', source: { kind: 'buffer', bytes: input } });
    } else if (isAsyncIterable(input)) {
      return this.storeStream(input, name ?? 'stream', priority);
    } else {
      return this.storeDcmjs(input as DcmjsDataset, name ?? 'dataset', priority);
    }
    const outcome = await storePlannedFile(this.association, this.client, planned, common);
    return {
      ...outcome.status,
      sopClassUid: planned.sopClassUid,
      sopInstanceUid: planned.sopInstanceUid,
      transferSyntax: outcome.transferSyntax,
    };
  }

  /**
   * A stream of Part 10 bytes: meta and top-level UIDs are read first, then the rest streams through. A stream is sent
   * as it is (never transcoded). When the store fails before the stream was read to its end, the stream is closed
   * (its iterator's `return()`: a Node Readable is destroyed), so that no file descriptor is left open behind it.
   */
  private async storeStream(input: AsyncIterable<Uint8Array>, name: string, priority: number): Promise<StoreResult> {
    const iterator = input[Symbol.asyncIterator]();
    try {
      return await this.storeFromIterator(iterator, name, priority);
    } catch (error) {
      // Not awaited: a generator stuck in an await cannot run its return() until that await settles, and store()
      // must not hang on the caller's source.
      try {
        Promise.resolve(iterator.return?.()).catch(() => undefined);
      } catch {
        // The source's own cleanup failed; the store's error is what matters.
      }
      throw error;
    }
  }

  private async storeFromIterator(
    iterator: AsyncIterator<Uint8Array>,
    name: string,
    priority: number,
  ): Promise<StoreResult> {
    const seen: Uint8Array[] = [];
    let seenBytes = 0;
    const recording: AsyncIterator<Uint8Array> = {
      next: async () => {
        const next = await iterator.next();
        if (!next.done) {
          seen.push(next.value);
          seenBytes += next.value.length;
          if (seenBytes > MAX_STREAM_HEADER) {
            throw new StoreFileError(
              'malformed',
              name,
              `${name}: no SOP Instance UID in the first ${MAX_STREAM_HEADER} bytes`,
            );
          }
        }
        return next;
      },
    };
    const reader = new ByteReader(recording);
    const head = await reader.peek(132);
    const sniff = sniffDicom(head, Number.MAX_SAFE_INTEGER);
    if (sniff.kind === 'not-dicom') throw new StoreFileError('not-dicom', name, `${name} is not DICOM`);
    let transferSyntaxUid: string;
    if (sniff.kind === 'dataset') {
      transferSyntaxUid = sniff.transferSyntaxUid;
    } else {
      if (sniff.kind === 'part10') await reader.skip(132);
      transferSyntaxUid = (await readFileMeta(reader)).transferSyntaxUid;
    }
    const datasetStart = reader.position;
    const info = describeTransferSyntax(transferSyntaxUid);
    if (info.deflated) {
      throw new StoreFileError(
        'transcode-impossible',
        name,
        `${name}: deflated streams are sent from files or buffers only`,
      );
    }
    const found = await readTopLevelStrings(reader, encodingOf(info), [0x00080016, 0x00080018]);
    const sopClassUid = found.get(0x00080016);
    const sopInstanceUid = found.get(0x00080018);
    if (!sopClassUid) throw new StoreFileError('missing-sop-class', name, `${name} has no SOP Class UID (0008,0016)`);
    if (!sopInstanceUid) throw new StoreFileError('missing-sop-instance', name, `${name} has no SOP Instance UID`);
    const notAccepted = () => {
      const accepted = this.association.negotiated.acceptedContexts
        .filter((context) => context.abstractSyntax === sopClassUid && context.transferSyntax !== undefined)
        .map((context) => transferSyntaxName(context.transferSyntax!));
      return new StoreFileError(
        'no-presentation-context',
        name,
        `${name} is ${transferSyntaxName(transferSyntaxUid)} and streams are sent as they are (never transcoded); the peer accepted ${accepted.length === 0 ? `no context for ${sopClassUid}` : `only ${accepted.join(', ')} for it`}`,
      );
    };
    let chosen: ReturnType<typeof chooseContext>;
    try {
      chosen = chooseContext(
        this.association,
        { file: name, sopClassUid, transferSyntaxUid },
        { forcedTransferSyntax: this.forcedTransferSyntax, policy: 'never' },
      );
    } catch (error) {
      // Only the policy 'never' used here could be named in that reason: the user never set one for a stream.
      if (error instanceof StoreFileError && error.reason === 'transcode-impossible') throw notAccepted();
      throw error;
    }
    if (chosen.transferSyntax !== transferSyntaxUid) throw notAccepted();
    // Replay the bytes already read (from the dataset start), then the rest of the stream.
    const replay = Buffer.concat(seen).subarray(datasetStart);
    async function* dataset(): AsyncGenerator<Uint8Array> {
      if (replay.length > 0) yield replay;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    }
    const response = await this.client.store({
      sopClassUid,
      sopInstanceUid,
      dataset: dataset(),
      transferSyntax: chosen.transferSyntax,
      presentationContextId: chosen.id,
      priority,
    });
    return {
      ...describeStoreStatus(response.status, response.errorComment),
      sopClassUid,
      sopInstanceUid,
      transferSyntax: chosen.transferSyntax,
    };
  }

  /** A dcmjs dataset, encoded by `@netdicom/dimse` in the accepted syntax. */
  private async storeDcmjs(dataset: DcmjsDataset, name: string, priority: number): Promise<StoreResult> {
    const sopClassUid = dcmjsValue(dataset, 'SOPClassUID', '00080016');
    const sopInstanceUid = dcmjsValue(dataset, 'SOPInstanceUID', '00080018');
    if (!sopClassUid) throw new StoreFileError('missing-sop-class', name, `${name} has no SOP Class UID`);
    if (!sopInstanceUid) throw new StoreFileError('missing-sop-instance', name, `${name} has no SOP Instance UID`);
    const accepted = this.association.negotiated.acceptedContexts.filter(
      (context) =>
        context.abstractSyntax === sopClassUid &&
        context.transferSyntax !== undefined &&
        describeTransferSyntax(context.transferSyntax).encapsulated === false &&
        (!this.forcedTransferSyntax || context.transferSyntax === this.forcedTransferSyntax),
    );
    const context = accepted[0];
    if (!context) {
      throw new StoreFileError('no-presentation-context', name, `${name}: no accepted context for ${sopClassUid}`);
    }
    const response = await this.client.store({
      sopClassUid,
      sopInstanceUid,
      dataset,
      transferSyntax: context.transferSyntax!,
      presentationContextId: context.id,
      priority,
    });
    return {
      ...describeStoreStatus(response.status, response.errorComment),
      sopClassUid,
      sopInstanceUid,
      transferSyntax: context.transferSyntax!,
    };
  }

  /** Releases the association (PS3.8 7.2). */
  async release(): Promise<void> {
    this.ended = true;
    await this.association.release();
  }

  /** Aborts the association (PS3.8 7.3). Never rejects. */
  async abort(): Promise<void> {
    this.ended = true;
    await this.association.abort();
  }
}
