import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TranscodeError } from './errors.js';
import { inspectFile } from './plan.js';
import { bufferChunks, readFileRange } from './sources.js';
import { dumpDataset, dumpedBytes, runTool, writeWithMeta } from './testing/dcmtk.js';
import { buildPart10, CT_IMAGE_STORAGE, encodeDataset } from './testing/dicom-builder.js';
import { grayImage, richInstance, rgbImage } from './testing/fixtures.js';
import { makeTempDir } from './testing/temp-dir.js';
import { transcodeDataset, transcodeImpossibility } from './transcode.js';
import { TransferSyntax, transferSyntaxName } from './transfer-syntax.js';
import { EXPLICIT_LE, IMPLICIT_LE } from './vr.js';

let dir: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  dir = await makeTempDir('store-scu-transcode-');
});
afterAll(async () => {
  await dir.cleanup();
});

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

/** Transcodes a file with our code and writes the result (with meta) next to it; returns its path. */
async function ourTranscode(path: string, to: string, decompress: 'lossless' | 'lossy' = 'lossless'): Promise<string> {
  const planned = await inspectFile({ file: path, source: { kind: 'path', path } });
  const out = await collect(
    transcodeDataset(readFileRange(path, planned.datasetOffset, Number.POSITIVE_INFINITY, 4093), {
      from: planned.transferSyntaxUid,
      to,
      decompress,
    }),
  );
  const target = `${path}.ours.${transferSyntaxName(to)}.dcm`;
  await writeWithMeta(target, out, to, planned.sopClassUid, planned.sopInstanceUid);
  return target;
}

const NATIVE: [string, string][] = [
  [TransferSyntax.ImplicitVRLittleEndian, '+ti'],
  [TransferSyntax.ExplicitVRLittleEndian, '+te'],
  [TransferSyntax.ExplicitVRBigEndian, '+tb'],
  [TransferSyntax.DeflatedExplicitVRLittleEndian, '+td'],
];

describe('transcodeDataset between native syntaxes, compared with dcmconv', () => {
  for (const [from] of NATIVE) {
    for (const [to, flag] of NATIVE) {
      if (from === to) continue;
      it(`${transferSyntaxName(from)} -> ${transferSyntaxName(to)}`, async () => {
        const source = join(dir.path, `rich-${transferSyntaxName(from)}-${transferSyntaxName(to)}.dcm`);
        await writeFile(source, richInstance(from));
        const reference = `${source}.dcmconv.dcm`;
        await runTool('dcmconv', [flag, source, reference]);
        const ours = await ourTranscode(source, to);
        const expected = await dumpDataset(reference);
        expect(expected.split('\n').length).toBeGreaterThan(30);
        expect(await dumpDataset(ours)).toBe(expected);
        // And back: the original dataset comes back identical.
        const back = await ourTranscode(ours, from);
        expect(await dumpDataset(back)).toBe(await dumpDataset(source));
      });
    }
  }

  it('keeps sequence lengths defined when it recomputes them, byte-identical to dcmconv for implicit -> explicit', async () => {
    const source = join(dir.path, 'rich-bytes.dcm');
    await writeFile(source, richInstance(TransferSyntax.ImplicitVRLittleEndian));
    const reference = `${source}.dcmconv.dcm`;
    await runTool('dcmconv', ['+te', source, reference]);
    const ours = await ourTranscode(source, TransferSyntax.ExplicitVRLittleEndian);
    const refPlan = await inspectFile({ file: reference, source: { kind: 'path', path: reference } });
    const ourPlan = await inspectFile({ file: ours, source: { kind: 'path', path: ours } });
    const refBytes = (await readFile(reference)).subarray(refPlan.datasetOffset);
    const ourBytes = (await readFile(ours)).subarray(ourPlan.datasetOffset);
    // dcmconv re-encodes the undefined-length sequence with an explicit length; compare up to that element.
    const cut = refBytes.indexOf(Buffer.from([0x40, 0x00, 0x30, 0xa7]));
    expect(cut).toBeGreaterThan(100);
    expect(Buffer.compare(ourBytes.subarray(0, cut), refBytes.subarray(0, cut))).toBe(0);
  });
});

describe('transcodeDataset edge cases', () => {
  it('turns unknown tags into UN and over-long values into UN when making implicit data explicit', async () => {
    const big = 'x'.repeat(70_000);
    const implicit = encodeDataset(
      [
        { tag: 0x00080016, vr: 'UI', value: CT_IMAGE_STORAGE },
        { tag: 0x00091001, vr: 'LO', value: 'private' },
        { tag: 0x00204000, vr: 'LT', value: big },
      ],
      IMPLICIT_LE,
    );
    const out = await collect(
      transcodeDataset(bufferChunks(implicit, 1000), {
        from: TransferSyntax.ImplicitVRLittleEndian,
        to: TransferSyntax.ExplicitVRLittleEndian,
      }),
    );
    const expected = encodeDataset(
      [
        { tag: 0x00080016, vr: 'UI', value: CT_IMAGE_STORAGE },
        { tag: 0x00091001, vr: 'UN', value: 'private' },
        { tag: 0x00204000, vr: 'UN', value: big },
      ],
      EXPLICIT_LE,
    );
    expect(Buffer.compare(out, expected)).toBe(0);
  });

  it('writes large defined-length sequences with undefined length instead of holding them', async () => {
    const items = Array.from({ length: 40 }, (_, i) => [
      { tag: 0x00081150, vr: 'UI', value: CT_IMAGE_STORAGE },
      { tag: 0x00189219, vr: 'OW', value: new Uint8Array(30_000).fill(i) },
    ]);
    const implicit = encodeDataset([{ tag: 0x00081140, vr: 'SQ', items }], IMPLICIT_LE);
    expect(implicit.length).toBeGreaterThan(1 << 20);
    const out = await collect(
      transcodeDataset(bufferChunks(implicit), {
        from: TransferSyntax.ImplicitVRLittleEndian,
        to: TransferSyntax.ExplicitVRLittleEndian,
      }),
    );
    // SQ header with undefined length, items with recomputed defined lengths, and a sequence delimiter at the end.
    expect([...out.subarray(0, 12)]).toEqual([8, 0, 0x40, 0x11, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    expect([...out.subarray(out.length - 8)]).toEqual([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
    const back = await collect(
      transcodeDataset(bufferChunks(out), {
        from: TransferSyntax.ExplicitVRLittleEndian,
        to: TransferSyntax.ImplicitVRLittleEndian,
      }),
    );
    expect(back.length).toBe(implicit.length + 8); // the same items, now in an undefined-length sequence
  });

  it('fails with a typed error on truncated or malformed data', async () => {
    const bytes = richInstance(TransferSyntax.ExplicitVRLittleEndian);
    const planned = await inspectFile({ file: 'x', source: { kind: 'buffer', bytes } });
    const truncated = bytes.subarray(planned.datasetOffset, bytes.length - 1000);
    await expect(
      collect(
        transcodeDataset(bufferChunks(truncated), {
          from: TransferSyntax.ExplicitVRLittleEndian,
          to: TransferSyntax.ImplicitVRLittleEndian,
        }),
      ),
    ).rejects.toMatchObject({ code: 'ERR_NETDICOM_STORE_SCU_TRANSCODE_FAILED', message: /ended/ });
    const bad = Buffer.from(bytes.subarray(planned.datasetOffset));
    bad[4] = 0x7a; // 'z' is no VR
    await expect(
      collect(
        transcodeDataset(bufferChunks(bad), {
          from: TransferSyntax.ExplicitVRLittleEndian,
          to: TransferSyntax.ExplicitVRBigEndian,
        }),
      ),
    ).rejects.toBeInstanceOf(TranscodeError);
  });

  it('says why a conversion is impossible', () => {
    expect(transcodeImpossibility(TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.JPEGLSLossless)).toMatch(
      /Encoding into JPEGLSLossless is not supported/,
    );
    expect(transcodeImpossibility(TransferSyntax.JPEGBaseline8Bit, TransferSyntax.ExplicitVRLittleEndian)).toMatch(
      /lossy/,
    );
    expect(
      transcodeImpossibility(TransferSyntax.JPEGBaseline8Bit, TransferSyntax.ExplicitVRLittleEndian, 'lossy'),
    ).toBeUndefined();
    expect(transcodeImpossibility(TransferSyntax.RLELossless, TransferSyntax.ExplicitVRLittleEndian, 'never')).toMatch(
      /never/,
    );
    expect(transcodeImpossibility('1.2.840.10008.1.2.4.100', TransferSyntax.ExplicitVRLittleEndian, 'lossy')).toMatch(
      /No decoder/,
    );
    expect(transcodeImpossibility('1.2.3.4', TransferSyntax.ExplicitVRLittleEndian, 'lossy')).toMatch(/unknown/);
    expect(() =>
      transcodeDataset(bufferChunks(new Uint8Array(0)), {
        from: TransferSyntax.RLELossless,
        to: TransferSyntax.ExplicitVRLittleEndian,
        decompress: 'never',
      }),
    ).toThrow(TranscodeError);
  });

  it('builds files the builder and DCMTK agree on', async () => {
    const path = join(dir.path, 'builder.dcm');
    await writeFile(path, buildPart10({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.3' }));
    expect(await dumpDataset(path)).toContain('(0008,0018) UI [1.2.3]');
  });
});

/** Compressed fixtures: [label, tool, args, decoder tool, decompress policy]. */
const COMPRESSED: [string, string, string[], string, 'lossless' | 'lossy'][] = [
  ['RLELossless', 'dcmcrle', [], 'dcmdrle', 'lossless'],
  ['JPEGLosslessSV1', 'dcmcjpeg', ['+e1'], 'dcmdjpeg', 'lossless'],
  ['JPEGLossless', 'dcmcjpeg', ['+el'], 'dcmdjpeg', 'lossless'],
  ['JPEGLSLossless', 'dcmcjpls', ['+el'], 'dcmdjpls', 'lossless'],
  ['JPEGLSNearLossless', 'dcmcjpls', ['+en'], 'dcmdjpls', 'lossy'],
  ['JPEG2000Lossless', 'gdcmconv', ['--j2k'], 'gdcmconv', 'lossless'],
];

describe('decompression, compared with the DCMTK / GDCM decoders', () => {
  for (const [label, tool, args, decoderTool, policy] of COMPRESSED) {
    for (const [kind, make] of [
      ['grey 16-bit', (uid: string) => grayImage(uid)],
      ['RGB 8-bit', (uid: string) => rgbImage(uid)],
      ['grey 3 frames', (uid: string) => grayImage(uid, 3)],
    ] as const) {
      it(`${label}, ${kind}`, async () => {
        const base = join(dir.path, `${label}-${kind.replace(/\W/g, '')}`);
        await writeFile(`${base}.dcm`, make('1.2.826.0.1.3680043.10.99.7'));
        await runTool(tool, [...args, `${base}.dcm`, `${base}.c.dcm`]);
        const compressed = await inspectFile({
          file: `${base}.c.dcm`,
          source: { kind: 'path', path: `${base}.c.dcm` },
        });
        expect(transferSyntaxName(compressed.transferSyntaxUid)).toBe(label);
        const reference = `${base}.ref.dcm`;
        await runTool(
          decoderTool,
          decoderTool === 'gdcmconv' ? ['--raw', `${base}.c.dcm`, reference] : [`${base}.c.dcm`, reference],
        );
        const ours = await ourTranscode(`${base}.c.dcm`, TransferSyntax.ExplicitVRLittleEndian, policy);
        const pixelLine = (dump: string) => dump.split('\n').find((line) => line.startsWith('(7fe0,0010)'));
        const oursDump = await dumpDataset(ours);
        const refDump = await dumpDataset(reference);
        const ourPixels = dumpedBytes(pixelLine(oursDump) ?? '');
        expect(ourPixels.length).toBeGreaterThan(3000);
        // DCMTK writes 8-bit pixels as OW, we as OB (PS3.5 A.2 allows both): compare the bytes.
        expect(Buffer.compare(ourPixels, dumpedBytes(pixelLine(refDump) ?? ''))).toBe(0);
        if (policy === 'lossless') {
          const original = dumpedBytes(pixelLine(await dumpDataset(`${base}.dcm`)) ?? '');
          expect(Buffer.compare(ourPixels, original)).toBe(0);
        }
        const attrs = (dump: string) =>
          dump
            .split('\n')
            .filter((line) => /^\((0028,000[2468]|0028,001[01])\)/.test(line))
            .join('\n');
        expect(attrs(oursDump)).toBe(attrs(refDump));
      });
    }
  }
});

describe('lossy decompression (policy lossy), compared with DCMTK / GDCM within the codecs rounding', () => {
  const cases: [string, string, string[], string, (uid: string) => Uint8Array, string][] = [
    ['JPEGBaseline8Bit', 'dcmcjpeg', ['+eb'], 'dcmdjpeg', rgbImage, 'RGB'],
    ['JPEG2000', 'gdcmconv', ['--j2k', '--lossy', '-q', '50'], 'gdcmconv', (uid) => grayImage(uid), 'MONOCHROME2'],
  ];
  for (const [label, tool, args, decoderTool, make, photometric] of cases) {
    it(`${label}`, async () => {
      const base = join(dir.path, `lossy-${label}`);
      await writeFile(`${base}.dcm`, make('1.2.826.0.1.3680043.10.99.8'));
      await runTool(tool, [...args, `${base}.dcm`, `${base}.c.dcm`]);
      const compressed = await inspectFile({ file: `${base}.c.dcm`, source: { kind: 'path', path: `${base}.c.dcm` } });
      expect(transferSyntaxName(compressed.transferSyntaxUid)).toBe(label);
      await expect(
        ourTranscode(`${base}.c.dcm`, TransferSyntax.ExplicitVRLittleEndian, 'lossless'),
      ).rejects.toMatchObject({
        code: 'ERR_NETDICOM_STORE_SCU_TRANSCODE_IMPOSSIBLE',
      });
      const reference = `${base}.ref.dcm`;
      await runTool(
        decoderTool,
        decoderTool === 'gdcmconv' ? ['--raw', `${base}.c.dcm`, reference] : [`${base}.c.dcm`, reference],
      );
      const ours = await ourTranscode(`${base}.c.dcm`, TransferSyntax.ExplicitVRLittleEndian, 'lossy');
      const oursDump = await dumpDataset(ours);
      const refDump = await dumpDataset(reference);
      expect(oursDump).toContain(`(0028,0004) CS [${photometric}]`);
      const pixelLine = (dump: string) => dump.split('\n').find((line) => line.startsWith('(7fe0,0010)')) ?? '';
      const a = dumpedBytes(pixelLine(oursDump));
      const b = dumpedBytes(pixelLine(refDump));
      expect(a.length).toBe(b.length);
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      expect(worst).toBeLessThanOrEqual(label === 'JPEG2000' ? 0 : 3);
    });
  }
});

describe('group lengths', () => {
  it('drops group length elements when header sizes change, keeps them otherwise', async () => {
    const elements = [
      { tag: 0x00080000, vr: 'UL', value: [26] },
      { tag: 0x00080016, vr: 'UI', value: CT_IMAGE_STORAGE },
    ];
    const implicit = encodeDataset(elements, IMPLICIT_LE);
    const explicit = await collect(
      transcodeDataset(bufferChunks(implicit), {
        from: TransferSyntax.ImplicitVRLittleEndian,
        to: TransferSyntax.ExplicitVRLittleEndian,
      }),
    );
    expect(Buffer.compare(explicit, encodeDataset(elements.slice(1), EXPLICIT_LE))).toBe(0);
    const bigEndian = await collect(
      transcodeDataset(bufferChunks(encodeDataset(elements, EXPLICIT_LE)), {
        from: TransferSyntax.ExplicitVRLittleEndian,
        to: TransferSyntax.ExplicitVRBigEndian,
      }),
    );
    expect([...bigEndian.subarray(0, 12)]).toEqual([0, 8, 0, 0, 0x55, 0x4c, 0, 4, 0, 0, 0, 26]);
  });
});
