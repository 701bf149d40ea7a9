/**
 * RLE Lossless decoding, PS3.5 Annex G: a 64-byte header of segment offsets, one PackBits-compressed segment per byte
 * plane (most significant byte first, sample by sample), recombined into interleaved little-endian samples.
 */

import { TranscodeError } from '../errors.js';
import type { FrameInfo } from './types.js';

function decodeSegment(input: Uint8Array, start: number, end: number, out: Uint8Array): void {
  let i = start;
  let o = 0;
  while (i < end && o < out.length) {
    const n = input[i++]!;
    if (n < 128) {
      const count = Math.min(n + 1, end - i, out.length - o);
      out.set(input.subarray(i, i + count), o);
      i += n + 1;
      o += count;
    } else if (n > 128) {
      const count = Math.min(257 - n, out.length - o);
      if (i >= end) break;
      out.fill(input[i++]!, o, o + count);
      o += count;
    }
    // n === 128 (-128): no operation.
  }
  if (o < out.length) {
    throw new TranscodeError(false, `RLE segment decoded to ${o} bytes where ${out.length} were expected (PS3.5 G.3)`);
  }
}

/**
 * Decodes one RLE Lossless frame (PS3.5 G.2-G.5) into interleaved pixels (Planar Configuration 0), samples of
 * `bitsAllocated / 8` bytes in little-endian order.
 */
export function decodeRleFrame(frame: Uint8Array, info: FrameInfo): Uint8Array {
  const bytesPerSample = info.bitsAllocated / 8;
  if (!Number.isInteger(bytesPerSample) || bytesPerSample < 1) {
    throw new TranscodeError(true, `RLE decoding of ${info.bitsAllocated}-bit samples is not supported`);
  }
  if (frame.length < 64) throw new TranscodeError(false, 'RLE frame shorter than its 64-byte header (PS3.5 G.5)');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  const planes = info.samplesPerPixel * bytesPerSample;
  if (segments !== planes) {
    throw new TranscodeError(false, `RLE frame has ${segments} segments where ${planes} were expected (PS3.5 G.2)`);
  }
  const pixels = info.rows * info.columns;
  const out = new Uint8Array(pixels * planes);
  const plane = new Uint8Array(pixels);
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + s * 4, true);
    const end = s + 1 < segments ? view.getUint32(8 + s * 4, true) : frame.length;
    if (start < 64 || end > frame.length || start > end) {
      throw new TranscodeError(false, `RLE segment ${s + 1} has an invalid offset ${start} (PS3.5 G.5)`);
    }
    decodeSegment(frame, start, end, plane);
    const sample = Math.floor(s / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample); // segment 0 holds the most significant byte
    let o = sample * bytesPerSample + byteInSample;
    for (let p = 0; p < pixels; p++, o += planes) out[o] = plane[p]!;
  }
  return out;
}
