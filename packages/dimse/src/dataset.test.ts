import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { datasetFromBytes, datasetToBytes, isDcmjsDataset, readDataset, sopIdentifiersOf } from './dataset.js';
import { DatasetConversionError } from './errors.js';
import { readDatasetHeader } from './header-reader.js';
import { type BuiltEncoding, buildDataset, sampleElements, transferSyntaxOf } from './testing/dataset-builder.js';

const encodings: BuiltEncoding[] = ['implicit-le', 'explicit-le', 'explicit-be', 'deflated'];

describe('dcmjs data sets <-> bytes', () => {
  for (const from of encodings) {
    it(`parses ${from} and writes every transfer syntax back`, async () => {
      const bytes = buildDataset(sampleElements({ sequence: 'undefined' }), from);
      const natural = datasetFromBytes(bytes, transferSyntaxOf(from));
      expect(natural['PatientID']).toBe('PID001');
      expect(natural['SOPInstanceUID']).toBe('1.2.826.0.1.3680043.10.99.1');
      expect(Array.isArray(natural['ReferencedImageSequence'])).toBe(true);
      for (const to of encodings) {
        const written = datasetToBytes(natural, transferSyntaxOf(to));
        const header = await readDatasetHeader(written, { transferSyntax: transferSyntaxOf(to) });
        expect(header).toMatchObject({
          patientId: 'PID001',
          patientName: 'Doe^John',
          instanceNumber: 17,
          modality: 'CT',
        });
        const again = datasetFromBytes(written, transferSyntaxOf(to));
        expect(again['PatientName']).toEqual(natural['PatientName']);
        expect(again['SeriesInstanceUID']).toBe(natural['SeriesInstanceUID']);
      }
    });
  }

  it('accepts denaturalized data sets and DicomDicts, and finds their SOP identifiers', () => {
    const bytes = buildDataset(sampleElements(), 'explicit-le');
    const dict = datasetFromBytes(bytes, transferSyntaxOf('explicit-le'), { naturalize: false });
    expect(Object.keys(dict).every((k) => /^[0-9A-F]{8}$/i.test(k))).toBe(true);
    expect(sopIdentifiersOf(dict)).toEqual({
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      sopInstanceUid: '1.2.826.0.1.3680043.10.99.1',
    });
    expect(sopIdentifiersOf({ meta: {}, dict } as never).sopInstanceUid).toBe('1.2.826.0.1.3680043.10.99.1');
    const natural = datasetFromBytes(bytes, transferSyntaxOf('explicit-le'));
    expect(sopIdentifiersOf(natural).sopClassUid).toBe('1.2.840.10008.5.1.4.1.1.2');
    const fromDict = datasetToBytes(dict, transferSyntaxOf('implicit-le'));
    const fromNatural = datasetToBytes(natural, transferSyntaxOf('implicit-le'));
    expect(Buffer.from(fromDict).equals(Buffer.from(fromNatural))).toBe(true);
  });

  it('tells dcmjs data sets from the other data set inputs', () => {
    expect(isDcmjsDataset({ PatientID: 'x' })).toBe(true);
    expect(isDcmjsDataset(new Uint8Array(2))).toBe(false);
    expect(isDcmjsDataset({ path: '/x.dcm' })).toBe(false);
    expect(isDcmjsDataset(Readable.from([]))).toBe(false);
    expect(isDcmjsDataset(null)).toBe(false);
  });

  it('reads a stream into a parsed data set, bounded', async () => {
    const bytes = buildDataset(sampleElements(), 'implicit-le');
    const chunks = [bytes.subarray(0, 50), bytes.subarray(50)];
    const parsed = await readDataset(Readable.from(chunks), transferSyntaxOf('implicit-le'));
    expect(parsed['AccessionNumber']).toBe('ACC123');
    await expect(
      readDataset(Readable.from(chunks), transferSyntaxOf('implicit-le'), { maxLength: 10 }),
    ).rejects.toBeInstanceOf(DatasetConversionError);
  });

  it('turns garbage into DatasetConversionError', () => {
    expect(() =>
      datasetFromBytes(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), transferSyntaxOf('explicit-le')),
    ).toThrow(DatasetConversionError);
    expect(() => datasetFromBytes(new Uint8Array([0xff, 0xff, 0xff]), transferSyntaxOf('deflated'))).toThrow(
      DatasetConversionError,
    );
  });
});
