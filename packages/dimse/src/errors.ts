/**
 * Errors of `@netdicom/dimse`. Every error is a {@link DimseError} with a stable string `code`; the cause, when there
 * is one, is forwarded through the standard `cause` option.
 *
 * Non-success DIMSE statuses are *values*, never errors (PS3.7 Annex C): only protocol violations, malformed input,
 * local misuse and transport loss throw.
 */

/** Base class of every error thrown by `@netdicom/dimse`. */
export class DimseError extends Error {
  /** Stable machine-readable code, `ERR_NETDICOM_DIMSE_...`. */
  readonly code: string;

  constructor(message: string, code = 'ERR_NETDICOM_DIMSE', options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * What is wrong with a command set, PS3.7 section 6.3 and 9.3 / 10.3. `structure` problems (truncated element, lying
 * group length, element outside group 0000, tags out of order) mean the bytes cannot be trusted at all; the others
 * concern one element or the command type.
 */
export type CommandSetProblem =
  | 'truncated'
  | 'group-length'
  | 'not-command-group'
  | 'tag-order'
  | 'duplicate-element'
  | 'bad-value-length'
  | 'bad-value'
  | 'unknown-command-field'
  | 'missing-element'
  | 'data-set-type'
  | 'too-large';

/**
 * A command set that cannot be encoded or decoded (PS3.7 6.3, E.1). `problem` says what is wrong, `tag` which element
 * (when one is to blame). `messageId`/`commandField` are filled in whenever they could be read, so that a receiver can
 * still answer with a failure status (PS3.7 C.5.8 Mistyped argument) instead of aborting.
 */
export class InvalidCommandSetError extends DimseError {
  readonly problem: CommandSetProblem;
  readonly tag: number | undefined;
  readonly commandField: number | undefined;
  readonly messageId: number | undefined;

  constructor(
    message: string,
    problem: CommandSetProblem,
    details: { tag?: number; commandField?: number; messageId?: number; cause?: unknown } = {},
  ) {
    super(message, 'ERR_NETDICOM_DIMSE_INVALID_COMMAND_SET', { cause: details.cause });
    this.problem = problem;
    this.tag = details.tag;
    this.commandField = details.commandField;
    this.messageId = details.messageId;
  }

  /** True when the bytes themselves are untrustworthy (the only sane answer is A-ABORT). */
  get isStructural(): boolean {
    return (
      this.problem === 'truncated' ||
      this.problem === 'group-length' ||
      this.problem === 'not-command-group' ||
      this.problem === 'tag-order' ||
      this.problem === 'duplicate-element' ||
      this.problem === 'too-large'
    );
  }
}

/** A data set (or Part 10 file header) that cannot be parsed, PS3.5 section 7 and PS3.10 section 7.1. */
export class MalformedDatasetError extends DimseError {
  /** Byte offset (in the decoded data set stream) where the problem was seen. */
  readonly offset: number;

  constructor(message: string, offset: number, options?: { cause?: unknown }) {
    super(message, 'ERR_NETDICOM_DIMSE_MALFORMED_DATASET', options);
    this.offset = offset;
  }
}

/** A transfer syntax this code path cannot read or write (PS3.5 section 10). */
export class UnsupportedTransferSyntaxError extends DimseError {
  readonly transferSyntax: string;

  constructor(transferSyntax: string, message?: string) {
    super(message ?? `unsupported transfer syntax ${transferSyntax}`, 'ERR_NETDICOM_DIMSE_UNSUPPORTED_TRANSFER_SYNTAX');
    this.transferSyntax = transferSyntax;
  }
}

/** Converting between a dcmjs data set and bytes failed. */
export class DatasetConversionError extends DimseError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_NETDICOM_DIMSE_DATASET_CONVERSION', options);
  }
}

/** No accepted presentation context fits the request (PS3.8 9.3.3.2, PS3.7 D.3.3.4). */
export class NoPresentationContextError extends DimseError {
  readonly abstractSyntax: string;
  readonly transferSyntax: string | undefined;

  constructor(message: string, abstractSyntax: string, transferSyntax?: string) {
    super(message, 'ERR_NETDICOM_DIMSE_NO_PRESENTATION_CONTEXT');
    this.abstractSyntax = abstractSyntax;
    this.transferSyntax = transferSyntax;
  }
}

/** The peer broke the DIMSE message protocol (PS3.7 section 9.2 / PS3.8 Annex E): fragment order, unknown response. */
export class DimseProtocolError extends DimseError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_NETDICOM_DIMSE_PROTOCOL', options);
  }
}

/** The association ended (released, aborted, transport lost) while an operation was outstanding. */
export class AssociationEndedError extends DimseError {
  /** The `reason` of the association's `closed` value. */
  readonly reason: string;

  constructor(reason: string, options?: { cause?: unknown }) {
    super(
      `association ended (${reason}) with the operation outstanding`,
      'ERR_NETDICOM_DIMSE_ASSOCIATION_ENDED',
      options,
    );
    this.reason = reason;
  }
}

/** An operation was given up locally: its `signal` aborted or its response timeout elapsed. */
export class OperationAbortedError extends DimseError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options?.code ?? 'ERR_NETDICOM_DIMSE_ABORTED', options);
  }
}

/**
 * No response came within the client's `responseTimeout` (a local timer: PS3.7 sets none), so the association was
 * aborted (A-ABORT, PS3.8 7.3.1): the peer may or may not have performed the operation. An
 * {@link OperationAbortedError}, told apart by its class and its code.
 */
export class ResponseTimeoutError extends OperationAbortedError {
  /** The timeout that expired, ms. */
  readonly timeoutMs: number;

  constructor(message: string, timeoutMs: number) {
    super(message, { code: 'ERR_NETDICOM_DIMSE_RESPONSE_TIMEOUT' });
    this.timeoutMs = timeoutMs;
  }
}

/** Reading the data set to send failed (file missing, stream error). */
export class DatasetSourceError extends DimseError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_NETDICOM_DIMSE_DATASET_SOURCE', options);
  }
}

/** Invalid arguments given to a function of this package. */
export class InvalidArgumentError extends DimseError {
  constructor(message: string) {
    super(message, 'ERR_NETDICOM_DIMSE_INVALID_ARGUMENT');
  }
}
