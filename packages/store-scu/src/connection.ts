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
