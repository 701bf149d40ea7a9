import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PathEscapeError } from '../errors.js';
import {
  buildDataset,
  CT_IMAGE_STORAGE,
  EXPLICIT_VR_LITTLE_ENDIAN,
  randomUid,
  TEST_IMPLEMENTATION_CLASS_UID,
} from '../testing/dataset-builder.js';
import { listFiles, listStoredFiles } from '../testing/tree.js';
import { openFileStore } from './file-store.js';
import type { RoutingAttributes } from './layout.js';

let sandbox: string;
let storageDir: string;
let outside: string;

beforeEach(async () => {
  sandbox = await mkdtemp(path.join(tmpdir(), 'netdicom-traversal-'));
  storageDir = path.join(sandbox, 'storage');
  outside = path.join(sandbox, 'outside');
  await mkdir(outside);
});
afterEach(async () => {
  await rm(sandbox, { recursive: true, force: true });
});

const HOSTILE = [
  '..',
  '.',
  '...',
  '../..',
  '../../../../../../tmp/pwned',
  '..\\..\\..\\windows\\system32',
  '/etc/passwd',
  '\\\\server\\share\\x',
  'C:\\Windows\\System32',
  'C:',
  'a/../../b',
  'nul\u0000byte/../x',
  'ctrl\u0001\u001b[31m\u007f',
  'line\nbreak\r',
  'CON',
  'prn.dcm',
  'COM1',
  'LPT¹',
  'trailing. . .',
  '.netdicom-tmp',
  '.netdicom-tmp/../..',
  '~',
  '$(rm -rf /)',
  'A'.repeat(1000),
  `${'../'.repeat(300)}x`,
  '山田^太郎'.repeat(100),
  '\u202Eevil',
  '',
  '   ',
];

function request(sopInstanceUid: string, attributes: RoutingAttributes) {
  return {
    sopClassUid: CT_IMAGE_STORAGE,
    sopInstanceUid,
    transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN,
    callingAeTitle: 'EVIL',
    attributes,
    dataset: buildDataset({ sopInstanceUid: '1.2.3', pixelBytes: 10 }),
  };
}

/** Checks that everything is inside storageDir and that every stored path component is safe. */
async function expectContained(expectedCount: number): Promise<void> {
  expect(await readdir(sandbox)).toEqual(['outside', 'storage'].sort());
  expect(await readdir(outside)).toEqual([]);
  const stored = await listStoredFiles(storageDir);
  expect(stored.length).toBe(expectedCount);
  for (const file of stored) {
    for (const component of file.split('/')) {
      expect(component.length).toBeGreaterThan(0);
      expect(component.startsWith('.')).toBe(false);
      expect(/[\\:\u0000-\u001f]/.test(component)).toBe(false);
      expect(Buffer.byteLength(component)).toBeLessThanOrEqual(200);
    }
  }
}

describe('path traversal: peer values never leave the storage directory', () => {
  it.each(['flat', 'study', 'patient'])('hostile Patient IDs and UIDs under layout %s', async (layout) => {
    const store = await openFileStore({
      storageDir,
      layout,
      duplicates: 'keep-both',
      implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID,
    });
    let count = 0;
    for (const value of HOSTILE) {
      const result = await store.write(
        request(randomUid(), { PatientID: value, StudyInstanceUID: value, SeriesInstanceUID: value }),
      );
      count++;
      expect(result.path.startsWith(`${storageDir}${path.sep}`)).toBe(true);
      expect(path.relative(storageDir, result.path).split(path.sep).join('/')).toBe(result.relativePath);
    }
    await store.close();
    await expectContained(count);
  });

  it('hostile values in every placeholder of a template', async () => {
    const store = await openFileStore({
      storageDir,
      layout:
        '{CallingAETitle}/{PatientName}_{PatientID}/{StudyDate}-{AccessionNumber}/{Modality}_{SeriesNumber}_{SeriesInstanceUID}/{InstanceNumber}-{SOPInstanceUID}.dcm',
      duplicates: 'keep-both',
      implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID,
    });
    let count = 0;
    for (const value of HOSTILE) {
      await store.write(
        request(randomUid(), {
          PatientID: value,
          PatientName: value,
          StudyDate: value,
          AccessionNumber: value,
          Modality: value,
          SeriesNumber: value,
          SeriesInstanceUID: value,
          InstanceNumber: value,
        }),
      );
      count++;
    }
    await store.close();
    await expectContained(count);
  });

  it.each(['..', '.', '...', '.'.repeat(64), '1.2..3', '01.2'])(
    'a command SOP Instance UID %j (UI characters, invalid UID) is never used raw',
    async (uid) => {
      const store = await openFileStore({ storageDir, implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID });
      const result = await store.write({ ...request(uid, {}), attributes: {} });
      expect(result.relativePath).toMatch(/^INVALID-UID-[0-9a-f]{16}\.dcm$/);
      await store.close();
      await expectContained(1);
    },
  );

  it('refuses to write through a symbolic link planted inside the storage directory', async () => {
    await mkdir(storageDir);
    await symlink(outside, path.join(storageDir, 'EVIL'));
    const store = await openFileStore({
      storageDir,
      layout: 'patient',
      implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID,
    });
    const uid = randomUid();
    await expect(
      store.write(request(uid, { PatientID: 'EVIL', StudyInstanceUID: '1.2', SeriesInstanceUID: '1.2.3' })),
    ).rejects.toBeInstanceOf(PathEscapeError);
    expect(await readdir(outside)).toEqual([]);
    expect(await listFiles(storageDir)).toEqual(['EVIL']);
    await store.close();
  });

  it('overwrite replaces a symbolic link planted at the final name, never its target', async () => {
    await mkdir(storageDir);
    const target = path.join(outside, 'victim');
    await writeFile(target, 'precious');
    const uid = randomUid();
    await symlink(target, path.join(storageDir, `${uid}.dcm`));
    const store = await openFileStore({ storageDir, implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID });
    const result = await store.write(request(uid, {}));
    expect(result.duplicate).toBe('overwritten');
    expect(await readFile(target, 'utf8')).toBe('precious');
    expect((await readFile(result.path)).subarray(128, 132).toString()).toBe('DICM');
    await store.close();
  });

  it('keep-both never follows a symbolic link planted at the final name', async () => {
    await mkdir(storageDir);
    const target = path.join(outside, 'victim');
    await writeFile(target, 'precious');
    const uid = randomUid();
    await symlink(target, path.join(storageDir, `${uid}.dcm`));
    const store = await openFileStore({
      storageDir,
      duplicates: 'keep-both',
      implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID,
    });
    const result = await store.write(request(uid, {}));
    expect(result.relativePath).toBe(`${uid}.1.dcm`);
    expect(await readFile(target, 'utf8')).toBe('precious');
    await store.close();
  });
});

describe('keep-first and planted links', () => {
  it('does not report a file behind a planted directory link as kept-first', async () => {
    await mkdir(storageDir);
    const uid = randomUid();
    await mkdir(path.join(outside, '1.2', '1.2.3'), { recursive: true });
    await writeFile(path.join(outside, '1.2', '1.2.3', `${uid}.dcm`), 'decoy');
    await symlink(outside, path.join(storageDir, 'EVIL'));
    const store = await openFileStore({
      storageDir,
      layout: 'patient',
      duplicates: 'keep-first',
      implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID,
    });
    await expect(
      store.write(request(uid, { PatientID: 'EVIL', StudyInstanceUID: '1.2', SeriesInstanceUID: '1.2.3' })),
    ).rejects.toBeInstanceOf(PathEscapeError);
    await store.close();
  });
});
