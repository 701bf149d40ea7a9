/**
 * Builders of small, valid DICOM datasets in Explicit VR Little Endian (PS3.5 7.1.2, 7.3) for file store tests and
 * the bench. Only what the tests need: a handful of top-level attributes and optional Pixel Data of a given size.
 */

/** CT Image Storage (PS3.4 B.5). */
export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
/** Explicit VR Little Endian (PS3.5 A.2). */
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** An implementation class UID for tests (under the 2.25 UUID root, PS3.5 B.2). */
export const TEST_IMPLEMENTATION_CLASS_UID = '2.25.148573196371485620958373729466720583091';

/** Attributes of a test dataset. */
export interface TestDatasetSpec {
  readonly sopClassUid?: string;
  readonly sopInstanceUid: string;
  readonly studyInstanceUid?: string;
  readonly seriesInstanceUid?: string;
  readonly patientId?: string;
  readonly patientName?: string;
  readonly modality?: string;
  /** Bytes of Pixel Data (7FE0,0010) OW; rounded up to even; filled with a repeating pattern. Default 0 (absent). */
  readonly pixelBytes?: number;
}

type Vr = 'UI' | 'CS' | 'PN' | 'LO' | 'OW';

function element(group: number, elem: number, vr: Vr, value: Uint8Array): Uint8Array {
  const long = vr === 'OW';
  const out = new Uint8Array((long ? 12 : 8) + value.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, group, true);
  view.setUint16(2, elem, true);
  out[4] = vr.charCodeAt(0);
  out[5] = vr.charCodeAt(1);
  if (long) view.setUint32(8, value.length, true);
  else view.setUint16(6, value.length, true);
  out.set(value, long ? 12 : 8);
  return out;
}

function text(value: string, pad: number): Uint8Array {
  const bytes = new TextEncoder().encode(value);
  const out = new Uint8Array(bytes.length + (bytes.length % 2)).fill(pad);
  out.set(bytes);
  return out;
}

/** Deterministic byte pattern of the given length (so the bytes of a file can be checked exactly). */
export function patternBytes(length: number, seed = 7): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Builds a dataset (no File Meta Information) in Explicit VR Little Endian. */
export function buildDataset(spec: TestDatasetSpec): Uint8Array {
  const parts: Uint8Array[] = [
    element(0x0008, 0x0016, 'UI', text(spec.sopClassUid ?? CT_IMAGE_STORAGE, 0)),
    element(0x0008, 0x0018, 'UI', text(spec.sopInstanceUid, 0)),
  ];
  if (spec.modality !== undefined) parts.push(element(0x0008, 0x0060, 'CS', text(spec.modality, 0x20)));
  if (spec.patientName !== undefined) parts.push(element(0x0010, 0x0010, 'PN', text(spec.patientName, 0x20)));
  if (spec.patientId !== undefined) parts.push(element(0x0010, 0x0020, 'LO', text(spec.patientId, 0x20)));
  if (spec.studyInstanceUid !== undefined) parts.push(element(0x0020, 0x000d, 'UI', text(spec.studyInstanceUid, 0)));
  if (spec.seriesInstanceUid !== undefined) parts.push(element(0x0020, 0x000e, 'UI', text(spec.seriesInstanceUid, 0)));
  if (spec.pixelBytes !== undefined && spec.pixelBytes > 0) {
    parts.push(element(0x7fe0, 0x0010, 'OW', patternBytes(spec.pixelBytes + (spec.pixelBytes % 2))));
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** Yields `bytes` in chunks of `size` (the last may be shorter), asynchronously like a network stream. */
export async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) {
    await Promise.resolve();
    yield bytes.subarray(i, Math.min(bytes.length, i + size));
  }
}

/** A fresh random UID under the 2.25 root (PS3.5 B.2). */
export function randomUid(): string {
  const hex = crypto.randomUUID().replace(/-/g, '');
  return `2.25.${BigInt(`0x${hex}`).toString()}`;
}
