/**
 * Part-10 file header: 128-byte preamble, `DICM` prefix and the File Meta Information group (0002,xxxx), always in
 * Explicit VR Little Endian (PS3.10 7.1, PS3.10 Table 7.1-1; encoding per PS3.5 7.1.2).
 *
 * @packageDocumentation
 */
import { InvalidStoreRequestError } from '../errors.js';

/** Size of the preamble plus the `DICM` prefix (PS3.10 7.1). */
export const PART10_PREFIX_LENGTH = 132;

/** Values of the File Meta Information written before the dataset (PS3.10 Table 7.1-1). */
export interface FileMetaInformation {
  /** (0002,0002) Media Storage SOP Class UID: the C-STORE-RQ Affected SOP Class UID. */
  readonly mediaStorageSopClassUid: string;
  /** (0002,0003) Media Storage SOP Instance UID: the C-STORE-RQ Affected SOP Instance UID. */
  readonly mediaStorageSopInstanceUid: string;
  /** (0002,0010) Transfer Syntax UID: the transfer syntax the dataset was received in. */
  readonly transferSyntaxUid: string;
  /** (0002,0012) Implementation Class UID of the application writing the file. */
  readonly implementationClassUid: string;
  /** (0002,0013) Implementation Version Name (SH, at most 16 characters); omitted when absent or empty. */
  readonly implementationVersionName?: string | undefined;
  /** (0002,0016) Source Application Entity Title (AE, at most 16 characters): the calling AE; omitted when empty. */
  readonly sourceApplicationEntityTitle?: string | undefined;
}

const UID_CHARS = /^[0-9.]+$/;
// Default character repertoire without backslash (value delimiter) and without control characters (PS3.5 6.1.2).
const SH_AE_CHARS = /^[\x20-\x5b\x5d-\x7e]*$/;

/**
 * Checks that `value` can be written as a UI value (PS3.5 6.2, 9.1): trailing NUL/space padding is removed, then it
 * must be 1 to 64 characters of `0-9` and `.`. Returns the value without padding.
 *
 * This is the encodability check for the File Meta Information; the stricter UID grammar (no leading zeros, no empty
 * components) is `isValidUid` in `sanitize.ts`, used before a UID becomes part of a path.
 *
 * @throws {InvalidStoreRequestError} when the value cannot be encoded as UI.
 */
export function checkMetaUid(field: string, value: string): string {
  const v = stripPadding(value);
  if (v.length === 0) throw new InvalidStoreRequestError(field, 'empty UID');
  if (v.length > 64) throw new InvalidStoreRequestError(field, `UID longer than 64 characters (${v.length})`);
  if (!UID_CHARS.test(v)) throw new InvalidStoreRequestError(field, `UID with characters other than 0-9 and "."`);
  return v;
}

function checkShortText(field: string, value: string, max: number): string {
  const v = value.trim();
  if (v.length > max) throw new InvalidStoreRequestError(field, `longer than ${max} characters (${v.length})`);
  if (!SH_AE_CHARS.test(v)) {
    throw new InvalidStoreRequestError(field, 'contains a backslash, a control character or a non-ASCII character');
  }
  return v;
}

function stripPadding(value: string): string {
  let end = value.length;
  while (end > 0) {
    const c = value.charCodeAt(end - 1);
    if (c !== 0 && c !== 0x20) break;
    end--;
  }
  return value.slice(0, end);
}

interface MetaElement {
  readonly group: number;
  readonly element: number;
  readonly vr: 'UL' | 'OB' | 'UI' | 'SH' | 'AE';
  readonly value: Uint8Array;
}

function asciiPadded(text: string, pad: number): Uint8Array {
  const length = text.length + (text.length % 2);
  const out = new Uint8Array(length).fill(pad);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/**
 * Encodes the Part-10 header: 128 zero bytes of preamble, `DICM`, and the File Meta Information group in Explicit VR
 * Little Endian with (0002,0000) File Meta Information Group Length, (0002,0001) Version `00\01`, (0002,0002),
 * (0002,0003), (0002,0010), (0002,0012), and, when given, (0002,0013) and (0002,0016) (PS3.10 7.1, Table 7.1-1).
 * UI values are padded to even length with NUL, SH and AE with a space (PS3.5 6.2).
 *
 * The dataset bytes follow this header unchanged.
 *
 * @throws {InvalidStoreRequestError} (status 0xC000) when a value cannot be encoded.
 */
export function encodePart10Header(meta: FileMetaInformation): Uint8Array {
  const elements: MetaElement[] = [
    { group: 2, element: 0x0001, vr: 'OB', value: Uint8Array.of(0x00, 0x01) },
    {
      group: 2,
      element: 0x0002,
      vr: 'UI',
      value: asciiPadded(checkMetaUid('sopClassUid', meta.mediaStorageSopClassUid), 0),
    },
    {
      group: 2,
      element: 0x0003,
      vr: 'UI',
      value: asciiPadded(checkMetaUid('sopInstanceUid', meta.mediaStorageSopInstanceUid), 0),
    },
    {
      group: 2,
      element: 0x0010,
      vr: 'UI',
      value: asciiPadded(checkMetaUid('transferSyntaxUid', meta.transferSyntaxUid), 0),
    },
    {
      group: 2,
      element: 0x0012,
      vr: 'UI',
      value: asciiPadded(checkMetaUid('implementationClassUid', meta.implementationClassUid), 0),
    },
  ];
  if (meta.implementationVersionName !== undefined) {
    const name = checkShortText('implementationVersionName', meta.implementationVersionName, 16);
    if (name.length > 0) elements.push({ group: 2, element: 0x0013, vr: 'SH', value: asciiPadded(name, 0x20) });
  }
  if (meta.sourceApplicationEntityTitle !== undefined) {
    const ae = checkShortText('callingAeTitle', meta.sourceApplicationEntityTitle, 16);
    if (ae.length > 0) elements.push({ group: 2, element: 0x0016, vr: 'AE', value: asciiPadded(ae, 0x20) });
  }

  let groupLength = 0;
  for (const e of elements) groupLength += headerLength(e.vr) + e.value.length;
  const total = PART10_PREFIX_LENGTH + 12 + groupLength;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set([0x44, 0x49, 0x43, 0x4d], 128); // "DICM"
  let pos = PART10_PREFIX_LENGTH;
  pos = writeHeader(out, view, pos, 2, 0x0000, 'UL', 4);
  view.setUint32(pos, groupLength, true);
  pos += 4;
  for (const e of elements) {
    pos = writeHeader(out, view, pos, e.group, e.element, e.vr, e.value.length);
    out.set(e.value, pos);
    pos += e.value.length;
  }
  return out;
}

function headerLength(vr: MetaElement['vr']): number {
  // OB uses the 12-byte form (2 reserved bytes, 32-bit length); the others the 8-byte form (PS3.5 7.1.2).
  return vr === 'OB' ? 12 : 8;
}

function writeHeader(
  out: Uint8Array,
  view: DataView,
  pos: number,
  group: number,
  element: number,
  vr: MetaElement['vr'],
  length: number,
): number {
  view.setUint16(pos, group, true);
  view.setUint16(pos + 2, element, true);
  out[pos + 4] = vr.charCodeAt(0);
  out[pos + 5] = vr.charCodeAt(1);
  if (vr === 'OB') {
    view.setUint16(pos + 6, 0, true);
    view.setUint32(pos + 8, length, true);
    return pos + 12;
  }
  view.setUint16(pos + 6, length, true);
  return pos + 8;
}
