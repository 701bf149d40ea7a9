/**
 * The DIMSE service provider side: C-ECHO (PS3.7 9.1.5, PS3.4 Annex A) and C-STORE (PS3.7 9.1.1, PS3.4 Annex B)
 * handlers with typed contexts, C-CANCEL (PS3.7 9.3.2.3) signalled to the operation it names, and the right failure
 * status for everything else (PS3.7 C.5: 0x0211 Unrecognized operation, 0x0212 Mistyped argument, 0x0210 Duplicate
 * invocation). A peer that invokes more operations than the asynchronous operations window allows (PS3.7 D.3.3.3) is
 * slowed down by backpressure: its requests wait unread, never buffered whole.
 */
import type { Readable } from 'node:stream';
import { type ChannelOptions, channelOf, type DimseAssociation, type IncomingMessage } from './channel.js';
import { type CommandSet, CommandField, commandName } from './commands.js';
import { OperationAbortedError } from './errors.js';
import { buildResponse, discardDataset, type HandlerResult, type StatusResult, toStatusResult } from './respond.js';
import { Status } from './status.js';

/** What every request handler gets (PS3.7 9.1). */
export interface RequestContext {
  readonly association: DimseAssociation;
  /** Message ID (0000,0110) of the request. */
  readonly messageId: number;
  readonly presentationContextId: number;
  /** The request's whole command set. */
  readonly command: CommandSet;
  /** Aborted when the peer sends a C-CANCEL for this request or the association ends. */
  readonly signal: AbortSignal;
}

/** Context of a C-ECHO request (PS3.7 9.1.5.1). */
export interface EchoContext extends RequestContext {
  readonly sopClassUid: string;
}

/** Context of a C-STORE request (PS3.7 9.1.1.1). */
export interface StoreContext extends RequestContext {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  /** Transfer syntax of the data set: the presentation context's. */
  readonly transferSyntax: string;
  /** Priority (0000,0700): 0 medium, 1 high, 2 low. */
  readonly priority: number;
  readonly moveOriginator?: { readonly aeTitle: string; readonly messageId: number };
  /**
   * The data set bytes as they arrive, with backpressure to the peer: while it is not read, the socket is not read.
   * What is left unread when the handler settles is dropped. The response goes out once the whole data set has
   * arrived and the handler has settled.
   */
  readonly dataset: Readable;
}

/** Context of a C-CANCEL request (PS3.7 9.3.2.3). */
export interface CancelContext {
  readonly association: DimseAssociation;
  /** The Message ID of the operation to cancel (Message ID Being Responded To of the C-CANCEL-RQ). */
  readonly messageId: number;
  readonly command: CommandSet;
  /** Whether an operation with that Message ID was in progress or waiting. */
  readonly found: boolean;
}

/** Handlers of {@link createDimseServer}. Each resolves to a status (undefined = success); throwing = 0x0110. */
export interface DimseServerHandlers {
  /** C-ECHO; default: success. */
  readonly onEcho?: (context: EchoContext) => HandlerResult | Promise<HandlerResult>;
  /** C-STORE; without it C-STORE requests get 0x0211 Unrecognized operation. */
  readonly onStore?: (context: StoreContext) => HandlerResult | Promise<HandlerResult>;
  /** C-CANCEL; the operation's `signal` is aborted whether or not this is given. */
  readonly onCancel?: (context: CancelContext) => void | Promise<void>;
  /** A handler threw (the request was answered 0x0110 Processing failure) or a response could not be sent. */
  readonly onError?: (error: unknown, context: RequestContext | undefined) => void;
}

/** Options of {@link createDimseServer}. */
export interface DimseServerOptions extends ChannelOptions {
  /**
   * Requests beyond the window that wait with their command read (PS3.7 D.3.3.3); beyond this many, reading from
   * the socket stops until one is served. Default 16. Requests with a data set always hold the socket once their
   * stream's buffer is full.
   */
  readonly maxQueuedRequests?: number;
  /** Finish operations in progress before answering a peer's A-RELEASE-RQ (PS3.8 7.2). Default true. */
  readonly finishBeforeRelease?: boolean;
}

/** A DIMSE server on one association; see {@link createDimseServer}. */
export interface DimseServer {
  /** Operations being performed. */
  readonly active: number;
  /** Operations received and waiting for a slot in the window. */
  readonly queued: number;
  /** The window this side performs with (0 = unlimited), PS3.7 D.3.3.3. */
  readonly window: number;
  /** Resolves when no operation is active or queued. */
  idle(): Promise<void>;
  /** Stops serving: later requests get 0x0211; operations in progress finish. */
  close(): void;
}

interface Operation {
  readonly message: IncomingMessage;
  readonly messageId: number;
  readonly controller: AbortController;
}

/**
 * Serves DIMSE requests on an established association (PS3.7 section 9.1, 9.3). Up to the window's number of
 * operations run at once (Maximum Number of Operations Invoked by the requestor for an acceptor; Performed for a
 * requestor; 1 when not negotiated); responses go out in the order operations finish.
 */
export function createDimseServer(
  association: DimseAssociation,
  handlers: DimseServerHandlers = {},
  options: DimseServerOptions = {},
): DimseServer {
  const channel = channelOf(association, options);
  const negotiatedWindow = association.negotiated.asynchronousOperationsWindow;
  const window =
    association.role === 'acceptor' ? negotiatedWindow.maxOperationsInvoked : negotiatedWindow.maxOperationsPerformed;
  const maxQueued = options.maxQueuedRequests ?? 16;
  const active = new Map<number, Operation>();
  const queue: Operation[] = [];
  let pausedForQueue = false;
  let closed = false;
  const idleWaiters: (() => void)[] = [];

  const checkIdle = () => {
    if (active.size === 0 && queue.length === 0) for (const w of idleWaiters.splice(0)) w();
  };

  const updateQueuePause = () => {
    const shouldPause = queue.length >= maxQueued && channel.endedWith === undefined;
    if (shouldPause && !pausedForQueue) {
      pausedForQueue = true;
      association.pauseIncoming();
    } else if (!shouldPause && pausedForQueue) {
      pausedForQueue = false;
      association.resumeIncoming();
    }
  };

  channel.onEnd((error) => {
    for (const op of [...active.values(), ...queue]) op.controller.abort(error);
    queue.length = 0;
    updateQueuePause();
    checkIdle();
  });

  if (options.finishBeforeRelease !== false) {
    const previous = association.onReleaseRequest;
    association.onReleaseRequest = async () => {
      await previous?.();
      await server.idle();
    };
  }

  const respond = async (op: Operation, result: StatusResult) => {
    const { command, presentationContextId } = op.message;
    let response: CommandSet;
    try {
      response = buildResponse(command, result);
      await channel.send(presentationContextId, response);
    } catch (error) {
      if (channel.endedWith !== undefined) return;
      handlers.onError?.(error, undefined);
      // The handler's answer did not encode (bad status or element): answer with a plain failure instead.
      await channel
        .send(presentationContextId, buildResponse(command, { status: Status.ProcessingFailure }))
        .catch(() => undefined);
    }
  };

  const perform = async (op: Operation) => {
    const { message } = op;
    const { command } = message;
    const base: RequestContext = {
      association,
      messageId: op.messageId,
      presentationContextId: message.presentationContextId,
      command,
      signal: op.controller.signal,
    };
    let result: StatusResult;
    try {
      result = toStatusResult(await invoke(base, message));
    } catch (error) {
      // A handler failing because the association ended is no handler bug: nobody is left to answer.
      if (channel.endedWith === undefined) handlers.onError?.(error, base);
      result = {
        status: Status.ProcessingFailure,
        errorComment: error instanceof Error ? error.message : String(error),
      };
    }
    // Whatever the handler left unread is dropped; the response waits for the whole request to have arrived.
    await discardDataset(message.dataset);
    await message.received;
    if (channel.endedWith === undefined) await respond(op, result);
  };

  const invoke = async (base: RequestContext, message: IncomingMessage): Promise<HandlerResult> => {
    const { command } = message;
    const contexts = association.negotiated.acceptedContexts;
    const pc = contexts.find((c) => c.id === message.presentationContextId);
    switch (command.commandField) {
      case CommandField['C-ECHO-RQ']: {
        if (closed) return Status.UnrecognizedOperation;
        const context: EchoContext = { ...base, sopClassUid: command.affectedSopClassUid ?? '' };
        return handlers.onEcho === undefined ? Status.Success : handlers.onEcho(context);
      }
      case CommandField['C-STORE-RQ']: {
        if (closed || handlers.onStore === undefined || message.dataset === undefined) {
          return Status.UnrecognizedOperation;
        }
        if (pc === undefined || pc.abstractSyntax !== command.affectedSopClassUid) {
          return {
            status: Status.MistypedArgument,
            errorComment: 'Affected SOP Class UID differs from the presentation context abstract syntax',
            offendingElement: [0x00000002],
          };
        }
        const context: StoreContext = {
          ...base,
          sopClassUid: command.affectedSopClassUid!,
          sopInstanceUid: command.affectedSopInstanceUid!,
          transferSyntax: pc.transferSyntax ?? '',
          priority: command.priority ?? 0,
          dataset: message.dataset,
          ...(command.moveOriginatorApplicationEntityTitle !== undefined &&
          command.moveOriginatorMessageId !== undefined
            ? {
                moveOriginator: {
                  aeTitle: command.moveOriginatorApplicationEntityTitle,
                  messageId: command.moveOriginatorMessageId,
                },
              }
            : {}),
        };
        return handlers.onStore(context);
      }
      default:
        return {
          status: Status.UnrecognizedOperation,
          errorComment: `${commandName(command.commandField)} is not served here`,
        };
    }
  };

  const start = (op: Operation) => {
    active.set(op.messageId, op);
    void perform(op)
      .catch((error) => handlers.onError?.(error, undefined))
      .finally(() => {
        active.delete(op.messageId);
        pump();
        checkIdle();
      });
  };

  const pump = () => {
    while (queue.length > 0 && (window === 0 || active.size < window)) start(queue.shift()!);
    updateQueuePause();
  };

  const onCancel = (message: IncomingMessage) => {
    const target = message.command.messageIdBeingRespondedTo ?? -1;
    const op = active.get(target) ?? queue.find((q) => q.messageId === target);
    op?.controller.abort(new OperationAbortedError(`cancelled by the peer (C-CANCEL-RQ for Message ID ${target})`));
    if (handlers.onCancel !== undefined) {
      Promise.resolve()
        .then(() =>
          handlers.onCancel?.({ association, messageId: target, command: message.command, found: op !== undefined }),
        )
        .catch((error) => handlers.onError?.(error, undefined));
    }
  };

  channel.onRequest = (message) => {
    const { command } = message;
    if (command.commandField === CommandField['C-CANCEL-RQ']) {
      onCancel(message);
      return;
    }
    const messageId = command.messageId!;
    if (active.has(messageId) || queue.some((q) => q.messageId === messageId)) {
      channel.refuse(message.presentationContextId, command, message.dataset, Status.DuplicateInvocation, undefined);
      return;
    }
    const op: Operation = { message, messageId, controller: new AbortController() };
    if (window === 0 || active.size < window) start(op);
    else {
      queue.push(op);
      updateQueuePause();
    }
  };

  const server: DimseServer = {
    get active() {
      return active.size;
    },
    get queued() {
      return queue.length;
    },
    window,
    idle() {
      if (active.size === 0 && queue.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    close() {
      closed = true;
    },
  };
  return server;
}
