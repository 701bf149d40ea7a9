/**
 * Errors raised by `@netdicom/test-peers`. Every error has a stable string `code` (`ERR_NETDICOM_PEERS_...`) so
 * tests can match on it, and forwards its `cause`.
 *
 * @packageDocumentation
 */

/** Options accepted by every error of this package. */
export interface TestPeersErrorOptions {
  /** The underlying error, forwarded to `Error.cause`. */
  readonly cause?: unknown;
}

/**
 * Base class of every error thrown by `@netdicom/test-peers`.
 *
 * These helpers drive the DCMTK/GDCM peers of PS3.7/PS3.8 interop tests and write PS3.10 files; the errors name which
 * of those steps failed.
 */
export abstract class TestPeersError extends Error {
  /** Stable machine-readable code, `ERR_NETDICOM_PEERS_...`. */
  abstract readonly code: string;

  constructor(message: string, options: TestPeersErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** A DCMTK/GDCM executable is not on `PATH` (install `dcmtk` / `libgdcm-tools`, see scripts/setup.sh). */
export class ToolNotFoundError extends TestPeersError {
  override readonly code = 'ERR_NETDICOM_PEERS_TOOL_NOT_FOUND' as const;
  constructor(
    /** The executable that was looked for. */
    readonly tool: string,
    options?: TestPeersErrorOptions,
  ) {
    super(`${tool} was not found on PATH; install DCMTK/GDCM (bash scripts/setup.sh)`, options);
  }
}

/** What a tool printed before it failed or was stopped. */
export interface ToolOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/** A tool run did not finish within its timeout; it was killed (with its whole process group). */
export class ToolTimeoutError extends TestPeersError implements ToolOutput {
  override readonly code = 'ERR_NETDICOM_PEERS_TOOL_TIMEOUT' as const;
  constructor(
    readonly tool: string,
    readonly args: readonly string[],
    readonly timeoutMs: number,
    readonly stdout: string,
    readonly stderr: string,
    options?: TestPeersErrorOptions,
  ) {
    super(`${tool} did not finish within ${timeoutMs} ms (killed)${tail(stderr || stdout)}`, options);
  }
}

/** A tool exited with a non-zero status (or a signal) where success was required, or printed a warning in strict mode. */
export class ToolFailedError extends TestPeersError implements ToolOutput {
  override readonly code = 'ERR_NETDICOM_PEERS_TOOL_FAILED' as const;
  constructor(
    readonly tool: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stdout: string,
    readonly stderr: string,
    reason?: string,
    options?: TestPeersErrorOptions,
  ) {
    super(
      `${tool} ${reason ?? (signal ? `was killed by ${signal}` : `exited with code ${exitCode}`)}: ${args.join(' ')}${tail(stderr || stdout)}`,
      options,
    );
  }
}

/** A peer (storescp, dcmrecv) exited, or its port did not accept TCP connections, before it was ready. */
export class PeerStartError extends TestPeersError {
  override readonly code = 'ERR_NETDICOM_PEERS_PEER_START' as const;
  constructor(
    readonly tool: string,
    message: string,
    readonly output: string,
    options?: TestPeersErrorOptions,
  ) {
    super(`${tool}: ${message}${tail(output)}`, options);
  }
}

/** `waitForPort` gave up: nothing accepted TCP connections on the port within the timeout. */
export class PortTimeoutError extends TestPeersError {
  override readonly code = 'ERR_NETDICOM_PEERS_PORT_TIMEOUT' as const;
  constructor(
    readonly host: string,
    readonly port: number,
    readonly timeoutMs: number,
    options?: TestPeersErrorOptions,
  ) {
    super(`nothing accepted TCP connections on ${host}:${port} within ${timeoutMs} ms`, options);
  }
}

/** A data element cannot be encoded (PS3.5 section 6.2 / 7.1): value type does not fit the VR, bad tag, too long. */
export class EncodeError extends TestPeersError {
  override readonly code = 'ERR_NETDICOM_PEERS_ENCODE' as const;
  constructor(
    message: string,
    /** The tag, as `(gggg,eeee)`, when the error concerns one element. */
    readonly tag?: string,
    options?: TestPeersErrorOptions,
  ) {
    super(tag === undefined ? message : `${tag}: ${message}`, options);
  }
}

/** The Part-10 writer only writes Implicit and Explicit VR Little Endian itself (PS3.5 section 10); the rest come from DCMTK/GDCM. */
export class UnsupportedTransferSyntaxError extends TestPeersError {
  override readonly code = 'ERR_NETDICOM_PEERS_UNSUPPORTED_TRANSFER_SYNTAX' as const;
  constructor(
    readonly transferSyntaxUid: string,
    message?: string,
    options?: TestPeersErrorOptions,
  ) {
    super(message ?? `transfer syntax ${transferSyntaxUid} is not supported here`, options);
  }
}

/** A fixture was asked for that cannot exist (unknown kind, a compressed transfer syntax for an object with no pixels...). */
export class FixtureError extends TestPeersError {
  override readonly code = 'ERR_NETDICOM_PEERS_FIXTURE' as const;
}

/** An argument is out of range (an odd object size, a size too small to hold the header, a negative count...). */
export class InvalidArgumentError extends TestPeersError {
  override readonly code = 'ERR_NETDICOM_PEERS_INVALID_ARGUMENT' as const;
}

function tail(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  const lines = trimmed.split('\n');
  return `\n${lines.slice(-20).join('\n')}`;
}
