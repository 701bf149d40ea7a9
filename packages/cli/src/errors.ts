/**
 * Errors of the `netdicom` command. Each carries the process exit code it maps to, so commands can throw and the
 * entry point prints one clear sentence and exits with the documented code.
 */
export class CliError extends Error {
  /** Stable machine-readable code. */
  readonly code: string;
  /** Process exit code: 1 = some work failed, 2 = usage error or no association could be made. */
  readonly exitCode: number;

  constructor(message: string, options: { code: string; exitCode: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = options.code;
    this.exitCode = options.exitCode;
  }
}

/** A command line that cannot be run as written (unknown flag, missing argument, bad value). Exit code 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, { code: 'ERR_NETDICOM_CLI_USAGE', exitCode: 2 });
    this.name = 'UsageError';
  }
}
