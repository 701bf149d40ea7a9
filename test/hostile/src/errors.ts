/**
 * Errors of the hostile-peer suite (`@netdicom/hostile`, private). One base class with a stable string `code`;
 * `cause` is forwarded. They describe failures of the harness itself or of a checked property (PS3.8 9.2 answers,
 * PS3.4 B.2.3 durability), never a peer's expected misbehaviour.
 */

/** Base class of every error of this package. */
export class HostileError extends Error {
  /** Stable machine-readable code, `ERR_NETDICOM_HOSTILE_...`. */
  readonly code: string;

  constructor(message: string, code = 'ERR_NETDICOM_HOSTILE', options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** A raw peer waited longer than its bound for bytes or for the connection to close (PS3.8 9.1.5 ARTIM). */
export class PeerTimeoutError extends HostileError {
  constructor(message: string) {
    super(message, 'ERR_NETDICOM_HOSTILE_TIMEOUT');
  }
}

/**
 * A fuzz target threw something other than its package's typed error, or did not settle within its bound. Carries
 * what is needed to reproduce it: the target, the seed, the case number and the input as hex.
 */
export class FuzzFailureError extends HostileError {
  readonly target: string;
  readonly seed: number;
  readonly caseIndex: number;
  readonly inputHex: string;

  constructor(target: string, seed: number, caseIndex: number, input: Uint8Array, cause: unknown) {
    const hex = Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('hex');
    super(
      `fuzz target ${target} failed on case ${caseIndex} of seed ${seed}: ${describe(cause)}\ninput (${input.length} bytes): ${hex}`,
      'ERR_NETDICOM_HOSTILE_FUZZ_FAILURE',
      { cause },
    );
    this.target = target;
    this.seed = seed;
    this.caseIndex = caseIndex;
    this.inputHex = hex;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
