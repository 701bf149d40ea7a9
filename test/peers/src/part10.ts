/**
 * A small PS3.10 file writer for test data: preamble, `DICM`, File Meta Information (PS3.10 7.1) and a dataset in
 * Implicit or Explicit VR Little Endian (PS3.5 section 7, Annex A.1/A.2). Values of any size can be streamed (a
 * {@link StreamedValue} such as a 2 GB Pixel Data), so huge objects are written in constant memory.
 *
 * Not a general DICOM library: it writes what it is given, sorted by tag, and refuses what it cannot encode with an
 * `EncodeError`. Other transfer syntaxes are made from its output by DCMTK/GDCM (see `fixtures.ts`).
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { EncodeError, UnsupportedTransferSyntaxError } from './errors.js';
import { TransferSyntaxUid } from './transfer-syntaxes.js';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './uids.js';

/** Value Representations of PS3.5 Table 6.2-1. */
export type Vr =
  | 'AE'
  | 'AS'
  | 'AT'
  | 'CS'
  | 'DA'
  | 'DS'
  | 'DT'
  | 'FD'
  | 'FL'
  | 'IS'
  | 'LO'
  | 'LT'
  | 'OB'
  | 'OD'
  | 'OF'
  | 'OL'
  | 'OV'
  | 'OW'
  | 'PN'
  | 'SH'
  | 'SL'
  | 'SQ'
  | 'SS'
  | 'ST'
  | 'SV'
  | 'TM'
  | 'UC'
  | 'UI'
  | 'UL'
  | 'UN'
  | 'UR'
  | 'US'
  | 'UT'
  | 'UV';

/**
 * A value whose bytes are produced while writing, never held whole: `chunks()` must yield exactly `byteLength` bytes
 * (an even number, PS3.5 7.1.1). Each yielded chunk must not be modified afterwards.
 */
export interface StreamedValue {
  readonly byteLength: number;
  chunks(): Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
}

/** An item of a sequence (PS3.5 7.5): its elements, and optionally whether it is encoded with undefined length. */
export type Item =
  | readonly DataElement[]
  | { readonly elements: readonly DataElement[]; readonly undefinedLength: boolean };

/**
 * The value of a data element (PS3.5 6.2):
 * - text VRs (AE AS CS DA DS DT IS LO LT PN SH ST TM UC UI UR UT): a string, or an array for several values (joined
 *   with `\`); DS and IS also take numbers;
 * - US SS UL SL FL FD: a number or numbers; SV UV: bigints; AT: tags as numbers `0xGGGGEEEE`;
 * - OB OD OF OL OV OW UN: bytes (`Uint8Array`), or a {@link StreamedValue} at the top level of the dataset;
 * - SQ: an array of {@link Item}s;
 * - `null` or absent: an empty value (zero length).
 */
export type ElementValue =
  | string
  | number
  | bigint
  | readonly string[]
  | readonly number[]
  | readonly (string | number)[]
  | readonly bigint[]
  | Uint8Array
  | StreamedValue
  | readonly Item[]
  | null;

/** A data element to write. `tag` is `0xGGGGEEEE`. */
export interface DataElement {
  readonly tag: number;
  readonly vr: Vr;
  readonly value?: ElementValue;
  /** SQ only: encode with undefined length and a Sequence Delimitation Item (PS3.5 7.5.2). */
  readonly undefinedLength?: boolean;
}

/** A dataset: elements in any order (the writer sorts them by tag). */
export type Dataset = readonly DataElement[];

/** Shorthand for a {@link DataElement}. */
export function element(tag: number, vr: Vr, value?: ElementValue, undefinedLength?: boolean): DataElement {
  if (undefinedLength === undefined) return value === undefined ? { tag, vr } : { tag, vr, value };
  return value === undefined ? { tag, vr, undefinedLength } : { tag, vr, value, undefinedLength };
}

/** `(gggg,eeee)`, as DCMTK prints tags. */
export function formatTag(tag: number): string {
  const hex = (tag >>> 0).toString(16).padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}

const TEXT_VRS = new Set<Vr>([
  'AE',
  'AS',
  'CS',
  'DA',
  'DS',
  'DT',
  'IS',
  'LO',
  'LT',
  'PN',
  'SH',
  'ST',
  'TM',
  'UC',
  'UI',
  'UR',
  'UT',
]);
/** Text VRs whose values use the Specific Character Set (PS3.5 6.1.2.3); the others are default repertoire only. */
const CHARSET_VRS = new Set<Vr>(['LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UT']);
/** Text VRs that hold one value only: a backslash is part of the text (PS3.5 6.4). */
const SINGLE_VALUED = new Set<Vr>(['LT', 'ST', 'UT', 'UR']);
/** VRs with a 4-byte length after two reserved bytes in explicit VR (PS3.5 7.1.2). */
const LONG_VRS = new Set<Vr>(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const BINARY_VRS = new Set<Vr>(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
/** Maximum characters per value (PS3.5 Table 6.2-1); PN counts per component group and is checked as 64 x 3 + 2. */
const MAX_CHARS: Partial<Record<Vr, number>> = {
  AE: 16,
  AS: 4,
  CS: 16,
  DA: 8,
  DS: 16,
  DT: 26,
  IS: 12,
  LO: 64,
  LT: 10240,
  PN: 194,
  SH: 16,
  ST: 1024,
  TM: 14,
  UI: 64,
};
const BINARY_WORD: Partial<Record<Vr, number>> = { OD: 8, OF: 4, OL: 4, OV: 8, OW: 2 };
const NUMBER_WIDTH: Partial<Record<Vr, number>> = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8, AT: 4, SV: 8, UV: 8 };

const ITEM = 0xfffee000;
const ITEM_DELIMITATION = 0xfffee00d;
const SEQUENCE_DELIMITATION = 0xfffee0dd;
const UNDEFINED = 0xffffffff;

type TextCodec = (text: string, tag: number) => Buffer;

function asciiCodec(text: string, tag: number): Buffer {
  if (/[^\x00-\x7f]/.test(text)) {
    throw new EncodeError(
      `non-ASCII text needs a Specific Character Set (0008,0005) such as ISO_IR 100 or ISO_IR 192: ${JSON.stringify(text)}`,
      formatTag(tag),
    );
  }
  return Buffer.from(text, 'latin1');
}

function codecFor(specificCharacterSet: string | undefined): TextCodec {
  const terms = (specificCharacterSet ?? '').split('\\').map((term) => term.trim());
  const first = terms[0] ?? '';
  if (terms.length > 1) {
    throw new EncodeError(`code extensions (ISO 2022) are not supported: ${specificCharacterSet}`, '(0008,0005)');
  }
  if (first === '' || first === 'ISO_IR 6') return asciiCodec;
  if (first === 'ISO_IR 192') return (text) => Buffer.from(text, 'utf8');
  if (first === 'ISO_IR 100') {
    return (text, tag) => {
      if (/[^\x00-\xff]/.test(text)) {
        throw new EncodeError(`text outside ISO 8859-1 with ISO_IR 100: ${JSON.stringify(text)}`, formatTag(tag));
      }
      return Buffer.from(text, 'latin1');
    };
  }
  throw new EncodeError(
    `Specific Character Set ${specificCharacterSet} is not supported by this writer`,
    '(0008,0005)',
  );
}

function isStreamed(value: ElementValue | undefined): value is StreamedValue {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array) &&
    'chunks' in value
  );
}

function itemElements(item: Item): readonly DataElement[] {
  return Array.isArray(item) ? item : (item as { elements: readonly DataElement[] }).elements;
}

function itemUndefinedLength(item: Item, fallback: boolean): boolean {
  return Array.isArray(item) ? fallback : (item as { undefinedLength: boolean }).undefinedLength;
}

interface Encoding {
  readonly explicitVr: boolean;
}

function encodingOf(transferSyntaxUid: string): Encoding {
  if (transferSyntaxUid === TransferSyntaxUid.ImplicitVRLittleEndian) return { explicitVr: false };
  if (transferSyntaxUid === TransferSyntaxUid.ExplicitVRLittleEndian) return { explicitVr: true };
  throw new UnsupportedTransferSyntaxError(
    transferSyntaxUid,
    `the PS3.10 writer writes Implicit and Explicit VR Little Endian only, not ${transferSyntaxUid}; convert its output with DCMTK/GDCM (makeFixture)`,
  );
}

function sortedElements(elements: readonly DataElement[], where: string): DataElement[] {
  const sorted = [...elements].sort((a, b) => (a.tag >>> 0) - (b.tag >>> 0));
  for (let i = 0; i < sorted.length; i++) {
    const tag = sorted[i]!.tag;
    if (!Number.isInteger(tag) || tag < 0 || tag > 0xffffffff) throw new EncodeError(`invalid tag ${tag} in ${where}`);
    if (i > 0 && sorted[i - 1]!.tag >>> 0 === tag >>> 0)
      throw new EncodeError(`tag appears twice in ${where}`, formatTag(tag));
    if (tag >>> 16 === 0xfffe)
      throw new EncodeError('item and delimitation tags are written by the writer', formatTag(tag));
  }
  return sorted;
}

function header(tag: number, vr: Vr, length: number, encoding: Encoding): Buffer {
  const group = tag >>> 16;
  const elementNumber = tag & 0xffff;
  if (!encoding.explicitVr) {
    const b = Buffer.allocUnsafe(8);
    b.writeUInt16LE(group, 0);
    b.writeUInt16LE(elementNumber, 2);
    b.writeUInt32LE(length >>> 0, 4);
    return b;
  }
  if (LONG_VRS.has(vr)) {
    const b = Buffer.allocUnsafe(12);
    b.writeUInt16LE(group, 0);
    b.writeUInt16LE(elementNumber, 2);
    b.write(vr, 4, 'latin1');
    b.writeUInt16LE(0, 6);
    b.writeUInt32LE(length >>> 0, 8);
    return b;
  }
  if (length > 0xffff) {
    throw new EncodeError(`value of ${length} bytes is too long for ${vr} (2-byte length field)`, formatTag(tag));
  }
  const b = Buffer.allocUnsafe(8);
  b.writeUInt16LE(group, 0);
  b.writeUInt16LE(elementNumber, 2);
  b.write(vr, 4, 'latin1');
  b.writeUInt16LE(length, 6);
  return b;
}

function delimiter(tag: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(tag >>> 16, 0);
  b.writeUInt16LE(tag & 0xffff, 2);
  return b;
}

function textValue(el: DataElement, codec: TextCodec): Buffer {
  const { tag, vr, value } = el;
  let values: string[];
  if (value === null || value === undefined) values = [];
  else if (typeof value === 'string') values = SINGLE_VALUED.has(vr) ? [value] : value.split('\\');
  else if (typeof value === 'number' && (vr === 'DS' || vr === 'IS')) values = [formatNumber(vr, value, tag)];
  else if (
    Array.isArray(value) &&
    value.every((v) => typeof v === 'string' || (typeof v === 'number' && (vr === 'DS' || vr === 'IS')))
  ) {
    if (SINGLE_VALUED.has(vr) && value.length > 1) throw new EncodeError(`${vr} holds a single value`, formatTag(tag));
    values = value.map((v) => (typeof v === 'number' ? formatNumber(vr, v, tag) : v));
  } else {
    throw new EncodeError(
      `${vr} takes a string or strings${vr === 'DS' || vr === 'IS' ? ' or numbers' : ''}`,
      formatTag(tag),
    );
  }
  const max = MAX_CHARS[vr];
  for (const v of values) {
    if (!SINGLE_VALUED.has(vr) && v.includes('\\'))
      throw new EncodeError(`a ${vr} value cannot contain '\\'`, formatTag(tag));
    if (max !== undefined && v.length > max) {
      throw new EncodeError(`${vr} value longer than ${max} characters: ${JSON.stringify(v)}`, formatTag(tag));
    }
  }
  const joined = values.join('\\');
  const bytes = CHARSET_VRS.has(vr) ? codec(joined, tag) : asciiCodec(joined, tag);
  if (bytes.length % 2 === 0) return bytes;
  // PS3.5 6.2: UI is padded with a NUL byte, the other text VRs with a space.
  return Buffer.concat([bytes, Buffer.from([vr === 'UI' ? 0x00 : 0x20])]);
}

function formatNumber(vr: Vr, n: number, tag: number): string {
  if (!Number.isFinite(n)) throw new EncodeError(`${vr} cannot hold ${n}`, formatTag(tag));
  if (vr === 'IS') {
    if (!Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 31)
      throw new EncodeError(`IS out of range: ${n}`, formatTag(tag));
    return String(n);
  }
  let text = String(n);
  if (text.length > 16) text = n.toPrecision(10).replace(/\.?0+(e|$)/, '$1');
  if (text.length > 16) text = n.toExponential(8);
  return text;
}

function numberValue(el: DataElement): Buffer {
  const { tag, vr, value } = el;
  const width = NUMBER_WIDTH[vr]!;
  let list: readonly (number | bigint)[];
  if (value === null || value === undefined) list = [];
  else if (typeof value === 'number' || typeof value === 'bigint') list = [value];
  else if (Array.isArray(value) && value.every((v) => typeof v === 'number' || typeof v === 'bigint'))
    list = value as (number | bigint)[];
  else throw new EncodeError(`${vr} takes ${vr === 'SV' || vr === 'UV' ? 'bigints' : 'numbers'}`, formatTag(tag));
  const b = Buffer.alloc(list.length * width);
  list.forEach((v, i) => {
    const at = i * width;
    try {
      switch (vr) {
        case 'US':
          b.writeUInt16LE(v as number, at);
          break;
        case 'SS':
          b.writeInt16LE(v as number, at);
          break;
        case 'UL':
          b.writeUInt32LE(v as number, at);
          break;
        case 'SL':
          b.writeInt32LE(v as number, at);
          break;
        case 'FL':
          b.writeFloatLE(v as number, at);
          break;
        case 'FD':
          b.writeDoubleLE(v as number, at);
          break;
        case 'AT':
          b.writeUInt16LE((v as number) >>> 16, at);
          b.writeUInt16LE((v as number) & 0xffff, at + 2);
          break;
        case 'SV':
          b.writeBigInt64LE(BigInt(v), at);
          break;
        case 'UV':
          b.writeBigUInt64LE(BigInt(v), at);
          break;
        default:
          throw new EncodeError(`${vr} is not a numeric VR`, formatTag(tag));
      }
    } catch (error) {
      if (error instanceof EncodeError) throw error;
      throw new EncodeError(`${vr} cannot hold ${String(v)}`, formatTag(tag), { cause: error });
    }
  });
  return b;
}

function binaryValue(el: DataElement): Buffer {
  const { tag, vr, value } = el;
  if (value === null || value === undefined) return Buffer.alloc(0);
  if (!(value instanceof Uint8Array)) throw new EncodeError(`${vr} takes bytes (Uint8Array)`, formatTag(tag));
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const word = BINARY_WORD[vr];
  if (word !== undefined && bytes.length % word !== 0) {
    throw new EncodeError(`${vr} length ${bytes.length} is not a multiple of ${word}`, formatTag(tag));
  }
  // OB and UN: odd lengths get a trailing NUL (PS3.5 6.2).
  return bytes.length % 2 === 0 ? bytes : Buffer.concat([bytes, Buffer.alloc(1)]);
}

function encodeElements(
  elements: readonly DataElement[],
  encoding: Encoding,
  codec: TextCodec,
  where: string,
): Buffer[] {
  const parts: Buffer[] = [];
  const sorted = sortedElements(elements, where);
  // An item may carry its own Specific Character Set (PS3.5 7.5.1 note); it applies to that item only.
  const own = sorted.find((el) => el.tag === 0x00080005);
  const itemCodec = own === undefined ? codec : codecFor(charsetValue(own));
  for (const el of sorted) parts.push(...encodeElement(el, encoding, itemCodec));
  return parts;
}

function charsetValue(el: DataElement): string | undefined {
  if (typeof el.value === 'string') return el.value;
  if (Array.isArray(el.value)) return el.value.join('\\');
  return undefined;
}

function encodeElement(el: DataElement, encoding: Encoding, codec: TextCodec): Buffer[] {
  const { tag, vr, value } = el;
  if (isStreamed(value)) {
    throw new EncodeError(
      'a streamed value can only be written at the top level of a dataset (datasetChunks)',
      formatTag(tag),
    );
  }
  if (el.undefinedLength === true && vr !== 'SQ') {
    throw new EncodeError('only SQ elements are written with undefined length here', formatTag(tag));
  }
  if (vr === 'SQ') {
    if (value !== null && value !== undefined && !Array.isArray(value)) {
      throw new EncodeError('SQ takes an array of items', formatTag(tag));
    }
    const undefinedLength = el.undefinedLength === true;
    const body: Buffer[] = [];
    ((value ?? []) as readonly Item[]).forEach((item, index) => {
      if (!Array.isArray(item) && (typeof item !== 'object' || item === null || !('elements' in item))) {
        throw new EncodeError(`item ${index} is not an array of elements`, formatTag(tag));
      }
      const content = encodeElements(itemElements(item), encoding, codec, `item ${index} of ${formatTag(tag)}`);
      const contentLength = content.reduce((n, b) => n + b.length, 0);
      const undefinedItem = itemUndefinedLength(item, undefinedLength);
      const itemHeader = delimiter(ITEM);
      itemHeader.writeUInt32LE(undefinedItem ? UNDEFINED : contentLength, 4);
      body.push(itemHeader, ...content);
      if (undefinedItem) body.push(delimiter(ITEM_DELIMITATION));
    });
    if (undefinedLength) body.push(delimiter(SEQUENCE_DELIMITATION));
    const length = undefinedLength ? UNDEFINED : body.reduce((n, b) => n + b.length, 0);
    return [header(tag, vr, length, encoding), ...body];
  }
  let bytes: Buffer;
  if (TEXT_VRS.has(vr)) bytes = textValue(el, codec);
  else if (NUMBER_WIDTH[vr] !== undefined) bytes = numberValue(el);
  else if (BINARY_VRS.has(vr)) bytes = binaryValue(el);
  else throw new EncodeError(`unknown VR ${JSON.stringify(vr)}`, formatTag(tag));
  if (bytes.length >= UNDEFINED - 1) throw new EncodeError(`value too long (${bytes.length} bytes)`, formatTag(tag));
  return [header(tag, vr, bytes.length, encoding), bytes];
}

function topLevelCodec(dataset: Dataset): TextCodec {
  const own = dataset.find((el) => el.tag === 0x00080005);
  return codecFor(own === undefined ? undefined : charsetValue(own));
}

function checkNoMeta(dataset: Dataset): void {
  const meta = dataset.find((el) => el.tag >>> 16 === 0x0002);
  if (meta !== undefined) {
    throw new EncodeError('File Meta Information (group 0002) does not belong in the dataset', formatTag(meta.tag));
  }
}

/**
 * Encodes a dataset (no preamble, no meta) in Implicit or Explicit VR Little Endian (PS3.5 7.1, Annex A.1/A.2),
 * elements sorted by tag. Throws `EncodeError` for a value that does not fit its VR, and
 * `UnsupportedTransferSyntaxError` for other transfer syntaxes. Streamed values need {@link datasetChunks}.
 */
export function encodeDataset(dataset: Dataset, transferSyntaxUid: string): Uint8Array {
  const encoding = encodingOf(transferSyntaxUid);
  checkNoMeta(dataset);
  return Buffer.concat(encodeElements(dataset, encoding, topLevelCodec(dataset), 'the dataset'));
}

/** Number of bytes {@link datasetChunks} yields for this dataset (streamed values counted by `byteLength`). */
export function encodedDatasetLength(dataset: Dataset, transferSyntaxUid: string): number {
  const encoding = encodingOf(transferSyntaxUid);
  let length = 0;
  const rest: DataElement[] = [];
  for (const el of dataset) {
    if (isStreamed(el.value)) length += header(el.tag, el.vr, 0, encoding).length + el.value.byteLength;
    else rest.push(el);
  }
  return length + encodeDataset(rest, transferSyntaxUid).length;
}

/**
 * Yields the encoded dataset chunk by chunk, streaming {@link StreamedValue}s (top level, binary VRs only) without
 * holding them: memory stays bounded by the largest non-streamed element and the producer's chunks.
 */
export async function* datasetChunks(dataset: Dataset, transferSyntaxUid: string): AsyncGenerator<Uint8Array> {
  const encoding = encodingOf(transferSyntaxUid);
  checkNoMeta(dataset);
  const codec = topLevelCodec(dataset);
  for (const el of sortedElements(dataset, 'the dataset')) {
    const { value } = el;
    if (!isStreamed(value)) {
      yield Buffer.concat(encodeElement(el, encoding, codec));
      continue;
    }
    if (!BINARY_VRS.has(el.vr))
      throw new EncodeError(`only binary VRs can be streamed, not ${el.vr}`, formatTag(el.tag));
    const { byteLength } = value;
    if (!Number.isSafeInteger(byteLength) || byteLength < 0 || byteLength % 2 !== 0 || byteLength >= UNDEFINED) {
      throw new EncodeError(`a streamed value needs an even length below 4 GiB, not ${byteLength}`, formatTag(el.tag));
    }
    yield header(el.tag, el.vr, byteLength, encoding);
    let written = 0;
    for await (const chunk of value.chunks()) {
      written += chunk.byteLength;
      if (written > byteLength) {
        throw new EncodeError(`streamed value yielded more than its ${byteLength} bytes`, formatTag(el.tag));
      }
      if (chunk.byteLength > 0) yield chunk;
    }
    if (written !== byteLength) {
      throw new EncodeError(`streamed value yielded ${written} of its ${byteLength} bytes`, formatTag(el.tag));
    }
  }
}

/** The File Meta Information of a PS3.10 file (PS3.10 7.1). */
export interface FileMetaInformation {
  readonly mediaStorageSopClassUid: string;
  readonly mediaStorageSopInstanceUid: string;
  readonly transferSyntaxUid: string;
  /** Default: this package's {@link IMPLEMENTATION_CLASS_UID}. */
  readonly implementationClassUid?: string;
  /** Default: {@link IMPLEMENTATION_VERSION_NAME}. */
  readonly implementationVersionName?: string;
  readonly sourceApplicationEntityTitle?: string;
}

/**
 * Encodes the File Meta Information group (always Explicit VR Little Endian, PS3.10 7.1) with its group length
 * (0002,0000) and version (0002,0001) = 00 01.
 */
export function encodeFileMetaInformation(meta: FileMetaInformation): Uint8Array {
  const encoding: Encoding = { explicitVr: true };
  const elements: DataElement[] = [
    element(0x00020001, 'OB', Uint8Array.of(0x00, 0x01)),
    element(0x00020002, 'UI', meta.mediaStorageSopClassUid),
    element(0x00020003, 'UI', meta.mediaStorageSopInstanceUid),
    element(0x00020010, 'UI', meta.transferSyntaxUid),
    element(0x00020012, 'UI', meta.implementationClassUid ?? IMPLEMENTATION_CLASS_UID),
    element(0x00020013, 'SH', meta.implementationVersionName ?? IMPLEMENTATION_VERSION_NAME),
  ];
  if (meta.sourceApplicationEntityTitle !== undefined) {
    elements.push(element(0x00020016, 'AE', meta.sourceApplicationEntityTitle));
  }
  const body = Buffer.concat(encodeElements(elements, encoding, asciiCodec, 'the File Meta Information'));
  const groupLength = Buffer.concat(encodeElement(element(0x00020000, 'UL', body.length), encoding, asciiCodec));
  return Buffer.concat([groupLength, body]);
}

/** What {@link part10Chunks} and {@link writePart10File} write. */
export interface Part10Object {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  /** Implicit or Explicit VR Little Endian. */
  readonly transferSyntaxUid: string;
  readonly dataset: Dataset;
  /** Overrides of the File Meta Information defaults. */
  readonly meta?: Partial<Omit<FileMetaInformation, 'transferSyntaxUid'>>;
}

/** 128-byte preamble of zeros followed by `DICM` (PS3.10 7.1). */
export function preamble(): Uint8Array {
  const b = Buffer.alloc(132);
  b.write('DICM', 128, 'latin1');
  return b;
}

/** Yields a whole PS3.10 file: preamble, `DICM`, File Meta Information, then the dataset (streamed values streamed). */
export async function* part10Chunks(object: Part10Object): AsyncGenerator<Uint8Array> {
  encodingOf(object.transferSyntaxUid);
  yield preamble();
  yield encodeFileMetaInformation({
    mediaStorageSopClassUid: object.sopClassUid,
    mediaStorageSopInstanceUid: object.sopInstanceUid,
    ...object.meta,
    transferSyntaxUid: object.transferSyntaxUid,
  });
  yield* datasetChunks(object.dataset, object.transferSyntaxUid);
}

/** Encodes a whole PS3.10 file in memory (no streamed values); for small objects. */
export function encodePart10(object: Part10Object): Uint8Array {
  encodingOf(object.transferSyntaxUid);
  return Buffer.concat([
    preamble(),
    encodeFileMetaInformation({
      mediaStorageSopClassUid: object.sopClassUid,
      mediaStorageSopInstanceUid: object.sopInstanceUid,
      ...object.meta,
      transferSyntaxUid: object.transferSyntaxUid,
    }),
    encodeDataset(object.dataset, object.transferSyntaxUid),
  ]);
}

/**
 * Writes chunks to `path` atomically: into a temporary file beside it, then renamed, so no reader (and no other
 * process generating the same fixture) ever sees a half-written file. Returns the number of bytes written.
 */
export async function writeChunksAtomically(
  path: string,
  chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<number> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.part`);
  const file = await open(temporary, 'w');
  let size = 0;
  // Small chunks (element headers, short values) are gathered into one write; big ones go straight through.
  const pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const writeAll = async (bytes: Uint8Array) => {
    let offset = 0;
    while (offset < bytes.byteLength) {
      const { bytesWritten } = await file.write(bytes, offset, bytes.byteLength - offset);
      offset += bytesWritten;
    }
  };
  const flush = async () => {
    if (pendingBytes === 0) return;
    const joined = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending.length = 0;
    pendingBytes = 0;
    await writeAll(joined);
  };
  try {
    try {
      for await (const chunk of chunks) {
        size += chunk.byteLength;
        if (chunk.byteLength >= 64 * 1024) {
          await flush();
          await writeAll(chunk);
        } else {
          pending.push(chunk);
          pendingBytes += chunk.byteLength;
          if (pendingBytes >= 64 * 1024) await flush();
        }
      }
      await flush();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return size;
}

/**
 * Writes a PS3.10 file (atomically, streaming any {@link StreamedValue}) and returns its path and size in bytes.
 */
export async function writePart10File(path: string, object: Part10Object): Promise<{ path: string; size: number }> {
  const size = await writeChunksAtomically(path, part10Chunks(object));
  return { path, size };
}
