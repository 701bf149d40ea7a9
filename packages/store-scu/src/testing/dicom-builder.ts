/**
 * Builders of small DICOM datasets and Part 10 files for tests (PS3.5 section 7, PS3.10 section 7.1), in any native
 * encoding, with nested sequences of defined or undefined length.
 */

import { deflateRawSync } from 'node:zlib';
import { describeTransferSyntax, TransferSyntax } from '../transfer-syntax.js';
import { type Encoding, encodeElementHeader, swapBytes, swapUnit, UNDEFINED_LENGTH } from '../vr.js';
import { encodingOf } from '../part10.js';

/** One element to build. `items` makes it a sequence (VR SQ). */
export interface BuildElement {
  readonly tag: number;
  readonly vr: string;
  /** A string (padded to even length), numbers (encoded by VR), or raw little-endian bytes. */
  readonly value?: string | readonly number[] | Uint8Array;
  readonly items?: readonly (readonly BuildElement[])[];
  /** Encode the sequence and its items with undefined length. */
  readonly undefinedLength?: boolean;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

function valueBytes(element: BuildElement): Uint8Array {
  const { value, vr } = element;
  if (value === undefined) return new Uint8Array(0);
  if (value instanceof Uint8Array) {
    return value.length % 2 ? concat([value, new Uint8Array(1)]) : value;
  }
  if (typeof value === 'string') {
    const pad = vr === 'UI' || vr === 'OB' ? '\0' : ' ';
    return Buffer.from(value.length % 2 ? value + pad : value, 'latin1');
  }
  const size = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8, AT: 4, OW: 2, OF: 4 }[vr] ?? 2;
  const out = Buffer.alloc(value.length * size);
  value.forEach((n, i) => {
    if (vr === 'SS') out.writeInt16LE(n, i * 2);
    else if (vr === 'SL') out.writeInt32LE(n, i * 4);
    else if (vr === 'FL' || vr === 'OF') out.writeFloatLE(n, i * 4);
    else if (vr === 'FD') out.writeDoubleLE(n, i * 8);
    else if (vr === 'UL') out.writeUInt32LE(n, i * 4);
    else if (vr === 'AT') {
      out.writeUInt16LE(n >>> 16, i * 4);
      out.writeUInt16LE(n & 0xffff, i * 4 + 2);
    } else out.writeUInt16LE(n, i * 2);
  });
  return out;
}

/** Encodes elements (sorted by the caller) as a dataset in `enc`. Big endian values are swapped by VR. */
export function encodeDataset(elements: readonly BuildElement[], enc: Encoding): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const element of elements) {
    if (element.items) {
      const items = element.items.map((item) => {
        const body = encodeDataset(item, enc);
        return element.undefinedLength
          ? concat([
              encodeElementHeader(0xfffee000, undefined, UNDEFINED_LENGTH, enc),
              body,
              encodeElementHeader(0xfffee00d, undefined, 0, enc),
            ])
          : concat([encodeElementHeader(0xfffee000, undefined, body.length, enc), body]);
      });
      const body = concat(items);
      if (element.undefinedLength) {
        parts.push(encodeElementHeader(element.tag, 'SQ', UNDEFINED_LENGTH, enc), body);
        parts.push(encodeElementHeader(0xfffee0dd, undefined, 0, enc));
      } else {
        parts.push(encodeElementHeader(element.tag, 'SQ', body.length, enc), body);
      }
      continue;
    }
    let bytes = valueBytes(element);
    if (enc.bigEndian) bytes = swapBytes(bytes, swapUnit(element.vr));
    parts.push(encodeElementHeader(element.tag, element.vr, bytes.length, enc), bytes);
  }
  return concat(parts);
}

/** Options of {@link buildPart10}. */
export interface Part10Options {
  readonly sopClassUid?: string;
  readonly sopInstanceUid?: string;
  readonly transferSyntaxUid?: string;
  /** Extra dataset elements (merged with SOP Class/Instance UID and sorted by tag). */
  readonly elements?: readonly BuildElement[];
  /** Write the 128-byte preamble and DICM (default true). */
  readonly preamble?: boolean;
  /** Omit the file meta group (a bare dataset). */
  readonly noMeta?: boolean;
  /** Write the preamble and file meta only, no dataset (to prepend to dataset bytes made elsewhere). */
  readonly noMetaDataset?: boolean;
}

/** CT Image Storage, PS3.4 Annex B.5. */
export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
/** Secondary Capture Image Storage, PS3.4 Annex B.5. */
export const SECONDARY_CAPTURE_STORAGE = '1.2.840.10008.5.1.4.1.1.7';

/** Builds the dataset elements of a small test instance. */
export function instanceElements(options: Part10Options): BuildElement[] {
  const elements: BuildElement[] = [...(options.elements ?? [])];
  if (options.sopClassUid !== undefined) elements.push({ tag: 0x00080016, vr: 'UI', value: options.sopClassUid });
  if (options.sopInstanceUid !== undefined) {
    elements.push({ tag: 0x00080018, vr: 'UI', value: options.sopInstanceUid });
  }
  return elements.sort((a, b) => a.tag - b.tag);
}

/** Builds a Part 10 file (PS3.10 7.1) or a bare dataset, in any native transfer syntax (deflated included). */
export function buildPart10(options: Part10Options): Uint8Array {
  const ts = options.transferSyntaxUid ?? TransferSyntax.ExplicitVRLittleEndian;
  const info = describeTransferSyntax(ts);
  let dataset = options.noMetaDataset ? new Uint8Array(0) : encodeDataset(instanceElements(options), encodingOf(info));
  if (info.deflated && !options.noMetaDataset) dataset = deflateRawSync(dataset);
  if (options.noMeta) return dataset;
  const metaElements: BuildElement[] = [
    { tag: 0x00020001, vr: 'OB', value: new Uint8Array([0, 1]) },
    ...(options.sopClassUid !== undefined ? [{ tag: 0x00020002, vr: 'UI', value: options.sopClassUid }] : []),
    ...(options.sopInstanceUid !== undefined ? [{ tag: 0x00020003, vr: 'UI', value: options.sopInstanceUid }] : []),
    { tag: 0x00020010, vr: 'UI', value: ts },
    { tag: 0x00020012, vr: 'UI', value: '1.2.826.0.1.3680043.10.1' },
  ];
  const metaBody = encodeDataset(metaElements, { explicitVr: true, bigEndian: false });
  const groupLength = encodeDataset([{ tag: 0x00020000, vr: 'UL', value: [metaBody.length] }], {
    explicitVr: true,
    bigEndian: false,
  });
  const prefix =
    options.preamble === false ? new Uint8Array(0) : concat([new Uint8Array(128), Buffer.from('DICM', 'latin1')]);
  return concat([prefix, groupLength, metaBody, dataset]);
}
