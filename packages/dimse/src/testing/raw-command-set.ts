/**
 * Builds command-set bytes by hand (Implicit VR Little Endian, PS3.7 6.3.1) with no validation at all, so that tests
 * can make malformed ones: lying group lengths, wrong order, wrong value sizes.
 */

/** One raw element: a string value (written as latin1, no padding) or a US value. */
export type RawElement =
  | { readonly tag: number; readonly value: string }
  | { readonly tag: number; readonly us: number };

/** Options to break the Command Group Length on purpose. */
export interface RawCommandSetOptions {
  /** Added to the correct group length value. */
  readonly groupLengthDelta?: number;
  /** Leave out (0000,0000) entirely. */
  readonly omitGroupLength?: boolean;
}

/** Encodes the elements in the order given, preceded by a Command Group Length unless told otherwise. */
export function rawCommandSet(elements: readonly RawElement[], options: RawCommandSetOptions = {}): Uint8Array {
  const parts = elements.map((e) => {
    const value = 'us' in e ? Buffer.from([e.us & 0xff, e.us >>> 8]) : Buffer.from(e.value, 'latin1');
    const header = Buffer.alloc(8);
    header.writeUInt16LE(e.tag >>> 16, 0);
    header.writeUInt16LE(e.tag & 0xffff, 2);
    header.writeUInt32LE(value.length, 4);
    return Buffer.concat([header, value]);
  });
  const body = Buffer.concat(parts);
  if (options.omitGroupLength) return new Uint8Array(body);
  const groupLength = Buffer.alloc(12);
  groupLength.writeUInt32LE(4, 4);
  groupLength.writeUInt32LE(body.length + (options.groupLengthDelta ?? 0), 8);
  return new Uint8Array(Buffer.concat([groupLength, body]));
}
