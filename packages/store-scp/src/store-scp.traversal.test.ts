/**
 * Peer data never becomes a path outside the storage directory (RELIABILITY class 4; CVE-2022-2119/2120 were this in
 * DCMTK): hostile Patient IDs, UIDs and descriptions sent over a real association (our requestor, C-STORE of PS3.7
 * 9.1.1) under every layout. Whatever is stored lies under `storageDir` with safe names; a sentinel directory next
 * to it stays empty; command UIDs that cannot be written into the File Meta Information are refused with 0xC000.
 */
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileStoreLayout } from './file-store/index.js';
import { buildDataset, CT_IMAGE_STORAGE, EXPLICIT_VR_LITTLE_ENDIAN, randomUid } from './testing/dataset-builder.js';
import { connectScu, startScp } from './testing/scp.js';
import { listFiles } from './testing/tree.js';

const HOSTILE = [
  '../../../../../../../../tmp/netdicom-evil',
  '/etc/passwd',
  '..',
  '.',
  '.netdicom-tmp',
  'a/../../b',
  'C:\\Windows\\System32\\evil',
  '\\\\server\\share',
  'CON',
  'nul.txt',
  'COM1',
  'x\u202Egnp.exe',
  'tab\there\nnewline\rcr',
  'dots...',
  ' spaces ',
  'ünïcødé/../..',
  'A'.repeat(300),
  '',
];

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'netdicom-scp-traversal-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const LAYOUTS: FileStoreLayout[] = [
  'flat',
  'study',
  'patient',
  '{PatientName}/{PatientID}_{StudyInstanceUID}/{Modality}/{SOPInstanceUID}.dcm',
];

describe('hostile values never leave the storage directory', () => {
  for (const layout of LAYOUTS) {
    it(`layout ${layout}`, async () => {
      const root = await mkdtemp(path.join(work, 'case-'));
      const storageDir = path.join(root, 'storage');
      const sentinel = path.join(root, 'sentinel');
      await mkdir(sentinel);
      const scp = await startScp({ storageDir, layout });
      const scu = await connectScu(scp.port, [
        { abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [EXPLICIT_VR_LITTLE_ENDIAN] },
      ]);
      try {
        const statuses = await Promise.all(
          HOSTILE.map(async (value, i) => {
            const sopInstanceUid = randomUid();
            const dataset = buildDataset({
              sopInstanceUid,
              patientId: value,
              patientName: value,
              modality: value.slice(0, 16),
              // A UID attribute holding a path: replaced by a hash, never used raw.
              studyInstanceUid: i % 2 === 0 ? value : '1.2.3',
              seriesInstanceUid: '../../..',
              pixelBytes: 64,
            });
            const response = await scu.client.store({
              sopClassUid: CT_IMAGE_STORAGE,
              sopInstanceUid,
              transferSyntax: EXPLICIT_VR_LITTLE_ENDIAN,
              dataset,
            });
            return response.status.code;
          }),
        );
        expect(statuses.every((s) => s === 0)).toBe(true);
        expect(scp.received).toHaveLength(HOSTILE.length);
        for (const instance of scp.received) {
          expect(path.resolve(storageDir, instance.relativePath)).toBe(instance.path);
          expect(instance.path.startsWith(`${storageDir}${path.sep}`)).toBe(true);
          for (const component of instance.relativePath.split('/')) {
            expect(component).not.toMatch(/^\.|[\\:*?"<>|\x00-\x1f\x7f]|^$/);
            expect(Buffer.byteLength(component)).toBeLessThanOrEqual(255);
          }
          expect((await stat(instance.path)).isFile()).toBe(true);
        }
        // Every file of the tree is one we announced (plus nothing); nothing next to the storage directory.
        const stored = (await listFiles(storageDir)).filter((f) => !f.startsWith('.netdicom-tmp/'));
        expect(stored.sort()).toEqual(scp.received.map((i) => i.relativePath).sort());
        expect(await readdir(sentinel)).toEqual([]);
        expect((await readdir(root)).sort()).toEqual(['sentinel', 'storage']);
        await expect(stat('/tmp/netdicom-evil')).rejects.toMatchObject({ code: 'ENOENT' });
      } finally {
        await scu.release();
        await scp.close();
      }
    });
  }

  it('command UIDs made of dots (all the DIMSE layer lets through) get hashed file names, never `..`', async () => {
    const root = await mkdtemp(path.join(work, 'dots-'));
    const storageDir = path.join(root, 'storage');
    const scp = await startScp({ storageDir, layout: 'flat' });
    const scu = await connectScu(scp.port, [
      { abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [EXPLICIT_VR_LITTLE_ENDIAN] },
    ]);
    try {
      const uids = ['..', '.', '...', '1..2'];
      for (const sopInstanceUid of uids) {
        const response = await scu.client.store({
          sopClassUid: CT_IMAGE_STORAGE,
          sopInstanceUid,
          transferSyntax: EXPLICIT_VR_LITTLE_ENDIAN,
          dataset: buildDataset({ sopInstanceUid, patientId: 'P', pixelBytes: 64 }),
        });
        expect(response.status.code).toBe(0);
      }
      const names = scp.received.map((i) => i.relativePath);
      expect(names).toHaveLength(uids.length);
      for (const name of names) expect(name).toMatch(/^INVALID-UID-[0-9a-f]{16}\.dcm$/);
      expect(new Set(names).size).toBe(uids.length);
      expect((await readdir(root)).sort()).toEqual(['storage']);
    } finally {
      await scu.release();
      await scp.close();
    }
  });
});
