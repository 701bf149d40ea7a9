import { Readable } from 'node:stream';
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MalformedDatasetError } from './errors.js';
import {
  createHeaderReader,
  decodeText,
  detectTransferSyntax,
  HeaderTag,
  parsePart10Header,
  readDatasetHeader,
} from './header-reader.js';
import {
  type BuiltElement,
  type BuiltEncoding,
  buildDataset,
  buildPart10,
  sampleElements,
  transferSyntaxOf,
} from './testing/dataset-builder.js';

const encodings: BuiltEncoding[] = ['implicit-le', 'explicit-le', 'explicit-be', 'deflated'];

const expected = {
  sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
  sopInstanceUid: '1.2.826.0.1.3680043.10.99.1',
  studyDate: '20240102',
  accessionNumber: 'ACC123',
  modality: 'CT',
  patientName: 'Doe^John',
  patientId: 'PID001',
  studyInstanceUid: '1.2.826.0.1.3680043.10.99.2',
  seriesInstanceUid: '1.2.826.0.1.3680043.10.99.3',
  seriesNumber: 3,
  instanceNumber: 17,
};

async function readInChunks(bytes: Uint8Array, transferSyntax: string, size: number) {
  const reader = createHeaderReader({ transferSyntax });
  for (let i = 0; i < bytes.length; i += size) {
    if (await reader.push(bytes.subarray(i, i + size))) break;
  }
  return reader.end();
}

function expectMalformed(error: unknown): MalformedDatasetError {
  expect(error).toBeInstanceOf(MalformedDatasetError);
  expect((error as MalformedDatasetError).code).toBe('ERR_NETDICOM_DIMSE_MALFORMED_DATASET');
  return error as MalformedDatasetError;
}

describe('header reader over every transfer syntax', () => {
  for (const encoding of encodings) {
    for (const sequence of ['defined', 'undefined'] as const) {
      it(`${encoding}, ${sequence}-length sequences: whole buffer and every split`, async () => {
        const ts = transferSyntaxOf(encoding);
        const bytes = buildDataset(sampleElements({ sequence }), encoding);
        const header = await readDatasetHeader(bytes, { transferSyntax: ts });
        expect(header).toMatchObject({ transferSyntax: ts, ...expected, stoppedAtTag: 0x00280010 });
        // The stop offset points at the (0028,0010) element header in the decoded data set.
        const plain = encoding === 'deflated' ? buildDataset(sampleElements({ sequence }), 'explicit-le') : bytes;
        const le = encoding !== 'explicit-be';
        const at = Buffer.from(plain).subarray(header.bytesRead, header.bytesRead + 4);
        expect(le ? at.readUInt16LE(0) : at.readUInt16BE(0)).toBe(0x0028);
        expect(header.elements.has(HeaderTag.PixelData)).toBe(false);
        for (const size of [1, 2, 3, 5, 7, 64]) {
          expect(await readInChunks(bytes, ts, size)).toMatchObject(expected);
        }
      });
    }
  }

  it('splits at any two positions (property)', async () => {
    const bytes = buildDataset(sampleElements({ sequence: 'undefined' }), 'explicit-le');
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: bytes.length }),
        fc.integer({ min: 0, max: bytes.length }),
        async (a, b) => {
          const [x, y] = a < b ? [a, b] : [b, a];
          const header = await readDatasetHeader([bytes.subarray(0, x), bytes.subarray(x, y), bytes.subarray(y)], {
            transferSyntax: transferSyntaxOf('explicit-le'),
          });
          expect(header).toMatchObject(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reads from a Readable and stops pulling once done', async () => {
    const bytes = buildDataset(sampleElements(), 'explicit-le');
    let pulled = 0;
    const chunks = Array.from({ length: Math.ceil(bytes.length / 16) }, (_, i) => bytes.subarray(i * 16, i * 16 + 16));
    const stream = new Readable({
      highWaterMark: 1,
      read() {
        pulled++;
        this.push(chunks.shift() ?? null);
      },
    });
    const header = await readDatasetHeader(stream, { transferSyntax: transferSyntaxOf('explicit-le') });
    expect(header.patientId).toBe('PID001');
    expect(pulled).toBeLessThan(Math.ceil(bytes.length / 16));
  });

  it('collects further tags and reads on to Pixel Data when asked', async () => {
    const bytes = buildDataset(sampleElements(), 'implicit-le');
    const header = await readDatasetHeader(bytes, {
      transferSyntax: transferSyntaxOf('implicit-le'),
      tags: [0x00280010],
      stopAfterWanted: false,
    });
    expect(header.stoppedAtTag).toBe(HeaderTag.PixelData);
    expect([...(header.elements.get(0x00280010) ?? [])]).toEqual([4, 0]);
  });

  it('ends cleanly on a data set without pixel data', async () => {
    const bytes = buildDataset(sampleElements().slice(0, 3), 'explicit-le');
    const header = await readDatasetHeader(bytes, { transferSyntax: transferSyntaxOf('explicit-le') });
    expect(header.stoppedAtTag).toBeUndefined();
    expect(header.bytesRead).toBe(bytes.length);
    expect(header.sopInstanceUid).toBe(expected.sopInstanceUid);
    expect(header.patientId).toBeUndefined();
  });

  it('reads past encapsulated pixel data and undefined-length UN (implicit inside)', async () => {
    const elements: BuiltElement[] = [
      { tag: 0x00080018, vr: 'UI', value: '1.2.3' },
      {
        tag: 0x00091010,
        vr: 'UN',
        undefinedLength: true,
        value: [[{ tag: 0x00100020, vr: 'LO', value: 'NOT-TOP-LEVEL' }]],
      },
      { tag: 0x00100020, vr: 'LO', value: 'TOP' },
      { tag: 0x7fe00010, vr: 'OB', value: new Uint8Array(0), fragments: [new Uint8Array(10), new Uint8Array(6)] },
      { tag: 0xfffafffa, vr: 'SQ', value: [] },
      { tag: 0xfffcfffc, vr: 'OB', value: new Uint8Array([1, 2]) },
    ];
    const bytes = buildDataset(elements, 'explicit-le');
    const header = await readDatasetHeader(bytes, {
      transferSyntax: '1.2.840.10008.1.2.4.50',
      tags: [0xfffcfffc],
      stopAtTag: 0xffffffff,
      stopAfterWanted: false,
    });
    expect(header.patientId).toBe('TOP');
    expect([...(header.elements.get(0xfffcfffc) ?? [])]).toEqual([1, 2]);
    expect(header.stoppedAtTag).toBeUndefined();
  });

  it('skips a large element without holding it', async () => {
    const big = new Uint8Array(8 * 1024 * 1024);
    const elements: BuiltElement[] = [
      { tag: 0x00080018, vr: 'UI', value: '1.2.3' },
      { tag: 0x00091010, vr: 'OB', value: big },
      { tag: 0x00100020, vr: 'LO', value: 'AFTER' },
    ];
    for (const encoding of ['explicit-le', 'deflated'] as const) {
      const bytes = buildDataset(elements, encoding);
      const header = await readInChunks(bytes, transferSyntaxOf(encoding), 65536);
      expect(header.patientId).toBe('AFTER');
    }
  });
});

describe('header reader refuses malformed data sets', () => {
  const ts = transferSyntaxOf('explicit-le');

  it('an unknown explicit VR', async () => {
    const bytes = Buffer.from(buildDataset([{ tag: 0x00080018, vr: 'UI', value: '1.2' }], 'explicit-le'));
    bytes.write('zz', 4, 'latin1');
    await readDatasetHeader(bytes, { transferSyntax: ts }).then(
      () => expect.unreachable(),
      (e) => expectMalformed(e),
    );
  });

  it('data ending inside an element or inside a sequence', async () => {
    const bytes = buildDataset(sampleElements({ sequence: 'undefined' }), 'explicit-le');
    for (const cut of [3, 9, 40, 200]) {
      await readDatasetHeader(bytes.subarray(0, cut), { transferSyntax: ts }).then(
        () => expect.unreachable(),
        (e) => expectMalformed(e),
      );
    }
  });

  it('an undefined-length sequence that never ends (no unbounded memory, error at end)', async () => {
    const reader = createHeaderReader({ transferSyntax: ts });
    const head = buildDataset(
      [{ tag: 0x00081140, vr: 'SQ', value: [[{ tag: 0x00081150, vr: 'UI', value: '1.2' }]], undefinedLength: true }],
      'explicit-le',
    );
    await reader.push(head.subarray(0, head.length - 8)); // drop the sequence delimiter
    const item = buildDataset([{ tag: 0x00081150, vr: 'UI', value: '1.2' }], 'explicit-le');
    const wrapped = Buffer.concat([Buffer.from([0xfe, 0xff, 0x00, 0xe0, item.length, 0, 0, 0]), item]);
    for (let i = 0; i < 10000; i++) expect(await reader.push(wrapped)).toBe(false);
    await reader.end().then(
      () => expect.unreachable(),
      (e) => expectMalformed(e),
    );
  });

  it('sequences nested past the depth limit', async () => {
    let element: BuiltElement = { tag: 0x00081150, vr: 'UI', value: '1.2' };
    for (let i = 0; i < 40; i++) element = { tag: 0x00081140, vr: 'SQ', value: [[element]], undefinedLength: true };
    const bytes = buildDataset([element], 'explicit-le');
    await readDatasetHeader(bytes, { transferSyntax: ts, maxDepth: 64 }).then(
      () => expect.unreachable(),
      (e) => expect(expectMalformed(e).message).toContain('nested deeper'),
    );
  });

  it('a wanted value larger than allowed', async () => {
    const bytes = buildDataset([{ tag: 0x00100020, vr: 'UT', value: 'x'.repeat(5000) }], 'explicit-le');
    await readDatasetHeader(bytes, { transferSyntax: ts, maxValueLength: 4096 }).then(
      () => expect.unreachable(),
      (e) => expectMalformed(e),
    );
  });

  it('garbage in a sequence and stray delimiters', async () => {
    const stray = Buffer.from([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]);
    await readDatasetHeader(stray, { transferSyntax: transferSyntaxOf('implicit-le') }).then(
      () => expect.unreachable(),
      (e) => expectMalformed(e),
    );
    const seq = Buffer.concat([
      Buffer.from(
        buildDataset([{ tag: 0x00081140, vr: 'SQ', value: [], undefinedLength: true }], 'implicit-le'),
      ).subarray(0, 8),
      Buffer.from([0x08, 0x00, 0x18, 0x00, 2, 0, 0, 0, 0x31, 0]),
    ]);
    await readDatasetHeader(seq, { transferSyntax: transferSyntaxOf('implicit-le') }).then(
      () => expect.unreachable(),
      (e) => expect(expectMalformed(e).message).toContain('expected an item'),
    );
  });

  it('a deflated stream that does not inflate', async () => {
    await readDatasetHeader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3]), {
      transferSyntax: transferSyntaxOf('deflated'),
    }).then(
      () => expect.unreachable(),
      (e) => expectMalformed(e),
    );
  });

  it('a deflate bomb ahead of the header is inflated in bounded memory', async () => {
    const zeros = new Uint8Array(64 * 1024 * 1024);
    const body = Buffer.concat([
      Buffer.from(buildDataset([{ tag: 0x00080018, vr: 'UI', value: '1.2.3' }], 'explicit-le')),
      Buffer.from([0x09, 0x00, 0x10, 0x10, 0x4f, 0x42, 0, 0]),
      Buffer.from(new Uint32Array([zeros.length]).buffer),
    ]);
    const compressed = Buffer.concat([
      deflateRawSync(
        Buffer.concat([
          body,
          zeros,
          Buffer.from(buildDataset([{ tag: 0x00100020, vr: 'LO', value: 'P1' }], 'explicit-le')),
        ]),
      ),
    ]);
    expect(compressed.length).toBeLessThan(1024 * 1024);
    const before = process.memoryUsage().rss;
    const header = await readDatasetHeader(compressed, {
      transferSyntax: transferSyntaxOf('deflated'),
      maxInflatedLength: 128 * 1024 * 1024,
    });
    expect(header.patientId).toBe('P1');
    // 64 MiB went through; nowhere near that stayed (generous bound, not a speed check).
    expect(process.memoryUsage().rss - before).toBeLessThan(32 * 1024 * 1024);
  });
});

describe('character sets (PS3.5 6.1)', () => {
  it('decodes patient names by Specific Character Set', async () => {
    const utf8 = sampleElements({
      charset: 'ISO_IR 192',
      patientName: Buffer.from('Müller^Zoë', 'utf8').toString('latin1'),
    });
    const header = await readDatasetHeader(buildDataset(utf8, 'explicit-le'), {
      transferSyntax: transferSyntaxOf('explicit-le'),
    });
    expect(header.specificCharacterSet).toBe('ISO_IR 192');
    expect(header.patientName).toBe('Müller^Zoë');
    const latin = sampleElements({ charset: 'ISO_IR 100', patientName: 'Müller^Zoë' });
    expect(
      (await readDatasetHeader(buildDataset(latin, 'implicit-le'), { transferSyntax: transferSyntaxOf('implicit-le') }))
        .patientName,
    ).toBe('Müller^Zoë');
  });

  it('handles ISO 2022 Japanese (PS3.5 H.3.1) and Cyrillic', () => {
    const jis = Buffer.from('Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B', 'latin1');
    expect(decodeText(jis, '\\ISO 2022 IR 87')).toBe('Yamada^Tarou=山田^太郎');
    expect(decodeText(Buffer.from([0xbb, 0xd5, 0xdb, 0xd5, 0xdd, 0xd0]), 'ISO_IR 144')).toBe('Лелена');
    expect(decodeText(Buffer.from([0xbb]), 'ISO_IR 144')).toBe('Л');
    expect(decodeText(Buffer.from('abc'), 'NOT A CHARSET')).toBe('abc');
  });
});

describe('Part 10 header (PS3.10 7.1)', () => {
  const dataset = buildDataset(sampleElements(), 'explicit-le');
  const file = buildPart10(dataset, {
    transferSyntax: transferSyntaxOf('explicit-le'),
    sopClassUid: expected.sopClassUid,
    sopInstanceUid: expected.sopInstanceUid,
  });

  it('reads preamble, meta and data set offset', () => {
    const header = parsePart10Header(file);
    expect(header).toMatchObject({
      hasPreamble: true,
      transferSyntax: '1.2.840.10008.1.2.1',
      datasetOffset: file.length - dataset.length,
      meta: {
        transferSyntaxUid: '1.2.840.10008.1.2.1',
        mediaStorageSopClassUid: expected.sopClassUid,
        mediaStorageSopInstanceUid: expected.sopInstanceUid,
        implementationVersionName: 'NETDICOM_TEST',
      },
    });
  });

  it('asks for more bytes until it can tell, at every prefix length', () => {
    const full = parsePart10Header(file)!;
    for (let n = 0; n < full.datasetOffset; n++) {
      const partial = parsePart10Header(file.subarray(0, n));
      if (partial !== undefined) expect(partial).toEqual(full);
    }
    expect(parsePart10Header(file.subarray(0, full.datasetOffset - 1))).toBeUndefined();
  });

  it('accepts DICM without preamble and a meta group without either', () => {
    const noPreamble = file.subarray(128);
    expect(parsePart10Header(noPreamble)).toMatchObject({
      hasPreamble: false,
      datasetOffset: noPreamble.length - dataset.length,
    });
    const bareMeta = file.subarray(132);
    expect(parsePart10Header(bareMeta)).toMatchObject({
      hasPreamble: false,
      datasetOffset: bareMeta.length - dataset.length,
    });
  });

  it('detects a bare data set and guesses its transfer syntax', () => {
    for (const encoding of ['implicit-le', 'explicit-le', 'explicit-be'] as const) {
      const bare = buildDataset(sampleElements(), encoding);
      expect(parsePart10Header(bare)).toEqual({
        hasPreamble: false,
        meta: undefined,
        datasetOffset: 0,
        transferSyntax: transferSyntaxOf(encoding),
      });
      expect(detectTransferSyntax(bare)).toBe(transferSyntaxOf(encoding));
    }
    expect(detectTransferSyntax(new Uint8Array(4))).toBeUndefined();
  });

  it('refuses a lying meta group length or an oversized meta', () => {
    const lying = Buffer.from(file);
    lying.writeUInt32LE(lying.readUInt32LE(140) + 2, 140);
    expect(() => parsePart10Header(lying)).toThrow(MalformedDatasetError);
    const short = Buffer.from(file);
    short.writeUInt32LE(short.readUInt32LE(140) - 3, 140);
    expect(() => parsePart10Header(short)).toThrow(MalformedDatasetError);
    expect(() => parsePart10Header(file, { maxMetaLength: 40 })).toThrow(MalformedDatasetError);
  });
});

describe('deflated transfer syntaxes (PS3.5 A.5)', () => {
  // Deflated Explicit VR Little Endian and both JPIP Referenced Deflate syntaxes deflate the whole data set.
  for (const transferSyntax of ['1.2.840.10008.1.2.1.99', '1.2.840.10008.1.2.4.95', '1.2.840.10008.1.2.4.205']) {
    it(`${transferSyntax}: the header is read through the inflater`, async () => {
      const bytes = buildDataset(sampleElements({ sequence: 'defined' }), 'deflated');
      const header = await readDatasetHeader(bytes, { transferSyntax });
      expect(header).toMatchObject({ transferSyntax, ...expected });
    });
  }
});

describe('deflate bombs: bounded inflation', () => {
  it('gives up past maxInflatedLength and reports what it found before (incomplete)', async () => {
    const bytes = buildDataset(
      [
        { tag: 0x00080016, vr: 'UI', value: expected.sopClassUid },
        // 8 MiB of zeros in a private OB value before the Patient ID: deflates to a few kilobytes.
        { tag: 0x00091010, vr: 'OB', value: new Uint8Array(8 * 1024 * 1024) },
        { tag: 0x00100020, vr: 'LO', value: expected.patientId },
      ],
      'deflated',
    );
    expect(bytes.length).toBeLessThan(64 * 1024);
    const bounded = await readDatasetHeader(bytes, {
      transferSyntax: '1.2.840.10008.1.2.1.99',
      maxInflatedLength: 1024 * 1024,
    });
    expect(bounded.incomplete).toBe(true);
    expect(bounded.sopClassUid).toBe(expected.sopClassUid);
    expect(bounded.patientId).toBeUndefined();
    // Within the default bound the same data set is read to the end.
    const whole = await readDatasetHeader(bytes, { transferSyntax: '1.2.840.10008.1.2.1.99' });
    expect(whole.incomplete).toBeUndefined();
    expect(whole.patientId).toBe(expected.patientId);
  });
});
