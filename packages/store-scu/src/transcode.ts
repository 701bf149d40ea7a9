/**
 * Streaming transcoding of a dataset between transfer syntaxes (PS3.5 section 10 and Annex A), element by element:
 * - between the native syntaxes: Implicit VR LE <-> Explicit VR LE <-> Explicit VR BE, and Deflated Explicit VR LE
 *   (PS3.5 A.1-A.3, A.5), recursing into sequences of defined and undefined length, swapping bytes by VR for big
 *   endian, taking VRs from the PS3.6 dictionary when making implicit data explicit (unknown tags become UN, and so
 *   does any value too long for its VR's 16-bit length field, PS3.5 6.2.2);
 * - from an encapsulated syntax to a native one by decoding the frames (see `codecs/`), under a
 *   {@link DecompressionPolicy}.
 *
 * Memory stays bounded: values stream through in pieces, and only a sequence of defined length whose length must be
 * recomputed (implicit <-> explicit) is held, when it is at most 1 MiB; a larger one is written with undefined
 * length instead (PS3.5 7.5.1). Decompression holds one compressed and one decoded frame.
 */

import { Readable } from 'node:stream';
import { createDeflateRaw } from 'node:zlib';
import { ByteReader } from './byte-reader.js';
import { findDecoder, type FrameDecoder, type FrameInfo } from './codecs/index.js';
import { dictionaryVr } from './dictionary.js';
import { DatasetParseError, TranscodeError } from './errors.js';
import { decodeString, encodingOf } from './part10.js';
import { inflateRaw } from './sources.js';
import { describeTransferSyntax, isUncompressed, TransferSyntax, transferSyntaxName } from './transfer-syntax.js';
import {
  type Encoding,
  encodeElementHeader,
  formatTag,
  hasLongLength,
  IMPLICIT_LE,
  ITEM,
  ITEM_DELIMITATION,
  PIXEL_DATA,
  readElementHeader,
  SEQUENCE_DELIMITATION,
  swapBytes,
  swapUnit,
  UNDEFINED_LENGTH,
} from './vr.js';

/**
 * Whether compressed files may be decompressed when the peer does not accept their transfer syntax:
 * `never`; `lossless`: only files in a lossless syntax (default); `lossy`: also files already lossy-compressed
 * (decoding them loses nothing more, but the result is still a lossy image: Lossy Image Compression stays "01").
 */
export type DecompressionPolicy = 'never' | 'lossless' | 'lossy';

/** Options of {@link transcodeDataset}. */
export interface TranscodeOptions {
  /** Transfer syntax UID of the source bytes. */
  readonly from: string;
  /** Transfer syntax UID wanted. */
  readonly to: string;
  /** Default `lossless`. */
  readonly decompress?: DecompressionPolicy;
}

/**
 * Why `from` cannot be transcoded to `to` under `policy`, or `undefined` when it can. Never throws.
 * Encoding into a compressed syntax is not supported; decoding needs a codec (see `codecs/`) and the policy's consent.
 */
export function transcodeImpossibility(
  from: string,
  to: string,
  policy: DecompressionPolicy = 'lossless',
): string | undefined {
  if (from === to) return undefined;
  const source = describeTransferSyntax(from);
  if (!isUncompressed(to)) {
    return `Encoding into ${transferSyntaxName(to)} is not supported; only uncompressed transfer syntaxes can be produced`;
  }
  if (isUncompressed(from)) return undefined;
  if (!source.encapsulated || source.name === from) {
    return `Transfer syntax ${transferSyntaxName(from)} cannot be converted (unknown or not an image encoding)`;
  }
  if (!findDecoder(from)) return `No decoder is available for ${transferSyntaxName(from)}`;
  if (policy === 'never')
    return `Decompressing ${transferSyntaxName(from)} is forbidden by the decompression policy 'never'`;
  if (policy === 'lossless' && !source.lossless) {
    return `${transferSyntaxName(from)} is lossy; decompressing it needs the decompression policy 'lossy'`;
  }
  return undefined;
}

const BUFFER_LIMIT = 1 << 20;
const SMALL_VALUE = 64 * 1024;
const MAX_DEPTH = 64;
const OUTPUT_CHUNK = 64 * 1024;

interface Level {
  pixelRepresentation?: number | undefined;
  bitsAllocated?: number | undefined;
  bitsStored?: number | undefined;
  samplesPerPixel?: number | undefined;
  rows?: number | undefined;
  columns?: number | undefined;
  numberOfFrames?: number | undefined;
  photometricInterpretation?: string | undefined;
  planarConfiguration?: number | undefined;
}

function readUs(value: Uint8Array, enc: Encoding): number | undefined {
  if (value.length < 2) return undefined;
  return new DataView(value.buffer, value.byteOffset, 2).getUint16(0, !enc.bigEndian);
}

function encodeUs(n: number, enc: Encoding): Uint8Array {
  const out = new Uint8Array(2);
  new DataView(out.buffer).setUint16(0, n, !enc.bigEndian);
  return out;
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

class Converter {
  constructor(
    private readonly reader: ByteReader,
    private readonly decoder: FrameDecoder | undefined,
    private readonly fromUid: string,
  ) {}

  /** Converts elements until `end`: the end of the source, an Item Delimitation Item, or an absolute position. */
  async *dataset(
    end: 'eof' | 'item' | number,
    src: Encoding,
    dst: Encoding,
    level: Level,
    depth: number,
    top: boolean,
  ): AsyncGenerator<Uint8Array> {
    const reader = this.reader;
    for (;;) {
      if (end === 'eof') {
        if (await reader.atEnd()) return;
      } else if (typeof end === 'number') {
        if (reader.position === end) return;
        if (reader.position > end) {
          throw new DatasetParseError('malformed', `An element crosses the end of its item at byte ${end}`);
        }
      }
      const header = await readElementHeader(reader, src);
      const { tag, length } = header;
      if (tag === ITEM_DELIMITATION) {
        if (end !== 'item') throw new DatasetParseError('malformed', 'Unexpected Item Delimitation Item');
        yield encodeElementHeader(ITEM_DELIMITATION, undefined, 0, dst);
        return;
      }
      if (tag === ITEM || tag === SEQUENCE_DELIMITATION) {
        throw new DatasetParseError('malformed', `Unexpected ${formatTag(tag)} among the elements of a dataset`);
      }
      if ((tag & 0xffff) === 0 && src.explicitVr !== dst.explicitVr && length !== UNDEFINED_LENGTH) {
        // Group lengths (retired in datasets, PS3.5 7.2) would be wrong once headers change size: dropped.
        await reader.skip(length);
        continue;
      }
      let vr = header.vr ?? dictionaryVr(tag);
      if (src.explicitVr && vr === 'UN' && length === UNDEFINED_LENGTH) {
        // UN of undefined length holds Implicit VR Little Endian items (PS3.5 6.2.2): kept as such.
        yield encodeElementHeader(tag, 'UN', UNDEFINED_LENGTH, dst);
        yield* this.items(tag, UNDEFINED_LENGTH, IMPLICIT_LE, IMPLICIT_LE, level, depth);
        yield encodeElementHeader(SEQUENCE_DELIMITATION, undefined, 0, dst);
        continue;
      }
      if (vr === 'SQ' || (length === UNDEFINED_LENGTH && tag !== PIXEL_DATA && !src.explicitVr)) {
        yield* this.sequence(tag, length, src, dst, level, depth);
        continue;
      }
      if (tag === PIXEL_DATA && length === UNDEFINED_LENGTH) {
        if (!top || !this.decoder) {
          throw new TranscodeError(true, 'Encapsulated pixel data can only be converted by decoding it');
        }
        yield* this.decodePixelData(level, dst);
        continue;
      }
      if (length === UNDEFINED_LENGTH) {
        throw new DatasetParseError('malformed', `${formatTag(tag)} (${vr}) has an undefined length`);
      }
      vr = this.concreteVr(vr, tag, level);
      const outVr = dst.explicitVr && !hasLongLength(vr) && length > 0xffff ? 'UN' : vr;
      const unit = src.bigEndian !== dst.bigEndian ? swapUnit(vr) : 1;
      if (length <= SMALL_VALUE) {
        let value = await reader.read(length);
        if (tag >>> 16 === 0x0028) value = this.track(tag, value, src, level, top);
        if (unit > 1) value = swapBytes(value, unit);
        yield encodeElementHeader(tag, outVr, value.length, dst);
        if (value.length > 0) yield value;
        continue;
      }
      yield encodeElementHeader(tag, outVr, length, dst);
      for await (const piece of reader.stream(length, unit)) yield unit > 1 ? swapBytes(piece, unit) : piece;
    }
  }

  /** VR for the output: context-dependent dictionary VRs resolved (PS3.5 A.1), unknown tags UN. */
  private concreteVr(vr: string | undefined, tag: number, level: Level): string {
    switch (vr) {
      case undefined:
      case 'na':
        return 'UN';
      case 'xs':
        return level.pixelRepresentation === 1 ? 'SS' : 'US';
      case 'lt':
        return 'OW';
      case 'ox':
      case 'px':
        return tag === PIXEL_DATA && level.bitsAllocated !== undefined && level.bitsAllocated <= 8 ? 'OB' : 'OW';
      default:
        return vr;
    }
  }

  /** Records Image Pixel attributes; rewrites Photometric Interpretation and Planar Configuration when decoding. */
  private track(tag: number, value: Uint8Array, src: Encoding, level: Level, top: boolean): Uint8Array {
    const rewrite = top && this.decoder !== undefined;
    switch (tag) {
      case 0x00280002:
        level.samplesPerPixel = readUs(value, src);
        break;
      case 0x00280004: {
        level.photometricInterpretation = decodeString(value);
        if (rewrite) {
          const out = this.decoder!.outputPhotometricInterpretation(frameInfo(level));
          if (out !== level.photometricInterpretation) {
            return Buffer.from(out.length % 2 ? `${out} ` : out, 'latin1');
          }
        }
        break;
      }
      case 0x00280006:
        level.planarConfiguration = readUs(value, src);
        if (rewrite && level.planarConfiguration !== 0) return encodeUs(0, src);
        break;
      case 0x00280008:
        level.numberOfFrames = Number.parseInt(decodeString(value), 10);
        break;
      case 0x00280010:
        level.rows = readUs(value, src);
        break;
      case 0x00280011:
        level.columns = readUs(value, src);
        break;
      case 0x00280100:
        level.bitsAllocated = readUs(value, src);
        break;
      case 0x00280101:
        level.bitsStored = readUs(value, src);
        break;
      case 0x00280103:
        level.pixelRepresentation = readUs(value, src);
        break;
    }
    return value;
  }

  private async *sequence(
    tag: number,
    length: number,
    src: Encoding,
    dst: Encoding,
    level: Level,
    depth: number,
  ): AsyncGenerator<Uint8Array> {
    if (depth >= MAX_DEPTH)
      throw new DatasetParseError('malformed', `Sequences nested deeper than ${MAX_DEPTH} levels`);
    const resize = length !== UNDEFINED_LENGTH && src.explicitVr !== dst.explicitVr;
    if (!resize) {
      yield encodeElementHeader(tag, 'SQ', length, dst);
      yield* this.items(tag, length, src, dst, level, depth);
      if (length === UNDEFINED_LENGTH) yield encodeElementHeader(SEQUENCE_DELIMITATION, undefined, 0, dst);
      return;
    }
    if (length <= BUFFER_LIMIT) {
      const { parts, size } = await collect(this.items(tag, length, src, dst, level, depth));
      yield encodeElementHeader(tag, 'SQ', size, dst);
      yield* parts;
      return;
    }
    yield encodeElementHeader(tag, 'SQ', UNDEFINED_LENGTH, dst);
    yield* this.items(tag, length, src, dst, level, depth);
    yield encodeElementHeader(SEQUENCE_DELIMITATION, undefined, 0, dst);
  }

  /** The items of a sequence (PS3.5 7.5), up to its end or its Sequence Delimitation Item (not written). */
  private async *items(
    tag: number,
    length: number,
    src: Encoding,
    dst: Encoding,
    level: Level,
    depth: number,
  ): AsyncGenerator<Uint8Array> {
    const reader = this.reader;
    const end = length === UNDEFINED_LENGTH ? undefined : reader.position + length;
    const resize = src.explicitVr !== dst.explicitVr;
    for (;;) {
      if (end !== undefined) {
        if (reader.position === end) return;
        if (reader.position > end)
          throw new DatasetParseError('malformed', `An item crosses the end of ${formatTag(tag)}`);
      }
      const item = await readElementHeader(reader, src);
      if (item.tag === SEQUENCE_DELIMITATION) {
        if (end !== undefined)
          throw new DatasetParseError(
            'malformed',
            `Sequence Delimitation Item inside ${formatTag(tag)} of defined length`,
          );
        return;
      }
      if (item.tag !== ITEM) {
        throw new DatasetParseError('malformed', `Expected an item in ${formatTag(tag)}, found ${formatTag(item.tag)}`);
      }
      const child: Level =
        level.pixelRepresentation === undefined ? {} : { pixelRepresentation: level.pixelRepresentation };
      if (item.length === UNDEFINED_LENGTH) {
        yield encodeElementHeader(ITEM, undefined, UNDEFINED_LENGTH, dst);
        yield* this.dataset('item', src, dst, child, depth + 1, false);
      } else if (!resize) {
        yield encodeElementHeader(ITEM, undefined, item.length, dst);
        yield* this.dataset(reader.position + item.length, src, dst, child, depth + 1, false);
      } else if (item.length <= BUFFER_LIMIT) {
        const { parts, size } = await collect(
          this.dataset(reader.position + item.length, src, dst, child, depth + 1, false),
        );
        yield encodeElementHeader(ITEM, undefined, size, dst);
        yield* parts;
      } else {
        yield encodeElementHeader(ITEM, undefined, UNDEFINED_LENGTH, dst);
        yield* this.dataset(reader.position + item.length, src, dst, child, depth + 1, false);
        yield encodeElementHeader(ITEM_DELIMITATION, undefined, 0, dst);
      }
    }
  }

  /** Decodes encapsulated Pixel Data (PS3.5 A.4) frame by frame into a native Pixel Data element (PS3.5 8.2). */
  private async *decodePixelData(level: Level, dst: Encoding): AsyncGenerator<Uint8Array> {
    const reader = this.reader;
    const decoder = this.decoder!;
    const info = frameInfo(level);
    if (
      !info.rows ||
      !info.columns ||
      !info.samplesPerPixel ||
      (info.bitsAllocated !== 8 && info.bitsAllocated !== 16)
    ) {
      throw new TranscodeError(
        true,
        `Cannot decode pixel data with Rows ${info.rows}, Columns ${info.columns}, Samples per Pixel ${info.samplesPerPixel}, Bits Allocated ${info.bitsAllocated}`,
      );
    }
    const frames = level.numberOfFrames && level.numberOfFrames > 0 ? level.numberOfFrames : 1;
    const frameSize = info.rows * info.columns * info.samplesPerPixel * (info.bitsAllocated / 8);
    const total = frameSize * frames;
    if (total > 0xfffffffe) throw new TranscodeError(true, `Decoded pixel data would exceed 4 GiB (${total} bytes)`);
    const vr = info.bitsAllocated > 8 ? 'OW' : 'OB';
    yield encodeElementHeader(PIXEL_DATA, vr, total + (total % 2), dst);

    const bot = await readElementHeader(reader, { explicitVr: true, bigEndian: false });
    if (bot.tag !== ITEM || bot.length === UNDEFINED_LENGTH || bot.length % 4 !== 0) {
      throw new DatasetParseError('malformed', 'Encapsulated Pixel Data does not start with a Basic Offset Table item');
    }
    const botBytes = await reader.read(bot.length);
    const botView = new DataView(botBytes.buffer, botBytes.byteOffset, botBytes.length);
    const offsets = Array.from({ length: bot.length / 4 }, (_, i) => botView.getUint32(i * 4, true));
    const useOffsets = frames > 1 && offsets.length === frames;
    const rle = this.fromUid === TransferSyntax.RLELossless;

    let current: Uint8Array[] = [];
    let currentSize = 0;
    let offset = 0;
    let done = 0;
    const flush = async (): Promise<Uint8Array> => {
      if (done >= frames) throw new TranscodeError(false, `The pixel data holds more than ${frames} frame(s)`);
      const compressed = concat(current, currentSize);
      current = [];
      currentSize = 0;
      let decoded = await decoder.decode(compressed, info);
      if (dst.bigEndian && vr === 'OW') decoded = swapBytes(decoded, 2);
      done++;
      return decoded;
    };
    for (;;) {
      const fragment = await readElementHeader(reader, { explicitVr: true, bigEndian: false });
      if (fragment.tag === SEQUENCE_DELIMITATION) break;
      if (fragment.tag !== ITEM || fragment.length === UNDEFINED_LENGTH) {
        throw new DatasetParseError('malformed', `Unexpected ${formatTag(fragment.tag)} among pixel data fragments`);
      }
      const data = await reader.read(fragment.length);
      if (currentSize > 0 && frames > 1) {
        const startsFrame = useOffsets
          ? offset === offsets[done + 1]
          : rle || (data[0] === 0xff && (data[1] === 0xd8 || data[1] === 0x4f)); // JPEG SOI / JPEG 2000 SOC
        if (startsFrame) yield await flush();
      }
      current.push(data);
      currentSize += data.length;
      offset += 8 + fragment.length;
    }
    if (currentSize > 0) yield await flush();
    if (done !== frames) {
      throw new TranscodeError(false, `The pixel data holds ${done} frame(s) where Number of Frames says ${frames}`);
    }
    if (total % 2) yield new Uint8Array(1);
  }
}

function frameInfo(level: Level): FrameInfo {
  return {
    rows: level.rows ?? 0,
    columns: level.columns ?? 0,
    samplesPerPixel: level.samplesPerPixel ?? 1,
    bitsAllocated: level.bitsAllocated ?? 0,
    bitsStored: level.bitsStored ?? level.bitsAllocated ?? 0,
    pixelRepresentation: level.pixelRepresentation ?? 0,
    photometricInterpretation: level.photometricInterpretation ?? '',
    planarConfiguration: level.planarConfiguration ?? 0,
  };
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<{ parts: Uint8Array[]; size: number }> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const part of source) {
    // Pieces may be views of reader chunks that are reused later: copy what is kept.
    parts.push(new Uint8Array(part));
    size += part.length;
  }
  return { parts, size };
}

/** Joins small pieces into chunks of about 64 KiB; large pieces pass through. */
async function* coalesce(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array[] = [];
  let size = 0;
  for await (const piece of source) {
    if (piece.length >= OUTPUT_CHUNK) {
      if (size > 0) {
        yield concat(pending, size);
        pending = [];
        size = 0;
      }
      yield piece;
      continue;
    }
    pending.push(piece);
    size += piece.length;
    if (size >= OUTPUT_CHUNK) {
      yield concat(pending, size);
      pending = [];
      size = 0;
    }
  }
  if (size > 0) yield concat(pending, size);
}

function wrapErrors(source: AsyncIterable<Uint8Array>, from: string, to: string): AsyncGenerator<Uint8Array> {
  return (async function* () {
    try {
      yield* source;
    } catch (error) {
      if (error instanceof TranscodeError) throw error;
      const what = error instanceof DatasetParseError ? error.message : String((error as Error)?.message ?? error);
      throw new TranscodeError(
        false,
        `Transcoding from ${transferSyntaxName(from)} to ${transferSyntaxName(to)} failed: ${what}`,
        { cause: error },
      );
    }
  })();
}

/**
 * Transcodes the dataset bytes `source` (everything after the file meta, deflated if `from` is deflated) into `to`,
 * streaming. Throws {@link TranscodeError} up front (`impossible`) when the conversion cannot be done, and from the
 * iteration (`failed`) when the data turns out malformed or a frame cannot be decoded.
 */
export function transcodeDataset(
  source: AsyncIterable<Uint8Array>,
  options: TranscodeOptions,
): AsyncIterable<Uint8Array> {
  const { from, to } = options;
  const policy = options.decompress ?? 'lossless';
  const reason = transcodeImpossibility(from, to, policy);
  if (reason) throw new TranscodeError(true, reason);
  if (from === to) return source;
  const fromInfo = describeTransferSyntax(from);
  const toInfo = describeTransferSyntax(to);
  const decoder = fromInfo.encapsulated ? findDecoder(from) : undefined;
  const reader = new ByteReader(fromInfo.deflated ? inflateRaw(source) : source);
  const converter = new Converter(reader, decoder, from);
  const srcEnc = encodingOf(fromInfo);
  const dstEnc = encodingOf(toInfo);
  const converted = wrapErrors(
    coalesce(
      (async function* () {
        try {
          yield* converter.dataset('eof', srcEnc, dstEnc, {}, 0, true);
        } finally {
          await reader.close();
        }
      })(),
    ),
    from,
    to,
  );
  if (!toInfo.deflated) return converted;
  return wrapErrors(
    Readable.from(converted, { objectMode: false }).pipe(createDeflateRaw()) as AsyncIterable<Uint8Array>,
    from,
    to,
  );
}
