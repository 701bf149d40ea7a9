/**
 * Errors of @netdicom/association. Every error is an {@link AssociationError} with a stable string `code`; the
 * underlying error, if any, is forwarded as `cause`.
 */

/** The base class of every error this package throws or reports. PS3.8 section 7 (A-ASSOCIATE/A-ABORT services). */
export class AssociationError extends Error {
  /** A stable identifier, `ERR_NETDICOM_...`, safe to match on. */
  readonly code: string;

  constructor(message: string, code = 'ERR_NETDICOM_ASSOCIATION', options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Text for A-ASSOCIATE-RJ result, source and reason, PS3.8 Table 9-21. */
export function describeRejection(result: number, source: number, reason: number): string {
  const resultText =
    result === 1 ? 'rejected-permanent' : result === 2 ? 'rejected-transient' : `unknown result ${result}`;
  const sourceAndReason: Record<number, [string, Record<number, string>]> = {
    1: [
      'DICOM UL service-user',
      {
        1: 'no-reason-given',
        2: 'application-context-name-not-supported',
        3: 'calling-AE-title-not-recognized',
        7: 'called-AE-title-not-recognized',
      },
    ],
    2: [
      'DICOM UL service-provider (ACSE related function)',
      { 1: 'no-reason-given', 2: 'protocol-version-not-supported' },
    ],
    3: [
      'DICOM UL service-provider (Presentation related function)',
      { 1: 'temporary-congestion', 2: 'local-limit-exceeded' },
    ],
  };
  const entry = sourceAndReason[source];
  const sourceText = entry?.[0] ?? `unknown source ${source}`;
  const reasonText = entry?.[1][reason] ?? `reason ${reason}`;
  return `${resultText}, source: ${sourceText}, reason: ${reasonText}`;
}

/** Text for an A-ABORT reason from the service-provider, PS3.8 Table 9-26. */
export function describeAbortReason(reason: number): string {
  return (
    {
      0: 'reason-not-specified',
      1: 'unrecognized-PDU',
      2: 'unexpected-PDU',
      4: 'unrecognized-PDU-parameter',
      5: 'unexpected-PDU-parameter',
      6: 'invalid-PDU-parameter-value',
    }[reason] ?? `reason ${reason}`
  );
}

/** The peer rejected the association (A-ASSOCIATE-RJ), PS3.8 9.3.4 and Table 9-21. */
export class AssociationRejectedError extends AssociationError {
  readonly result: number;
  readonly source: number;
  readonly reason: number;

  constructor(result: number, source: number, reason: number) {
    super(`Association rejected: ${describeRejection(result, source, reason)}`, 'ERR_NETDICOM_ASSOCIATION_REJECTED');
    this.result = result;
    this.source = source;
    this.reason = reason;
  }
}

/** The peer service-user aborted the association (A-ABORT indication), PS3.8 7.3. */
export class AssociationAbortedError extends AssociationError {
  readonly source: number;
  readonly reason: number;

  constructor(source: number, reason: number) {
    super(
      `Association aborted by the peer (A-ABORT, source ${source}, reason ${reason})`,
      'ERR_NETDICOM_ASSOCIATION_ABORTED',
    );
    this.source = source;
    this.reason = reason;
  }
}

/**
 * The service-provider aborted the association (A-P-ABORT indication), PS3.8 7.4: the peer's provider sent an
 * A-ABORT, or this side detected a protocol error (then `reason` is what we sent).
 */
export class AssociationProviderAbortError extends AssociationError {
  readonly reason: number;
  readonly origin: 'peer-provider' | 'protocol-error';

  constructor(
    reason: number,
    origin: 'peer-provider' | 'protocol-error',
    detail?: string,
    options?: { cause?: unknown },
  ) {
    const who = origin === 'peer-provider' ? 'the peer service-provider' : 'this service-provider (protocol error)';
    super(
      `Association aborted by ${who}: ${describeAbortReason(reason)}${detail ? ` (${detail})` : ''}`,
      'ERR_NETDICOM_ASSOCIATION_PROVIDER_ABORTED',
      options,
    );
    this.reason = reason;
    this.origin = origin;
  }
}

/** The transport connection failed or closed under the association (PS3.8 9.1, Evt17 outside Sta13). */
export class AssociationTransportError extends AssociationError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_NETDICOM_TRANSPORT', options);
  }
}

/** TLS failed: handshake error, refused certificate, or one side speaking TLS and the other not (PS3.15 B.1). */
export class AssociationTlsError extends AssociationError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_NETDICOM_TLS', options);
  }
}

/** Which timer expired. ARTIM is PS3.8 9.1.5; the others are netdicom's own guards. */
export type AssociationTimer = 'connect' | 'artim' | 'idle' | 'write' | 'release';

/** A timer expired: the peer took too long to connect, answer, send or read. */
export class AssociationTimeoutError extends AssociationError {
  readonly timer: AssociationTimer;
  readonly timeoutMs: number;

  constructor(timer: AssociationTimer, timeoutMs: number, message: string) {
    super(message, 'ERR_NETDICOM_ASSOCIATION_TIMEOUT');
    this.timer = timer;
    this.timeoutMs = timeoutMs;
  }
}

/** A local primitive was issued in a state where PS3.8 Table 9-10 has no action for it. */
export class AssociationStateError extends AssociationError {
  readonly state: string;

  constructor(message: string, state: string) {
    super(message, 'ERR_NETDICOM_INVALID_STATE');
    this.state = state;
  }
}

/** The association is closed (or closing) and cannot carry the operation. */
export class AssociationClosedError extends AssociationError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_NETDICOM_ASSOCIATION_CLOSED', options);
  }
}

/** Invalid options or arguments given by the caller (AE titles, UIDs, PDU sizes, PDV contexts...). */
export class AssociationOptionsError extends AssociationError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_NETDICOM_INVALID_OPTIONS', options);
  }
}

/** The operation was cancelled through an AbortSignal. */
export class AssociationCancelledError extends AssociationError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_NETDICOM_ASSOCIATION_CANCELLED', options);
  }
}
