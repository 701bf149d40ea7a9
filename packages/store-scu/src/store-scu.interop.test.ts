/**
 * Interop with DCMTK storescp (a real peer on loopback): every transfer syntax, forced syntaxes, transcoding for a
 * receiver that accepts Implicit VR only, the 128-context split, retries against --abort-during, bad files among good
 * ones, cancellation, and the session API.
 */
import { createReadStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { startStorescp } from '@netdicom/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssociationLostError, CancelledError, type StoreFileError } from './errors.js';
import { inspectFile } from './plan.js';
import { StoreScuSession } from './session.js';
import { type FileSentEvent, StoreScu, type StoreProgress } from './store-scu.js';
import { dumpDataset, dumpedBytes, runTool } from './testing/dcmtk.js';
import { buildPart10, CT_IMAGE_STORAGE } from './testing/dicom-builder.js';
import { grayImage, richInstance, rgbImage } from './testing/fixtures.js';
import { makeTempDir } from './testing/temp-dir.js';
import { TransferSyntax, transferSyntaxName } from './transfer-syntax.js';

let dir: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  dir = await makeTempDir('store-scu-interop-');
});
afterAll(async () => {
  await dir.cleanup();
});

/** [keyword, tool, args] making each fixture from an Explicit VR Little Endian original. */
const PRODUCERS: [string, string, string[]][] = [
  ['ImplicitVRLittleEndian', 'dcmconv', ['+ti']],
  ['ExplicitVRLittleEndian', 'dcmconv', ['+te']],
  ['ExplicitVRBigEndian', 'dcmconv', ['+tb']],
  ['DeflatedExplicitVRLittleEndian', 'dcmconv', ['+td']],
  ['RLELossless', 'dcmcrle', []],
  ['JPEGBaseline8Bit', 'dcmcjpeg', ['+eb']],
  ['JPEGLossless', 'dcmcjpeg', ['+el']],
  ['JPEGLosslessSV1', 'dcmcjpeg', ['+e1']],
  ['JPEGLSLossless', 'dcmcjpls', ['+el']],
  ['JPEGLSNearLossless', 'dcmcjpls', ['+en']],
  ['JPEG2000Lossless', 'gdcmconv', ['--j2k']],
  ['JPEG2000', 'gdcmconv', ['--j2k', '--lossy', '-q', '50']],
];

/** Makes one fixture per transfer syntax under `folder`; returns keyword -> path. */
async function makeFixtures(folder: string, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let n = 0;
  for (const [keyword, tool, args] of PRODUCERS) {
    n++;
    const original = join(folder, `${prefix}-${keyword}.orig`);
    const make = keyword === 'JPEGBaseline8Bit' ? rgbImage : (uid: string) => grayImage(uid);
    await writeFile(original, make(`1.2.826.0.1.3680043.10.99.${prefix.length}.${n}`));
    const target = join(folder, `${prefix}-${keyword}.dcm`);
    await runTool(tool, [...args, original, target]);
    out.set(keyword, target);
  }
  return out;
}

/** The received file of an instance (storescp names files MODALITY.SOPInstanceUID). */
async function received(files: string[], sopInstanceUid: string): Promise<string> {
  const found = files.find((file) => basename(file).endsWith(`.${sopInstanceUid}`));
  if (!found) throw new Error(`${sopInstanceUid} not received; got ${files.map((f) => basename(f)).join(', ')}`);
  return found;
}

const pixels = (dump: string) => dumpedBytes(dump.split('\n').find((line) => line.startsWith('(7fe0,0010)')) ?? '');

describe('StoreScu against storescp', () => {
  it('sends every transfer syntax as it is, datasets identical on arrival', async () => {
    const folder = join(dir.path, 'all');
    await runTool('mkdir', ['-p', folder]);
    const fixtures = await makeFixtures(folder, 'all');
    await runTool('sh', ['-c', `rm ${folder}/*.orig`]);
    const scp = await startStorescp({ acceptAll: true });
    try {
      const sent: FileSentEvent[] = [];
      const progress: StoreProgress[] = [];
      const scu = new StoreScu({ addr: `127.0.0.1:${scp.port}`, calledAeTitle: scp.aeTitle });
      const subscription = scu.progress$.subscribe((p) => progress.push(p));
      const result = await scu.addDirectory(folder).send({ onFileSent: (_e, event) => sent.push(event) });
      subscription.unsubscribe();
      expect(result).toEqual({ successful: PRODUCERS.length, failed: 0, warnings: [], totalFiles: PRODUCERS.length });
      const files = await scp.receivedFiles();
      for (const [keyword, path] of fixtures) {
        const planned = await inspectFile({ file: path, source: { kind: 'path', path } });
        const event = sent.find((e) => e.file === path);
        expect(transferSyntaxName(event!.transferSyntax), keyword).toBe(keyword);
        const arrived = await received(files, planned.sopInstanceUid);
        expect(await dumpDataset(arrived), keyword).toBe(await dumpDataset(path));
      }
      const last = progress.at(-1)!;
      expect(last).toMatchObject({ filesDone: PRODUCERS.length, successful: PRODUCERS.length });
      expect(last.bytesSent).toBe(last.bytesTotal);
      expect(last.bytesSent).toBeGreaterThan(10_000);
    } finally {
      await scp.stop();
    }
  });

  it('transcodes for a receiver that accepts Implicit VR Little Endian only (+xi), lossy files fail with the reason', async () => {
    const folder = join(dir.path, 'implicit');
    await runTool('mkdir', ['-p', folder]);
    const fixtures = await makeFixtures(folder, 'implicit-only');
    const scp = await startStorescp({ extraArgs: ['+xi'] });
    try {
      const errors: StoreFileError[] = [];
      const scu = new StoreScu({ addr: `127.0.0.1:${scp.port}` });
      for (const path of fixtures.values()) scu.addFile(path);
      const result = await scu.send({ onFileError: (error) => errors.push(error as StoreFileError) });
      const lossy = ['JPEGBaseline8Bit', 'JPEGLSNearLossless', 'JPEG2000'];
      expect(result).toMatchObject({ successful: PRODUCERS.length - lossy.length, failed: lossy.length });
      expect(errors.map((e) => [basename(e.file), e.reason]).sort()).toEqual(
        lossy.map((k) => [`implicit-only-${k}.dcm`, 'transcode-impossible']).sort(),
      );
      expect(errors[0]!.message).toMatch(/is lossy; decompressing it needs the decompression policy 'lossy'/);
      const files = await scp.receivedFiles();
      for (const [keyword, path] of fixtures) {
        if (lossy.includes(keyword)) continue;
        const planned = await inspectFile({ file: path, source: { kind: 'path', path } });
        const arrived = await received(files, planned.sopInstanceUid);
        const arrivedPlan = await inspectFile({ file: arrived, source: { kind: 'path', path: arrived } });
        expect(arrivedPlan.transferSyntaxUid, keyword).toBe(TransferSyntax.ImplicitVRLittleEndian);
        // Lossless: the pixels that arrive are the original pixels.
        const original = await dumpDataset(path.replace(/\.dcm$/, '.orig'));
        expect(Buffer.compare(pixels(await dumpDataset(arrived)), pixels(original)), keyword).toBe(0);
      }
      // With the lossy policy the lossy files go too.
      const again = new StoreScu({ addr: `127.0.0.1:${scp.port}`, decompress: 'lossy' });
      for (const keyword of lossy) again.addFile(fixtures.get(keyword)!);
      expect(await again.send()).toMatchObject({ successful: lossy.length, failed: 0 });
    } finally {
      await scp.stop();
    }
  });

  it('forces a transfer syntax: only it is proposed, files are transcoded to it', async () => {
    const scp = await startStorescp({ acceptAll: true });
    try {
      const explicit = join(dir.path, 'force-explicit.dcm');
      const bigEndian = join(dir.path, 'force-be.dcm');
      await writeFile(explicit, richInstance(TransferSyntax.ExplicitVRLittleEndian, '1.2.826.0.1.3680043.10.99.50'));
      await writeFile(bigEndian, richInstance(TransferSyntax.ExplicitVRBigEndian, '1.2.826.0.1.3680043.10.99.51'));
      const reference = join(dir.path, 'force-ref.dcm');
      await runTool('dcmconv', ['+tb', explicit, reference]);
      const scu = new StoreScu({ addr: `127.0.0.1:${scp.port}`, transferSyntax: 'ExplicitVRBigEndian' });
      const result = await scu.addFile(explicit).addFile(bigEndian).send();
      expect(result.successful).toBe(2);
      const files = await scp.receivedFiles();
      const arrived = await received(files, '1.2.826.0.1.3680043.10.99.50');
      expect((await inspectFile({ file: arrived, source: { kind: 'path', path: arrived } })).transferSyntaxUid).toBe(
        TransferSyntax.ExplicitVRBigEndian,
      );
      expect(await dumpDataset(arrived)).toBe(await dumpDataset(reference));
    } finally {
      await scp.stop();
    }
  });

  it('splits more than 128 presentation contexts across associations', async () => {
    const folder = join(dir.path, 'many');
    await runTool('mkdir', ['-p', folder]);
    const classes = 50; // x3 contexts (deflated, explicit, fallback) = 150 > 128
    for (let i = 0; i < classes; i++) {
      const sopClassUid = `1.2.826.0.1.3680043.10.99.9.${i + 1}`;
      for (const [ts, tag] of [
        [TransferSyntax.DeflatedExplicitVRLittleEndian, 1],
        [TransferSyntax.ExplicitVRLittleEndian, 2],
      ] as const) {
        const bytes = buildPart10({
          sopClassUid,
          sopInstanceUid: `1.2.826.0.1.3680043.10.99.10.${i + 1}.${tag}`,
          transferSyntaxUid: ts,
          elements: [{ tag: 0x00080060, vr: 'CS', value: 'OT' }],
        });
        await writeFile(join(folder, `${i}-${tag}.dcm`), bytes);
      }
    }
    const scp = await startStorescp({ extraArgs: ['+xa', '-pm', '-v'] });
    try {
      const lines: string[] = [];
      const scu = new StoreScu({ addr: `127.0.0.1:${scp.port}`, verbose: (line) => lines.push(line) });
      const result = await scu.addDirectory(folder).send();
      expect(result).toEqual({ successful: classes * 2, failed: 0, warnings: [], totalFiles: classes * 2 });
      expect(lines).toContain('2 association plan(s): 126, 24 presentation context(s)');
      expect((await scp.receivedFiles()).length).toBe(classes * 2);
      expect(scp.output().match(/Association Acknowledged/g)?.length).toBe(2);
    } finally {
      await scp.stop();
    }
  });

  it('retries on a fresh association after an abort (storescp --abort-during), then reports the file', async () => {
    const scp = await startStorescp({ extraArgs: ['--abort-during', '-v'] });
    try {
      const scu = new StoreScu({ addr: `127.0.0.1:${scp.port}`, retries: { attempts: 2, initialDelayMs: 10 } });
      scu.addFileFromMemory(grayImage('1.2.826.0.1.3680043.10.99.60'), 'aborted.dcm');
      const errors: Error[] = [];
      const result = await scu.send({ onFileError: (error) => errors.push(error!) });
      expect(result).toMatchObject({ successful: 0, failed: 1, totalFiles: 1 });
      expect(errors[0]).toBeInstanceOf(AssociationLostError);
      expect(errors[0]!.message).toMatch(/lost 3 time\(s\)/);
      expect(scp.output().match(/Association Acknowledged/g)?.length).toBe(3);
    } finally {
      await scp.stop();
    }
  });

  it('sends the good files of a folder and reports the bad ones', async () => {
    const folder = join(dir.path, 'mixed');
    await runTool('mkdir', ['-p', folder]);
    for (let i = 0; i < 4; i++)
      await writeFile(join(folder, `good-${i}`), grayImage(`1.2.826.0.1.3680043.10.99.70.${i}`));
    const good = grayImage('1.2.826.0.1.3680043.10.99.71');
    await writeFile(join(folder, 'truncated.dcm'), good.subarray(0, 400));
    await writeFile(join(folder, 'no-class.dcm'), buildPart10({ sopInstanceUid: '1.2.3' }));
    await writeFile(join(folder, 'readme.txt'), 'these are test images');
    const scp = await startStorescp();
    try {
      const errors: StoreFileError[] = [];
      const result = await new StoreScu({ addr: `127.0.0.1:${scp.port}` })
        .addDirectory(folder)
        .send({ onFileError: (error) => errors.push(error as StoreFileError) });
      expect(result).toMatchObject({ successful: 4, failed: 2, totalFiles: 6 });
      expect(result.warnings).toEqual([`${join(folder, 'readme.txt')}: skipped, not a DICOM file`]);
      expect(errors.map((e) => e.reason).sort()).toEqual(['missing-sop-class', 'truncated']);
      expect((await scp.receivedFiles()).length).toBe(4);
    } finally {
      await scp.stop();
    }
  });

  it('cancels by AbortSignal', async () => {
    const scp = await startStorescp({ extraArgs: ['--sleep-during', '1'] });
    try {
      const scu = new StoreScu({ addr: `127.0.0.1:${scp.port}` });
      for (let i = 0; i < 5; i++) scu.addFileFromMemory(grayImage(`1.2.826.0.1.3680043.10.99.80.${i}`), `f${i}`);
      const controller = new AbortController();
      const sending = scu.send({
        signal: controller.signal,
        onFileSending: () => setTimeout(() => controller.abort(), 100),
      });
      await expect(sending).rejects.toBeInstanceOf(CancelledError);
    } finally {
      await scp.stop();
    }
  });
});

describe('StoreScuSession against storescp', () => {
  it('echoes, stores a path, a buffer and a stream, and releases', async () => {
    const scp = await startStorescp({ acceptAll: true });
    try {
      const path = join(dir.path, 'session.dcm');
      await writeFile(path, grayImage('1.2.826.0.1.3680043.10.99.90'));
      const session = await StoreScuSession.connect({ addr: `127.0.0.1:${scp.port}`, calledAeTitle: scp.aeTitle });
      expect(await session.echo()).toMatchObject({ code: 0, category: 'success', name: 'Success' });
      expect(await session.store(path)).toMatchObject({
        code: 0,
        name: 'Success',
        sopInstanceUid: '1.2.826.0.1.3680043.10.99.90',
        transferSyntax: TransferSyntax.ExplicitVRLittleEndian,
      });
      expect(await session.store(grayImage('1.2.826.0.1.3680043.10.99.91'))).toMatchObject({ code: 0 });
      await writeFile(join(dir.path, 'stream.dcm'), grayImage('1.2.826.0.1.3680043.10.99.92'));
      const stream = createReadStream(join(dir.path, 'stream.dcm'), { highWaterMark: 100 });
      expect(await session.store(stream, 'stream.dcm')).toMatchObject({
        code: 0,
        sopInstanceUid: '1.2.826.0.1.3680043.10.99.92',
      });
      await expect(session.store(Buffer.from('not dicom at all, sorry'))).rejects.toMatchObject({
        reason: 'not-dicom',
      });
      await session.release();
      await expect(session.echo()).rejects.toMatchObject({ code: 'ERR_NETDICOM_STORE_SCU_INVALID_STATE' });
      const files = await scp.receivedFiles();
      expect(files.length).toBe(3);
      const arrived = await received(files, '1.2.826.0.1.3680043.10.99.92');
      expect(await dumpDataset(arrived)).toBe(await dumpDataset(join(dir.path, 'stream.dcm')));
      expect(Buffer.compare(await readFile(arrived), await readFile(arrived))).toBe(0);
    } finally {
      await scp.stop();
    }
  });

  it('plans its contexts from files and aborts', async () => {
    const scp = await startStorescp({ acceptAll: true });
    try {
      const path = join(dir.path, 'session-rle.dcm');
      await writeFile(`${path}.orig`, grayImage('1.2.826.0.1.3680043.10.99.93'));
      await runTool('dcmcrle', [`${path}.orig`, path]);
      const session = await StoreScuSession.connect({ addr: `127.0.0.1:${scp.port}`, files: [path] });
      expect(await session.store(path)).toMatchObject({ code: 0, transferSyntax: TransferSyntax.RLELossless });
      await session.abort();
      await expect(session.store(path)).rejects.toMatchObject({ code: 'ERR_NETDICOM_STORE_SCU_INVALID_STATE' });
      expect(CT_IMAGE_STORAGE).toBe((await inspectFile({ file: path, source: { kind: 'path', path } })).sopClassUid);
    } finally {
      await scp.stop();
    }
  });
});
