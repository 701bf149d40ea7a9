/**
 * Typed errors of `@netdicom/store-scu`. Every error has a stable string `code` (`ERR_NETDICOM_STORE_SCU_...`) and
 * forwards its `cause`. Failures of a single file (see {@link StoreFileError}) are reported through `onFileError`
 * and never stop the transfer; failures of the whole transfer reject `send()`.
 */

/** Options accepted by every store-scu error constructor. */
export interface StoreScuErrorOptions {
  readonly cause?: unknown;
}

/** Base class of every error thrown by `@netdicom/store-scu`. */
export class StoreScuError extends Error {
  /** Stable machine-readable code. */
  readonly code: string;
  constructor(code: string, message: string, options: StoreScuErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** Invalid options given to `StoreScu` / `StoreScuSession` (bad address, AE title, transfer syntax name...). */
export class InvalidOptionError extends StoreScuError {
  constructor(message: string, options: StoreScuErrorOptions = {}) {
    super('ERR_NETDICOM_STORE_SCU_INVALID_OPTION', message, options);
  }
}

/** Why a single file cannot be sent; see {@link StoreFileError.reason}. */
export type StoreFileErrorReason =
  | 'not-dicom'
  | 'dicomdir'
  | 'truncated'
  | 'malformed'
  | 'missing-sop-class'
  | 'missing-sop-instance'
  | 'unreadable'
  | 'no-presentation-context'
  | 'transcode-impossible'
  | 'transcode-failed'
  | 'store-failed'
  | 'cancelled';

const FILE_ERROR_CODES: Record<StoreFileErrorReason, string> = {
  'not-dicom': 'ERR_NETDICOM_STORE_SCU_NOT_DICOM',
  dicomdir: 'ERR_NETDICOM_STORE_SCU_DICOMDIR',
  truncated: 'ERR_NETDICOM_STORE_SCU_TRUNCATED',
  malformed: 'ERR_NETDICOM_STORE_SCU_MALFORMED',
  'missing-sop-class': 'ERR_NETDICOM_STORE_SCU_MISSING_SOP_CLASS',
  'missing-sop-instance': 'ERR_NETDICOM_STORE_SCU_MISSING_SOP_INSTANCE',
  unreadable: 'ERR_NETDICOM_STORE_SCU_UNREADABLE',
  'no-presentation-context': 'ERR_NETDICOM_STORE_SCU_NO_PRESENTATION_CONTEXT',
  'transcode-impossible': 'ERR_NETDICOM_STORE_SCU_TRANSCODE_IMPOSSIBLE',
  'transcode-failed': 'ERR_NETDICOM_STORE_SCU_TRANSCODE_FAILED',
  'store-failed': 'ERR_NETDICOM_STORE_SCU_STORE_FAILED',
  cancelled: 'ERR_NETDICOM_STORE_SCU_CANCELLED',
};

/**
 * One file could not be planned or sent. `reason` says why in one word; the message says it in a sentence that
 * names the file. For `store-failed`, `status` is the DIMSE status the peer returned (PS3.7 Annex C).
 */
export class StoreFileError extends StoreScuError {
  readonly reason: StoreFileErrorReason;
  readonly file: string;
  readonly status?: number;
  constructor(
    reason: StoreFileErrorReason,
    file: string,
    message: string,
    options: StoreScuErrorOptions & { status?: number } = {},
  ) {
    super(FILE_ERROR_CODES[reason], message, options);
    this.reason = reason;
    this.file = file;
    if (options.status !== undefined) this.status = options.status;
  }
}

/** A dataset could not be parsed (truncated, inconsistent lengths, unknown VR...). PS3.5 section 7. */
export class DatasetParseError extends StoreScuError {
  /** `truncated`: the bytes ended inside an element; `malformed`: the bytes contradict PS3.5. */
  readonly kind: 'truncated' | 'malformed';
  constructor(kind: 'truncated' | 'malformed', message: string, options: StoreScuErrorOptions = {}) {
    super(
      kind === 'truncated' ? 'ERR_NETDICOM_STORE_SCU_TRUNCATED' : 'ERR_NETDICOM_STORE_SCU_MALFORMED',
      message,
      options,
    );
    this.kind = kind;
  }
}

/** A transcoding between two transfer syntaxes is not possible (policy, missing codec) or failed. PS3.5 section 10. */
export class TranscodeError extends StoreScuError {
  readonly impossible: boolean;
  constructor(impossible: boolean, message: string, options: StoreScuErrorOptions = {}) {
    super(
      impossible ? 'ERR_NETDICOM_STORE_SCU_TRANSCODE_IMPOSSIBLE' : 'ERR_NETDICOM_STORE_SCU_TRANSCODE_FAILED',
      message,
      options,
    );
    this.impossible = impossible;
  }
}

/**
 * Why the connection could not be made. `tls`: the TLS handshake failed (PS3.15 B.1): the peer's certificate did not
 * verify (wrong CA, wrong name, expired), the peer refused ours or asked for one, or the peer does not speak TLS.
 */
export type ConnectFailure = 'refused' | 'timed-out' | 'host-not-found' | 'tls' | 'other';

/** The TCP/TLS connection to the peer could not be opened (PS3.8 section 9.1.1: transport connect). */
export class ConnectError extends StoreScuError {
  readonly failure: ConnectFailure;
  readonly address: string;
  constructor(failure: ConnectFailure, address: string, message: string, options: StoreScuErrorOptions = {}) {
    const code =
      failure === 'refused'
        ? 'ERR_NETDICOM_STORE_SCU_CONNECTION_REFUSED'
        : failure === 'timed-out'
          ? 'ERR_NETDICOM_STORE_SCU_CONNECT_TIMEOUT'
          : failure === 'host-not-found'
            ? 'ERR_NETDICOM_STORE_SCU_HOST_NOT_FOUND'
            : failure === 'tls'
              ? 'ERR_NETDICOM_STORE_SCU_TLS'
              : 'ERR_NETDICOM_STORE_SCU_CONNECT_FAILED';
    super(code, message, options);
    this.failure = failure;
    this.address = address;
  }
}

/** The peer answered A-ASSOCIATE-RJ (PS3.8 section 9.3.4, Table 9-21); `reason` is the text of its reason. */
export class AssociationRejectedError extends StoreScuError {
  readonly result: number;
  readonly source: number;
  readonly reasonCode: number;
  readonly transient: boolean;
  constructor(result: number, source: number, reasonCode: number, message: string, options: StoreScuErrorOptions = {}) {
    super('ERR_NETDICOM_STORE_SCU_ASSOCIATION_REJECTED', message, options);
    this.result = result;
    this.source = source;
    this.reasonCode = reasonCode;
    this.transient = result === 2;
  }
}

/** The association was lost (abort, transport closed) while the transfer needed it, after all retries. */
export class AssociationLostError extends StoreScuError {
  constructor(message: string, options: StoreScuErrorOptions = {}) {
    super('ERR_NETDICOM_STORE_SCU_ASSOCIATION_LOST', message, options);
  }
}

/**
 * The peer sent no response to a C-STORE or C-ECHO request (PS3.7 9.1.1, 9.1.5) within `timeouts.response`
 * milliseconds of the request's last byte, so the association was aborted (PS3.8 7.3.1). An
 * {@link AssociationLostError}: `StoreScu` retries the file on a fresh association like any lost association, and
 * reports this error once the retries are spent.
 */
export class ResponseTimeoutError extends AssociationLostError {
  override readonly code: string = 'ERR_NETDICOM_STORE_SCU_RESPONSE_TIMEOUT';
  /** The response timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;
  constructor(timeoutMs: number, message: string, options: StoreScuErrorOptions = {}) {
    super(message, options);
    this.timeoutMs = timeoutMs;
  }
}

/** The peer accepted none of the presentation contexts proposed for the files (PS3.8 section 9.3.3.2). */
export class NoAcceptablePresentationContextError extends StoreScuError {
  constructor(message: string, options: StoreScuErrorOptions = {}) {
    super('ERR_NETDICOM_STORE_SCU_NO_PRESENTATION_CONTEXT', message, options);
  }
}

/** The transfer or operation was cancelled through its `AbortSignal`. */
export class CancelledError extends StoreScuError {
  constructor(message = 'The transfer was cancelled', options: StoreScuErrorOptions = {}) {
    super('ERR_NETDICOM_STORE_SCU_CANCELLED', message, options);
  }
}

/** An operation was attempted in the wrong state (send() while sending, store() after release()...). */
export class InvalidStateError extends StoreScuError {
  constructor(message: string, options: StoreScuErrorOptions = {}) {
    super('ERR_NETDICOM_STORE_SCU_INVALID_STATE', message, options);
  }
}
