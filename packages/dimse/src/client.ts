/**
 * The DIMSE service user side: C-ECHO (PS3.7 9.1.5, PS3.4 Annex A) and C-STORE (PS3.7 9.1.1, PS3.4 Annex B) requests
 * over an association, several outstanding up to the negotiated asynchronous operations window (PS3.7 D.3.3.3),
 * responses correlated by Message ID Being Responded To in whatever order they come.
 */
import {
  type ChannelOptions,
  channelOf,
  type DatasetChunks,
  type DimseAssociation,
  type IncomingMessage,
} from './channel.js';
import { type CommandSet, CommandDataSetType, CommandField, commandName, Priority } from './commands.js';
import { type DatasetInput, resolveDataset } from './dataset-source.js';
import {
  DimseProtocolError,
  InvalidArgumentError,
  NoPresentationContextError,
  ResponseTimeoutError,
} from './errors.js';
import { discardDataset } from './respond.js';
import { type DimseStatus, describeStatus } from './status.js';

/** The Verification SOP Class UID, PS3.4 A.4. */
export const VERIFICATION_SOP_CLASS_UID = '1.2.840.10008.1.1';

/** A request ready to go: its context, its command (given the Message ID) and its data set. */
interface Prepared {
  readonly presentationContextId: number;
  readonly build: (messageId: number) => CommandSet;
  readonly dataset: DatasetChunks | (() => Promise<DatasetChunks>) | undefined;
}

/** Options of {@link createDimseClient}. */
export interface DimseClientOptions extends ChannelOptions {
  /**
   * Milliseconds to wait for a response once the request has been sent; 0 (default) waits as long as the association
   * lives. On expiry the association is aborted (a peer that does not answer cannot be trusted with the next one).
   */
  readonly responseTimeout?: number;
}

/** A final response (PS3.7 9.3 / 10.3): the status as a value, never an exception, and its conditional fields. */
export interface DimseResponse {
  readonly status: DimseStatus;
  /** The Message ID of our request. */
  readonly messageId: number;
  readonly errorComment?: string;
  /** Offending Element (0000,0901) tags. */
  readonly offendingElements?: readonly number[];
  readonly errorId?: number;
  /** The whole response command set. */
  readonly command: CommandSet;
}

/** The outcome of a C-STORE (PS3.7 9.1.1.1). */
export interface StoreResponse extends DimseResponse {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly presentationContextId: number;
  readonly transferSyntax: string;
  /** Data set bytes sent. */
  readonly bytesSent: number;
}

/** Parameters of a C-ECHO (PS3.7 9.1.5.1). */
export interface EchoRequest {
  readonly presentationContextId?: number;
  readonly signal?: AbortSignal;
}

/** Parameters of a C-STORE (PS3.7 9.1.1.1). */
export interface StoreRequest {
  /**
   * The data set: bytes, a Readable / (async) iterable of bytes, `{ path, offset?, length? }` (a Part 10 file by
   * default), or a dcmjs data set (encoded in an accepted transfer syntax).
   */
  readonly dataset: DatasetInput;
  /** Affected SOP Class UID; taken from a file's meta or a dcmjs data set when omitted. */
  readonly sopClassUid?: string;
  /** Affected SOP Instance UID; taken from a file's meta or a dcmjs data set when omitted. */
  readonly sopInstanceUid?: string;
  /**
   * Transfer syntax of the bytes (never transcoded). Needed for bytes and streams unless the accepted contexts for the
   * SOP class all use one transfer syntax; read from the meta of a Part 10 file.
   */
  readonly transferSyntax?: string;
  /** Use this accepted presentation context. */
  readonly presentationContextId?: number;
  /** Priority (0000,0700): 0 medium (default), 1 high, 2 low. */
  readonly priority?: number;
  /** Move Originator AE Title and Message ID (0000,1030/1031), for C-STORE sub-operations of a C-MOVE. */
  readonly moveOriginator?: { readonly aeTitle: string; readonly messageId: number };
  readonly signal?: AbortSignal;
}

/** A DIMSE client; see {@link createDimseClient}. */
export interface DimseClient {
  /** C-ECHO (PS3.7 9.1.5): resolves with the response status (non-success statuses are values). */
  echo(request?: EchoRequest): Promise<DimseResponse>;
  /** C-STORE (PS3.7 9.1.1): streams the data set and resolves with the response status. */
  store(request: StoreRequest): Promise<StoreResponse>;
  /** Requests sent (or being sent) and not yet answered. */
  readonly outstanding: number;
  /** Requests waiting for a slot in the asynchronous operations window. */
  readonly queued: number;
  /** The window this side works with (0 = unlimited), PS3.7 D.3.3.3. */
  readonly window: number;
}

/**
 * Creates a DIMSE client on an established association (PS3.7 section 9.1, 9.3). Requests are pipelined: up to the
 * negotiated window (Maximum Number of Operations Invoked for a requestor, Performed for an acceptor; 1 when not
 * negotiated) are outstanding at once, the rest wait their turn; message fragments never interleave.
 */
export function createDimseClient(association: DimseAssociation, options: DimseClientOptions = {}): DimseClient {
  const channel = channelOf(association, options);
  const negotiatedWindow = association.negotiated.asynchronousOperationsWindow;
  const window =
    association.role === 'requestor' ? negotiatedWindow.maxOperationsInvoked : negotiatedWindow.maxOperationsPerformed;
  let outstanding = 0;
  const waiting: { resolve: () => void; reject: (error: unknown) => void }[] = [];

  channel.onEnd((error) => {
    for (const w of waiting.splice(0)) w.reject(error);
  });

  const acquire = (signal: AbortSignal | undefined): Promise<void> => {
    if (channel.endedWith !== undefined) return Promise.reject(channel.endedWith);
    signal?.throwIfAborted();
    if (window === 0 || outstanding < window) {
      outstanding++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const entry = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          outstanding++;
          resolve();
        },
        reject: (error: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const onAbort = () => {
        const i = waiting.indexOf(entry);
        if (i >= 0) waiting.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      waiting.push(entry);
    });
  };

  const releaseSlot = () => {
    outstanding--;
    waiting.shift()?.resolve();
  };

  /**
   * One request/response exchange (PS3.7 9.2): take a slot in the window, then prepare the request (opening files
   * only now, so that requests waiting for the window hold no data), send it, and wait for the final response.
   */
  const exchange = async (
    prepare: () => Prepared | Promise<Prepared>,
    signal: AbortSignal | undefined,
  ): Promise<{ response: CommandSet; messageId: number; bytesSent: number }> => {
    await acquire(signal);
    let slotHeld = true;
    const free = () => {
      if (slotHeld) {
        slotHeld = false;
        releaseSlot();
      }
    };
    let prepared: Prepared;
    try {
      prepared = await prepare();
      signal?.throwIfAborted();
    } catch (error) {
      free();
      throw error;
    }
    const { presentationContextId, build, dataset } = prepared;
    const messageId = channel.allocateMessageId();
    const command = build(messageId);
    let settle!: { resolve: (r: CommandSet) => void; reject: (e: unknown) => void };
    const response = new Promise<CommandSet>((resolve, reject) => {
      settle = { resolve, reject };
    });
    response.catch(() => undefined);
    const stopListening = channel.expectResponses(messageId, (message: IncomingMessage) => {
      void discardDataset(message.dataset);
      const expected = (command.commandField | 0x8000) & 0xffff;
      if (message.command.status === undefined) {
        channel.protocolViolation(
          new DimseProtocolError(
            `${commandName(message.command.commandField)} for Message ID ${messageId} has no Status`,
          ),
        );
        return;
      }
      if (message.command.commandField !== expected) {
        channel.protocolViolation(
          new DimseProtocolError(
            `${commandName(message.command.commandField)} answers Message ID ${messageId}, a ${commandName(command.commandField)}`,
          ),
        );
        return;
      }
      const category = describeStatus(message.command.status).category;
      if (category === 'pending') return; // Not final (PS3.7 C.2): keep waiting.
      stopListening();
      unregisterEnd();
      free();
      settle.resolve(message.command);
    });
    const unregisterEnd = channel.onEnd((error) => {
      stopListening();
      free();
      settle.reject(error);
    });

    let bytesSent = 0;
    try {
      bytesSent = (await channel.send(presentationContextId, command, dataset, signal)).datasetBytes;
    } catch (error) {
      stopListening();
      unregisterEnd();
      free();
      throw error;
    }

    const timeout = options.responseTimeout ?? 0;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const guards = new Promise<never>((_, reject) => {
      if (timeout > 0) {
        timer = setTimeout(() => {
          const error = new ResponseTimeoutError(
            `no response to ${commandName(command.commandField)} ${messageId} within ${timeout} ms: association aborted`,
            timeout,
          );
          channel.protocolViolation(error);
          reject(error);
        }, timeout);
      }
      if (signal !== undefined) {
        // Stop waiting; the slot stays taken until the late response arrives (or the association ends).
        onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    guards.catch(() => undefined);
    try {
      return { response: await Promise.race([response, guards]), messageId, bytesSent };
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    }
  };

  const findContext = (
    abstractSyntax: string,
    presentationContextId: number | undefined,
    transferSyntax: string | undefined,
    mode: 'any' | 'encodable' | 'fixed',
  ) => {
    const encodable = mode === 'encodable';
    const usable = association.negotiated.acceptedContexts.filter(
      (pc) =>
        pc.abstractSyntax === abstractSyntax &&
        pc.transferSyntax !== undefined &&
        (association.role === 'requestor' ? pc.scuRole : pc.scpRole),
    );
    const describe = () =>
      usable.length === 0
        ? `no accepted presentation context for ${abstractSyntax} in which this side may act as SCU`
        : `accepted contexts for ${abstractSyntax}: ${usable.map((pc) => `${pc.id} (${pc.transferSyntax})`).join(', ')}`;
    if (presentationContextId !== undefined) {
      const pc = usable.find((c) => c.id === presentationContextId);
      if (pc === undefined || (transferSyntax !== undefined && pc.transferSyntax !== transferSyntax)) {
        throw new NoPresentationContextError(
          `presentation context ${presentationContextId} does not fit: ${describe()}`,
          abstractSyntax,
          transferSyntax,
        );
      }
      return pc as typeof pc & { transferSyntax: string };
    }
    if (transferSyntax !== undefined) {
      const pc = usable.find((c) => c.transferSyntax === transferSyntax);
      if (pc !== undefined) return pc as typeof pc & { transferSyntax: string };
      if (!encodable) {
        throw new NoPresentationContextError(
          `no accepted presentation context for ${abstractSyntax} in ${transferSyntax} (data is never transcoded): ${describe()}`,
          abstractSyntax,
          transferSyntax,
        );
      }
    }
    if (encodable) {
      const preference = ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2', '1.2.840.10008.1.2.1.99', '1.2.840.10008.1.2.2'];
      for (const ts of preference) {
        const pc = usable.find((c) => c.transferSyntax === ts);
        if (pc !== undefined) return pc as typeof pc & { transferSyntax: string };
      }
      throw new NoPresentationContextError(
        `no accepted presentation context for ${abstractSyntax} in a transfer syntax dcmjs can write: ${describe()}`,
        abstractSyntax,
      );
    }
    const syntaxes = new Set(usable.map((c) => c.transferSyntax));
    if (usable.length > 0 && mode === 'any') return usable[0]! as (typeof usable)[number] & { transferSyntax: string };
    if (usable.length === 0 || syntaxes.size !== 1) {
      throw new NoPresentationContextError(
        usable.length === 0
          ? describe()
          : `give transferSyntax: the data's transfer syntax is unknown and ${describe()}`,
        abstractSyntax,
      );
    }
    return usable[0]! as (typeof usable)[number] & { transferSyntax: string };
  };

  const toResponse = (command: CommandSet, messageId: number): DimseResponse => {
    const response: Record<string, unknown> = {
      status: describeStatus(command.status ?? 0, command.commandField),
      messageId,
      command,
    };
    if (command.errorComment !== undefined) response['errorComment'] = command.errorComment;
    if (command.offendingElement !== undefined) response['offendingElements'] = command.offendingElement;
    if (command.errorId !== undefined) response['errorId'] = command.errorId;
    return response as unknown as DimseResponse;
  };

  return {
    get outstanding() {
      return outstanding;
    },
    get queued() {
      return waiting.length;
    },
    window,

    async echo(request: EchoRequest = {}) {
      const { response, messageId } = await exchange(() => {
        const pc = findContext(VERIFICATION_SOP_CLASS_UID, request.presentationContextId, undefined, 'any');
        return {
          presentationContextId: pc.id,
          build: (messageId) => ({
            commandField: CommandField['C-ECHO-RQ'],
            messageId,
            affectedSopClassUid: VERIFICATION_SOP_CLASS_UID,
            commandDataSetType: CommandDataSetType.Absent,
          }),
          dataset: undefined,
        };
      }, request.signal);
      return toResponse(response, messageId);
    },

    async store(request: StoreRequest) {
      if (request === null || typeof request !== 'object' || request.dataset === undefined) {
        throw new InvalidArgumentError('store() needs { dataset, ... }');
      }
      let target: {
        sopClassUid: string;
        sopInstanceUid: string;
        presentationContextId: number;
        transferSyntax: string;
      };
      const { response, messageId, bytesSent } = await exchange(async () => {
        const resolved = await resolveDataset(request.dataset, request.transferSyntax, {
          sopClassUid: request.sopClassUid,
          sopInstanceUid: request.sopInstanceUid,
        });
        const sopClassUid = request.sopClassUid ?? resolved.sopClassUid;
        const sopInstanceUid = request.sopInstanceUid ?? resolved.sopInstanceUid;
        if (sopClassUid === undefined || sopInstanceUid === undefined) {
          throw new InvalidArgumentError('store() needs sopClassUid and sopInstanceUid for this kind of data set');
        }
        const pc = findContext(
          sopClassUid,
          request.presentationContextId,
          resolved.transferSyntax,
          resolved.encodable ? 'encodable' : 'fixed',
        );
        target = { sopClassUid, sopInstanceUid, presentationContextId: pc.id, transferSyntax: pc.transferSyntax };
        const chunkSize = association.negotiated.maxPduLengthToSend - 6;
        return {
          presentationContextId: pc.id,
          build: (messageId) => ({
            commandField: CommandField['C-STORE-RQ'],
            messageId,
            affectedSopClassUid: sopClassUid,
            affectedSopInstanceUid: sopInstanceUid,
            priority: request.priority ?? Priority.Medium,
            commandDataSetType: CommandDataSetType.Present,
            ...(request.moveOriginator === undefined
              ? {}
              : {
                  moveOriginatorApplicationEntityTitle: request.moveOriginator.aeTitle,
                  moveOriginatorMessageId: request.moveOriginator.messageId,
                }),
          }),
          dataset: () => resolved.open(pc.transferSyntax, chunkSize),
        };
      }, request.signal);
      return { ...toResponse(response, messageId), ...target!, bytesSent } as StoreResponse;
    },
  };
}
