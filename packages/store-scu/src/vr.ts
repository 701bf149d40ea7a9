/**
 * Value Representation facts (PS3.5 section 6.2) and element header encoding/decoding in the three native
 * encodings (PS3.5 section 7.1).
 */

import type { ByteReader } from './byte-reader.js';
import { hasLongLength, isKnownVr, SHORT_LENGTH_VRS } from '@netdicom/dimse';
import { DatasetParseError } from './errors.js';

/** How a dataset is encoded. PS3.5 section 7. */
export interface Encoding {
  readonly explicitVr: boolean;
  readonly bigEndian: boolean;
}

export const IMPLICIT_LE: Encoding = { explicitVr: false, bigEndian: false };
export const EXPLICIT_LE: Encoding = { explicitVr: true, bigEndian: false };
export const EXPLICIT_BE: Encoding = { explicitVr: true, bigEndian: true };

/** PS3.5 Table 7.1-1/7.1-2 facts, from @netdicom/dimse (the one VR table of netdicom). */
export { hasLongLength, isKnownVr };

/** Size of the unit whose bytes are swapped between little and big endian (1: none). PS3.5 section 7.3. */
export function swapUnit(vr: string): number {
  switch (vr) {
    case 'US':
    case 'SS':
    case 'OW':
    case 'AT':
      return 2;
    case 'UL':
    case 'SL':
    case 'FL':
    case 'OF':
    case 'OL':
      return 4;
    case 'FD':
    case 'OD':
    case 'SV':
    case 'UV':
    case 'OV':
      return 8;
    default:
      return 1;
  }
}

/** Returns a byte-swapped copy of `bytes` in units of `unit` bytes (a trailing partial unit is copied as is). */
export function swapBytes(bytes: Uint8Array, unit: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  const whole = bytes.length - (bytes.length % unit);
  for (let i = 0; i < whole; i += unit) {
    for (let j = 0; j < unit; j++) out[i + j] = bytes[i + unit - 1 - j]!;
  }
  out.set(bytes.subarray(whole), whole);
  return out;
}

/** Undefined length, PS3.5 section 7.1.1. */
export const UNDEFINED_LENGTH = 0xffffffff;
export const ITEM = 0xfffee000;
export const ITEM_DELIMITATION = 0xfffee00d;
export const SEQUENCE_DELIMITATION = 0xfffee0dd;
export const PIXEL_DATA = 0x7fe00010;

/** One element header as read. `vr` is undefined for implicit VR and for item/delimitation tags. */
export interface ElementHeader {
  readonly tag: number;
  readonly vr: string | undefined;
  readonly length: number;
}

function isItemTag(tag: number): boolean {
  return tag >>> 16 === 0xfffe;
}

/** Reads one element header (PS3.5 7.1.1-7.1.3, 7.5 for items). Throws {@link DatasetParseError}. */
export async function readElementHeader(reader: ByteReader, enc: Encoding): Promise<ElementHeader> {
  const head = await reader.read(8);
  const view = new DataView(head.buffer, head.byteOffset, 8);
  const le = !enc.bigEndian;
  const tag = ((view.getUint16(0, le) << 16) | view.getUint16(2, le)) >>> 0;
  if (!enc.explicitVr || isItemTag(tag)) return { tag, vr: undefined, length: view.getUint32(4, le) };
  const vr = String.fromCharCode(head[4]!, head[5]!);
  if (hasLongLength(vr)) {
    const more = await reader.read(4);
    return { tag, vr, length: new DataView(more.buffer, more.byteOffset, 4).getUint32(0, le) };
  }
  if (!SHORT_LENGTH_VRS.has(vr)) {
    throw new DatasetParseError(
      'malformed',
      `Element ${formatTag(tag)} has an invalid VR "${vr.replace(/[^\x20-\x7e]/g, '?')}" at byte ${reader.position - 8}`,
    );
  }
  return { tag, vr, length: view.getUint16(6, le) };
}

/** Encodes one element header. `vr` is ignored for implicit VR and item tags. PS3.5 7.1. */
export function encodeElementHeader(tag: number, vr: string | undefined, length: number, enc: Encoding): Uint8Array {
  const le = !enc.bigEndian;
  const explicit = enc.explicitVr && !isItemTag(tag) && vr !== undefined;
  const long = explicit && hasLongLength(vr!);
  const out = new Uint8Array(explicit ? (long ? 12 : 8) : 8);
  const view = new DataView(out.buffer);
  view.setUint16(0, tag >>> 16, le);
  view.setUint16(2, tag & 0xffff, le);
  if (!explicit) {
    view.setUint32(4, length >>> 0, le);
  } else {
    out[4] = vr!.charCodeAt(0);
    out[5] = vr!.charCodeAt(1);
    if (long) view.setUint32(8, length >>> 0, le);
    else view.setUint16(6, length, le);
  }
  return out;
}

/** Size of the header `encodeElementHeader` writes. */
export function headerSize(tag: number, vr: string | undefined, enc: Encoding): number {
  if (!enc.explicitVr || isItemTag(tag) || vr === undefined) return 8;
  return hasLongLength(vr) ? 12 : 8;
}

/** `(gggg,eeee)` as the standard prints tags. */
export function formatTag(tag: number): string {
  const hex = (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}
