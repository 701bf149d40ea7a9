import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dcmdump, dcmdumpElements } from './dcmtk.js';
import { EncodeError, UnsupportedTransferSyntaxError } from './errors.js';
import {
  type Dataset,
  datasetChunks,
  element as el,
  encodeDataset,
  encodedDatasetLength,
  encodeFileMetaInformation,
  encodePart10,
  formatTag,
  type StreamedValue,
  writePart10File,
} from './part10.js';
import { Tag } from './tags.js';
import { TransferSyntaxUid } from './transfer-syntaxes.js';
import { IMPLEMENTATION_CLASS_UID } from './uids.js';

const ELE = TransferSyntaxUid.ExplicitVRLittleEndian;
const ILE = TransferSyntaxUid.ImplicitVRLittleEndian;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'netdicom-part10-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

describe('encodeDataset: element encoding (PS3.5 7.1)', () => {
  it('writes explicit VR short and long headers', () => {
    const bytes = encodeDataset(
      [el(Tag.PatientName, 'PN', 'Doe^Jane'), el(0x00091001, 'OB', Uint8Array.of(1, 2))],
      ELE,
    );
    // (0009,1001) OB: tag, 'OB', 2 reserved bytes, 4-byte length; (0010,0010) PN: tag, 'PN', 2-byte length.
    expect(hex(bytes)).toBe(
      `09000110${hex(Buffer.from('OB'))}000002000000` +
        `0102` +
        `10001000${hex(Buffer.from('PN'))}0800${hex(Buffer.from('Doe^Jane'))}`,
    );
  });

  it('writes implicit VR headers with a 4-byte length', () => {
    const bytes = encodeDataset([el(Tag.Rows, 'US', 512)], ILE);
    expect(hex(bytes)).toBe('28001000020000000002');
  });

  it('pads odd-length values: UI with NUL, text with a space, OB with NUL', () => {
    const bytes = Buffer.from(
      encodeDataset(
        [el(Tag.SOPInstanceUID, 'UI', '1.2.3'), el(Tag.PatientID, 'LO', 'ABC'), el(0x00091001, 'OB', Uint8Array.of(9))],
        ILE,
      ),
    );
    expect(hex(bytes)).toBe(
      `0800180006000000${hex(Buffer.from('1.2.3\0'))}` +
        `090001100200000009 00`.replace(' ', '') +
        `1000200004000000${hex(Buffer.from('ABC '))}`,
    );
  });

  it('sorts elements by tag, nested items included', () => {
    const bytes = encodeDataset(
      [
        el(Tag.PatientID, 'LO', 'B'),
        el(Tag.Modality, 'CS', 'CT'),
        el(Tag.ReferencedSeriesSequence, 'SQ', [
          [el(Tag.SeriesInstanceUID, 'UI', '1.2'), el(Tag.ReferencedSOPClassUID, 'UI', '1.3')],
        ]),
      ],
      ELE,
    );
    const text = bytes.toString();
    expect(text.indexOf('CT')).toBeLessThan(text.indexOf('1.3'));
    expect(text.indexOf('1.3')).toBeLessThan(text.indexOf('1.2'));
    expect(text.indexOf('1.2')).toBeLessThan(text.indexOf('B '));
  });

  it('writes sequences with defined and undefined lengths (PS3.5 7.5)', () => {
    const item = [el(Tag.CodeValue, 'SH', 'AB')];
    const defined = encodeDataset([el(Tag.ConceptNameCodeSequence, 'SQ', [item])], ELE);
    // SQ header (12) + item header (8) + element (8 + 2).
    expect(defined.byteLength).toBe(12 + 8 + 10);
    expect(Buffer.from(defined).readUInt32LE(8)).toBe(18);
    expect(Buffer.from(defined).readUInt32LE(16)).toBe(10);
    const undefinedLength = Buffer.from(encodeDataset([el(Tag.ConceptNameCodeSequence, 'SQ', [item], true)], ELE));
    expect(undefinedLength.readUInt32LE(8)).toBe(0xffffffff);
    expect(undefinedLength.readUInt32LE(16)).toBe(0xffffffff);
    // item delimitation, then sequence delimitation, each with a zero length.
    expect(hex(undefinedLength.subarray(-16))).toBe('feff0de000000000feffdde000000000');
    const mixed = Buffer.from(
      encodeDataset([el(Tag.ConceptNameCodeSequence, 'SQ', [{ elements: item, undefinedLength: false }], true)], ELE),
    );
    expect(mixed.readUInt32LE(16)).toBe(10);
    expect(hex(mixed.subarray(-8))).toBe('feffdde000000000');
  });

  it('encodes numbers, multi-values, AT, 64-bit and empty values', () => {
    const bytes = Buffer.from(
      encodeDataset(
        [
          el(0x00091001, 'SS', [-2, 3]),
          el(0x00091002, 'FL', 1.5),
          el(0x00091003, 'AT', Tag.PixelData),
          el(0x00091004, 'SV', [-(2n ** 40n)]),
          el(0x00091005, 'DS', [0.5, '-1e3', 12345678.123456789]),
          el(0x00091006, 'IS', [-42, '7']),
          el(0x00091007, 'LO', null),
          el(0x00091008, 'SQ', []),
        ],
        ILE,
      ),
    );
    let at = 0;
    const next = () => {
      const length = bytes.readUInt32LE(at + 4);
      const value = bytes.subarray(at + 8, at + 8 + length);
      at += 8 + length;
      return value;
    };
    expect(next().readInt16LE(2)).toBe(3);
    expect(next().readFloatLE(0)).toBe(1.5);
    expect(hex(next())).toBe('e07f1000');
    expect(next().readBigInt64LE(0)).toBe(-(2n ** 40n));
    const ds = next().toString();
    expect(ds.startsWith('0.5\\-1e3\\')).toBe(true);
    expect(ds.split('\\').every((v) => v.trim().length <= 16)).toBe(true);
    expect(next().toString()).toBe('-42\\7 ');
    expect(next().length).toBe(0);
    expect(next().length).toBe(0);
    expect(at).toBe(bytes.length);
  });

  it('encodes text in the dataset character set (PS3.5 6.1)', () => {
    const latin1 = Buffer.from(
      encodeDataset([el(Tag.SpecificCharacterSet, 'CS', 'ISO_IR 100'), el(Tag.PatientName, 'PN', 'Müller')], ILE),
    );
    expect(latin1.includes(Buffer.from('M\xfcller', 'latin1'))).toBe(true);
    const utf8 = Buffer.from(
      encodeDataset([el(Tag.SpecificCharacterSet, 'CS', 'ISO_IR 192'), el(Tag.PatientName, 'PN', '山田^太郎')], ILE),
    );
    expect(utf8.includes(Buffer.from('山田^太郎', 'utf8'))).toBe(true);
  });

  it('refuses what it cannot encode, with EncodeError and the tag', () => {
    const cases: Dataset[] = [
      [el(Tag.PatientName, 'PN', 'Müller')],
      [el(Tag.SpecificCharacterSet, 'CS', 'ISO_IR 100'), el(Tag.PatientName, 'PN', '山田')],
      [el(Tag.SpecificCharacterSet, 'CS', 'ISO 2022 IR 6\\ISO 2022 IR 87')],
      [el(Tag.Modality, 'CS', 'A-VERY-LONG-CODE-STRING')],
      [el(Tag.Rows, 'US', 'not a number')],
      [el(Tag.Rows, 'US', 70_000)],
      [el(Tag.PixelData, 'OW', Uint8Array.of(1, 2, 3))],
      [el(Tag.PatientID, 'LO', 'one'), el(Tag.PatientID, 'LO', 'dup')],
      [el(Tag.PatientComments, 'LT', ['one', 'two'])],
      [el(0x00091001, 'UL', 1, true)],
      [el(0x00091001, 'LO', Uint8Array.of(1))],
      [el(0x00020010, 'UI', ELE)],
      [el(0xfffee000, 'UN', null)],
      [el(0x00091008, 'SQ', [[el(0x00091002, 'OB', { byteLength: 2, chunks: () => [Uint8Array.of(1, 2)] })]])],
      [el(0x00091001, 'XX' as 'OB', null)],
      [el(Tag.InstanceNumber, 'IS', 1.5)],
    ];
    for (const dataset of cases) {
      let error: unknown;
      try {
        encodeDataset(dataset, ELE);
      } catch (e) {
        error = e;
      }
      expect(
        error,
        JSON.stringify(dataset, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
      ).toBeInstanceOf(EncodeError);
      expect((error as EncodeError).code).toBe('ERR_NETDICOM_PEERS_ENCODE');
    }
    // A 2-byte length cannot hold more than 65535 bytes in explicit VR; implicit VR can.
    const long = [
      el(
        Tag.PatientID,
        'SH',
        Array.from({ length: 5000 }, () => 'ABCDEFGHIJKLM'),
      ),
    ];
    expect(() => encodeDataset(long, ELE)).toThrow(EncodeError);
    expect(encodeDataset(long, ILE).byteLength).toBeGreaterThan(65_535);
  });

  it('writes only Implicit and Explicit VR Little Endian', () => {
    expect(() => encodeDataset([], TransferSyntaxUid.ExplicitVRBigEndian)).toThrow(UnsupportedTransferSyntaxError);
    expect(() => encodeDataset([], '1.2.3')).toThrow(/Implicit and Explicit VR Little Endian/);
  });

  it('formats tags as DCMTK does', () => {
    expect(formatTag(Tag.PixelData)).toBe('(7fe0,0010)');
    expect(formatTag(0x00091001)).toBe('(0009,1001)');
  });
});

describe('File Meta Information (PS3.10 7.1)', () => {
  it('starts with its group length and version, and names the implementation', () => {
    const meta = Buffer.from(
      encodeFileMetaInformation({
        mediaStorageSopClassUid: '1.2.840.10008.5.1.4.1.1.7',
        mediaStorageSopInstanceUid: '2.25.1',
        transferSyntaxUid: ILE,
      }),
    );
    expect(hex(meta.subarray(0, 8))).toBe(`02000000${hex(Buffer.from('UL'))}0400`);
    expect(meta.readUInt32LE(8)).toBe(meta.length - 12);
    expect(hex(meta.subarray(12, 26))).toBe(`02000100${hex(Buffer.from('OB'))}0000020000000001`);
    expect(meta.includes(Buffer.from(IMPLEMENTATION_CLASS_UID))).toBe(true);
  });

  it('makes files that dcmdump reads without a warning, in both transfer syntaxes', async () => {
    const dataset: Dataset = [
      el(Tag.SpecificCharacterSet, 'CS', 'ISO_IR 192'),
      el(Tag.SOPClassUID, 'UI', '1.2.840.10008.5.1.4.1.1.7'),
      el(Tag.SOPInstanceUID, 'UI', '2.25.42'),
      el(Tag.PatientName, 'PN', 'Ñoño^José'),
      el(Tag.PatientID, 'LO', 'ODD'),
      el(Tag.ReferencedSeriesSequence, 'SQ', [[el(Tag.SeriesInstanceUID, 'UI', '2.25.7')], []], true),
      el(0x00090010, 'LO', 'NETDICOM TEST'),
      el(0x00091001, 'FD', [1.25, -2]),
      el(Tag.PatientComments, 'LT', 'one\r\ntwo'),
    ];
    for (const ts of [ELE, ILE]) {
      const path = join(work, `meta-${ts}.dcm`);
      const { size } = await writePart10File(path, {
        sopClassUid: '1.2.840.10008.5.1.4.1.1.7',
        sopInstanceUid: '2.25.42',
        transferSyntaxUid: ts,
        dataset,
        meta: { sourceApplicationEntityTitle: 'PEERS' },
      });
      expect((await stat(path)).size).toBe(size);
      expect(
        Buffer.from(
          encodePart10({
            sopClassUid: '1.2.840.10008.5.1.4.1.1.7',
            sopInstanceUid: '2.25.42',
            transferSyntaxUid: ts,
            dataset,
            meta: { sourceApplicationEntityTitle: 'PEERS' },
          }),
        ).equals(await readFile(path)),
      ).toBe(true);
      await dcmdump(path, [], { strict: true });
      const elements = await dcmdumpElements(path);
      expect(elements['0002,0010']).toBe(ts);
      expect(elements['0002,0016']).toBe('PEERS');
      expect(elements['0010,0010']).toBe('Ñoño^José');
      expect(elements['0010,0020']).toBe('ODD');
      expect(elements['0008,1115[0].0020,000E']).toBe('2.25.7');
      expect(elements['0010,4000']).toBe('one\r\ntwo');
      if (ts === ELE) expect(elements['0009,1001']).toBe('1.25\\-2');
    }
  });
});

describe('datasetChunks: streamed values', () => {
  const streamed = (byteLength: number, chunks: Uint8Array[]): StreamedValue => ({ byteLength, chunks: () => chunks });

  it('streams a value chunk by chunk and matches encodedDatasetLength', async () => {
    const dataset: Dataset = [
      el(Tag.Rows, 'US', 2),
      el(Tag.PixelData, 'OB', streamed(6, [Uint8Array.of(1, 2), Uint8Array.of(3, 4, 5, 6)])),
      el(Tag.DataSetTrailingPadding, 'OB', Uint8Array.of(0, 0)),
    ];
    const chunks: Uint8Array[] = [];
    for await (const chunk of datasetChunks(dataset, ELE)) chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    expect(bytes.length).toBe(encodedDatasetLength(dataset, ELE));
    expect(hex(bytes)).toBe(
      `280010005553020002 00`.replace(' ', '') +
        `e07f1000${hex(Buffer.from('OB'))}000006000000010203040506` +
        `fcfffcff${hex(Buffer.from('OB'))}0000020000000000`,
    );
    // The streamed chunks are passed through, not copied into one buffer.
    expect(chunks.some((c) => c.byteLength === 4 && c[0] === 3)).toBe(true);
  });

  it('fails when a streamed value yields too few or too many bytes, or has an odd length', async () => {
    await expect(
      collect(datasetChunks([el(Tag.PixelData, 'OB', streamed(4, [Uint8Array.of(1, 2)]))], ELE)),
    ).rejects.toThrow(/2 of its 4 bytes/);
    await expect(
      collect(datasetChunks([el(Tag.PixelData, 'OB', streamed(2, [Uint8Array.of(1, 2, 3, 4)]))], ELE)),
    ).rejects.toThrow(/more than its 2 bytes/);
    await expect(collect(datasetChunks([el(Tag.PixelData, 'OB', streamed(3, []))], ELE))).rejects.toBeInstanceOf(
      EncodeError,
    );
    await expect(
      collect(datasetChunks([el(Tag.PatientName, 'PN', streamed(2, []) as never)], ELE)),
    ).rejects.toBeInstanceOf(EncodeError);
  });

  it('leaves no file behind when writing fails', async () => {
    const path = join(work, 'failed.dcm');
    await expect(
      writePart10File(path, {
        sopClassUid: '1.2.3',
        sopInstanceUid: '1.2.4',
        transferSyntaxUid: ELE,
        dataset: [el(Tag.PixelData, 'OB', streamed(4, [Uint8Array.of(1, 2)]))],
      }),
    ).rejects.toBeInstanceOf(EncodeError);
    await expect(stat(path)).rejects.toThrow();
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(work)).filter((name) => name.includes('failed'))).toEqual([]);
  });
});
