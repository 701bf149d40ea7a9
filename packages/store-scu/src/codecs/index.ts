/**
 * Frame decoders for the encapsulated transfer syntaxes store-scu can decompress (PS3.5 Annex A.4), each loaded on
 * first use:
 * - RLE Lossless (PS3.5 Annex G): decoded here, no library.
 * - JPEG Lossless, Process 14 and Process 14 SV1 (PS3.5 A.4.1): 8-bit samples through libjpeg-turbo (below), higher
 *   precisions through `jpeg-lossless-decoder-js` (pure JavaScript).
 * - JPEG-LS Lossless and Near-Lossless (PS3.5 A.4.3): `@cornerstonejs/codec-charls` (CharLS as WebAssembly).
 * - JPEG Baseline 8-bit and other 8-bit lossy JPEG processes (PS3.5 A.4.1): `@cornerstonejs/codec-libjpeg-turbo-8bit`.
 * - JPEG 2000 and HTJ2K-free JPEG 2000 Part 1 (PS3.5 A.4.4): `@cornerstonejs/codec-openjpeg` (OpenJPEG).
 */

import { createRequire } from 'node:module';
import { TranscodeError } from '../errors.js';
import { TransferSyntax } from '../transfer-syntax.js';
import { decodeRleFrame } from './rle.js';
import type { FrameDecoder, FrameInfo } from './types.js';

export type { FrameDecoder, FrameInfo } from './types.js';
export { decodeRleFrame } from './rle.js';

const require = createRequire(import.meta.url);

interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number };
  getInterleaveMode?(): number;
  delete(): void;
}
type WasmModule = Record<string, new () => WasmDecoder>;

const modules = new Map<string, Promise<WasmModule>>();
function loadWasm(specifier: string): Promise<WasmModule> {
  let loading = modules.get(specifier);
  if (!loading) {
    loading = (async () => {
      const factory = require(specifier) as () => Promise<WasmModule>;
      return factory();
    })();
    modules.set(specifier, loading);
    loading.catch(() => modules.delete(specifier));
  }
  return loading;
}

function bytesPerSample(info: FrameInfo): number {
  if (info.bitsAllocated !== 8 && info.bitsAllocated !== 16) {
    throw new TranscodeError(true, `Decoding ${info.bitsAllocated}-bit allocated pixel data is not supported`);
  }
  return info.bitsAllocated / 8;
}

/** Widens 1-byte samples to `bitsAllocated` 16 when a decoder returned 8-bit precision. */
function fitSamples(decoded: Uint8Array, info: FrameInfo, decodedBytesPerSample: number): Uint8Array {
  const want = bytesPerSample(info);
  if (decodedBytesPerSample === want) return decoded;
  if (decodedBytesPerSample === 1 && want === 2) {
    const out = new Uint8Array(decoded.length * 2);
    for (let i = 0; i < decoded.length; i++) out[i * 2] = decoded[i]!;
    return out;
  }
  throw new TranscodeError(
    false,
    `The codec produced ${decodedBytesPerSample * 8}-bit samples for ${info.bitsAllocated}-bit pixel data`,
  );
}

function checkSize(decoded: Uint8Array, info: FrameInfo, library: string): Uint8Array {
  const expected = info.rows * info.columns * info.samplesPerPixel * bytesPerSample(info);
  if (decoded.length !== expected) {
    throw new TranscodeError(false, `${library} decoded ${decoded.length} bytes where the image needs ${expected}`);
  }
  return decoded;
}

async function decodeWithWasm(specifier: string, className: string, frame: Uint8Array, _info: FrameInfo) {
  const lib = await loadWasm(specifier);
  const Decoder = lib[className];
  if (!Decoder) throw new TranscodeError(true, `${specifier} has no ${className}`);
  const decoder = new Decoder();
  try {
    decoder.getEncodedBuffer(frame.length).set(frame);
    try {
      decoder.decode();
    } catch (error) {
      throw new TranscodeError(false, `${specifier} could not decode the frame: ${String(error)}`, { cause: error });
    }
    const frameInfo = decoder.getFrameInfo();
    const interleave = decoder.getInterleaveMode?.();
    // Copy out of the WebAssembly heap before the decoder is deleted.
    return { pixels: new Uint8Array(decoder.getDecodedBuffer()), frameInfo, interleave };
  } finally {
    decoder.delete();
  }
}

function planarToInterleaved(planar: Uint8Array, samples: number, bytes: number): Uint8Array {
  const pixels = planar.length / (samples * bytes);
  const out = new Uint8Array(planar.length);
  for (let s = 0; s < samples; s++) {
    for (let p = 0; p < pixels; p++) {
      for (let b = 0; b < bytes; b++) out[(p * samples + s) * bytes + b] = planar[(s * pixels + p) * bytes + b]!;
    }
  }
  return out;
}

const keep = (info: FrameInfo) => info.photometricInterpretation;

const rle: FrameDecoder = {
  library: 'built-in RLE decoder',
  decode: async (frame, info) => checkSize(decodeRleFrame(frame, info), info, 'RLE'),
  outputPhotometricInterpretation: keep,
};

const jpegLossless: FrameDecoder = {
  library: 'libjpeg-turbo (8-bit samples) / jpeg-lossless-decoder-js',
  async decode(frame, info) {
    if (info.bitsStored <= 8 && info.bitsAllocated === 8) {
      // libjpeg-turbo 3 decodes lossless JPEG of 8-bit precision; jpeg-lossless-decoder-js loses the last pixel of
      // some 3-component Selection Value 1 images, so it only handles the higher precisions.
      const { pixels } = await decodeWithWasm(
        '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs',
        'JPEGDecoder',
        frame,
        info,
      );
      return checkSize(pixels, info, 'libjpeg-turbo');
    }
    const { Decoder } = require('jpeg-lossless-decoder-js') as {
      Decoder: new () => {
        decompress(buffer: ArrayBuffer, offset?: number, length?: number): ArrayBuffer;
        numBytes?: number;
      };
    };
    const copy = new Uint8Array(frame); // a copy with its own ArrayBuffer (Buffer#slice would share)
    let output: ArrayBuffer;
    try {
      output = new Decoder().decompress(copy.buffer, 0, copy.length);
    } catch (error) {
      throw new TranscodeError(false, `jpeg-lossless-decoder-js could not decode the frame: ${String(error)}`, {
        cause: error,
      });
    }
    const decoded = new Uint8Array(output);
    const pixelsSamples = info.rows * info.columns * info.samplesPerPixel;
    return checkSize(fitSamples(decoded, info, decoded.length / pixelsSamples), info, 'jpeg-lossless-decoder-js');
  },
  outputPhotometricInterpretation: keep,
};

const jpegLs: FrameDecoder = {
  library: '@cornerstonejs/codec-charls',
  async decode(frame, info) {
    const { pixels, frameInfo, interleave } = await decodeWithWasm(
      '@cornerstonejs/codec-charls/decodewasmjs',
      'JpegLSDecoder',
      frame,
      info,
    );
    const bytes = frameInfo.bitsPerSample <= 8 ? 1 : 2;
    const ordered =
      info.samplesPerPixel > 1 && interleave === 0 ? planarToInterleaved(pixels, info.samplesPerPixel, bytes) : pixels;
    return checkSize(fitSamples(ordered, info, bytes), info, 'CharLS');
  },
  outputPhotometricInterpretation: keep,
};

const jpegLossy: FrameDecoder = {
  library: '@cornerstonejs/codec-libjpeg-turbo-8bit',
  async decode(frame, info) {
    if (info.bitsStored > 8) {
      throw new TranscodeError(
        true,
        `Lossy JPEG with ${info.bitsStored} bits stored needs a 12-bit JPEG codec, not installed`,
      );
    }
    const { pixels } = await decodeWithWasm(
      '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs',
      'JPEGDecoder',
      frame,
      info,
    );
    return checkSize(fitSamples(pixels, info, 1), info, 'libjpeg-turbo');
  },
  outputPhotometricInterpretation: (info) => (info.samplesPerPixel === 3 ? 'RGB' : info.photometricInterpretation),
};

const jpeg2000: FrameDecoder = {
  library: '@cornerstonejs/codec-openjpeg',
  async decode(frame, info) {
    const { pixels, frameInfo } = await decodeWithWasm(
      '@cornerstonejs/codec-openjpeg/decodewasmjs',
      'J2KDecoder',
      frame,
      info,
    );
    return checkSize(fitSamples(pixels, info, frameInfo.bitsPerSample <= 8 ? 1 : 2), info, 'OpenJPEG');
  },
  outputPhotometricInterpretation: (info) =>
    info.photometricInterpretation === 'YBR_RCT' || info.photometricInterpretation === 'YBR_ICT'
      ? 'RGB'
      : info.photometricInterpretation,
};

const DECODERS = new Map<string, FrameDecoder>([
  [TransferSyntax.RLELossless, rle],
  [TransferSyntax.JPEGLossless, jpegLossless],
  [TransferSyntax.JPEGLosslessSV1, jpegLossless],
  [TransferSyntax.JPEGLSLossless, jpegLs],
  [TransferSyntax.JPEGLSNearLossless, jpegLs],
  [TransferSyntax.JPEGBaseline8Bit, jpegLossy],
  [TransferSyntax.JPEGExtended12Bit, jpegLossy],
  [TransferSyntax.JPEG2000Lossless, jpeg2000],
  [TransferSyntax.JPEG2000, jpeg2000],
  ['1.2.840.10008.1.2.4.92', jpeg2000],
  ['1.2.840.10008.1.2.4.93', jpeg2000],
]);

/** The decoder for an encapsulated transfer syntax, or `undefined` when none is available. PS3.5 A.4. */
export function findDecoder(transferSyntaxUid: string): FrameDecoder | undefined {
  return DECODERS.get(transferSyntaxUid);
}

/** UIDs of the transfer syntaxes that {@link findDecoder} can decompress. */
export function decodableTransferSyntaxes(): string[] {
  return [...DECODERS.keys()];
}
