/**
 * Conversion between dcmjs data sets and data set bytes (PS3.5 section 7 and 10). This is the only file of netdicom
 * that imports dcmjs: everything else moves data sets as streams of bytes, and a parsed data set is only made when a
 * user hands one to us or asks for one.
 *
 * dcmjs 0.49 ships no types; the small part used here is declared below. Deflated Explicit VR Little Endian
 * (PS3.5 A.5) is handled here with node:zlib around dcmjs's Explicit VR Little Endian.
 */
import { createRequire } from 'node:module';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { DatasetConversionError, UnsupportedTransferSyntaxError } from './errors.js';
import { parsePart10Header } from './header-reader.js';
import { datasetEncoding, TransferSyntax } from './transfer-syntax.js';

/** An element of a denaturalized dcmjs data set: `{ vr, Value }` keyed by 8-hex-digit tag. */
export interface DcmjsElement {
  vr: string;
  Value?: unknown[];
  [key: string]: unknown;
}

/** A dcmjs data set: naturalized (`{ PatientName: ..., _vrMap }`) or denaturalized (`{ '00100010': { vr, Value } }`). */
export type DcmjsDataset = Record<string, unknown>;

/** A dcmjs `DicomDict` (what `DicomMessage.readFile` returns): file meta plus data set, both denaturalized. */
export interface DcmjsDicomDict {
  meta: Record<string, DcmjsElement>;
  dict: Record<string, DcmjsElement>;
}

interface DcmjsModule {
  data: {
    DicomDict: new (
      meta: Record<string, DcmjsElement>,
    ) => DcmjsDicomDict & { write(options?: Record<string, unknown>): ArrayBuffer };
    DicomMessage: {
      readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): DcmjsDicomDict;
    };
    DicomMetaDictionary: {
      naturalizeDataset(dataset: Record<string, DcmjsElement>): DcmjsDataset;
      denaturalizeDataset(dataset: DcmjsDataset): Record<string, DcmjsElement>;
    };
  };
}

const require = createRequire(import.meta.url);
let loaded: DcmjsModule | undefined;
function dcmjs(): DcmjsModule {
  loaded ??= require('dcmjs') as DcmjsModule;
  return loaded;
}

const TAG_KEY = /^[0-9A-Fa-f]{8}$/;

/** Whether a value looks like a dcmjs data set or `DicomDict` (not bytes, not a stream, not a `{ path }`). */
export function isDcmjsDataset(value: unknown): value is DcmjsDataset | DcmjsDicomDict {
  if (value === null || typeof value !== 'object') return false;
  if (value instanceof Uint8Array || ArrayBuffer.isView(value)) return false;
  if (Symbol.asyncIterator in value || Symbol.iterator in value) return false;
  if ('path' in value && typeof (value as { path: unknown }).path === 'string') return false;
  return true;
}

function isDicomDict(value: unknown): value is DcmjsDicomDict {
  return (
    typeof value === 'object' &&
    value !== null &&
    'dict' in value &&
    'meta' in value &&
    typeof (value as DcmjsDicomDict).dict === 'object'
  );
}

function isDenaturalized(dataset: DcmjsDataset): boolean {
  const keys = Object.keys(dataset).filter((k) => k !== '_vrMap' && k !== '_meta');
  return keys.length > 0 && keys.every((k) => TAG_KEY.test(k));
}

/** The denaturalized elements of any accepted dcmjs shape. */
function denaturalized(dataset: DcmjsDataset | DcmjsDicomDict): Record<string, DcmjsElement> {
  if (isDicomDict(dataset)) return dataset.dict;
  if (isDenaturalized(dataset)) return dataset as Record<string, DcmjsElement>;
  const { _meta: _ignored, ...rest } = dataset;
  return dcmjs().data.DicomMetaDictionary.denaturalizeDataset(rest);
}

/**
 * SOP Class and Instance UID (0008,0016)/(0008,0018) of a dcmjs data set, PS3.3 C.12.1, whatever its shape.
 */
export function sopIdentifiersOf(dataset: DcmjsDataset | DcmjsDicomDict): {
  sopClassUid: string | undefined;
  sopInstanceUid: string | undefined;
} {
  const dict = isDicomDict(dataset)
    ? dataset.dict
    : isDenaturalized(dataset)
      ? (dataset as Record<string, DcmjsElement>)
      : undefined;
  if (dict !== undefined) {
    const first = (key: string) => {
      const element = dict[key] ?? dict[key.toLowerCase()];
      const v = element?.Value?.[0];
      return typeof v === 'string' ? v.replace(/[\0 ]+$/, '') : undefined;
    };
    return { sopClassUid: first('00080016'), sopInstanceUid: first('00080018') };
  }
  const text = (v: unknown) => (typeof v === 'string' ? v.replace(/[\0 ]+$/, '') : undefined);
  const natural = dataset as DcmjsDataset;
  return { sopClassUid: text(natural['SOPClassUID']), sopInstanceUid: text(natural['SOPInstanceUID']) };
}

/** Transfer syntaxes {@link datasetToBytes} writes (PS3.5 A.1, A.2, A.3 retired, A.5). */
export const WRITABLE_TRANSFER_SYNTAXES: readonly string[] = [
  TransferSyntax.ExplicitVrLittleEndian,
  TransferSyntax.ImplicitVrLittleEndian,
  TransferSyntax.DeflatedExplicitVrLittleEndian,
  TransferSyntax.ExplicitVrBigEndian,
];

/**
 * Encodes a dcmjs data set (naturalized, denaturalized, or a `DicomDict`, whose meta is ignored) as data set bytes
 * in a transfer syntax (PS3.5 section 7 and 10), without file preamble or meta information. Writes the native
 * transfer syntaxes; pixel data already encapsulated may be written in its own encapsulated transfer syntax (the
 * structure is Explicit VR Little Endian), never transcoded.
 *
 * @throws DatasetConversionError when dcmjs cannot encode the data set.
 */
export function datasetToBytes(dataset: DcmjsDataset | DcmjsDicomDict, transferSyntax: string): Uint8Array {
  const encoding = datasetEncoding(transferSyntax);
  const writeAs = encoding.deflated ? TransferSyntax.ExplicitVrLittleEndian : transferSyntax;
  let part10: ArrayBuffer;
  try {
    const meta: Record<string, DcmjsElement> = {
      '00020001': { vr: 'OB', Value: [new Uint8Array([0, 1]).buffer] },
      '00020010': { vr: 'UI', Value: [writeAs] },
    };
    const dicomDict = new (dcmjs().data.DicomDict)(meta);
    dicomDict.dict = denaturalized(dataset);
    part10 = dicomDict.write();
  } catch (error) {
    throw new DatasetConversionError(`dcmjs cannot encode the data set: ${(error as Error).message}`, { cause: error });
  }
  const bytes = new Uint8Array(part10);
  const header = parsePart10Header(bytes, { complete: true });
  if (header?.meta === undefined) throw new DatasetConversionError('dcmjs wrote no file meta information');
  const body = bytes.subarray(header.datasetOffset);
  return encoding.deflated ? new Uint8Array(deflateRawSync(body)) : body;
}

/** Options of {@link datasetFromBytes}. */
export interface DatasetFromBytesOptions {
  /** Return the naturalized form (`{ PatientName: ... }`, default) or dcmjs's denaturalized one. */
  readonly naturalize?: boolean;
  /** Largest inflated size accepted for a deflated data set (deflate bombs). Default 1 GiB. */
  readonly maxInflatedLength?: number;
}

/**
 * Parses data set bytes in a transfer syntax (PS3.5 section 7 and 10) into a dcmjs data set. The bytes must be a
 * whole data set without preamble or meta (what a C-STORE carries).
 *
 * @throws DatasetConversionError when the bytes do not parse; UnsupportedTransferSyntaxError never for the
 * transfer syntaxes of PS3.5 Annex A (encapsulated pixel data is kept as fragments).
 */
export function datasetFromBytes(
  bytes: Uint8Array,
  transferSyntax: string,
  options: DatasetFromBytesOptions = {},
): DcmjsDataset {
  const encoding = datasetEncoding(transferSyntax);
  let body = bytes;
  let readAs = transferSyntax;
  if (encoding.deflated) {
    try {
      body = new Uint8Array(
        inflateRawSync(bytes, { maxOutputLength: options.maxInflatedLength ?? 1024 * 1024 * 1024 }),
      );
    } catch (error) {
      throw new DatasetConversionError(`deflated data set does not inflate: ${(error as Error).message}`, {
        cause: error,
      });
    }
    readAs = TransferSyntax.ExplicitVrLittleEndian;
  }
  if (!/^[0-9.]{1,64}$/.test(readAs)) throw new UnsupportedTransferSyntaxError(transferSyntax);
  const file = new Uint8Array(132 + metaLength(readAs) + body.length);
  file.set([0x44, 0x49, 0x43, 0x4d], 128);
  writeMeta(file, 132, readAs);
  file.set(body, 132 + metaLength(readAs));
  let dict: DcmjsDicomDict;
  try {
    dict = dcmjs().data.DicomMessage.readFile(file.buffer, { ignoreErrors: false });
  } catch (error) {
    throw new DatasetConversionError(`dcmjs cannot parse the data set: ${(error as Error).message}`, { cause: error });
  }
  return options.naturalize === false ? dict.dict : dcmjs().data.DicomMetaDictionary.naturalizeDataset(dict.dict);
}

function paddedUid(uid: string): string {
  return uid.length % 2 === 1 ? `${uid}\0` : uid;
}

function metaLength(transferSyntax: string): number {
  return 12 + 14 + 8 + paddedUid(transferSyntax).length;
}

/** Writes a minimal File Meta Information group (PS3.10 7.1): group length, version, transfer syntax. */
function writeMeta(out: Uint8Array, offset: number, transferSyntax: string): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const uid = paddedUid(transferSyntax);
  const element = (at: number, el: number, vr: string) => {
    view.setUint16(at, 0x0002, true);
    view.setUint16(at + 2, el, true);
    out[at + 4] = vr.charCodeAt(0);
    out[at + 5] = vr.charCodeAt(1);
  };
  element(offset, 0x0000, 'UL');
  view.setUint16(offset + 6, 4, true);
  view.setUint32(offset + 8, 14 + 8 + uid.length, true);
  let p = offset + 12;
  element(p, 0x0001, 'OB');
  view.setUint32(p + 8, 2, true);
  out[p + 12] = 0;
  out[p + 13] = 1;
  p += 14;
  element(p, 0x0010, 'UI');
  view.setUint16(p + 6, uid.length, true);
  for (let i = 0; i < uid.length; i++) out[p + 8 + i] = uid.charCodeAt(i);
}

/** Options of {@link readDataset}. */
export interface ReadDatasetOptions extends DatasetFromBytesOptions {
  /** Largest data set accepted into memory. Default 256 MiB. */
  readonly maxLength?: number;
}

/**
 * Reads a data set stream (for instance the `dataset` of a C-STORE handler) into memory and parses it with dcmjs.
 * Only for data sets that fit in memory: bounded by `maxLength`.
 *
 * @throws DatasetConversionError when the stream is larger than `maxLength` or does not parse.
 */
export async function readDataset(
  source: AsyncIterable<Uint8Array>,
  transferSyntax: string,
  options: ReadDatasetOptions = {},
): Promise<DcmjsDataset> {
  const maxLength = options.maxLength ?? 256 * 1024 * 1024;
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > maxLength) throw new DatasetConversionError(`data set larger than ${maxLength} bytes`);
    chunks.push(chunk);
  }
  return datasetFromBytes(Buffer.concat(chunks, total), transferSyntax, options);
}
