/**
 * Reading of DICOM files without reading their pixel data: the Part 10 preamble and File Meta Information (PS3.10
 * section 7.1), detection of datasets stored without a preamble, and a top-level attribute reader that stops as soon
 * as it has what it was asked for (PS3.5 section 7).
 */

import type { ByteReader } from './byte-reader.js';
import { DatasetParseError } from './errors.js';
import { TransferSyntax } from './transfer-syntax.js';
import {
  EXPLICIT_BE,
  EXPLICIT_LE,
  type Encoding,
  IMPLICIT_LE,
  ITEM,
  ITEM_DELIMITATION,
  isKnownVr,
  readElementHeader,
  SEQUENCE_DELIMITATION,
  UNDEFINED_LENGTH,
  formatTag,
} from './vr.js';

/** Media Storage SOP Class of a DICOMDIR, PS3.4 Annex F / PS3.6 Annex A. */
export const MEDIA_STORAGE_DIRECTORY_SOP_CLASS = '1.2.840.10008.1.3.10';

/** What the first bytes of a file say about it. */
export type DicomSniff =
  | { readonly kind: 'part10' }
  | { readonly kind: 'meta-without-preamble' }
  | { readonly kind: 'dataset'; readonly transferSyntaxUid: string }
  | { readonly kind: 'not-dicom' };

const ASCII_UPPER = (c: number | undefined) => c !== undefined && c >= 0x41 && c <= 0x5a;

/**
 * Recognises DICOM by content (PS3.10 7.1): `DICM` at offset 128, or a File Meta group / plausible first dataset
 * element at offset 0 in Implicit or Explicit VR Little Endian (or Explicit VR Big Endian). `head` is the first bytes
 * of the file (at least 132 when the file is that long); `fileSize` bounds plausible lengths.
 */
export function sniffDicom(head: Uint8Array, fileSize: number): DicomSniff {
  if (head.length >= 132 && head[128] === 0x44 && head[129] === 0x49 && head[130] === 0x43 && head[131] === 0x4d) {
    return { kind: 'part10' };
  }
  if (head.length < 8) return { kind: 'not-dicom' };
  const view = new DataView(head.buffer, head.byteOffset, head.length);
  const groupLe = view.getUint16(0, true);
  const elementLe = view.getUint16(2, true);
  const explicitVr = ASCII_UPPER(head[4]) && ASCII_UPPER(head[5]) && isKnownVr(String.fromCharCode(head[4]!, head[5]!));
  if (groupLe === 0x0002 && explicitVr) return { kind: 'meta-without-preamble' };
  const plausibleGroup = (g: number, e: number) => (g === 0x0008 || g === 0x0002) && e <= 0x0100;
  if (plausibleGroup(groupLe, elementLe)) {
    if (explicitVr) return { kind: 'dataset', transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian };
    const length = view.getUint32(4, true);
    if (length > 0 && length <= Math.min(1024, fileSize - 8)) {
      return { kind: 'dataset', transferSyntaxUid: TransferSyntax.ImplicitVRLittleEndian };
    }
    return { kind: 'not-dicom' };
  }
  if (plausibleGroup(view.getUint16(0, false), view.getUint16(2, false)) && explicitVr) {
    return { kind: 'dataset', transferSyntaxUid: TransferSyntax.ExplicitVRBigEndian };
  }
  return { kind: 'not-dicom' };
}

/** The File Meta Information of a Part 10 file, PS3.10 Table 7.1-1. */
export interface FileMeta {
  readonly transferSyntaxUid: string;
  readonly mediaStorageSopClassUid?: string;
  readonly mediaStorageSopInstanceUid?: string;
  /** Byte offset of the dataset (after the meta group) in the file. */
  readonly datasetOffset: number;
}

/** Decodes a UI / CS / LO value: trailing NUL and spaces removed. */
export function decodeString(bytes: Uint8Array): string {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0 || bytes[end - 1] === 0x20)) end--;
  let start = 0;
  while (start < end && bytes[start] === 0x20) start++;
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

const MAX_META_ELEMENT = 64 * 1024;

/**
 * Reads the File Meta Information group (group 0002, always Explicit VR Little Endian, PS3.10 7.1) starting at the
 * reader's position (after the preamble and `DICM`, or at 0 for a meta group without preamble). Leaves the reader at
 * the first dataset byte.
 */
export async function readFileMeta(reader: ByteReader): Promise<Omit<FileMeta, 'datasetOffset'>> {
  let transferSyntaxUid: string | undefined;
  let sopClass: string | undefined;
  let sopInstance: string | undefined;
  for (;;) {
    const next = await reader.peek(2);
    if (next.length < 2 || next[0] !== 0x02 || next[1] !== 0x00) break;
    const header = await readElementHeader(reader, EXPLICIT_LE);
    if (header.length === UNDEFINED_LENGTH || header.length > MAX_META_ELEMENT) {
      throw new DatasetParseError('malformed', `File meta element ${formatTag(header.tag)} has an impossible length`);
    }
    const value = await reader.read(header.length);
    if (header.tag === 0x00020010) transferSyntaxUid = decodeString(value);
    else if (header.tag === 0x00020002) sopClass = decodeString(value);
    else if (header.tag === 0x00020003) sopInstance = decodeString(value);
  }
  if (!transferSyntaxUid) {
    throw new DatasetParseError('malformed', 'The file meta information has no Transfer Syntax UID (0002,0010)');
  }
  return {
    transferSyntaxUid,
    ...(sopClass ? { mediaStorageSopClassUid: sopClass } : {}),
    ...(sopInstance ? { mediaStorageSopInstanceUid: sopInstance } : {}),
  };
}

/** The encoding of a native or encapsulated transfer syntax's dataset (after inflating, if deflated). */
export function encodingOf(info: { explicitVr: boolean; bigEndian: boolean }): Encoding {
  if (!info.explicitVr) return IMPLICIT_LE;
  return info.bigEndian ? EXPLICIT_BE : EXPLICIT_LE;
}

const MAX_DEPTH = 64;

/**
 * Skips the value of an element whose header was just read: defined lengths by skipping, undefined lengths by
 * walking the items to the Sequence Delimitation Item (PS3.5 7.5), with a nesting limit against hostile data.
 */
export async function skipValue(
  reader: ByteReader,
  enc: Encoding,
  header: { tag: number; vr: string | undefined; length: number },
  depth = 0,
): Promise<void> {
  if (header.length !== UNDEFINED_LENGTH) {
    await reader.skip(header.length);
    return;
  }
  if (depth > MAX_DEPTH) throw new DatasetParseError('malformed', `Sequences nested deeper than ${MAX_DEPTH} levels`);
  // Undefined length: a sequence (or encapsulated pixel data, or UN holding Implicit VR LE, PS3.5 6.2.2).
  const inner = header.vr === 'UN' ? IMPLICIT_LE : enc;
  for (;;) {
    const item = await readElementHeader(reader, inner);
    if (item.tag === SEQUENCE_DELIMITATION) return;
    if (item.tag !== ITEM) {
      throw new DatasetParseError(
        'malformed',
        `Expected an item in ${formatTag(header.tag)}, found ${formatTag(item.tag)}`,
      );
    }
    if (item.length !== UNDEFINED_LENGTH) {
      await reader.skip(item.length);
      continue;
    }
    for (;;) {
      const element = await readElementHeader(reader, inner);
      if (element.tag === ITEM_DELIMITATION) break;
      await skipValue(reader, inner, element, depth + 1);
    }
  }
}

/**
 * Reads top-level attributes of a dataset until every tag in `wanted` was seen, a tag past the largest wanted one
 * appears, Pixel Data is reached, or the dataset ends. Values of wanted tags are returned as strings (UI/CS/LO/...);
 * everything else is skipped without being held. PS3.5 section 7.
 */
export async function readTopLevelStrings(
  reader: ByteReader,
  enc: Encoding,
  wanted: readonly number[],
): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  const last = Math.max(...wanted);
  while (found.size < wanted.length && !(await reader.atEnd())) {
    const peek = await reader.peek(4);
    if (peek.length < 4) throw new DatasetParseError('truncated', 'The dataset ends inside an element tag');
    const view = new DataView(peek.buffer, peek.byteOffset, 4);
    const tag = ((view.getUint16(0, !enc.bigEndian) << 16) | view.getUint16(2, !enc.bigEndian)) >>> 0;
    if (tag > last || tag >= 0x7fe00010) break;
    const header = await readElementHeader(reader, enc);
    if (wanted.includes(tag) && header.length !== UNDEFINED_LENGTH && header.length <= MAX_META_ELEMENT) {
      found.set(tag, decodeString(await reader.read(header.length)));
    } else {
      await skipValue(reader, enc, header);
    }
  }
  return found;
}
