import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutOfResourcesError, StoreScpError } from '../errors.js';
import {
  buildDataset,
  CT_IMAGE_STORAGE,
  chunked,
  EXPLICIT_VR_LITTLE_ENDIAN,
  randomUid,
  TEST_IMPLEMENTATION_CLASS_UID,
} from '../testing/dataset-builder.js';
import { listStoredFiles, listTempFiles } from '../testing/tree.js';
import { openFileStore } from './file-store.js';
import { PART10_PREFIX_LENGTH } from './part10.js';

// Real, small file systems: root mounts tmpfs instances. Where mounting is not permitted the tests are skipped,
// saying why; on the project's machines and CI (root) they run.
const mounts: string[] = [];
let mountError = '';
async function mountTmpfs(options: string): Promise<string | undefined> {
  const dir = await mkdtemp(path.join(tmpdir(), 'netdicom-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
    mounts.push(dir);
    return dir;
  } catch (error) {
    mountError = String((error as { stderr?: Buffer }).stderr ?? error).trim();
    await rm(dir, { recursive: true, force: true });
    return undefined;
  }
}
afterAll(async () => {
  for (const dir of mounts) {
    execFileSync('umount', [dir]);
    await rm(dir, { recursive: true, force: true });
  }
});

function request(uid: string, dataset: Uint8Array) {
  return {
    sopClassUid: CT_IMAGE_STORAGE,
    sopInstanceUid: uid,
    transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN,
    callingAeTitle: 'MODALITY',
    attributes: { SOPInstanceUID: uid, PatientID: 'FULL', StudyInstanceUID: '1.2.3' },
    dataset: chunked(dataset, 32 * 1024),
  };
}

describe('disk full on a real tmpfs', () => {
  it('answers 0xA700, leaves only complete files, and keeps working once space is freed', async (ctx) => {
    const mountPoint = await mountTmpfs('size=2m');
    if (mountPoint === undefined) {
      ctx.skip(`cannot mount a tmpfs here (needs root): ${mountError}`);
      return;
    }
    const storageDir = path.join(mountPoint, 'storage');
    const store = await openFileStore({
      storageDir,
      layout: 'patient',
      implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID,
    });
    const written = new Map<string, Uint8Array>();
    let failure: unknown;
    for (let i = 0; i < 20 && failure === undefined; i++) {
      const uid = randomUid();
      const dataset = buildDataset({ sopInstanceUid: uid, pixelBytes: 300 * 1024 });
      try {
        const result = await store.write(request(uid, dataset));
        written.set(result.path, dataset);
      } catch (error) {
        failure = error;
      }
    }
    expect(failure).toBeInstanceOf(OutOfResourcesError);
    const error = failure as OutOfResourcesError;
    expect(error.status).toBe(0xa700);
    expect(error.code).toBe('ERR_NETDICOM_STORE_OUT_OF_RESOURCES');
    expect(error.osCode).toBe('ENOSPC');
    expect(written.size).toBeGreaterThanOrEqual(3);

    // Every file under a final name is complete; no partial file anywhere.
    const stored = await listStoredFiles(storageDir);
    expect(stored.length).toBe(written.size);
    for (const [file, dataset] of written) {
      const bytes = new Uint8Array(await readFile(file));
      const groupLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(140, true);
      expect(Buffer.compare(bytes.subarray(PART10_PREFIX_LENGTH + 12 + groupLength), dataset)).toBe(0);
    }
    expect(await listTempFiles(storageDir)).toEqual([]);

    // An object bigger than the whole file system fails the same way and leaves nothing.
    const huge = randomUid();
    await expect(
      store.write(request(huge, buildDataset({ sopInstanceUid: huge, pixelBytes: 3 * 1024 * 1024 }))),
    ).rejects.toMatchObject({ status: 0xa700, code: 'ERR_NETDICOM_STORE_OUT_OF_RESOURCES' });
    expect((await listStoredFiles(storageDir)).length).toBe(written.size);
    expect(await listTempFiles(storageDir)).toEqual([]);

    // Free space: the same store accepts the next instance.
    for (const file of [...written.keys()].slice(0, 2)) await unlink(file);
    const uid = randomUid();
    const dataset = buildDataset({ sopInstanceUid: uid, pixelBytes: 300 * 1024 });
    const result = await store.write(request(uid, dataset));
    expect(result.bytes).toBe(dataset.length);
    await store.close();
    expect(await readdir(path.join(storageDir, '.netdicom-tmp'))).toEqual([]);
  });

  it('out of inodes (ENOSPC on create/mkdir) is 0xA700 too', async (ctx) => {
    const mountPoint = await mountTmpfs('size=64m,nr_inodes=200');
    if (mountPoint === undefined) {
      ctx.skip(`cannot mount a tmpfs here (needs root): ${mountError}`);
      return;
    }
    const storageDir = path.join(mountPoint, 'inodes');
    const store = await openFileStore({
      storageDir,
      layout: '{StudyInstanceUID}/{SOPInstanceUID}/{SOPInstanceUID}.dcm',
      implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID,
      fsync: false,
    });
    let failure: unknown;
    let stored = 0;
    for (let i = 0; i < 300 && failure === undefined; i++) {
      const uid = randomUid();
      try {
        await store.write(request(uid, buildDataset({ sopInstanceUid: uid })));
        stored++;
      } catch (error) {
        failure = error;
      }
    }
    expect(failure).toBeInstanceOf(StoreScpError);
    expect((failure as StoreScpError).status).toBe(0xa700);
    expect((failure as OutOfResourcesError).osCode).toBe('ENOSPC');
    expect(['open', 'mkdir']).toContain((failure as OutOfResourcesError).step);
    expect(stored).toBeGreaterThan(50);
    expect((await listStoredFiles(storageDir)).length).toBe(stored);
    expect(await listTempFiles(storageDir)).toEqual([]);
    await store.close();
  });
});
