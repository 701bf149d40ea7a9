/**
 * Builds DICOM data sets by hand (PS3.5 section 7) in Implicit VR Little Endian, Explicit VR Little Endian and
 * Explicit VR Big Endian, with sequences of defined or undefined length, undefined-length UN, encapsulated pixel data,
 * and wraps them as Part 10 files (PS3.10 7.1). Test code only: fixtures for the header reader and the message layer.
 */
import { deflateRawSync } from 'node:zlib';

/** One element to write. Strings are written as latin1 and padded to even length (NUL for UI, space otherwise). */
export interface BuiltElement {
  readonly tag: number;
  readonly vr: string;
  /** A string, raw bytes, or the items of a sequence (each item a list of elements). */
  readonly value: string | Uint8Array | readonly (readonly BuiltElement[])[];
  /** Write the sequence (and its items) with undefined length and delimiters. */
  readonly undefinedLength?: boolean;
  /** For OB/OW with undefined length: encapsulated fragments (PS3.5 A.4) instead of `value`. */
  readonly fragments?: readonly Uint8Array[];
}

/** Data set byte encodings the builder writes. */
export type BuiltEncoding = 'implicit-le' | 'explicit-le' | 'explicit-be' | 'deflated';

const LONG = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/** The transfer syntax UID of a builder encoding. */
export function transferSyntaxOf(encoding: BuiltEncoding): string {
  return {
    'implicit-le': '1.2.840.10008.1.2',
    'explicit-le': '1.2.840.10008.1.2.1',
    'explicit-be': '1.2.840.10008.1.2.2',
    deflated: '1.2.840.10008.1.2.1.99',
  }[encoding];
}

/** Encodes elements (sorted by tag by the caller) as a data set. */
export function buildDataset(elements: readonly BuiltElement[], encoding: BuiltEncoding): Uint8Array {
  if (encoding === 'deflated') return new Uint8Array(deflateRawSync(buildDataset(elements, 'explicit-le')));
  const explicit = encoding !== 'implicit-le';
  const le = encoding !== 'explicit-be';
  return new Uint8Array(Buffer.concat(elements.map((e) => encodeElement(e, explicit, le))));
}

function u16(n: number, le: boolean): Buffer {
  const b = Buffer.alloc(2);
  if (le) b.writeUInt16LE(n);
  else b.writeUInt16BE(n);
  return b;
}
function u32(n: number, le: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(n >>> 0);
  else b.writeUInt32BE(n >>> 0);
  return b;
}
function tagBytes(tag: number, le: boolean): Buffer {
  return Buffer.concat([u16(tag >>> 16, le), u16(tag & 0xffff, le)]);
}

function encodeElement(e: BuiltElement, explicit: boolean, le: boolean): Buffer {
  let value: Buffer;
  if (e.fragments !== undefined) {
    const items = [Buffer.concat([tagBytes(0xfffee000, le), u32(0, le)])];
    for (const f of e.fragments)
      items.push(Buffer.concat([tagBytes(0xfffee000, le), u32(f.length, le), Buffer.from(f)]));
    items.push(Buffer.concat([tagBytes(0xfffee0dd, le), u32(0, le)]));
    return Buffer.concat([header(e, explicit, le, 0xffffffff), ...items]);
  }
  if (Array.isArray(e.value)) {
    const innerExplicit = explicit && e.vr !== 'UN';
    const innerLe = e.vr === 'UN' ? true : le;
    const items = (e.value as readonly (readonly BuiltElement[])[]).map((item) => {
      const body = Buffer.concat(item.map((x) => encodeElement(x, innerExplicit, innerLe)));
      return e.undefinedLength
        ? Buffer.concat([
            tagBytes(0xfffee000, innerLe),
            u32(0xffffffff, innerLe),
            body,
            tagBytes(0xfffee00d, innerLe),
            u32(0, innerLe),
          ])
        : Buffer.concat([tagBytes(0xfffee000, innerLe), u32(body.length, innerLe), body]);
    });
    const body = Buffer.concat(items);
    if (e.undefinedLength) {
      return Buffer.concat([header(e, explicit, le, 0xffffffff), body, tagBytes(0xfffee0dd, innerLe), u32(0, innerLe)]);
    }
    return Buffer.concat([header(e, explicit, le, body.length), body]);
  }
  if (typeof e.value === 'string') {
    const pad = e.value.length % 2 === 1 ? (e.vr === 'UI' ? '\0' : ' ') : '';
    value = Buffer.from(e.value + pad, 'latin1');
  } else {
    value = Buffer.from(e.value as Uint8Array);
  }
  return Buffer.concat([header(e, explicit, le, value.length), value]);
}

function header(e: BuiltElement, explicit: boolean, le: boolean, length: number): Buffer {
  if (!explicit) return Buffer.concat([tagBytes(e.tag, le), u32(length, le)]);
  const vr = Buffer.from(e.vr, 'latin1');
  if (LONG.has(e.vr)) return Buffer.concat([tagBytes(e.tag, le), vr, Buffer.alloc(2), u32(length, le)]);
  return Buffer.concat([tagBytes(e.tag, le), vr, u16(length, le)]);
}

/** Wraps a data set as a Part 10 file: preamble, `DICM`, File Meta Information (PS3.10 7.1). */
export function buildPart10(
  dataset: Uint8Array,
  meta: { transferSyntax: string; sopClassUid: string; sopInstanceUid: string },
): Uint8Array {
  const metaElements: BuiltElement[] = [
    { tag: 0x00020001, vr: 'OB', value: new Uint8Array([0, 1]) },
    { tag: 0x00020002, vr: 'UI', value: meta.sopClassUid },
    { tag: 0x00020003, vr: 'UI', value: meta.sopInstanceUid },
    { tag: 0x00020010, vr: 'UI', value: meta.transferSyntax },
    { tag: 0x00020012, vr: 'UI', value: '1.2.826.0.1.3680043.10.1' },
    { tag: 0x00020013, vr: 'SH', value: 'NETDICOM_TEST' },
  ];
  const body = Buffer.from(buildDataset(metaElements, 'explicit-le'));
  const groupLength = Buffer.from(
    buildDataset([{ tag: 0x00020000, vr: 'UL', value: u32(body.length, true) }], 'explicit-le'),
  );
  return new Uint8Array(
    Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), groupLength, body, Buffer.from(dataset)]),
  );
}

/** A small CT-like data set with the routing attributes, a nested sequence before them, and 16 pixels. */
export function sampleElements(
  options: { sequence?: 'defined' | 'undefined'; patientName?: string; charset?: string } = {},
): BuiltElement[] {
  const nested: BuiltElement[] = [
    { tag: 0x00081150, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.2' },
    { tag: 0x00081155, vr: 'UI', value: '9.8.7.6' },
  ];
  const elements: BuiltElement[] = [
    ...(options.charset ? [{ tag: 0x00080005, vr: 'CS', value: options.charset }] : []),
    { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.2' },
    { tag: 0x00080018, vr: 'UI', value: '1.2.826.0.1.3680043.10.99.1' },
    { tag: 0x00080020, vr: 'DA', value: '20240102' },
    { tag: 0x00080050, vr: 'SH', value: 'ACC123' },
    { tag: 0x00080060, vr: 'CS', value: 'CT' },
    {
      tag: 0x00081140,
      vr: 'SQ',
      value: [
        nested,
        [{ tag: 0x00081199, vr: 'SQ', value: [nested], undefinedLength: options.sequence === 'undefined' }],
      ],
      undefinedLength: options.sequence === 'undefined',
    },
    { tag: 0x00100010, vr: 'PN', value: options.patientName ?? 'Doe^John' },
    { tag: 0x00100020, vr: 'LO', value: 'PID001' },
    { tag: 0x0020000d, vr: 'UI', value: '1.2.826.0.1.3680043.10.99.2' },
    { tag: 0x0020000e, vr: 'UI', value: '1.2.826.0.1.3680043.10.99.3' },
    { tag: 0x00200011, vr: 'IS', value: '3' },
    { tag: 0x00200013, vr: 'IS', value: '17' },
    { tag: 0x00280010, vr: 'US', value: new Uint8Array([4, 0]) },
    { tag: 0x7fe00010, vr: 'OW', value: new Uint8Array(32).map((_, i) => i) },
  ];
  return elements;
}
