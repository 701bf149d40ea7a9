/**
 * `StoreScuSession.store()` with every input issue 5 lists besides a path: a dcmjs dataset (naturalized,
 * denaturalized, or a `DicomDict`), Part 10 bytes and a bare dataset in a buffer, a Readable and a plain async
 * iterable of Part 10 bytes. Each must arrive at DCMTK storescp with the same attributes as the original (dcmdump of
 * the received file, PS3.10 7.1), in the transfer syntax the peer accepted (PS3.5 section 10).
 */
import { createReadStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { basename, join } from 'node:path';
import { datasetFromBytes } from '@netdicom/dimse';
import { startStorescp } from '@netdicom/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreFileError } from './errors.js';
import { inspectFile } from './plan.js';
import { StoreScuSession } from './session.js';
import { dumpDataset, runTool } from './testing/dcmtk.js';
import { CT_IMAGE_STORAGE } from './testing/dicom-builder.js';
import { grayImage, richInstance } from './testing/fixtures.js';
import { makeTempDir } from './testing/temp-dir.js';
import { TransferSyntax } from './transfer-syntax.js';

const UID_ROOT = '1.2.826.0.1.3680043.10.99.700';

let dir: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  dir = await makeTempDir('store-scu-session-');
});
afterAll(async () => {
  await dir.cleanup();
});

/** Writes `bytes` as a reference file and returns its path. */
async function reference(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir.path, name);
  await writeFile(path, bytes);
  return path;
}

/** The received file of an instance (storescp names files MODALITY.SOPInstanceUID). */
async function receivedFile(files: string[], sopInstanceUid: string): Promise<string> {
  const found = files.find((file) => basename(file).endsWith(`.${sopInstanceUid}`));
  if (!found) throw new Error(`${sopInstanceUid} not received; got ${files.map((f) => basename(f)).join(', ')}`);
  return found;
}

/** The dataset bytes (after the file meta) of a Part 10 buffer. */
async function datasetOf(bytes: Uint8Array): Promise<Uint8Array> {
  const planned = await inspectFile({ file: 'x', source: { kind: 'buffer', bytes } });
  return bytes.subarray(planned.datasetOffset);
}

describe('StoreScuSession.store with a dcmjs dataset', () => {
  it('naturalized, denaturalized and DicomDict forms arrive with the attributes of the original', async () => {
    const scp = await startStorescp({ acceptAll: true });
    try {
      const naturalUid = `${UID_ROOT}.1`;
      const original = richInstance(TransferSyntax.ExplicitVRLittleEndian, naturalUid);
      const originalPath = await reference('rich.dcm', original);
      const dataset = await datasetOf(original);
      const naturalized = datasetFromBytes(dataset, TransferSyntax.ExplicitVRLittleEndian);
      expect(naturalized['SOPInstanceUID']).toBe(naturalUid);

      // The same instance again, denaturalized and as a DicomDict, under other SOP Instance UIDs.
      const denaturalizedUid = `${UID_ROOT}.2`;
      const denaturalized = datasetFromBytes(
        await datasetOf(richInstance(TransferSyntax.ExplicitVRLittleEndian, denaturalizedUid)),
        TransferSyntax.ExplicitVRLittleEndian,
        { naturalize: false },
      );
      expect(Object.keys(denaturalized)).toContain('7FE00010');
      const dictUid = `${UID_ROOT}.3`;
      const dicomDict = {
        meta: {},
        dict: datasetFromBytes(
          await datasetOf(richInstance(TransferSyntax.ExplicitVRLittleEndian, dictUid)),
          TransferSyntax.ExplicitVRLittleEndian,
          { naturalize: false },
        ),
      };

      const session = await StoreScuSession.connect({ addr: `127.0.0.1:${scp.port}`, calledAeTitle: scp.aeTitle });
      const results = [
        await session.store(naturalized, 'naturalized'),
        await session.store(denaturalized, 'denaturalized'),
        await session.store(dicomDict, 'dicom-dict'),
      ];
      await session.release();
      expect(results.map((r) => [r.code, r.sopClassUid, r.sopInstanceUid])).toEqual([
        [0, CT_IMAGE_STORAGE, naturalUid],
        [0, CT_IMAGE_STORAGE, denaturalizedUid],
        [0, CT_IMAGE_STORAGE, dictUid],
      ]);
      // The default proposal offers Explicit VR Little Endian first; storescp takes it.
      for (const result of results) expect(result.transferSyntax).toBe(TransferSyntax.ExplicitVRLittleEndian);

      const files = await scp.receivedFiles();
      expect(files).toHaveLength(3);
      // dcmjs writes every string in UTF-8 and says so in Specific Character Set (ISO_IR 192): the same text.
      const expected = (await dumpDataset(originalPath)).replace(
        '(0008,0005) CS [ISO_IR 100]',
        '(0008,0005) CS [ISO_IR 192]',
      );
      expect(await dumpDataset(await receivedFile(files, naturalUid))).toBe(expected);
      for (const uid of [denaturalizedUid, dictUid]) {
        expect(await dumpDataset(await receivedFile(files, uid)), uid).toBe(
          expected.replace(`[${naturalUid}]`, `[${uid}]`),
        );
      }
    } finally {
      await scp.stop();
    }
  });

  it('is encoded in the transfer syntax the peer accepted: Implicit VR Little Endian for storescp +xi', async () => {
    const scp = await startStorescp({ extraArgs: ['+xi'] });
    try {
      const uid = `${UID_ROOT}.4`;
      const original = grayImage(uid);
      const naturalized = datasetFromBytes(await datasetOf(original), TransferSyntax.ExplicitVRLittleEndian);
      const session = await StoreScuSession.connect({ addr: `127.0.0.1:${scp.port}`, calledAeTitle: scp.aeTitle });
      expect(await session.store(naturalized)).toMatchObject({
        code: 0,
        sopInstanceUid: uid,
        transferSyntax: TransferSyntax.ImplicitVRLittleEndian,
      });
      await session.release();
      const arrived = await receivedFile(await scp.receivedFiles(), uid);
      const planned = await inspectFile({ file: arrived, source: { kind: 'path', path: arrived } });
      expect(planned.transferSyntaxUid).toBe(TransferSyntax.ImplicitVRLittleEndian);
      expect(await dumpDataset(arrived)).toBe(await dumpDataset(await reference('gray-4.dcm', original)));
    } finally {
      await scp.stop();
    }
  });

  it('without SOP Instance UID, or of a SOP class not accepted, fails with StoreFileError; the session goes on', async () => {
    const scp = await startStorescp();
    try {
      const session = await StoreScuSession.connect({ addr: `127.0.0.1:${scp.port}`, calledAeTitle: scp.aeTitle });
      const noInstance = await session
        .store({ SOPClassUID: CT_IMAGE_STORAGE, PatientName: 'No^Uid' }, 'no-uid')
        .catch((e: unknown) => e);
      expect(noInstance).toBeInstanceOf(StoreFileError);
      expect(noInstance).toMatchObject({ reason: 'missing-sop-instance', file: 'no-uid' });
      const privateClass = await session
        .store({ SOPClassUID: '1.2.826.0.1.3680043.10.99.799', SOPInstanceUID: `${UID_ROOT}.5` }, 'private')
        .catch((e: unknown) => e);
      expect(privateClass).toMatchObject({ reason: 'no-presentation-context', file: 'private' });
      expect(await session.echo()).toMatchObject({ code: 0 });
      expect(await session.store(grayImage(`${UID_ROOT}.6`))).toMatchObject({ code: 0 });
      await session.release();
      expect((await scp.receivedFiles()).map((f) => basename(f))).toEqual([`CT.${UID_ROOT}.6`]);
    } finally {
      await scp.stop();
    }
  });
});

describe('StoreScuSession.store with buffers and streams', () => {
  it('Part 10 bytes, a bare dataset, a Readable and an async iterable of small chunks all arrive identical', async () => {
    const scp = await startStorescp({ acceptAll: true });
    try {
      const part10 = richInstance(TransferSyntax.ExplicitVRLittleEndian, `${UID_ROOT}.10`);
      // A bare Implicit VR Little Endian dataset (no preamble, no meta), as some archives keep them.
      const bareOriginal = richInstance(TransferSyntax.ImplicitVRLittleEndian, `${UID_ROOT}.11`);
      const bare = await datasetOf(bareOriginal);
      expect([...bare.subarray(0, 4)]).toEqual([0x08, 0x00, 0x05, 0x00]); // (0008,0005) first: no preamble, no meta
      const streamed = grayImage(`${UID_ROOT}.12`);
      const iterated = richInstance(TransferSyntax.ExplicitVRBigEndian, `${UID_ROOT}.13`);
      // An RLE Lossless file, streamed as it is (no transcoding of streams).
      await reference('rle-src.dcm', grayImage(`${UID_ROOT}.14`));
      await runTool('dcmcrle', [join(dir.path, 'rle-src.dcm'), join(dir.path, 'rle.dcm')]);
      const rle = new Uint8Array(await readFile(join(dir.path, 'rle.dcm')));

      async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
        for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
      }

      const session = await StoreScuSession.connect({
        addr: `127.0.0.1:${scp.port}`,
        calledAeTitle: scp.aeTitle,
        presentationContexts: [
          {
            abstractSyntax: CT_IMAGE_STORAGE,
            transferSyntaxes: [
              TransferSyntax.ExplicitVRLittleEndian,
              TransferSyntax.ImplicitVRLittleEndian,
              TransferSyntax.ExplicitVRBigEndian,
            ],
          },
          { abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [TransferSyntax.ImplicitVRLittleEndian] },
          { abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [TransferSyntax.ExplicitVRBigEndian] },
          { abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [TransferSyntax.RLELossless] },
        ],
      });
      const results = [
        await session.store(part10, 'part10'),
        await session.store(bare, 'bare'),
        await session.store(Readable.from(pieces(streamed, 997)), 'readable'),
        await session.store(pieces(iterated, 1), 'iterable'),
        await session.store(pieces(rle, 4096), 'rle-stream'),
      ];
      await session.release();
      expect(results.map((r) => [r.code, r.sopInstanceUid, r.transferSyntax])).toEqual([
        [0, `${UID_ROOT}.10`, TransferSyntax.ExplicitVRLittleEndian],
        [0, `${UID_ROOT}.11`, TransferSyntax.ImplicitVRLittleEndian],
        [0, `${UID_ROOT}.12`, TransferSyntax.ExplicitVRLittleEndian],
        [0, `${UID_ROOT}.13`, TransferSyntax.ExplicitVRBigEndian],
        [0, `${UID_ROOT}.14`, TransferSyntax.RLELossless],
      ]);
      const files = await scp.receivedFiles();
      expect(files).toHaveLength(5);
      for (const [uid, bytes] of [
        [10, part10],
        [11, bareOriginal],
        [12, streamed],
        [13, iterated],
        [14, rle],
      ] as const) {
        const arrived = await receivedFile(files, `${UID_ROOT}.${uid}`);
        const original = await reference(`original-${uid}.dcm`, bytes);
        expect(await dumpDataset(arrived), String(uid)).toBe(await dumpDataset(original));
      }
    } finally {
      await scp.stop();
    }
  });

  it('a stream that stalls is given up when the session is aborted: store() rejects instead of waiting for it', async () => {
    const scp = await startStorescp();
    try {
      const bytes = grayImage(`${UID_ROOT}.30`);
      let stalled!: () => void;
      const isStalled = new Promise<void>((resolve) => {
        stalled = resolve;
      });
      let returned = false;
      // Yields the first 2 KiB (meta and UIDs), then never yields again nor ends.
      const source: AsyncIterable<Uint8Array> = {
        [Symbol.asyncIterator]() {
          let sent = false;
          return {
            next: () => {
              if (!sent) {
                sent = true;
                return Promise.resolve({ done: false, value: bytes.subarray(0, 2048) });
              }
              stalled();
              return new Promise<IteratorResult<Uint8Array>>(() => undefined);
            },
            return: () => {
              returned = true;
              return new Promise<IteratorResult<Uint8Array>>(() => undefined); // a cleanup that never settles either
            },
          };
        },
      };
      const session = await StoreScuSession.connect({ addr: `127.0.0.1:${scp.port}`, calledAeTitle: scp.aeTitle });
      const storing = session.store(source, 'stalling').catch((e: unknown) => e);
      await isStalled;
      await session.abort();
      expect(await storing).toBeInstanceOf(Error);
      expect(returned).toBe(true);
      expect(await scp.receivedFiles()).toEqual([]);
    } finally {
      await scp.stop();
    }
  });

  it('a stream in a transfer syntax the peer did not accept fails with the reason; the session goes on', async () => {
    const scp = await startStorescp();
    try {
      await reference('rle-src-2.dcm', grayImage(`${UID_ROOT}.20`));
      await runTool('dcmcrle', [join(dir.path, 'rle-src-2.dcm'), join(dir.path, 'rle-2.dcm')]);
      const session = await StoreScuSession.connect({
        addr: `127.0.0.1:${scp.port}`,
        calledAeTitle: scp.aeTitle,
        presentationContexts: [
          { abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [TransferSyntax.RLELossless] },
          { abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [TransferSyntax.ExplicitVRLittleEndian] },
        ],
      });
      const stream = createReadStream(join(dir.path, 'rle-2.dcm'));
      const error = await session.store(stream, 'rle-2.dcm').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreFileError);
      // Streams are never transcoded: the file is refused, naming its syntax and what the peer took instead (no
      // decompression policy is involved: the user never set one).
      expect(error).toMatchObject({
        reason: 'no-presentation-context',
        file: 'rle-2.dcm',
        message:
          'rle-2.dcm is RLELossless and streams are sent as they are (never transcoded); the peer accepted only ExplicitVRLittleEndian for it',
      });
      // The caller's stream is closed with the failure: no file descriptor is left open behind it.
      expect(stream.destroyed).toBe(true);
      await new Promise<void>((resolve) => (stream.closed ? resolve() : stream.once('close', () => resolve())));
      expect(await session.store(grayImage(`${UID_ROOT}.21`))).toMatchObject({ code: 0 });
      await session.release();
      expect((await scp.receivedFiles()).map((f) => basename(f))).toEqual([`CT.${UID_ROOT}.21`]);
    } finally {
      await scp.stop();
    }
  });
});
