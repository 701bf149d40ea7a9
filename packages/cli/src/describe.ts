/**
 * Turns errors from the layers below into the one clear sentence the CLI prints.
 */

const rejectReasons: Record<number, Record<number, string>> = {
  1: {
    1: 'no reason given',
    2: 'application context name not supported',
    3: 'calling AE title not recognized',
    7: 'called AE title not recognized',
  },
  2: { 1: 'no reason given', 2: 'protocol version not supported' },
  3: { 1: 'temporary congestion', 2: 'local limit exceeded' },
};

/** The text of an A-ASSOCIATE-RJ source/reason pair, PS3.8 Table 9-21. */
export function describeRejection(result: number, source: number, reason: number): string {
  const why = rejectReasons[source]?.[reason] ?? `reason ${reason}`;
  const who = source === 1 ? 'by the called application' : 'by the peer’s service provider';
  const permanence = result === 2 ? 'transient' : 'permanent';
  return `association rejected ${who}: ${why} (${permanence})`;
}

interface ErrorLike {
  readonly message?: string;
  readonly code?: string;
  readonly result?: number;
  readonly source?: number;
  readonly reason?: number;
  readonly cause?: unknown;
}

function asErrorLike(error: unknown): ErrorLike {
  return typeof error === 'object' && error !== null ? (error as ErrorLike) : { message: String(error) };
}

/** Finds a system error code (ECONNREFUSED, ...) on the error or along its `cause` chain. */
function systemCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as ErrorLike).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    e = (e as ErrorLike).cause;
  }
  return undefined;
}

/**
 * One sentence for a failure to open an association with `target` (`host:port`): refused, timed out, host not
 * found, rejected (with the reason the peer gave), TLS trouble, or the error's own message.
 */
export function describeConnectFailure(error: unknown, target: string): string {
  const e = asErrorLike(error);
  if (typeof e.result === 'number' && typeof e.source === 'number' && typeof e.reason === 'number') {
    return `${target}: ${describeRejection(e.result, e.source, e.reason)}`;
  }
  switch (systemCode(error)) {
    case 'ECONNREFUSED':
      return `${target}: connection refused (nothing is listening there)`;
    case 'ETIMEDOUT':
      return `${target}: connection timed out`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${target}: host not found`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${target}: host unreachable`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `${target}: the peer closed the connection (${e.message ?? 'reset'})`;
    default:
      return `${target}: ${e.message ?? String(error)}`;
  }
}
