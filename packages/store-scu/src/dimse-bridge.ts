/**
 * The narrow view store-scu takes of `@netdicom/dimse` (docs/architecture.md): `createDimseClient(association)` with
 * `echo()` and `store(...)`. Kept in one file so the rest of the package depends on this shape only.
 */

import type { Association } from '@netdicom/association';
import * as dimse from '@netdicom/dimse';
import { createFallbackClient } from './fallback-dimse.js';

/** A dataset as `@netdicom/dimse` accepts it: bytes, a stream of bytes, a file range, or a dcmjs dataset. */
export type DimseDataset =
  | Uint8Array
  | AsyncIterable<Uint8Array>
  | { readonly path: string; readonly offset?: number }
  | Record<string, unknown>;

/** A C-STORE request, PS3.7 9.1.1. */
export interface DimseStoreRequest {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly dataset: DimseDataset;
  readonly transferSyntax?: string;
  readonly presentationContextId?: number;
  readonly priority?: number;
}

/** What a C-STORE or C-ECHO response carries that store-scu uses, PS3.7 9.3.1.2 / 9.3.5.2. */
export interface DimseResponse {
  readonly status: number;
  readonly errorComment?: string;
}

/** The DIMSE client operations store-scu uses. */
export interface DimseClient {
  echo(): Promise<DimseResponse>;
  store(request: DimseStoreRequest): Promise<DimseResponse>;
}

/** Whether `@netdicom/dimse` provides `createDimseClient` (otherwise the local fallback client is used). */
export function hasDimseClient(): boolean {
  return typeof (dimse as Record<string, unknown>)['createDimseClient'] === 'function';
}

/** Creates the `@netdicom/dimse` client of an association, or the minimal local one while dimse has none. */
export function createClient(association: Association): DimseClient {
  const factory = (dimse as Record<string, unknown>)['createDimseClient'];
  if (typeof factory !== 'function') return createFallbackClient(association);
  return (factory as (association: Association) => DimseClient)(association);
}
