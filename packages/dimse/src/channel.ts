/**
 * The DIMSE message layer of one association (PS3.7 section 6.3 and 9.2, PS3.8 Annex E): assembles incoming P-DATA
 * fragments into messages — a command set (small, buffered, bounded) followed by an optional data set delivered as a
 * Node Readable with backpressure reaching the socket — and sends messages fragmented at the peer's maximum PDU
 * length without copying payloads. Client and server share one channel per association.
 */
import { channel as diagnosticsChannel } from 'node:diagnostics_channel';
import { Readable } from 'node:stream';
import type { Association } from '@netdicom/association';
import type { PDataTf, Pdv } from '@netdicom/pdu';
import type { Subscription } from 'rxjs';
import {
  type CommandSet,
  commandType,
  decodeCommandSet,
  type EncodeCommandSetOptions,
  encodeCommandSet,
  hasDataSet,
} from './commands.js';
import {
  AssociationEndedError,
  DatasetSourceError,
  DimseError,
  DimseProtocolError,
  InvalidCommandSetError,
} from './errors.js';
import { BufferPool, FileRangeReader, type FileRange, isFileRange, type PooledChunk } from './file-range.js';
import { buildResponse, discardDataset, type StatusResult } from './respond.js';
import { Status } from './status.js';

/** The association the message layer runs on (`@netdicom/association`, PS3.8 section 7). */
export type DimseAssociation = Association;

/** A received DIMSE message (PS3.7 6.3): its command set and, when one follows, the data set as a stream. */
export interface IncomingMessage {
  readonly presentationContextId: number;
  readonly command: CommandSet;
  /** The data set bytes as they arrive (never required to be in memory); undefined without a data set. */
  readonly dataset: Readable | undefined;
  /** Settles (never rejects) once the whole message has been received, or the association ended first. */
  readonly received: Promise<void>;
}

/** A request the channel answered with a failure itself (PS3.7 C.5: mistyped argument, unrecognized operation). */
export interface RefusedRequest {
  readonly presentationContextId: number;
  /** The command as far as it could be read. */
  readonly command: CommandSet;
  readonly status: number;
  readonly error: InvalidCommandSetError | undefined;
}

/** Options of the message layer, shared by client and server. */
export interface ChannelOptions {
  /** Largest command set accepted (sum of its fragments). Default 256 KiB; more aborts the association. */
  readonly maxCommandLength?: number;
  /** Bytes an incoming data set stream buffers before reading from the socket pauses. Default 256 KiB. */
  readonly datasetHighWaterMark?: number;
}

/** Data set bytes as the message layer sends them. */
export type DatasetChunks = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array> | FileRange;

/** A data set stream of an incoming message; reading from it resumes the socket. */
class IncomingDataset extends Readable {
  constructor(
    private readonly onRead: () => void,
    private readonly onDestroy: () => void,
    highWaterMark: number,
  ) {
    super({ highWaterMark });
    // The association ending destroys the stream with an error; a handler that stopped listening must not crash
    // the process for it (its readers, pipelines and iterators still see the error).
    this.on('error', () => undefined);
  }

  override _read(): void {
    this.onRead();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.onDestroy();
    callback(error);
  }
}

type ReceiveState =
  | { readonly phase: 'idle' }
  | { readonly phase: 'command'; readonly presentationContextId: number; fragments: Uint8Array[]; length: number }
  | {
      readonly phase: 'dataset';
      readonly presentationContextId: number;
      readonly stream: IncomingDataset;
      discard: boolean;
      readonly done: () => void;
    };

const channels = new WeakMap<object, DimseChannel>();

/**
 * `node:diagnostics_channel` on which every DIMSE message is published as its command set goes out or comes in:
 * `{ association, direction: 'sent' | 'received', presentationContextId, command }` ({@link DimseMessageTrace}).
 */
export const DIMSE_MESSAGE_CHANNEL = 'netdicom:dimse:message';

/** What {@link DIMSE_MESSAGE_CHANNEL} publishes. */
export interface DimseMessageTrace {
  readonly association: DimseAssociation;
  readonly direction: 'sent' | 'received';
  readonly presentationContextId: number;
  readonly command: CommandSet;
}

const messageTrace = diagnosticsChannel(DIMSE_MESSAGE_CHANNEL);

function trace(message: DimseMessageTrace): void {
  if (messageTrace.hasSubscribers) messageTrace.publish(message);
}

/** Queued outgoing messages beyond which reading from the peer pauses (see `updateSendPause`). */
const MAX_QUEUED_SENDS = 256;

/** Chunks below this size are coalesced by copying; larger ones travel as views. */
const SMALL_CHUNK = 4096;

/** The message layer of an association, created on first use and shared by every client/server on it. */
export function channelOf(association: DimseAssociation, options: ChannelOptions = {}): DimseChannel {
  let channel = channels.get(association);
  if (channel === undefined) {
    channel = new DimseChannel(association, options);
    channels.set(association, channel);
  }
  return channel;
}

/** See {@link channelOf}. */
export class DimseChannel {
  /** Called for every complete request command (C-CANCEL included); the server installs it. */
  onRequest: ((message: IncomingMessage) => void) | undefined;
  /** Told about requests answered by the channel itself (invalid, or nothing serves them). */
  onRequestRefused: ((request: RefusedRequest) => void) | undefined;
  /** Called with the final state once the association is over. */
  private readonly endListeners = new Set<(error: DimseError) => void>();
  private readonly responseHandlers = new Map<number, (message: IncomingMessage) => void>();
  private receive: ReceiveState = { phase: 'idle' };
  private streamPaused = false;
  private sendQueue: Promise<void> = Promise.resolve();
  private queuedSends = 0;
  private pausedForSends = false;
  private nextMessageId = 1;
  private readonly subscription: Subscription;
  private ended: DimseError | undefined;
  private filePool: BufferPool | undefined;
  /** Messages with a data set not yet started, in queue order. */
  private readonly waitingSources: Outgoing[] = [];
  private prefetched = 0;
  readonly maxCommandLength: number;
  readonly datasetHighWaterMark: number;

  constructor(
    readonly association: DimseAssociation,
    options: ChannelOptions,
  ) {
    this.maxCommandLength = options.maxCommandLength ?? 256 * 1024;
    this.datasetHighWaterMark = options.datasetHighWaterMark ?? 256 * 1024;
    this.subscription = association.pData$.subscribe((pdu) => this.onPData(pdu));
    void association.closed.then((closed) =>
      this.end(
        new AssociationEndedError(closed.reason, closed.error === undefined ? undefined : { cause: closed.error }),
      ),
    );
  }

  /** The error operations fail with once the association is over, or undefined while it is up. */
  get endedWith(): DimseError | undefined {
    return this.ended;
  }

  /** Registers a listener for the end of the association; returns an unregister function. */
  onEnd(listener: (error: DimseError) => void): () => void {
    if (this.ended !== undefined) {
      listener(this.ended);
      return () => undefined;
    }
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  /* -------------------------------------------------------------------------------------------- correlation ---- */

  /** A Message ID not outstanding now (PS3.7 9.1.1.1: unique among outstanding operations). */
  allocateMessageId(): number {
    for (let i = 0; i < 0x10000; i++) {
      const id = this.nextMessageId;
      this.nextMessageId = id === 0xffff ? 1 : id + 1;
      if (!this.responseHandlers.has(id)) return id;
    }
    throw new DimseError(
      'no free Message ID: 65535 operations outstanding',
      'ERR_NETDICOM_DIMSE_MESSAGE_IDS_EXHAUSTED',
    );
  }

  /** Routes responses to `messageId` (PS3.7 9.1.1.1 Message ID Being Responded To) to `handler` until removed. */
  expectResponses(messageId: number, handler: (message: IncomingMessage) => void): () => void {
    this.responseHandlers.set(messageId, handler);
    return () => {
      if (this.responseHandlers.get(messageId) === handler) this.responseHandlers.delete(messageId);
    };
  }

  /* ------------------------------------------------------------------------------------------------ receive ---- */

  private onPData(pdu: PDataTf): void {
    if (this.ended !== undefined) return;
    for (const pdv of pdu.pdvs) {
      try {
        this.onPdv(pdv);
      } catch (error) {
        this.protocolViolation(
          error instanceof DimseError ? error : new DimseProtocolError(String(error), { cause: error }),
        );
        return;
      }
      if (this.ended !== undefined) return;
    }
  }

  private onPdv(pdv: Pdv): void {
    const state = this.receive;
    if (state.phase === 'dataset') {
      if (pdv.isCommand) {
        throw new DimseProtocolError('command fragment received before the data set was complete (PS3.8 E.2)');
      }
      if (pdv.presentationContextId !== state.presentationContextId) {
        throw new DimseProtocolError(
          `data set fragment on presentation context ${pdv.presentationContextId}, command was on ${state.presentationContextId}`,
        );
      }
      if (!state.discard && pdv.data.length > 0) {
        const accepted = state.stream.push(pdv.data);
        if (!accepted && !this.streamPaused) {
          this.streamPaused = true;
          this.association.pauseIncoming();
        }
      }
      if (pdv.isLast) {
        this.receive = { phase: 'idle' };
        if (!state.discard) state.stream.push(null);
        this.unpauseStream();
        state.done();
      }
      return;
    }
    if (!pdv.isCommand) throw new DimseProtocolError('data set fragment received without a command (PS3.8 E.2)');
    let command = state.phase === 'command' ? state : undefined;
    if (command === undefined) {
      command = { phase: 'command', presentationContextId: pdv.presentationContextId, fragments: [], length: 0 };
      this.receive = command;
    } else if (pdv.presentationContextId !== command.presentationContextId) {
      throw new DimseProtocolError('command fragments on different presentation contexts');
    }
    command.length += pdv.data.length;
    if (command.length > this.maxCommandLength) {
      throw new InvalidCommandSetError(`command set longer than ${this.maxCommandLength} bytes`, 'too-large');
    }
    command.fragments.push(pdv.data);
    if (!pdv.isLast) return;
    const bytes =
      command.fragments.length === 1 ? command.fragments[0]! : Buffer.concat(command.fragments, command.length);
    this.receive = { phase: 'idle' };
    this.onCommand(command.presentationContextId, bytes);
  }

  private openDataset(presentationContextId: number): { stream: IncomingDataset; received: Promise<void> } {
    let done!: () => void;
    const received = new Promise<void>((resolve) => {
      done = resolve;
    });
    const stream: IncomingDataset = new IncomingDataset(
      () => this.unpauseStream(),
      () => {
        // The consumer gave up: drop the rest of this data set, keep reading the socket.
        const state = this.receive;
        if (state.phase === 'dataset' && state.stream === stream) state.discard = true;
        this.unpauseStream();
      },
      this.datasetHighWaterMark,
    );
    this.receive = { phase: 'dataset', presentationContextId, stream, discard: false, done };
    return { stream, received };
  }

  private unpauseStream(): void {
    if (this.streamPaused) {
      this.streamPaused = false;
      this.association.resumeIncoming();
    }
  }

  private onCommand(presentationContextId: number, bytes: Uint8Array): void {
    let command: CommandSet;
    try {
      command = decodeCommandSet(bytes);
    } catch (error) {
      if (!(error instanceof InvalidCommandSetError) || error.isStructural) throw error;
      // The bytes are sound but the command is not valid: answer it if it is a request we can name.
      const loose = decodeCommandSet(bytes, { validate: false });
      trace({ association: this.association, direction: 'received', presentationContextId, command: loose });
      const isRequest = (loose.commandField & 0x8000) === 0;
      const handler =
        loose.messageIdBeingRespondedTo === undefined
          ? undefined
          : this.responseHandlers.get(loose.messageIdBeingRespondedTo);
      if (!isRequest && handler !== undefined && !hasDataSet(loose)) {
        // A response we cannot validate still answers an outstanding request: let the requester judge it.
        handler({ presentationContextId, command: loose, dataset: undefined, received: Promise.resolve() });
        return;
      }
      if (!isRequest || loose.messageId === undefined || loose.commandField === 0x0fff) throw error;
      const dataset = hasDataSet(loose) ? this.openDataset(presentationContextId).stream : undefined;
      const status = error.problem === 'unknown-command-field' ? Status.UnrecognizedOperation : Status.MistypedArgument;
      this.refuse(presentationContextId, loose, dataset, status, error);
      return;
    }
    trace({ association: this.association, direction: 'received', presentationContextId, command });
    const type = commandType(command.commandField)!;
    const opened = hasDataSet(command) ? this.openDataset(presentationContextId) : undefined;
    const dataset = opened?.stream;
    const message: IncomingMessage = {
      presentationContextId,
      command,
      dataset,
      received: opened?.received ?? Promise.resolve(),
    };
    if (type.type === 'response') {
      const handler = this.responseHandlers.get(command.messageIdBeingRespondedTo!);
      if (handler === undefined) {
        throw new DimseProtocolError(
          `${type.name} for Message ID ${command.messageIdBeingRespondedTo}, which has no outstanding request`,
        );
      }
      handler(message);
      return;
    }
    if (this.onRequest === undefined) {
      // Nothing serves requests here (a client-only association): C-CANCEL needs no answer, the rest get 0x0211.
      if (command.commandField === 0x0fff) return;
      this.refuse(presentationContextId, command, dataset, Status.UnrecognizedOperation, undefined);
      return;
    }
    this.onRequest(message);
  }

  /**
   * Answers a request with a failure status once its data set (if any) has been received and dropped (PS3.7 C.5:
   * 0x0211 Unrecognized operation, 0x0212 Mistyped argument).
   */
  refuse(
    presentationContextId: number,
    request: CommandSet,
    dataset: Readable | undefined,
    status: number,
    error: InvalidCommandSetError | undefined,
  ): void {
    this.onRequestRefused?.({ presentationContextId, command: request, status, error });
    const result: StatusResult = {
      status,
      ...(error === undefined ? {} : { errorComment: error.message }),
      ...(error?.tag === undefined ? {} : { offendingElement: [error.tag] }),
    };
    void discardDataset(dataset)
      .then(() =>
        this.send(presentationContextId, buildResponse(request, result), undefined, undefined, { validate: false }),
      )
      .catch(() => undefined);
  }

  /** The peer broke the protocol: abort the association (PS3.8 7.3) and fail everything outstanding. */
  protocolViolation(error: DimseError): void {
    if (this.ended !== undefined) return;
    this.end(error);
    void this.association.abort();
  }

  private end(error: DimseError): void {
    if (this.ended !== undefined) return;
    this.ended = error;
    this.subscription?.unsubscribe();
    const state = this.receive;
    this.receive = { phase: 'idle' };
    if (state.phase === 'dataset') {
      if (!state.discard) state.stream.destroy(error);
      state.done();
    }
    this.unpauseStream();
    for (const listener of [...this.endListeners]) listener(error);
    this.endListeners.clear();
    this.responseHandlers.clear();
  }

  /* --------------------------------------------------------------------------------------------------- send ---- */

  /**
   * Sends one message (PS3.7 6.3, PS3.8 Annex E): the command set, then the data set if given, fragmented at the
   * peer's maximum PDU length. Messages never interleave: each waits for the previous one to be fully handed to the
   * transport. Data set chunks go out as views (no copy); PDUs may carry several PDVs to fill them.
   *
   * A data set source failing mid-message leaves the peer inside a message, so the association is aborted.
   */
  send(
    presentationContextId: number,
    command: CommandSet,
    dataset?: DatasetChunks | (() => Promise<DatasetChunks>),
    signal?: AbortSignal,
    encodeOptions: EncodeCommandSetOptions = {},
  ): Promise<{ datasetBytes: number }> {
    const outgoing: Outgoing = { dataset, opened: undefined };
    if (dataset !== undefined) {
      this.waitingSources.push(outgoing);
      this.prefetch();
    }
    const run = async () => {
      this.starting(outgoing);
      try {
        signal?.throwIfAborted();
        if (this.ended !== undefined) throw this.ended;
      } catch (error) {
        discardOpened(outgoing);
        throw error;
      }
      return this.sendNow(presentationContextId, command, outgoing, signal, encodeOptions);
    };
    const result = this.sendQueue.then(run, run);
    this.queuedSends++;
    this.updateSendPause();
    this.sendQueue = result.then(
      () => undefined,
      () => undefined,
    );
    void this.sendQueue.then(() => {
      this.queuedSends--;
      this.updateSendPause();
    });
    return result;
  }

  /**
   * Opens the data sets of the next {@link PREFETCH_DEPTH} queued messages ahead of their turn (file opened, first
   * chunk read), so that a message follows the previous one on the wire without waiting for the disk.
   */
  private prefetch(): void {
    for (const outgoing of this.waitingSources) {
      if (this.prefetched >= PREFETCH_DEPTH) return;
      if (outgoing.opened !== undefined || outgoing.dataset === undefined) continue;
      outgoing.opened = this.openSource(outgoing.dataset);
      // A failure is the operation's own, reported when its turn comes.
      outgoing.opened.catch(() => undefined);
      this.prefetched++;
    }
  }

  /** The message's turn has come: it no longer counts as waiting, and the next one may be opened ahead. */
  private starting(outgoing: Outgoing): void {
    const index = this.waitingSources.indexOf(outgoing);
    if (index < 0) return;
    this.waitingSources.splice(index, 1);
    if (outgoing.opened !== undefined) this.prefetched--;
    this.prefetch();
  }

  /**
   * Opens a data set and gets its first bytes: a source that fails right away (missing file, empty stream) fails
   * its operation only, not the association.
   */
  private async openSource(dataset: DatasetChunks | (() => Promise<DatasetChunks>)): Promise<OpenedSource> {
    const maxPdu = this.association.negotiated.maxPduLengthToSend;
    let source: ChunkSource | undefined;
    let first: SourceChunk | undefined;
    try {
      const opened = typeof dataset === 'function' ? await dataset() : dataset;
      source = isFileRange(opened)
        ? fileSource(await FileRangeReader.open(opened, this.readPool((maxPdu - 6) & evenMask(maxPdu))))
        : iteratorSource(toAsyncIterator(opened));
      first = await this.read(source, undefined);
    } catch (error) {
      void source?.close();
      throw error instanceof DimseError ? error : new DatasetSourceError(sourceMessage(error), { cause: error });
    }
    if (first === undefined) {
      void source.close();
      throw new DatasetSourceError('the data set is empty');
    }
    return { source, first };
  }

  /** Messages waiting to be sent (or being sent). */
  get pendingSends(): number {
    return this.queuedSends;
  }

  /**
   * A peer that keeps sending requests but does not read our responses would make them pile up here: past
   * {@link MAX_QUEUED_SENDS} queued messages, stop reading from it until half of them are out.
   */
  private updateSendPause(): void {
    if (!this.pausedForSends && this.queuedSends > MAX_QUEUED_SENDS && this.ended === undefined) {
      this.pausedForSends = true;
      this.association.pauseIncoming();
    } else if (this.pausedForSends && (this.queuedSends <= MAX_QUEUED_SENDS / 2 || this.ended !== undefined)) {
      this.pausedForSends = false;
      this.association.resumeIncoming();
    }
  }

  private async sendNow(
    presentationContextId: number,
    command: CommandSet,
    outgoing: Outgoing,
    signal: AbortSignal | undefined,
    encodeOptions: EncodeCommandSetOptions,
  ): Promise<{ datasetBytes: number }> {
    const association = this.association;
    const maxPdu = association.negotiated.maxPduLengthToSend;
    // Fragments have even lengths (PS3.5 7.1: a data set's values, hence any split between them, are even), unless
    // the peer's PDUs are too small to carry two bytes.
    const maxData = (maxPdu - 6) & evenMask(maxPdu);
    let commandBytes: Uint8Array;
    try {
      commandBytes = encodeCommandSet(command, encodeOptions);
    } catch (error) {
      discardOpened(outgoing);
      throw error;
    }

    // The data set is open and its first bytes read before the command goes out (see openSource).
    let source: ChunkSource | undefined;
    let first: SourceChunk | undefined;
    if (outgoing.dataset !== undefined) {
      ({ source, first } = await (outgoing.opened ?? this.openSource(outgoing.dataset)));
      if (signal?.aborted) {
        first.chunk?.release();
        void source.close();
        throw signal.reason;
      }
    }

    try {
      for (let offset = 0; offset < commandBytes.length; offset += maxData) {
        const end = Math.min(offset + maxData, commandBytes.length);
        await this.write([
          {
            presentationContextId,
            isCommand: true,
            isLast: end === commandBytes.length,
            data: commandBytes.subarray(offset, end),
          },
        ]);
      }
    } catch (error) {
      first?.chunk?.release();
      void source?.close();
      throw error;
    }
    trace({ association, direction: 'sent', presentationContextId, command });
    if (source === undefined || first === undefined) return { datasetBytes: 0 };

    // From here on the peer is inside our message: any failure must abort the association.
    const fragmenter = new Fragmenter(presentationContextId, maxPdu, (pdvs, chunks) => this.write(pdvs, chunks));
    try {
      let next: SourceChunk | undefined = first;
      while (next !== undefined) {
        await fragmenter.place(next.bytes, next.chunk);
        next = await this.read(source, signal);
        if (signal?.aborted) {
          next?.chunk?.release();
          throw signal.reason;
        }
      }
      await fragmenter.finish();
    } catch (error) {
      fragmenter.discard();
      void source.close();
      const failure =
        error instanceof DimseError || (signal?.aborted && error === signal.reason)
          ? error
          : new DatasetSourceError(sourceMessage(error), { cause: error });
      this.end(new AssociationEndedError('aborted', { cause: failure }));
      await association.abort();
      throw failure;
    }
    // Not awaited: closing the file is no reason to hold the next message.
    void source.close();
    return { datasetBytes: fragmenter.total };
  }

  /**
   * The next chunk of a data set being sent. A caller's stream that stops yielding would otherwise hold the message,
   * and the promise of its operation, forever: its read is given up when the association ends (rejecting with the
   * end's error) or the request's signal aborts.
   */
  private read(source: ChunkSource, signal: AbortSignal | undefined): Promise<SourceChunk | undefined> {
    const reading = source.next();
    if (!source.mayStall) return reading;
    return new Promise<SourceChunk | undefined>((resolve, reject) => {
      const onAbort = () => reject(signal?.reason);
      const unregister = this.onEnd((error) => reject(error));
      signal?.addEventListener('abort', onAbort, { once: true });
      // The source may have aborted the signal itself while it was asked for its next chunk.
      if (signal?.aborted) onAbort();
      const settle = () => {
        unregister();
        signal?.removeEventListener('abort', onAbort);
      };
      reading.then(
        (chunk) => {
          settle();
          resolve(chunk);
        },
        (error: unknown) => {
          settle();
          reject(error);
        },
      );
    });
  }

  /** The buffers file data sets are read into on this association (sized to fill whole PDUs). */
  private readPool(maxData: number): BufferPool {
    const size = maxData * Math.max(1, Math.floor(FILE_READ_SIZE / maxData));
    if (this.filePool === undefined || this.filePool.size !== size) {
      this.filePool = new BufferPool(size, FILE_READ_BUFFERS);
    }
    return this.filePool;
  }

  /**
   * Sends one P-DATA-TF, waiting for the transport to drain when it is full. `chunks` are the pooled chunks its PDVs
   * are views of: each is given back once the PDU has been written (or can no longer be).
   */
  private async write(pdvs: Pdv[], chunks?: readonly PooledChunk[]): Promise<void> {
    if (this.ended !== undefined) {
      if (chunks !== undefined) for (const chunk of chunks) chunk.release();
      throw this.ended;
    }
    let ok: boolean;
    try {
      ok =
        chunks === undefined || chunks.length === 0
          ? this.association.sendPData(pdvs)
          : this.association.sendPData(pdvs, () => {
              for (const chunk of chunks) chunk.release();
            });
    } catch (error) {
      if (chunks !== undefined) for (const chunk of chunks) chunk.release();
      throw this.ended ?? new AssociationEndedError('send-failed', { cause: error });
    }
    if (!ok) {
      try {
        await this.association.drain();
      } catch (error) {
        throw this.ended ?? new AssociationEndedError('closed', { cause: error });
      }
    }
  }
}

/** Bytes read from a file per chunk (rounded down to whole PDU payloads): few reads, flat memory. */
const FILE_READ_SIZE = 1024 * 1024;
/**
 * Chunk buffers per association: one being read, one being placed, one or two held by PDUs not yet written, and the
 * first chunks of the messages opened ahead ({@link PREFETCH_DEPTH}).
 */
const FILE_READ_BUFFERS = 6;
/** Queued messages whose data set is opened (and first chunk read) before their turn. */
const PREFETCH_DEPTH = 2;

/** A message waiting for its turn, and its data set once opened. */
interface Outgoing {
  readonly dataset: DatasetChunks | (() => Promise<DatasetChunks>) | undefined;
  opened: Promise<OpenedSource> | undefined;
}

/** A data set opened for sending, with its first (non-empty) chunk. */
interface OpenedSource {
  readonly source: ChunkSource;
  readonly first: SourceChunk;
}

/** Closes the data set of a message that will not be sent. */
function discardOpened(outgoing: Outgoing): void {
  outgoing.opened?.then(
    ({ source, first }) => {
      first.chunk?.release();
      void source.close();
    },
    () => undefined,
  );
}

/** A chunk of data set bytes, and the pooled buffer it lives in when it must be given back. */
interface SourceChunk {
  readonly bytes: Uint8Array;
  readonly chunk?: PooledChunk;
}

/** Where a data set's bytes come from while it is sent. */
interface ChunkSource {
  next(): Promise<SourceChunk | undefined>;
  close(): Promise<void>;
  /**
   * The caller's stream or iterator, which may never yield again: its reads are given up when the association ends
   * or the request is aborted (a file read always completes).
   */
  readonly mayStall?: boolean;
}

function fileSource(reader: FileRangeReader): ChunkSource {
  return {
    async next() {
      const chunk = await reader.next();
      return chunk === undefined ? undefined : { bytes: chunk.bytes, chunk };
    },
    close: () => reader.close(),
  };
}

function iteratorSource(iterator: AsyncIterator<Uint8Array>): ChunkSource {
  let done = false;
  return {
    mayStall: true,
    async next() {
      for (;;) {
        const next = await iterator.next();
        if (next.done) {
          done = true;
          return undefined;
        }
        if (!(next.value instanceof Uint8Array)) {
          throw new DatasetSourceError(`data set stream yielded ${typeof next.value}, expected bytes`);
        }
        if (next.value.length > 0) return { bytes: next.value };
      }
    },
    async close() {
      if (done) return;
      done = true;
      await iterator.return?.().catch(() => undefined);
    },
  };
}

/**
 * Cuts a data set into P-DATA-TF PDUs of at most `maxPdu` bytes (PS3.8 9.3.5, Annex E). Large chunks travel as views
 * (no copy); chunks under {@link SMALL_CHUNK} are copied together into a staging PDV rather than sent as PDVs of their
 * own. Every fragment has an even length: a chunk of odd length leaves its last byte to be joined with the next
 * chunk's first, and a data set of odd total length (not valid DICOM, but a deflated stream may be one, PS3.5 A.5)
 * gets one trailing NUL byte. A full PDU is sent only once more data is known to follow, since the last PDV must
 * carry the last-fragment flag.
 */
class Fragmenter {
  /** Data set bytes placed (the padding byte included). */
  total = 0;
  private pdvs: Uint8Array[] = [];
  private chunks: PooledChunk[] = [];
  private pduSize = 0;
  private staging: { buffer: Uint8Array; used: number; index: number } | undefined;

  constructor(
    private readonly presentationContextId: number,
    private readonly maxPdu: number,
    private readonly send: (pdvs: Pdv[], chunks: readonly PooledChunk[]) => Promise<void>,
  ) {
    this.mask = evenMask(maxPdu);
  }

  private readonly mask: number;

  /** Room for the data of one more PDV in the PDU being built (even). */
  private room(): number {
    return (this.maxPdu - this.pduSize - 6) & this.mask;
  }

  private async flush(last: boolean): Promise<void> {
    this.staging = undefined;
    const pdvs: Pdv[] = this.pdvs.map((data, i, all) => ({
      presentationContextId: this.presentationContextId,
      isCommand: false,
      isLast: last && i === all.length - 1,
      data,
    }));
    const chunks = this.chunks;
    this.pdvs = [];
    this.chunks = [];
    this.pduSize = 0;
    await this.send(pdvs, chunks);
  }

  /** Copies `bytes` into staging PDVs (they may end odd: the next bytes or the final padding make them even). */
  private async stage(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      let staging = this.staging;
      if (staging === undefined || staging.used === staging.buffer.length) {
        if (this.pdvs.length > 0 && this.room() < 256) await this.flush(false);
        staging = { buffer: new Uint8Array(Math.min(this.room(), 65536)), used: 0, index: this.pdvs.length };
        this.staging = staging;
        this.pdvs.push(staging.buffer.subarray(0, 0));
        this.pduSize += 6;
      }
      const n = Math.min(bytes.length - offset, staging.buffer.length - staging.used);
      staging.buffer.set(bytes.subarray(offset, offset + n), staging.used);
      staging.used += n;
      this.pdvs[staging.index] = staging.buffer.subarray(0, staging.used);
      this.pduSize += n;
      offset += n;
      this.total += n;
    }
  }

  /** Places the next bytes of the data set; `chunk` (if pooled) is released once no unsent PDU needs it. */
  async place(bytes: Uint8Array, chunk?: PooledChunk): Promise<void> {
    try {
      let offset = 0;
      const staging = this.staging;
      if (staging !== undefined && staging.used % 2 === 1) {
        // Complete the odd staging PDV with this chunk's first byte (a staging buffer's length is even).
        await this.stage(bytes.subarray(0, 1));
        offset = 1;
      }
      while (offset < bytes.length) {
        const remaining = bytes.length - offset;
        if (remaining < SMALL_CHUNK) {
          await this.stage(bytes.subarray(offset));
          return;
        }
        this.staging = undefined;
        if (this.pdvs.length > 0 && this.room() < 256) await this.flush(false);
        // Even pieces; an odd last byte goes to staging on the next turn.
        const piece = bytes.subarray(offset, offset + (Math.min(this.room(), remaining) & this.mask));
        this.pdvs.push(piece);
        if (chunk !== undefined && this.chunks[this.chunks.length - 1] !== chunk) {
          chunk.hold();
          this.chunks.push(chunk);
        }
        this.pduSize += 6 + piece.length;
        offset += piece.length;
        this.total += piece.length;
      }
    } finally {
      chunk?.release();
    }
  }

  /** Sends what is left as the last fragment, padding an odd total with a NUL byte. */
  async finish(): Promise<void> {
    if (this.total % 2 === 1) await this.stage(PADDING);
    await this.flush(true);
  }

  /** Gives back the chunks held by the PDU that will now never be sent. */
  discard(): void {
    for (const chunk of this.chunks) chunk.release();
    this.chunks = [];
    this.pdvs = [];
  }
}

const PADDING = Uint8Array.of(0);

/** Rounds fragment sizes down to even numbers, except for PDUs too small to carry two data bytes. */
function evenMask(maxPdu: number): number {
  return maxPdu - 6 >= 2 ? ~1 : ~0;
}

function toAsyncIterator(source: Exclude<DatasetChunks, FileRange>): AsyncIterator<Uint8Array> {
  if (source instanceof Uint8Array) return [source][Symbol.iterator]() as unknown as AsyncIterator<Uint8Array>;
  if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
  if (Symbol.iterator in source)
    return (source as Iterable<Uint8Array>)[Symbol.iterator]() as unknown as AsyncIterator<Uint8Array>;
  throw new DatasetSourceError('the data set is neither bytes nor an (async) iterable of bytes');
}

function sourceMessage(error: unknown): string {
  return `reading the data set failed: ${error instanceof Error ? error.message : String(error)}`;
}
