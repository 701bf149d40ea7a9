import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDatasetHeader, readPart10Header } from './header-reader.js';
import { convertFile, dcmdumpValues, dumpToFile } from './testing/dcmtk.js';

// A CT-like object with a nested sequence (defined and undefined lengths depend on the writer) before the routing
// attributes, a Latin-1 patient name, and pixel data after them.
const DUMP = `
(0008,0005) CS [ISO_IR 100]
(0008,0016) UI =CTImageStorage
(0008,0018) UI [1.2.826.0.1.3680043.10.543.1.1]
(0008,0020) DA [20240102]
(0008,0050) SH [ACC123]
(0008,0060) CS [CT]
(0008,1140) SQ (Sequence with undefined length)
  (fffe,e000) na (Item with undefined length)
    (0008,1150) UI =CTImageStorage
    (0008,1155) UI [1.2.3.4.5]
  (fffe,e00d) na (ItemDelimitationItem)
(fffe,e0dd) na (SequenceDelimitationItem)
(0010,0010) PN [M\u00fcller^J\u00fcrgen]
(0010,0020) LO [PID-42]
(0020,000d) UI [1.2.826.0.1.3680043.10.543.2]
(0020,000e) UI [1.2.826.0.1.3680043.10.543.3]
(0020,0011) IS [5]
(0020,0013) IS [12]
(0028,0002) US 1
(0028,0004) CS [MONOCHROME2]
(0028,0010) US 2
(0028,0011) US 2
(0028,0100) US 16
(0028,0101) US 16
(0028,0102) US 15
(0028,0103) US 0
(7fe0,0010) OW 0001\\0002\\0003\\0004
`;

const TAGS = {
  sopClassUid: '0008,0016',
  sopInstanceUid: '0008,0018',
  studyDate: '0008,0020',
  accessionNumber: '0008,0050',
  modality: '0008,0060',
  patientName: '0010,0010',
  patientId: '0010,0020',
  studyInstanceUid: '0020,000d',
  seriesInstanceUid: '0020,000e',
  seriesNumber: '0020,0011',
  instanceNumber: '0020,0013',
} as const;

let dir: string;
let source: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dimse-header-'));
  source = await dumpToFile(dir, 'source', DUMP);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('header reader against files DCMTK wrote (dcmconv)', () => {
  const variants = [
    ['+ti', '1.2.840.10008.1.2'],
    ['+te', '1.2.840.10008.1.2.1'],
    ['+tb', '1.2.840.10008.1.2.2'],
    ['+td', '1.2.840.10008.1.2.1.99'],
  ] as const;
  for (const [flag, ts] of variants) {
    it(`dcmconv ${flag}: same values as dcmdump prints`, async () => {
      const file = await convertFile(source, flag, join(dir, `conv${flag.replace('+', '-')}.dcm`));
      const part10 = await readPart10Header(file);
      expect(part10.hasPreamble).toBe(true);
      expect(part10.transferSyntax).toBe(ts);
      const header = await readDatasetHeader(
        createReadStream(file, { start: part10.datasetOffset, highWaterMark: 97 }),
        {
          transferSyntax: ts,
        },
      );
      const dumped = await dcmdumpValues(file, Object.values(TAGS));
      expect(dumped.size).toBe(Object.keys(TAGS).length);
      for (const [key, tag] of Object.entries(TAGS)) {
        const ours = header[key as keyof typeof TAGS];
        const theirs = dumped.get(tag)!;
        expect(String(ours), `${key} ${tag}`).toBe(theirs);
      }
      expect(header.patientName).toBe('Müller^Jürgen');
      expect(part10.meta?.mediaStorageSopInstanceUid).toBe(header.sopInstanceUid);
    });
  }
});
