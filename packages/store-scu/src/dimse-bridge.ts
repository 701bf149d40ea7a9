/**
 * The narrow view store-scu takes of `@netdicom/dimse` (PS3.7 9.1.1 C-STORE, 9.1.5 C-ECHO): one place that adapts
 * dimse's client to what the senders need (status code and error comment).
 */

import type { Association } from '@netdicom/association';
import { createDimseClient, type DatasetInput } from '@netdicom/dimse';

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

/** Creates the `@netdicom/dimse` client of an association, seen through {@link DimseClient}. */
export function createClient(association: Association): DimseClient {
  const client = createDimseClient(association);
  const map = (response: { status: { code: number }; errorComment?: string }): DimseResponse => ({
    status: response.status.code,
    ...(response.errorComment ? { errorComment: response.errorComment } : {}),
  });
  return {
    echo: async () => map(await client.echo()),
    store: async (request) => map(await client.store(request)),
  };
}
