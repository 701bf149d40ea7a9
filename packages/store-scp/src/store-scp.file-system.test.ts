/**
 * The `fileSystem` option: StoreScp passes an injected file-system layer to its file store, so a failing fsync or a
 * full disk can be simulated at the system level. A failed fsync must never be answered Success (PS3.4 B.2.3).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { nodeFileSystem } from './file-store/index.js';
import { buildDataset, CT_IMAGE_STORAGE, EXPLICIT_VR_LITTLE_ENDIAN, randomUid } from './testing/dataset-builder.js';
import { createFaultyFileSystem, type FsOperation } from './testing/faulty-fs.js';
import { connectScu, startScp, type TestScp, type TestScu } from './testing/scp.js';
import { listStoredFiles, listTempFiles } from './testing/tree.js';

const CONTEXTS = [{ abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [EXPLICIT_VR_LITTLE_ENDIAN] }];

let scp: TestScp | undefined;
let scu: TestScu | undefined;
afterEach(async () => {
  await scu?.release();
  await scp?.close();
  scu = undefined;
  scp = undefined;
});

describe('fileSystem option', () => {
  it('is the layer the file store writes through: a failing fsync answers 0xA701 and keeps nothing', async () => {
    let failSync = true;
    const log: FsOperation[] = [];
    const fs = createFaultyFileSystem(nodeFileSystem, (op) => (op.op === 'sync' && failSync ? 'EIO' : undefined), log);
    scp = await startScp({ layout: 'flat', fileSystem: fs });
    scu = await connectScu(scp.port, CONTEXTS);
    const store = (sopInstanceUid: string) =>
      scu!.client.store({
        sopClassUid: CT_IMAGE_STORAGE,
        sopInstanceUid,
        transferSyntax: EXPLICIT_VR_LITTLE_ENDIAN,
        dataset: buildDataset({ sopInstanceUid, pixelBytes: 4096 }),
      });

    const refused = randomUid();
    expect((await store(refused)).status.code).toBe(0xa701);
    expect(scp.failed.map((f) => [f.sopInstanceUid, f.status, (f.error as { code?: string }).code])).toEqual([
      [refused, 0xa701, 'ERR_NETDICOM_STORE_IO'],
    ]);
    expect(log.some((op) => op.op === 'sync')).toBe(true);
    expect(await listStoredFiles(scp.storageDir)).toEqual([]);
    expect(await listTempFiles(scp.storageDir)).toEqual([]);

    failSync = false;
    const stored = randomUid();
    expect((await store(stored)).status.code).toBe(0);
    expect(await listStoredFiles(scp.storageDir)).toEqual([`${stored}.dcm`]);
  });
});
