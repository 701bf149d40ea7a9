import { mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dcmdump, parseDcmdump, runStorescu, startStorescp } from './dcmtk.js';
import { InvalidArgumentError } from './errors.js';
import { hashFile, hashStream, largeDatasetStream, patternChunks, writeLargeObject } from './large.js';
import { SopClassUid } from './tags.js';
import { datasetOffset } from './testing/helpers.js';
import { TransferSyntaxUid } from './transfer-syntaxes.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'netdicom-large-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Samples the resident set size while `work` runs; returns the growth of its peak over the start. */
async function peakRssGrowth(work: () => Promise<unknown>): Promise<number> {
  globalThis.gc?.();
  const start = process.memoryUsage.rss();
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage.rss());
  return peak - start;
}

const MiB = 1024 * 1024;

describe('writeLargeObject', () => {
  it('writes a 256 MiB object of exactly the asked size in constant memory, readable by DCMTK', async () => {
    const path = join(work, 'large.dcm');
    const size = 256 * MiB + 1234;
    let info: Awaited<ReturnType<typeof writeLargeObject>> | undefined;
    const growth = await peakRssGrowth(async () => {
      info = await writeLargeObject(path, size, { seed: 'large-test' });
    });
    expect(growth).toBeLessThan(64 * MiB);
    expect(info!.size).toBe(size);
    expect((await stat(path)).size).toBe(size);
    expect(info!.datasetOffset).toBe(await datasetOffset(path));
    expect(info!.frames).toBe(Math.floor(info!.pixelDataLength / (512 * 512)));
    expect(info!.pixelDataLength).toBe(info!.frames * 512 * 512);
    expect(info!.paddingLength).toBeLessThan(512 * 512);
    expect(info!.datasetOffset + info!.datasetLength).toBe(size);

    const elements = parseDcmdump(await dcmdump(path, ['-Un', '-M'], { strict: true }));
    expect(elements['0002,0010']).toBe(TransferSyntaxUid.ExplicitVRLittleEndian);
    expect(elements['0008,0016']).toBe(SopClassUid.MultiFrameGrayscaleByteSecondaryCaptureImageStorage);
    expect(elements['0008,0018']).toBe(info!.sopInstanceUid);
    expect(elements['0028,0008']).toBe(String(info!.frames));
    expect(elements['7FE0,0010']).toBe(`(not loaded: ${info!.pixelDataLength} bytes)`);
    expect(elements['FFFC,FFFC']).toMatch(new RegExp(`${info!.paddingLength}|^00`));

    // Each 1 MiB chunk of Pixel Data starts with its index: nothing dropped, repeated or reordered.
    const pixelStart = size - info!.paddingLength - 12 - info!.pixelDataLength;
    const file = await open(path, 'r');
    try {
      const chunks = Math.ceil(info!.pixelDataLength / MiB);
      for (const index of [0, 1, 2, 100, chunks - 1]) {
        const word = Buffer.alloc(4);
        await file.read(word, 0, 4, pixelStart + index * MiB);
        expect(word.readUInt32LE(0)).toBe(index);
      }
      const header = Buffer.alloc(12);
      await file.read(header, 0, 12, pixelStart - 12);
      expect(header.subarray(0, 4).toString('hex')).toBe('e07f1000');
      expect(header.readUInt32LE(8)).toBe(info!.pixelDataLength);
    } finally {
      await file.close();
    }

    // The stream of the same seed and size yields the file's dataset byte for byte.
    const stream = largeDatasetStream(size - info!.datasetOffset, { seed: 'large-test' });
    expect(stream.sopInstanceUid).toBe(info!.sopInstanceUid);
    expect(stream.byteLength).toBe(info!.datasetLength);
    expect(await hashStream(stream)).toBe(await hashFile(path, info!.datasetOffset));
  });

  it('writes Implicit VR Little Endian too, and small frames', async () => {
    const path = join(work, 'implicit.dcm');
    const info = await writeLargeObject(path, 3 * MiB, {
      transferSyntax: 'ImplicitVRLittleEndian',
      rows: 64,
      columns: 100,
    });
    expect((await stat(path)).size).toBe(3 * MiB);
    const elements = parseDcmdump(await dcmdump(path, ['-Un', '-M'], { strict: true }));
    expect(elements['0002,0010']).toBe(TransferSyntaxUid.ImplicitVRLittleEndian);
    expect(elements['0028,0010']).toBe('64');
    expect(elements['0028,0011']).toBe('100');
    expect(Number(elements['0028,0008'])).toBe(info.frames);
  });

  it('rejects odd sizes, sizes too small for one frame, and transfer syntaxes it cannot write', async () => {
    await expect(writeLargeObject(join(work, 'odd.dcm'), 10 * MiB + 1)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(writeLargeObject(join(work, 'tiny.dcm'), 1000)).rejects.toThrow(/cannot hold one 512x512 frame/);
    await expect(
      writeLargeObject(join(work, 'be.dcm'), MiB, { transferSyntax: 'ExplicitVRBigEndian' }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(() => largeDatasetStream(MiB, { rows: 0 })).toThrow(InvalidArgumentError);
  });

  it('is sent by storescu and stored by storescp unchanged', async () => {
    const path = join(work, 'send.dcm');
    const info = await writeLargeObject(path, 48 * MiB, { seed: 'send' });
    const scp = await startStorescp({ extraArgs: ['+B'] });
    try {
      const result = await runStorescu({ port: scp.port, files: [path], extraArgs: ['-R', '-xe'] });
      expect(result.code).toBe(0);
      const [received] = await scp.receivedFiles();
      expect(received).toBeDefined();
      // DCMTK drops Data Set Trailing Padding when it sends; everything before it arrives unchanged.
      const offset = await datasetOffset(received!);
      const withoutPadding = info.datasetLength - 12 - info.paddingLength;
      expect((await stat(received!)).size - offset).toBe(withoutPadding);
      expect(await hashFile(received!, offset)).toBe(
        await hashFile(path, info.datasetOffset, info.datasetOffset + withoutPadding),
      );
    } finally {
      await scp.stop();
    }
  });
});

describe('largeDatasetStream', () => {
  it('produces a 2 GiB dataset lazily: reading the start holds only a few chunks', async () => {
    const size = 2 * 1024 * MiB - 2;
    const growth = await peakRssGrowth(async () => {
      const stream = largeDatasetStream(size);
      expect(stream.byteLength).toBe(size);
      expect(stream.frames).toBe(Math.floor((size - 2048) / (512 * 512)));
      let read = 0;
      for await (const chunk of stream) {
        read += (chunk as Uint8Array).byteLength;
        if (read > 64 * MiB) break;
      }
      expect(stream.destroyed).toBe(true);
    });
    expect(growth).toBeLessThan(64 * MiB);
  });

  it('is a dataset DCMTK reads without meta information (dcmdump -f)', async () => {
    const stream = largeDatasetStream(2 * MiB + 6, { seed: 'dataset' });
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    expect(bytes.length).toBe(2 * MiB + 6);
    const path = join(work, 'dataset.bin');
    await writeFile(path, bytes);
    const elements = parseDcmdump(await dcmdump(path, ['-f', '-te', '-Un', '-M'], { strict: true }));
    expect(elements['0008,0018']).toBe(stream.sopInstanceUid);
    expect(elements['0008,0016']).toBe(stream.sopClassUid);
    expect(elements['0028,0008']).toBe(String(stream.frames));
  });
});

describe('patternChunks', () => {
  it('yields exactly the asked length in fresh, index-stamped chunks', () => {
    const chunks = [...patternChunks(10 * 1024 + 6, 4096)];
    expect(chunks.map((c) => c.byteLength)).toEqual([4096, 4096, 2054]);
    expect(chunks.map((c) => Buffer.from(c).readUInt32LE(0))).toEqual([0, 1, 2]);
    expect(chunks[0]!.buffer).not.toBe(chunks[1]!.buffer);
    expect(() => [...patternChunks(10, 2)]).toThrow(InvalidArgumentError);
  });
});
