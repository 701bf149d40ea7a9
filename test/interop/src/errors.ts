/**
 * Errors of the interop matrix's own helpers. Each has a stable `code`; `cause` is forwarded.
 *
 * @packageDocumentation
 */

/** Base class of every error raised by this package's helpers. */
export class InteropError extends Error {
  readonly code: string = 'ERR_NETDICOM_INTEROP';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A file is not a PS3.10 file with a readable File Meta Information (PS3.10 section 7.1). */
export class Part10FormatError extends InteropError {
  override readonly code = 'ERR_NETDICOM_INTEROP_PART10';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/** DCMTK `dcmdump` could not read a file cleanly (it failed, or printed warnings) while preparing a comparison. */
export class DumpError extends InteropError {
  override readonly code = 'ERR_NETDICOM_INTEROP_DUMP';
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${message}`, options);
  }
}

/** A child process of the matrix (the `netdicom` command) did not start or did not behave as expected. */
export class ChildProcessError extends InteropError {
  override readonly code = 'ERR_NETDICOM_INTEROP_CHILD';
}
