/**
 * Small data sets built by hand in Explicit VR Little Endian (PS3.5 7.1.2), including the hostile ones: sequences
 * nested thousands deep, undefined lengths that never end, and deflate bombs (PS3.5 A.5: a raw deflate stream that
 * inflates to gigabytes).
 */
import { constants, deflateRawSync } from 'node:zlib';
import { CT_IMAGE_STORAGE } from './wire.js';

/** One element: tag `0xGGGGEEEE`, VR, value bytes (or a string, padded to even length), or an undefined length. */
export interface Element {
  readonly tag: number;
  readonly vr: string;
  readonly value?: Uint8Array | string;
  /** Write 0xFFFFFFFF as the length (sequences, items); the value bytes, if any, follow as they are. */
  readonly undefinedLength?: boolean;
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

function valueBytes(element: Element): Uint8Array {
  const { value, vr } = element;
  if (value === undefined) return new Uint8Array(0);
  if (typeof value !== 'string') return value;
  const bytes = Buffer.from(value, 'latin1');
  if (bytes.length % 2 === 0) return bytes;
  return Buffer.concat([bytes, Buffer.from([vr === 'UI' ? 0 : 0x20])]);
}

/** Encodes elements in Explicit VR Little Endian, in the order given (no sorting: hostile data sets choose it). */
export function encodeExplicitLe(elements: readonly Element[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const element of elements) {
    const value = valueBytes(element);
    const length = element.undefinedLength ? 0xffffffff : value.length;
    const long = LONG_VRS.has(element.vr);
    const header = Buffer.alloc(long ? 12 : 8);
    header.writeUInt16LE(element.tag >>> 16, 0);
    header.writeUInt16LE(element.tag & 0xffff, 2);
    header.write(element.vr, 4, 'latin1');
    if (long) header.writeUInt32LE(length >>> 0, 8);
    else header.writeUInt16LE(length, 6);
    parts.push(header, value);
  }
  return Buffer.concat(parts);
}

/** An item or delimiter header (FFFE,E000 / E00D / E0DD) with a 32-bit length (PS3.5 7.5). */
export function itemHeader(tag: number, length: number): Uint8Array {
  const out = Buffer.alloc(8);
  out.writeUInt16LE(0xfffe, 0);
  out.writeUInt16LE(tag & 0xffff, 2);
  out.writeUInt32LE(length >>> 0, 4);
  return out;
}

/** Routing attributes of a test instance. */
export interface InstanceSpec {
  readonly sopClassUid?: string;
  readonly sopInstanceUid: string;
  readonly patientId?: string;
  readonly studyInstanceUid?: string;
  readonly seriesInstanceUid?: string;
  /** Elements placed between the patient module and the study UIDs (hostile content goes here). */
  readonly middle?: Uint8Array;
  /** Raw bytes appended after the header attributes (before Pixel Data). */
  readonly tail?: Uint8Array;
  /** Pixel Data bytes (OW), default 64. */
  readonly pixelBytes?: number;
}

/** A plausible CT instance in Explicit VR Little Endian, with optional hostile content inserted. */
export function buildInstance(spec: InstanceSpec): Uint8Array {
  const head = encodeExplicitLe([
    { tag: 0x00080016, vr: 'UI', value: spec.sopClassUid ?? CT_IMAGE_STORAGE },
    { tag: 0x00080018, vr: 'UI', value: spec.sopInstanceUid },
    { tag: 0x00080060, vr: 'CS', value: 'CT' },
    { tag: 0x00100010, vr: 'PN', value: 'HOSTILE^PEER' },
    { tag: 0x00100020, vr: 'LO', value: spec.patientId ?? 'HOSTILE-1' },
  ]);
  const study = encodeExplicitLe([
    { tag: 0x0020000d, vr: 'UI', value: spec.studyInstanceUid ?? '2.25.1001' },
    { tag: 0x0020000e, vr: 'UI', value: spec.seriesInstanceUid ?? '2.25.1002' },
    { tag: 0x00200013, vr: 'IS', value: '1' },
  ]);
  const pixels = encodeExplicitLe([
    { tag: 0x7fe00010, vr: 'OW', value: new Uint8Array(spec.pixelBytes ?? 64).fill(0x5a) },
  ]);
  return Buffer.concat([head, spec.middle ?? new Uint8Array(0), study, spec.tail ?? new Uint8Array(0), pixels]);
}

/**
 * `depth` sequences of undefined length, each holding one undefined-length item holding the next, properly closed
 * (PS3.5 7.5.2) under `tag` (default the private (0009,1010), with its creator) — or never closed when `close` is
 * false.
 */
export function nestedSequences(depth: number, close = true, tag = 0x00091010): Uint8Array {
  const open = Buffer.concat([
    encodeExplicitLe([{ tag, vr: 'SQ', undefinedLength: true }]),
    itemHeader(0xe000, 0xffffffff),
  ]);
  const shut = Buffer.concat([itemHeader(0xe00d, 0), itemHeader(0xe0dd, 0)]);
  const creator =
    tag >>> 16 === 0x0009 ? encodeExplicitLe([{ tag: 0x00090010, vr: 'LO', value: 'HOSTILE' }]) : new Uint8Array(0);
  const parts: Uint8Array[] = [creator];
  for (let i = 0; i < depth; i++) parts.push(open);
  if (close) for (let i = 0; i < depth; i++) parts.push(shut);
  return Buffer.concat(parts);
}

/**
 * A deflate bomb (PS3.5 A.5 Deflated Explicit VR Little Endian): a data set whose first element, before any routing
 * attribute, is an OB value of `mebibytes` MiB of zeros, followed by `after` (more elements, already encoded). Deflate
 * compresses zeros about 1000:1, so a few MB on the wire inflate to gigabytes. Built without ever holding the
 * inflated bytes: each MiB of zeros is one full-flush block (the compressor state reset), so one compressed MiB is
 * repeated, and an empty final block ends the stream. Returns the deflated bytes to send.
 */
export function deflateBomb(mebibytes: number, after: Uint8Array = new Uint8Array(0)): Uint8Array {
  const header = Buffer.from(encodeExplicitLe([{ tag: 0x00080001, vr: 'OB' }]));
  header.writeUInt32LE((mebibytes * 1024 * 1024) >>> 0, 8);
  const flush = { finishFlush: constants.Z_FULL_FLUSH, level: 9 };
  const zeros = deflateRawSync(Buffer.alloc(1024 * 1024), flush);
  const parts: Uint8Array[] = [deflateRawSync(header, flush)];
  for (let i = 0; i < mebibytes; i++) parts.push(zeros);
  parts.push(deflateRawSync(after, { level: 9 }));
  return Buffer.concat(parts);
}
