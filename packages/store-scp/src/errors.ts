/**
 * Errors of `@netdicom/store-scp`.
 *
 * Every error carries a stable string `code` (`ERR_NETDICOM_STORE_...`) and the DIMSE `status` a Storage SCP answers
 * in its C-STORE-RSP when that error ends a store (PS3.4 B.2.3, Table B.2-1; PS3.7 9.1.1.1.9 and Annex C). The cause
 * is forwarded through `super(message, { cause })`.
 *
 * Status values used (PS3.4 Table B.2-1 defines the families; the low byte is ours within each family):
 * - `0xA700` Refused: Out of Resources (disk full, quota, out of file descriptors or memory, store closed).
 * - `0xA701` Refused: Out of Resources, storage failure (any other I/O error, a path that would leave the storage
 *   directory).
 * - `0xA702` Refused: Out of Resources, object larger than the configured maximum.
 * - `0xA900` Error: Data Set does not match SOP Class (dataset UIDs differ from the command's).
 * - `0xC000` Error: Cannot understand (unusable request values, empty dataset, dataset stream failed).
 * - `0xFE00` Cancel (the store was aborted, e.g. by a C-CANCEL; PS3.7 C.4).
 *
 * @packageDocumentation
 */

/**
 * DIMSE status codes the store answers with (PS3.4 B.2.3 Table B.2-1, PS3.7 Annex C).
 */
export const StoreStatus = {
  /** Refused: Out of Resources (PS3.4 Table B.2-1, A7xx). */
  OutOfResources: 0xa700,
  /** Refused: Out of Resources, storage I/O failure (A7xx family, low byte chosen by netdicom). */
  StorageFailure: 0xa701,
  /** Refused: Out of Resources, object exceeds the configured maximum size (A7xx family, low byte ours). */
  ObjectTooLarge: 0xa702,
  /** Error: Data Set does not match SOP Class (PS3.4 Table B.2-1, A9xx). */
  DataSetDoesNotMatchSopClass: 0xa900,
  /** Error: Cannot understand (PS3.4 Table B.2-1, Cxxx). */
  CannotUnderstand: 0xc000,
  /** Cancel (PS3.7 C.4.2: the operation was cancelled). */
  Cancel: 0xfe00,
} as const;

/** The step of the durable write protocol at which an I/O error happened (see the file store README). */
export type StoreStep =
  | 'init'
  | 'open'
  | 'write'
  | 'sync'
  | 'close'
  | 'mkdir'
  | 'rename'
  | 'link'
  | 'dirsync'
  | 'unlink'
  | 'stat';

/**
 * Base class of every error thrown by `@netdicom/store-scp`.
 *
 * `status` is the DIMSE status (PS3.4 B.2.3) that a C-STORE-RSP should carry when this error ends a store.
 */
export class StoreScpError extends Error {
  /** Stable machine-readable code, `ERR_NETDICOM_STORE_...`. */
  readonly code: string;
  /** DIMSE status to answer (PS3.4 Table B.2-1). */
  readonly status: number;

  constructor(message: string, code: string, status: number, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}

/** Fields shared by the I/O error classes. */
export interface StoreIoErrorDetails {
  /** Durable-write step that failed. */
  readonly step: StoreStep;
  /** The OS error code (`ENOSPC`, `EIO`, ...), when the cause had one. */
  readonly osCode?: string;
  /** Path the failing operation touched, when known. */
  readonly path?: string;
}

/**
 * Disk full, quota exceeded, out of file descriptors or memory (`ENOSPC`, `EDQUOT`, `EMFILE`, `ENFILE`, `ENOMEM`):
 * status 0xA700 Refused: Out of Resources (PS3.4 Table B.2-1). Nothing was kept; the store keeps working.
 */
export class OutOfResourcesError extends StoreScpError {
  readonly step: StoreStep;
  readonly osCode: string | undefined;
  readonly path: string | undefined;

  constructor(message: string, details: StoreIoErrorDetails, options?: { cause?: unknown }) {
    super(message, 'ERR_NETDICOM_STORE_OUT_OF_RESOURCES', StoreStatus.OutOfResources, options);
    this.step = details.step;
    this.osCode = details.osCode;
    this.path = details.path;
  }
}

/**
 * Any other storage I/O failure (`EIO`, `EACCES`, `EROFS`, `EXDEV`, ...): status 0xA701, in the A7xx Refused: Out of
 * Resources family (PS3.4 Table B.2-1). Nothing was kept.
 */
export class StorageIoError extends StoreScpError {
  readonly step: StoreStep;
  readonly osCode: string | undefined;
  readonly path: string | undefined;

  constructor(message: string, details: StoreIoErrorDetails, options?: { cause?: unknown }) {
    super(message, 'ERR_NETDICOM_STORE_IO', StoreStatus.StorageFailure, options);
    this.step = details.step;
    this.osCode = details.osCode;
    this.path = details.path;
  }
}

/**
 * A computed path would leave the storage directory, or a directory on the way is a symbolic link or not a
 * directory: status 0xA701 (A7xx, PS3.4 Table B.2-1). Nothing is written. Defence in depth behind the sanitiser.
 */
export class PathEscapeError extends StoreScpError {
  /** The offending path (relative to the storage directory when possible). */
  readonly path: string;

  constructor(message: string, path: string, options?: { cause?: unknown }) {
    super(message, 'ERR_NETDICOM_STORE_PATH_ESCAPE', StoreStatus.StorageFailure, options);
    this.path = path;
  }
}

/**
 * The dataset is larger than the configured `maxObjectSize`: status 0xA702 (A7xx Refused: Out of Resources family,
 * PS3.4 Table B.2-1). The write was aborted and nothing was kept.
 */
export class ObjectTooLargeError extends StoreScpError {
  /** Configured limit in bytes. */
  readonly limit: number;
  /** Bytes received when the limit was crossed. */
  readonly received: number;

  constructor(limit: number, received: number) {
    super(
      `dataset exceeds the maximum object size of ${limit} bytes (received ${received})`,
      'ERR_NETDICOM_STORE_OBJECT_TOO_LARGE',
      StoreStatus.ObjectTooLarge,
    );
    this.limit = limit;
    this.received = received;
  }
}

/**
 * The SOP Class or SOP Instance UID in the dataset differs from the one in the C-STORE-RQ: status 0xA900 Error: Data
 * Set does not match SOP Class (PS3.4 B.2.3, Table B.2-1). Nothing is kept.
 */
export class DatasetMismatchError extends StoreScpError {
  /** Which attribute differs. */
  readonly attribute: 'SOPClassUID' | 'SOPInstanceUID';
  /** Value from the command set (Affected SOP Class/Instance UID, PS3.7 9.3.1.1). */
  readonly commandValue: string;
  /** Value read from the dataset. */
  readonly datasetValue: string;

  constructor(attribute: 'SOPClassUID' | 'SOPInstanceUID', commandValue: string, datasetValue: string) {
    super(
      `dataset ${attribute} ${JSON.stringify(datasetValue)} does not match the command's ${JSON.stringify(commandValue)}`,
      'ERR_NETDICOM_STORE_DATASET_MISMATCH',
      StoreStatus.DataSetDoesNotMatchSopClass,
    );
    this.attribute = attribute;
    this.commandValue = commandValue;
    this.datasetValue = datasetValue;
  }
}

/**
 * A request value cannot be written into the File Meta Information (a UID longer than 64 characters or with bytes a
 * UI value cannot hold, an AE title longer than 16, ...): status 0xC000 Error: Cannot understand (PS3.4 Table B.2-1).
 */
export class InvalidStoreRequestError extends StoreScpError {
  /** The request field at fault. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(`invalid ${field}: ${message}`, 'ERR_NETDICOM_STORE_INVALID_REQUEST', StoreStatus.CannotUnderstand);
    this.field = field;
  }
}

/** The dataset stream carried no bytes: status 0xC000 Error: Cannot understand (PS3.4 Table B.2-1). */
export class EmptyDatasetError extends StoreScpError {
  constructor() {
    super('the dataset is empty', 'ERR_NETDICOM_STORE_EMPTY_DATASET', StoreStatus.CannotUnderstand);
  }
}

/**
 * The dataset stream itself failed (the iterable threw, or yielded something that is not bytes): status 0xC000
 * Error: Cannot understand (PS3.4 Table B.2-1). Nothing is kept. `cause` is the stream's error.
 */
export class DatasetSourceError extends StoreScpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_NETDICOM_STORE_DATASET_SOURCE', StoreStatus.CannotUnderstand, options);
  }
}

/** The store was aborted through its `AbortSignal`: status 0xFE00 Cancel (PS3.7 C.4.2). `cause` is the reason. */
export class StoreAbortedError extends StoreScpError {
  constructor(options?: { cause?: unknown }) {
    super('the store was aborted', 'ERR_NETDICOM_STORE_ABORTED', StoreStatus.Cancel, options);
  }
}

/** `write()` after `close()`: status 0xA700 Refused: Out of Resources (PS3.4 Table B.2-1). */
export class FileStoreClosedError extends StoreScpError {
  constructor() {
    super('the file store is closed', 'ERR_NETDICOM_STORE_CLOSED', StoreStatus.OutOfResources);
  }
}

/**
 * Invalid file store options (unknown template placeholder, unusable storage directory, ...). Thrown by
 * `openFileStore()`, never during a store; its status, 0xA701, is what a peer would be answered if it were.
 */
export class FileStoreConfigError extends StoreScpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_NETDICOM_STORE_CONFIG', StoreStatus.StorageFailure, options);
  }
}

/** Invalid {@link StoreScp} options (an AE title that is not one, a non-positive limit, ...). Thrown by the constructor. */
export class StoreScpOptionsError extends StoreScpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_NETDICOM_STORE_SCP_OPTIONS', StoreStatus.StorageFailure, options);
  }
}

/**
 * A store arrived while the SCP was closing: status 0xA700 Refused: Out of Resources (PS3.4 Table B.2-1), so the
 * sender keeps the instance and sends it again later. Nothing is kept.
 */
export class ScpClosingError extends StoreScpError {
  constructor() {
    super('the SCP is shutting down', 'ERR_NETDICOM_STORE_SCP_CLOSING', StoreStatus.OutOfResources);
  }
}

/**
 * A custom `onStore` handler threw: status 0x0110 Processing failure (PS3.7 Annex C, a general failure status of every
 * DIMSE service). `cause` is what the handler threw.
 */
export class StoreHandlerError extends StoreScpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_NETDICOM_STORE_HANDLER', 0x0110, options);
  }
}

/**
 * A custom `onStore` handler answered a failure status (PS3.4 Table B.2-1). Reported on `failed$`; `status` is the
 * handler's answer.
 */
export class StoreRefusedError extends StoreScpError {
  constructor(status: number, errorComment: string | undefined) {
    super(
      `the onStore handler answered 0x${status.toString(16).toUpperCase().padStart(4, '0')}${errorComment ? `: ${errorComment}` : ''}`,
      'ERR_NETDICOM_STORE_REFUSED',
      status,
    );
  }
}

/**
 * The exec-on-reception program could not run, failed, timed out, or was dropped because too many were waiting. The
 * store itself succeeded (its status, 0x0000, went out; PS3.4 B.2.3): this is reported on `errors$` only.
 */
export class ExecOnReceptionError extends StoreScpError {
  /** The argv that was (or would have been) run. */
  readonly argv: readonly string[];
  /** Exit code, when the program exited. */
  readonly exitCode: number | undefined;
  /** Signal that ended the program, when one did. */
  readonly signal: string | undefined;
  /** The end of what the program wrote on stderr (at most 2 KiB). */
  readonly stderr: string;

  constructor(
    message: string,
    details: { argv: readonly string[]; exitCode?: number; signal?: string; stderr?: string },
    options?: { cause?: unknown },
  ) {
    super(message, 'ERR_NETDICOM_STORE_EXEC', 0x0000, options);
    this.argv = details.argv;
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.stderr = details.stderr ?? '';
  }
}
