/**
 * Test harness around {@link StoreScp}: a StoreScp on 127.0.0.1 at an ephemeral port, storing into a fresh temporary
 * directory, with every event collected; and our own requestor (the real `@netdicom/association` connect plus the
 * `@netdicom/dimse` client) for tests that need to send what DCMTK will not. Test code only.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type Association, type ConnectOptions, connect } from '@netdicom/association';
import { createDimseClient, type DimseClient } from '@netdicom/dimse';
import {
  type AssociationEnded,
  type FailedStore,
  type ReceivedInstance,
  type RejectedAssociation,
  StoreScp,
  type StoreScpOptions,
  type StudyCompleted,
} from '../store-scp.js';

/** A StoreScp under test with everything it emitted. */
export interface TestScp {
  readonly scp: StoreScp;
  readonly port: number;
  readonly storageDir: string;
  readonly received: ReceivedInstance[];
  readonly failed: FailedStore[];
  readonly rejected: RejectedAssociation[];
  readonly ended: AssociationEnded[];
  readonly studies: StudyCompleted[];
  readonly errors: Error[];
  /** Closes the SCP and removes the storage directory (unless it was given). */
  close(): Promise<void>;
}

/** Starts a StoreScp on 127.0.0.1, port 0, storing into a new temporary directory unless `storageDir` is given. */
export async function startScp(options: StoreScpOptions = {}): Promise<TestScp> {
  const ownDir = options.storageDir === undefined;
  const storageDir = options.storageDir ?? (await mkdtemp(path.join(tmpdir(), 'netdicom-scp-')));
  const scp = new StoreScp({ aeTitle: 'NETDICOM', ...options, port: 0, host: '127.0.0.1', storageDir });
  const t = {
    received: [] as ReceivedInstance[],
    failed: [] as FailedStore[],
    rejected: [] as RejectedAssociation[],
    ended: [] as AssociationEnded[],
    studies: [] as StudyCompleted[],
    errors: [] as Error[],
  };
  scp.received$.subscribe((i) => t.received.push(i));
  scp.failed$.subscribe((f) => t.failed.push(f));
  scp.rejected$.subscribe((r) => t.rejected.push(r));
  scp.associationEnded$.subscribe((e) => t.ended.push(e));
  scp.studyCompleted$.subscribe((s) => t.studies.push(s));
  scp.errors$.subscribe((e) => t.errors.push(e));
  const address = await scp.listen();
  return {
    scp,
    port: address.port,
    storageDir,
    ...t,
    async close() {
      await scp.close();
      if (ownDir) await rm(storageDir, { recursive: true, force: true });
    },
  };
}

/** Offset of the dataset in a PS3.10 file: 128-byte preamble, `DICM`, then (0002,0000) gives the meta length. */
export async function datasetOffset(file: string): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(144);
    await handle.read(head, 0, 144, 0);
    if (head.toString('latin1', 128, 132) !== 'DICM') throw new Error(`${file} is not a PS3.10 file`);
    if (head.readUInt16LE(132) !== 0x0002 || head.readUInt16LE(134) !== 0x0000) {
      throw new Error(`${file} has no (0002,0000) group length first`);
    }
    return 144 + head.readUInt32LE(140);
  } finally {
    await handle.close();
  }
}

/** Our requestor: an association plus a DIMSE client. */
export interface TestScu {
  readonly association: Association;
  readonly client: DimseClient;
  /** Releases (falling back to abort). */
  release(): Promise<void>;
}

/** A presentation context proposal: one abstract syntax, its transfer syntaxes. */
export interface ContextProposal {
  readonly abstractSyntax: string;
  readonly transferSyntaxes: readonly string[];
}

/** Connects to 127.0.0.1:`port` with our own association and DIMSE client. */
export async function connectScu(
  port: number,
  contexts: readonly ContextProposal[],
  options: Partial<ConnectOptions> = {},
): Promise<TestScu> {
  const association = await connect({
    host: '127.0.0.1',
    port,
    callingAeTitle: 'TESTSCU',
    calledAeTitle: 'NETDICOM',
    presentationContexts: contexts.map((c) => ({
      abstractSyntax: c.abstractSyntax,
      transferSyntaxes: [...c.transferSyntaxes],
    })),
    ...options,
  });
  return {
    association,
    client: createDimseClient(association),
    async release() {
      await association.release().catch(() => association.abort());
    },
  };
}
