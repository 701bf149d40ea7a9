/**
 * Access to the golden fixtures recorded from DCMTK (see `fixtures/README.md`) and small independent helpers the
 * tests use to look inside them without going through the code under test.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** The recorded scenarios; each has `<name>.scu.bin` and `<name>.scp.bin`. */
export const scenarios = [
  'echo',
  'store',
  'store-user-identity',
  'store-small-pdu',
  'store-profile',
  'refuse',
  'echo-abort',
  'store-scp-abort',
] as const;
export type Scenario = (typeof scenarios)[number];

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(fixturesDir, name)));
}

/** Every recorded byte stream, by file name. */
export function allStreams(): { name: string; bytes: Uint8Array }[] {
  return scenarios.flatMap((s) => [
    { name: `${s}.scu.bin`, bytes: fixture(`${s}.scu.bin`) },
    { name: `${s}.scp.bin`, bytes: fixture(`${s}.scp.bin`) },
  ]);
}

/**
 * Splits a stream into PDUs by reading each 6-byte header (type, reserved, 32-bit big-endian length): a framing
 * independent of the reader under test. Throws if the stream does not end on a PDU boundary.
 */
export function splitPdus(stream: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < stream.length) {
    const view = new DataView(stream.buffer, stream.byteOffset + at, 6);
    const end = at + 6 + view.getUint32(2);
    if (end > stream.length) throw new Error('stream does not end on a PDU boundary');
    out.push(stream.subarray(at, end));
    at = end;
  }
  return out;
}

/** The data set of a DICOM file written by dump2dcm: what follows the File Meta Information (PS3.10 7.1). */
export function datasetOfFile(name: string): Uint8Array {
  const b = fixture(name);
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  // 128-byte preamble, "DICM", then (0002,0000) UL with explicit VR: tag 4, VR 2, length 2, value 4.
  const groupLength = view.getUint32(140, true);
  return b.subarray(144 + groupLength);
}

/** The elements of a command set (implicit VR little endian, PS3.7 6.3.1) by tag number (group << 16 | element). */
export function commandElements(bytes: Uint8Array): Map<number, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const out = new Map<number, Uint8Array>();
  let at = 0;
  while (at + 8 <= bytes.length) {
    const tag = (view.getUint16(at, true) << 16) | view.getUint16(at + 2, true);
    const length = view.getUint32(at + 4, true);
    out.set(tag >>> 0, bytes.subarray(at + 8, at + 8 + length));
    at += 8 + length;
  }
  return out;
}

/** An unsigned 16-bit little-endian value of a command element. */
export function us(value: Uint8Array | undefined): number | undefined {
  return value === undefined || value.length < 2 ? undefined : (value[0] as number) | ((value[1] as number) << 8);
}

export const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
