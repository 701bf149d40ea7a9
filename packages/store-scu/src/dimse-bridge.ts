/**
 * The narrow view store-scu takes of `@netdicom/dimse` (PS3.7 9.1.1 C-STORE, 9.1.5 C-ECHO): one place that adapts
 * dimse's client to what the senders need (status code and error comment).
 */

import type { Association } from '@netdicom/association';
import {
  createDimseClient,
  type DatasetInput,
  ResponseTimeoutError as DimseResponseTimeoutError,
} from '@netdicom/dimse';
import { ResponseTimeoutError } from './errors.js';

/** A dataset as `@netdicom/dimse` accepts it: bytes, a stream of bytes, a file range, or a dcmjs dataset. */
export type DimseDataset = DatasetInput;

/** A C-STORE request, PS3.7 9.1.1. */
export interface DimseStoreRequest {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly dataset: DimseDataset;
  readonly transferSyntax?: string;
  readonly presentationContextId?: number;
  readonly priority?: number;
  readonly signal?: AbortSignal;
}

/** What store-scu uses of a C-STORE or C-ECHO response, PS3.7 9.3.1.2 / 9.3.5.2. */
export interface DimseResponse {
  readonly status: number;
  readonly errorComment?: string;
}

/** The DIMSE client operations store-scu uses. */
export interface DimseClient {
  echo(): Promise<DimseResponse>;
  store(request: DimseStoreRequest): Promise<DimseResponse>;
}

/** Options of {@link createClient}. */
export interface ClientOptions {
  /**
   * Milliseconds to wait for each response once its request is sent (PS3.7 9.1.1 / 9.1.5); 0 or absent waits as long
   * as the association lives. On expiry `@netdicom/dimse` aborts the association, and every outstanding operation
   * rejects with {@link ResponseTimeoutError}.
   */
  readonly responseTimeout?: number;
}

/** Creates the `@netdicom/dimse` client of an association, seen through {@link DimseClient}. */
export function createClient(association: Association, options: ClientOptions = {}): DimseClient {
  const responseTimeout = options.responseTimeout ?? 0;
  const client = createDimseClient(association, responseTimeout > 0 ? { responseTimeout } : {});
  const map = (response: { status: { code: number }; errorComment?: string }): DimseResponse => ({
    status: response.status.code,
    ...(response.errorComment ? { errorComment: response.errorComment } : {}),
  });
  // dimse aborts the association when the response timeout elapses; the operations outstanding with it end with the
  // same error.
  const timedOut = (error: unknown): unknown =>
    error instanceof DimseResponseTimeoutError
      ? new ResponseTimeoutError(
          responseTimeout,
          `no response within ${responseTimeout} ms (timeouts.response): the association was aborted`,
          { cause: error },
        )
      : error;
  return {
    echo: async () => {
      try {
        return map(await client.echo());
      } catch (error) {
        throw timedOut(error);
      }
    },
    store: async (request) => {
      try {
        return map(await client.store(request));
      } catch (error) {
        throw timedOut(error);
      }
    },
  };
}
