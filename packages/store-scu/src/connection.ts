/**
 * Opening associations for store-scu (PS3.8 section 7.1 over `@netdicom/association`): address parsing, option
 * checking, and the mapping of connection failures to store-scu's typed errors.
 */

import type { Duplex } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import {
  type Association,
  AssociationRejectedError as UlRejectedError,
  AssociationTimeoutError,
  type AssociationTimeouts,
  connect,
  describeRejection,
  type UserIdentity,
} from '@netdicom/association';
import {
  AssociationLostError,
  AssociationRejectedError,
  CancelledError,
  ConnectError,
  InvalidOptionError,
  StoreScuError,
} from './errors.js';
import type { ProposedContext } from './plan.js';

/** Where to connect: `host:port` (IPv6 as `[::1]:104`). */
export function parseAddress(addr: string): { host: string; port: number } {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(addr.trim()) ?? /^([^:\s]+):(\d+)$/.exec(addr.trim());
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidOptionError(`Invalid address "${addr}": expected host:port, e.g. 127.0.0.1:104`);
  }
  return { host: match[1]!, port };
}

/** Checks an AE title (PS3.5 Table 6.2-1, AE): 1-16 characters, no backslash or control characters, not blank. */
export function checkAeTitle(value: string, what: string): string {
  if (value.length < 1 || value.length > 16 || !/^[\x20-\x5b\x5d-\x7e]*$/.test(value) || value.trim() === '') {
    throw new InvalidOptionError(`Invalid ${what} "${value}": 1 to 16 characters, no backslash or control characters`);
  }
  return value;
}

/**
 * Timers of `StoreScu` and `StoreScuSession`, in milliseconds: the association's own (`connect`, `artim`, `idle`,
 * `write`, `release`; see `@netdicom/association`, PS3.8 9.1.5) plus `response`.
 */
export interface StoreScuTimeouts extends AssociationTimeouts {
  /**
   * How long to wait for each C-STORE / C-ECHO response once the request's last byte is sent (PS3.7 9.1.1, 9.1.5).
   * On expiry the association is aborted (PS3.8 7.3.1) and the operation fails with `ResponseTimeoutError`;
   * `StoreScu` retries the file on a fresh association. Default 0: no limit of its own, as DCMTK's `storescu`
   * (`--dimse-timeout` off) and dcm4che; a peer that falls silent is still ended by `idle` (300 s by default).
   */
  readonly response?: number;
}

/** The largest timer Node.js can arm (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Splits {@link StoreScuTimeouts} into the association's timers and the response timeout (0 when absent), checking
 * the latter. Throws {@link InvalidOptionError}.
 */
export function splitTimeouts(timeouts: StoreScuTimeouts | undefined): {
  association: AssociationTimeouts | undefined;
  response: number;
} {
  if (timeouts === undefined) return { association: undefined, response: 0 };
  const { response = 0, ...association } = timeouts;
  if (typeof response !== 'number' || !Number.isFinite(response) || response < 0 || response > MAX_TIMER_MS) {
    throw new InvalidOptionError(
      `timeouts.response must be 0 (no limit) or a positive number of milliseconds up to ${MAX_TIMER_MS}, got ${String(response)}`,
    );
  }
  return { association, response };
}

/** Options for opening one association. */
export interface OpenOptions {
  readonly host?: string;
  readonly port?: number;
  readonly socket?: Duplex;
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly presentationContexts: readonly ProposedContext[];
  readonly maxPduLength?: number;
  readonly maxOperationsInvoked?: number;
  readonly timeouts?: AssociationTimeouts;
  readonly tls?: ConnectionOptions;
  readonly userIdentity?: UserIdentity;
  readonly signal?: AbortSignal;
}

function systemCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 8; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code) && !code.startsWith('ERR_')) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The reason of a TLS failure (PS3.15 B.1) in an error's cause chain: `@netdicom/association`'s TLS error
 * (`ERR_NETDICOM_TLS`: handshake failed, certificate refused) or an OpenSSL alert that ended the connection right
 * after the handshake (`ERR_SSL_...`, e.g. the peer requires a client certificate). The innermost error's reason
 * is the useful one (`unable to verify the first certificate`, `tlsv13 alert certificate required`).
 */
function tlsFailureReason(error: unknown): string | undefined {
  let tls = false;
  let reason: string | undefined;
  let current: unknown = error;
  for (let depth = 0; current && depth < 8; depth++) {
    const { code, message, reason: sslReason } = current as { code?: unknown; message?: unknown; reason?: unknown };
    if (code === 'ERR_NETDICOM_TLS' || (typeof code === 'string' && code.startsWith('ERR_SSL_'))) tls = true;
    if (typeof sslReason === 'string') reason = sslReason;
    else if (typeof message === 'string') reason = message.split('\n')[0];
    current = (current as { cause?: unknown }).cause;
  }
  return tls ? (reason ?? 'unknown reason') : undefined;
}

/** Maps a failure of `connect()` to a store-scu error that says what happened. */
export function mapConnectError(error: unknown, address: string, signal?: AbortSignal): StoreScuError {
  if (error instanceof StoreScuError) return error;
  if (signal?.aborted) return new CancelledError('The transfer was cancelled while connecting', { cause: error });
  if (error instanceof UlRejectedError) {
    return new AssociationRejectedError(
      error.result,
      error.source,
      error.reason,
      `${address} rejected the association: ${describeRejection(error.result, error.source, error.reason)}`,
      { cause: error },
    );
  }
  if (error instanceof AssociationTimeoutError && error.timer === 'connect') {
    return new ConnectError(
      'timed-out',
      address,
      `Could not connect to ${address}: timed out after ${error.timeoutMs} ms`,
      {
        cause: error,
      },
    );
  }
  const code = systemCode(error);
  if (code === 'ECONNREFUSED') {
    return new ConnectError('refused', address, `Could not connect to ${address}: connection refused`, {
      cause: error,
    });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
    return new ConnectError('host-not-found', address, `Could not connect to ${address}: host not found`, {
      cause: error,
    });
  }
  if (code === 'ETIMEDOUT') {
    return new ConnectError('timed-out', address, `Could not connect to ${address}: timed out`, { cause: error });
  }
  const tlsReason = tlsFailureReason(error);
  if (tlsReason !== undefined) {
    const closed = code === 'ECONNRESET' || code === 'EPIPE';
    const why = closed ? `the peer closed the connection (${tlsReason}); does it speak TLS on this port?` : tlsReason;
    return new ConnectError('tls', address, `Could not connect to ${address}: TLS handshake failed: ${why}`, {
      cause: error,
    });
  }
  if (error instanceof AssociationTimeoutError) {
    return new AssociationLostError(`${address} did not answer the association request: ${error.message}`, {
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ConnectError('other', address, `Could not associate with ${address}: ${message}`, { cause: error });
}

/** Opens an association proposing `presentationContexts` (PS3.8 7.1). Rejects with store-scu typed errors. */
export async function openAssociation(options: OpenOptions): Promise<Association> {
  const address = options.socket ? 'the given socket' : `${options.host}:${options.port}`;
  const window = options.maxOperationsInvoked ?? 1;
  try {
    return await connect({
      ...(options.socket ? { socket: options.socket } : { host: options.host!, port: options.port! }),
      // Only @netdicom/dimse reads pData$ (responses are small, but a peer may send large PDUs anyway).
      splitPData: true,
      callingAeTitle: options.callingAeTitle,
      calledAeTitle: options.calledAeTitle,
      presentationContexts: options.presentationContexts.map((context) => ({
        id: context.id,
        abstractSyntax: context.abstractSyntax,
        transferSyntaxes: [...context.transferSyntaxes],
      })),
      ...(options.maxPduLength !== undefined ? { maxPduLength: options.maxPduLength } : {}),
      ...(window !== 1
        ? { asynchronousOperationsWindow: { maxOperationsInvoked: window, maxOperationsPerformed: 1 } }
        : {}),
      ...(options.timeouts ? { timeouts: options.timeouts } : {}),
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.userIdentity ? { userIdentity: options.userIdentity } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    throw mapConnectError(error, address, options.signal);
  }
}
