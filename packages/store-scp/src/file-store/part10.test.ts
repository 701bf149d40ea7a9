import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidStoreRequestError } from '../errors.js';
import { chunked, randomUid, TEST_IMPLEMENTATION_CLASS_UID } from '../testing/dataset-builder.js';
import { dumpValue, runDcmtk } from '../testing/dcmtk.js';
import { openFileStore } from './file-store.js';
import { encodePart10Header, PART10_PREFIX_LENGTH } from './part10.js';

const MR = '1.2.840.10008.5.1.4.1.1.4';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'netdicom-part10-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Makes a dataset-only file with DCMTK's dump2dcm (independent encoder) and returns its bytes. */
async function dcmtkDataset(sopInstanceUid: string, xfer: '+te' | '+ti'): Promise<Uint8Array> {
  const dump = [
    `(0008,0016) UI =MRImageStorage`,
    `(0008,0018) UI [${sopInstanceUid}]`,
    `(0008,0060) CS [MR]`,
    `(0010,0010) PN [Doe^Jane]`,
    `(0010,0020) LO [PID-42]`,
    `(0020,000d) UI [1.2.3.4.5]`,
    `(0020,000e) UI [1.2.3.4.5.6]`,
    `(0028,0010) US 4`,
    `(0028,0011) US 4`,
    `(7fe0,0010) OW 0001\\0203\\0405\\0607\\0809\\0a0b\\0c0d\\0e0f\\1011\\1213\\1415\\1617\\1819\\1a1b\\1c1d\\1e1f`,
  ].join('\n');
  const dumpFile = path.join(work, `${sopInstanceUid}${xfer}.txt`);
  const out = path.join(work, `${sopInstanceUid}${xfer}.raw`);
  await writeFile(dumpFile, `${dump}\n`);
  await runDcmtk('dump2dcm', ['-F', xfer, dumpFile, out]);
  return new Uint8Array(await readFile(out));
}

describe('encodePart10Header', () => {
  it('lays out preamble, DICM and a group length that counts exactly the meta elements after it', () => {
    const header = encodePart10Header({
      mediaStorageSopClassUid: MR,
      mediaStorageSopInstanceUid: '1.2.3',
      transferSyntaxUid: EXPLICIT_LE,
      implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID,
      implementationVersionName: 'NETDICOM_1',
      sourceApplicationEntityTitle: 'MODALITY',
    });
    expect(header.subarray(0, 128).every((b) => b === 0)).toBe(true);
    expect(new TextDecoder().decode(header.subarray(128, 132))).toBe('DICM');
    const view = new DataView(header.buffer, header.byteOffset);
    expect(view.getUint16(132, true)).toBe(2);
    expect(view.getUint16(134, true)).toBe(0);
    expect(new TextDecoder().decode(header.subarray(136, 138))).toBe('UL');
    expect(view.getUint16(138, true)).toBe(4);
    expect(view.getUint32(140, true)).toBe(header.length - PART10_PREFIX_LENGTH - 12);
    expect(header.length % 2).toBe(0);
    // (0002,0003) "1.2.3" is odd: padded with one NUL to 6 bytes.
    const text = Buffer.from(header).toString('latin1');
    expect(text).toContain('UI\x06\x001.2.3\x00');
    // (0002,0016) AE "MODALITY" even; version name "NETDICOM_1" even; an odd AE gets a trailing space:
    const odd = Buffer.from(
      encodePart10Header({
        mediaStorageSopClassUid: MR,
        mediaStorageSopInstanceUid: '1.2.3',
        transferSyntaxUid: EXPLICIT_LE,
        implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID,
        sourceApplicationEntityTitle: 'SCU',
      }),
    ).toString('latin1');
    expect(odd).toContain('\x02\x00\x16\x00AE\x04\x00SCU ');
  });

  it('omits (0002,0013) and (0002,0016) when absent or blank', () => {
    const text = Buffer.from(
      encodePart10Header({
        mediaStorageSopClassUid: MR,
        mediaStorageSopInstanceUid: '1.2.3',
        transferSyntaxUid: EXPLICIT_LE,
        implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID,
        sourceApplicationEntityTitle: '   ',
      }),
    ).toString('latin1');
    expect(text).not.toContain('\x02\x00\x13\x00SH');
    expect(text).not.toContain('\x02\x00\x16\x00AE');
  });

  it.each([
    ['sopInstanceUid', { mediaStorageSopInstanceUid: '1.2.x' }],
    ['sopInstanceUid', { mediaStorageSopInstanceUid: `1.${'2'.repeat(70)}` }],
    ['sopInstanceUid', { mediaStorageSopInstanceUid: '' }],
    ['sopClassUid', { mediaStorageSopClassUid: '../../etc' }],
    ['transferSyntaxUid', { transferSyntaxUid: '1.2\\3' }],
    ['callingAeTitle', { sourceApplicationEntityTitle: 'A\\B' }],
    ['callingAeTitle', { sourceApplicationEntityTitle: 'THIS_AE_IS_TOO_LONG' }],
    ['callingAeTitle', { sourceApplicationEntityTitle: 'NUL\x00' }],
    ['implementationVersionName', { implementationVersionName: 'é' }],
  ])('rejects an unencodable %s with a typed 0xC000 error', (field, override) => {
    let error: unknown;
    try {
      encodePart10Header({
        mediaStorageSopClassUid: MR,
        mediaStorageSopInstanceUid: '1.2.3',
        transferSyntaxUid: EXPLICIT_LE,
        implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID,
        ...override,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidStoreRequestError);
    expect((error as InvalidStoreRequestError).code).toBe('ERR_NETDICOM_STORE_INVALID_REQUEST');
    expect((error as InvalidStoreRequestError).status).toBe(0xc000);
    expect((error as InvalidStoreRequestError).field).toBe(field);
  });

  it('accepts UIDs with trailing NUL or space padding and writes them without it', () => {
    const text = Buffer.from(
      encodePart10Header({
        mediaStorageSopClassUid: `${MR}\x00`,
        mediaStorageSopInstanceUid: '1.2.33 ',
        transferSyntaxUid: EXPLICIT_LE,
        implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID,
      }),
    ).toString('latin1');
    expect(text).toContain('UI\x06\x001.2.33');
    expect(text).toContain(`UI\x1a\x00${MR}\x00`);
  });
});

describe('stored files read back by DCMTK', () => {
  it.each([
    ['Explicit VR Little Endian', '+te', EXPLICIT_LE],
    ['Implicit VR Little Endian', '+ti', IMPLICIT_LE],
  ] as const)(
    '%s: meta is right for dcmdump/dcmftest and the dataset bytes are exactly the input',
    async (_n, xfer, ts) => {
      const sopInstanceUid = randomUid();
      const dataset = await dcmtkDataset(sopInstanceUid, xfer);
      const storageDir = path.join(work, `store-${xfer}`);
      const store = await openFileStore({
        storageDir,
        layout: 'flat',
        implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID,
        implementationVersionName: 'NETDICOM_0_1',
      });
      const result = await store.write({
        sopClassUid: MR,
        sopInstanceUid,
        transferSyntaxUid: ts,
        callingAeTitle: 'STORESCU',
        attributes: { SOPClassUID: MR, SOPInstanceUID: sopInstanceUid },
        dataset: chunked(dataset, 7),
      });
      await store.close();
      expect(result.relativePath).toBe(`${sopInstanceUid}.dcm`);
      expect(result.bytes).toBe(dataset.length);

      const file = new Uint8Array(await readFile(result.path));
      expect(file.length).toBe(result.fileBytes);
      const groupLength = new DataView(file.buffer, file.byteOffset).getUint32(140, true);
      const datasetOffset = PART10_PREFIX_LENGTH + 12 + groupLength;
      expect(Buffer.compare(file.subarray(datasetOffset), dataset)).toBe(0);

      const ftest = await runDcmtk('dcmftest', [result.path]);
      expect(ftest.stdout).toMatch(/^yes:/m);

      const { stdout: dump } = await runDcmtk('dcmdump', ['-Un', '+L', '-E', result.path]);
      expect(dumpValue(dump, '0002,0000')).toBe(String(groupLength));
      expect(dumpValue(dump, '0002,0001')).toBe('00\\01');
      expect(dumpValue(dump, '0002,0002')).toBe(`[${MR}]`);
      expect(dumpValue(dump, '0002,0003')).toBe(`[${sopInstanceUid}]`);
      expect(dumpValue(dump, '0002,0010')).toBe(`[${ts}]`);
      expect(dumpValue(dump, '0002,0012')).toBe(`[${TEST_IMPLEMENTATION_CLASS_UID}]`);
      expect(dumpValue(dump, '0002,0013')).toBe('[NETDICOM_0_1]');
      expect(dumpValue(dump, '0002,0016')).toBe('[STORESCU]');
      expect(dumpValue(dump, '0010,0020')).toBe('[PID-42]');
      expect(dumpValue(dump, '7fe0,0010')).toMatch(/^0001\\0203\\0405\\/);

      // The dataset part dumps identically to the dump of the input read as a bare dataset.
      const { stdout: original } = await runDcmtk('dcmdump', [
        '-Un',
        '+L',
        '-f',
        xfer === '+te' ? '-te' : '-ti',
        path.join(work, `${sopInstanceUid}${xfer}.raw`),
      ]);
      const body = (d: string) =>
        d
          .split('\n')
          .filter((l) => /^\([0-9a-f]{4},[0-9a-f]{4}\)/.test(l) && !l.startsWith('(0002,'))
          .join('\n');
      expect(body(dump)).toBe(body(original));
      expect(body(dump).split('\n').length).toBe(10);
    },
  );
});
