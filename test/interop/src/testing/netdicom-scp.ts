/**
 * A netdicom `StoreScp` (PS3.4 Annex B) for the matrix: on 127.0.0.1 at an ephemeral port, storing every instance as
 * `{SOPInstanceUID}.dcm` into a fresh temporary directory, with everything it emitted collected.
 *
 * @packageDocumentation
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AssociationEnded,
  type FailedStore,
  type ReceivedInstance,
  StoreScp,
  type StoreScpOptions,
} from '@netdicom/store-scp';

/** A running {@link StoreScp} and what it emitted. */
export interface MatrixScp {
  readonly scp: StoreScp;
  readonly port: number;
  readonly aeTitle: string;
  readonly storageDir: string;
  /** Stored instances by SOP Instance UID. */
  readonly received: Map<string, ReceivedInstance>;
  readonly failed: FailedStore[];
  readonly ended: AssociationEnded[];
  readonly errors: Error[];
  /** Closes the SCP (stores in flight finish first). The storage directory stays until {@link MatrixScp.remove}. */
  close(): Promise<void>;
  /** Closes the SCP if needed and removes the storage directory. */
  remove(): Promise<void>;
}

/** Starts a {@link StoreScp} for the matrix: flat layout, every storage SOP class, every transfer syntax. */
export async function startMatrixScp(options: StoreScpOptions = {}): Promise<MatrixScp> {
  const storageDir = await mkdtemp(join(tmpdir(), 'netdicom-interop-scp-'));
  const aeTitle = options.aeTitle ?? 'NETDICOM';
  const scp = new StoreScp({ layout: 'flat', ...options, aeTitle, port: 0, host: '127.0.0.1', storageDir });
  const received = new Map<string, ReceivedInstance>();
  const failed: FailedStore[] = [];
  const ended: AssociationEnded[] = [];
  const errors: Error[] = [];
  scp.received$.subscribe((instance) => received.set(instance.sopInstanceUid, instance));
  scp.failed$.subscribe((failure) => failed.push(failure));
  scp.associationEnded$.subscribe((association) => ended.push(association));
  scp.errors$.subscribe((error) => errors.push(error));
  let address: Awaited<ReturnType<StoreScp['listen']>>;
  try {
    address = await scp.listen();
  } catch (error) {
    await rm(storageDir, { recursive: true, force: true });
    throw error;
  }
  return {
    scp,
    port: address.port,
    aeTitle,
    storageDir,
    received,
    failed,
    ended,
    errors,
    close: () => scp.close(),
    async remove() {
      await scp.close();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}
