/**
 * Reading PS3.10 files just far enough to compare them: where the File Meta Information (PS3.10 section 7.1, always
 * Explicit VR Little Endian) ends and the data set begins, and the data set bytes themselves.
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { Part10FormatError } from '../errors.js';

/** VRs whose Explicit VR header has a reserved field and a 32-bit length (PS3.5 section 7.1.2). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/**
 * Offset of the data set in a PS3.10 file: after the 128-byte preamble, `DICM` and every group 0002 element
 * (walked element by element, not trusting File Meta Information Group Length alone).
 */
export function datasetOffset(bytes: Uint8Array, path = '(buffer)'): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 132 || Buffer.from(bytes.subarray(128, 132)).toString('latin1') !== 'DICM') {
    throw new Part10FormatError(path, 'no DICM prefix after the preamble');
  }
  let offset = 132;
  while (offset + 8 <= bytes.length && view.getUint16(offset, true) === 0x0002) {
    const vr = Buffer.from(bytes.subarray(offset + 4, offset + 6)).toString('latin1');
    let length: number;
    let header: number;
    if (LONG_VRS.has(vr)) {
      if (offset + 12 > bytes.length) throw new Part10FormatError(path, 'File Meta Information cut short');
      length = view.getUint32(offset + 8, true);
      header = 12;
    } else {
      length = view.getUint16(offset + 6, true);
      header = 8;
    }
    if (length === 0xffffffff) throw new Part10FormatError(path, 'undefined length in the File Meta Information');
    offset += header + length;
  }
  if (offset > bytes.length) throw new Part10FormatError(path, 'File Meta Information longer than the file');
  return offset;
}

/** The data set bytes of a PS3.10 file: everything after the File Meta Information. */
export async function readDataset(path: string): Promise<Buffer> {
  const bytes = await readFile(path);
  return bytes.subarray(datasetOffset(bytes, path));
}

/**
 * Where two byte strings first differ, for a readable failure message; `undefined` when they are equal.
 */
export function firstDifference(expected: Uint8Array, actual: Uint8Array): string | undefined {
  const common = Math.min(expected.length, actual.length);
  for (let i = 0; i < common; i++) {
    if (expected[i] !== actual[i]) {
      return `first difference at data set offset ${i} (0x${i.toString(16)}): expected 0x${expected[i]!.toString(16)}, got 0x${actual[i]!.toString(16)}`;
    }
  }
  if (expected.length !== actual.length) return `lengths differ: expected ${expected.length}, got ${actual.length}`;
  return undefined;
}

const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1.99';

/**
 * The data set bytes a conformant sender puts on the wire for a file's data set sent in its own transfer syntax:
 * the same bytes, except that a deflated stream of odd length gets the single trailing NUL byte PS3.5 A.5 requires
 * (DCMTK's `dcmconv +td` writes files without it).
 */
export function passThroughBytes(dataset: Buffer, transferSyntaxUid: string): Buffer {
  if (transferSyntaxUid === DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN && dataset.length % 2 === 1) {
    return Buffer.concat([dataset, Buffer.alloc(1)]);
  }
  return dataset;
}
