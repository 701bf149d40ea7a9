import { truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inspectFile, type PlannedFile, planAssociations, planFiles } from './plan.js';
import { buildPart10, CT_IMAGE_STORAGE, SECONDARY_CAPTURE_STORAGE } from './testing/dicom-builder.js';
import { makeTempDir } from './testing/temp-dir.js';
import { TransferSyntax } from './transfer-syntax.js';

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await makeTempDir();
});
afterEach(async () => {
  await dir.cleanup();
});

const early = [
  { tag: 0x00080005, vr: 'CS', value: 'ISO_IR 100' },
  {
    tag: 0x00080006,
    vr: 'SQ',
    undefinedLength: true,
    items: [[{ tag: 0x00080100, vr: 'SH', value: 'eng' }]],
  },
  { tag: 0x00100010, vr: 'PN', value: 'Doe^Jane' },
  { tag: 0x7fe00010, vr: 'OW', value: new Uint8Array(64) },
];

describe('inspectFile', () => {
  for (const ts of [
    TransferSyntax.ExplicitVRLittleEndian,
    TransferSyntax.ImplicitVRLittleEndian,
    TransferSyntax.ExplicitVRBigEndian,
    TransferSyntax.DeflatedExplicitVRLittleEndian,
  ]) {
    it(`reads meta and SOP UIDs of a ${ts} file past an undefined-length sequence`, async () => {
      const bytes = buildPart10({
        sopClassUid: CT_IMAGE_STORAGE,
        sopInstanceUid: '1.2.3.4.5',
        transferSyntaxUid: ts,
        elements: early,
      });
      const path = join(dir.path, 'x');
      await writeFile(path, bytes);
      const planned = await inspectFile({ file: path, source: { kind: 'path', path } });
      expect(planned).toMatchObject({
        sopClassUid: CT_IMAGE_STORAGE,
        sopInstanceUid: '1.2.3.4.5',
        transferSyntaxUid: ts,
        size: bytes.length,
      });
      // The dataset starts right after the meta group: its first element is (0008,0005).
      const first = bytes.subarray(planned.datasetOffset, planned.datasetOffset + 4);
      if (ts === TransferSyntax.ExplicitVRBigEndian) expect([...first]).toEqual([0, 8, 0, 5]);
      else if (ts !== TransferSyntax.DeflatedExplicitVRLittleEndian) expect([...first]).toEqual([8, 0, 5, 0]);
      const fromMemory = await inspectFile({ file: 'mem.dcm', source: { kind: 'buffer', bytes } });
      expect(fromMemory).toMatchObject({ sopInstanceUid: '1.2.3.4.5', datasetOffset: planned.datasetOffset });
    });
  }

  it('reads headers that straddle or pass the first 16 KiB read, and files shorter than it', async () => {
    // Elements before and after the SOP UIDs sized so that element headers fall on both sides of 16 KiB.
    for (const before of [16_000, 16_300, 16_384 - 200, 40_000]) {
      const bytes = buildPart10({
        sopClassUid: CT_IMAGE_STORAGE,
        sopInstanceUid: `1.2.3.${before}`,
        elements: [
          { tag: 0x00080005, vr: 'OB', value: new Uint8Array(before) },
          { tag: 0x00100010, vr: 'PN', value: 'Doe^Jane' },
          { tag: 0x00200010, vr: 'OB', value: new Uint8Array(30) },
          { tag: 0x7fe00010, vr: 'OW', value: new Uint8Array(64) },
        ],
      });
      const path = join(dir.path, `straddle-${before}`);
      await writeFile(path, bytes);
      const planned = await inspectFile({ file: path, source: { kind: 'path', path } });
      expect(planned).toMatchObject({ sopInstanceUid: `1.2.3.${before}`, size: bytes.length });
      // Cut inside the last element: still caught, wherever the cut falls relative to the first read.
      await writeFile(path, bytes.subarray(0, bytes.length - 10));
      await expect(inspectFile({ file: path, source: { kind: 'path', path } })).rejects.toMatchObject({
        reason: 'truncated',
      });
    }
    const small = buildPart10({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.3.9', elements: early });
    const path = join(dir.path, 'small');
    await writeFile(path, small.subarray(0, small.length - 2));
    await expect(inspectFile({ file: path, source: { kind: 'path', path } })).rejects.toMatchObject({
      reason: 'truncated',
    });
  });

  it('plans datasets without meta, guessing their transfer syntax', async () => {
    const bytes = buildPart10({
      sopClassUid: CT_IMAGE_STORAGE,
      sopInstanceUid: '9.8.7',
      transferSyntaxUid: TransferSyntax.ImplicitVRLittleEndian,
      elements: early,
      noMeta: true,
    });
    const planned = await inspectFile({ file: 'raw', source: { kind: 'buffer', bytes } });
    expect(planned).toMatchObject({ transferSyntaxUid: TransferSyntax.ImplicitVRLittleEndian, datasetOffset: 0 });
  });

  it('never reads the pixel data while planning', async () => {
    // 1 GiB of Pixel Data as a sparse hole past the header: planning jumps over it (and finds the file complete).
    const head = buildPart10({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2', elements: [] });
    const pixelHeader = Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x57, 0, 0, 0, 0, 0, 0x40]); // OW, 1 GiB
    const path = join(dir.path, 'big');
    await writeFile(path, Buffer.concat([head, pixelHeader]));
    await truncate(path, head.length + pixelHeader.length + 2 ** 30);
    const planned = await inspectFile({ file: path, source: { kind: 'path', path } });
    expect(planned).toMatchObject({ sopInstanceUid: '1.2', size: head.length + 12 + 2 ** 30 });
    // Cut short by one byte, the same file is reported truncated, still without reading the hole.
    await truncate(path, head.length + pixelHeader.length + 2 ** 30 - 2);
    await expect(inspectFile({ file: path, source: { kind: 'path', path } })).rejects.toMatchObject({
      reason: 'truncated',
      message: expect.stringMatching(/\(7FE0,0010\) declares 1073741824 bytes but the file ends 2 bytes short/),
    });
  });

  it('turns bad files into typed per-file errors', async () => {
    const good = buildPart10({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.3', elements: early });
    const cases: [string, Uint8Array, string][] = [
      ['text', Buffer.from('not dicom at all, just some words in a file'), 'not-dicom'],
      ['meta-only', good.subarray(0, 132 + 40), 'truncated'],
      ['truncated-dataset', good.subarray(0, good.length - 200), 'truncated'],
      ['no-class', buildPart10({ sopInstanceUid: '1.2.3', elements: early }), 'missing-sop-class'],
      ['no-instance', buildPart10({ sopClassUid: CT_IMAGE_STORAGE, elements: early }), 'missing-sop-instance'],
      ['dicomdir', buildPart10({ sopClassUid: '1.2.840.10008.1.3.10', sopInstanceUid: '1.2' }), 'dicomdir'],
    ];
    // A bad VR right after the meta.
    const badVr = Buffer.from(good);
    const offset = (await inspectFile({ file: 'g', source: { kind: 'buffer', bytes: good } })).datasetOffset;
    badVr[offset + 4] = 0x01;
    cases.push(['bad-vr', badVr, 'malformed']);
    for (const [name, bytes, reason] of cases) {
      const path = join(dir.path, name);
      await writeFile(path, bytes);
      await expect(inspectFile({ file: path, source: { kind: 'path', path } }), name).rejects.toMatchObject({
        reason,
        file: path,
      });
    }
    await expect(
      inspectFile({ file: join(dir.path, 'gone'), source: { kind: 'path', path: join(dir.path, 'gone') } }),
    ).rejects.toMatchObject({ reason: 'unreadable', code: 'ERR_NETDICOM_STORE_SCU_UNREADABLE' });
  });

  it('planFiles keeps queue order and separates errors', async () => {
    const queue = Array.from({ length: 20 }, (_, i) => ({
      file: `f${i}`,
      source: {
        kind: 'buffer' as const,
        bytes:
          i % 5 === 4
            ? Buffer.from('garbage garbage garbage garbage')
            : buildPart10({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: `1.2.${i}` }),
      },
    }));
    const plan = await planFiles(queue, { concurrency: 3 });
    expect(plan.files.map((f) => f.file)).toEqual(queue.map((q) => q.file).filter((_, i) => i % 5 !== 4));
    expect(plan.errors.map((e) => [e.file, e.error.reason])).toEqual([
      ['f4', 'not-dicom'],
      ['f9', 'not-dicom'],
      ['f14', 'not-dicom'],
      ['f19', 'not-dicom'],
    ]);
  });
});

const planned = (sopClassUid: string, transferSyntaxUid: string, i: number): PlannedFile => ({
  file: `f${i}`,
  source: { kind: 'buffer', bytes: new Uint8Array(0) },
  sopClassUid,
  sopInstanceUid: `1.${i}`,
  transferSyntaxUid,
  datasetOffset: 0,
  size: 0,
});

describe('planAssociations', () => {
  it('proposes one context per (SOP class, transfer syntax) plus uncompressed fallbacks', () => {
    const files = [
      planned(CT_IMAGE_STORAGE, TransferSyntax.JPEGLSLossless, 0),
      planned(CT_IMAGE_STORAGE, TransferSyntax.ExplicitVRLittleEndian, 1),
      planned(SECONDARY_CAPTURE_STORAGE, TransferSyntax.ExplicitVRLittleEndian, 2),
      planned(SECONDARY_CAPTURE_STORAGE, TransferSyntax.ImplicitVRLittleEndian, 3),
      planned(CT_IMAGE_STORAGE, TransferSyntax.JPEGLSLossless, 4),
    ];
    const plans = planAssociations(files);
    expect(plans).toHaveLength(1);
    expect(plans[0]!.presentationContexts).toEqual([
      { id: 1, abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [TransferSyntax.JPEGLSLossless] },
      { id: 3, abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [TransferSyntax.ExplicitVRLittleEndian] },
      {
        id: 5,
        abstractSyntax: CT_IMAGE_STORAGE,
        transferSyntaxes: [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian],
      },
      { id: 7, abstractSyntax: SECONDARY_CAPTURE_STORAGE, transferSyntaxes: [TransferSyntax.ExplicitVRLittleEndian] },
      { id: 9, abstractSyntax: SECONDARY_CAPTURE_STORAGE, transferSyntaxes: [TransferSyntax.ImplicitVRLittleEndian] },
    ]);
    expect(plans[0]!.files.map((f) => f.file)).toEqual(['f0', 'f1', 'f2', 'f3', 'f4']);
  });

  it('proposes only the forced transfer syntax', () => {
    const files = [planned(CT_IMAGE_STORAGE, TransferSyntax.JPEGLSLossless, 0)];
    const [plan] = planAssociations(files, { transferSyntax: TransferSyntax.ImplicitVRLittleEndian });
    expect(plan!.presentationContexts).toEqual([
      { id: 1, abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [TransferSyntax.ImplicitVRLittleEndian] },
    ]);
  });

  it('splits more than 128 contexts across associations, odd IDs 1..255, SOP classes kept together', () => {
    const files: PlannedFile[] = [];
    for (let i = 0; i < 150; i++)
      files.push(planned(`1.2.840.10008.5.1.4.1.1.9999.${i}`, TransferSyntax.RLELossless, i));
    const plans = planAssociations(files);
    expect(plans.length).toBe(3); // 150 classes x 2 contexts = 300 contexts
    const seen = new Set<string>();
    for (const plan of plans) {
      expect(plan.presentationContexts.length).toBeLessThanOrEqual(128);
      const ids = plan.presentationContexts.map((c) => c.id);
      expect(ids).toEqual(Array.from({ length: ids.length }, (_, k) => 2 * k + 1));
      expect(Math.max(...ids)).toBeLessThanOrEqual(255);
      const classes = new Set(plan.presentationContexts.map((c) => c.abstractSyntax));
      for (const file of plan.files) expect(classes.has(file.sopClassUid)).toBe(true);
      for (const cls of classes) {
        expect(seen.has(cls)).toBe(false);
        seen.add(cls);
      }
    }
    expect(plans.flatMap((p) => p.files).length).toBe(150);
    expect(seen.size).toBe(150);
  });

  it('honours a smaller context limit', () => {
    const files = [0, 1, 2].map((i) => planned(`1.2.3.${i}`, TransferSyntax.ExplicitVRLittleEndian, i));
    expect(planAssociations(files, { maxContexts: 2 }).map((p) => p.presentationContexts.length)).toEqual([2, 2, 2]);
  });
});
