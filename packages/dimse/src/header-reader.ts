/**
 * A streaming reader of a data set's top-level attributes (PS3.5 section 7), for routing and naming: fed chunks of a
 * data set in any transfer syntax whose data set is not itself compressed away (Implicit VR Little Endian, Explicit
 * VR Little/Big Endian, the encapsulated ones — their header is Explicit VR Little Endian — and Deflated Explicit VR
 * Little Endian through a streaming raw inflate, PS3.5 A.5). It finishes as soon as it has passed the attributes it
 * wants, before Pixel Data, skipping sequences of defined and undefined length without holding them.
 *
 * Memory is bounded: only the values it collects are kept (each capped), plus a 12-byte header buffer and a stack of
 * nested undefined-length sequences (depth capped).
 */
import { open } from 'node:fs/promises';
import { createInflateRaw, type InflateRaw } from 'node:zlib';
import { MalformedDatasetError } from './errors.js';
import { datasetEncoding } from './transfer-syntax.js';
import { LONG_LENGTH_VRS, SHORT_LENGTH_VRS } from './vr.js';

/** Tags of the attributes read by default (PS3.6 data dictionary). */
export const HeaderTag = {
  SpecificCharacterSet: 0x00080005,
  SOPClassUID: 0x00080016,
  SOPInstanceUID: 0x00080018,
  StudyDate: 0x00080020,
  AccessionNumber: 0x00080050,
  Modality: 0x00080060,
  PatientName: 0x00100010,
  PatientID: 0x00100020,
  StudyInstanceUID: 0x0020000d,
  SeriesInstanceUID: 0x0020000e,
  SeriesNumber: 0x00200011,
  InstanceNumber: 0x00200013,
  PixelData: 0x7fe00010,
} as const;

const DEFAULT_TAGS: readonly number[] = [
  HeaderTag.SpecificCharacterSet,
  HeaderTag.SOPClassUID,
  HeaderTag.SOPInstanceUID,
  HeaderTag.StudyDate,
  HeaderTag.AccessionNumber,
  HeaderTag.Modality,
  HeaderTag.PatientName,
  HeaderTag.PatientID,
  HeaderTag.StudyInstanceUID,
  HeaderTag.SeriesInstanceUID,
  HeaderTag.SeriesNumber,
  HeaderTag.InstanceNumber,
];

/** The routing and naming attributes of a data set, PS3.3 C.12.1 (SOP Common), C.7.1.1, C.7.2.1, C.7.3.1. */
export interface DatasetHeader {
  readonly transferSyntax: string;
  readonly sopClassUid?: string;
  readonly sopInstanceUid?: string;
  readonly patientId?: string;
  readonly patientName?: string;
  readonly studyInstanceUid?: string;
  readonly seriesInstanceUid?: string;
  readonly modality?: string;
  readonly studyDate?: string;
  readonly accessionNumber?: string;
  readonly seriesNumber?: number;
  readonly instanceNumber?: number;
  readonly specificCharacterSet?: string;
  /** Raw value bytes (padding included) of every collected top-level attribute, by tag. */
  readonly elements: ReadonlyMap<number, Uint8Array>;
  /** The top-level tag at which reading stopped, or undefined when the data set ended first. */
  readonly stoppedAtTag: number | undefined;
  /** Offset (in the decoded data set) of the first byte not interpreted: the stop element's header, or the end. */
  readonly bytesRead: number;
  /** Set when reading gave up at `maxInflatedLength`: the attributes are those found before that point. */
  readonly incomplete?: true;
}

/** Options of {@link createHeaderReader} and {@link readDatasetHeader}. */
export interface HeaderReaderOptions {
  /** Transfer syntax UID of the data set bytes. */
  readonly transferSyntax: string;
  /** Further top-level tags to collect (raw bytes in `elements`). */
  readonly tags?: readonly number[];
  /** Stop at the first top-level tag >= this one. Default (7FE0,0010) Pixel Data. */
  readonly stopAtTag?: number;
  /** Stop as soon as the last wanted tag is passed (default true); false reads on to `stopAtTag` or the end. */
  readonly stopAfterWanted?: boolean;
  /** Largest value collected; a bigger wanted value is an error. Default 65536. */
  readonly maxValueLength?: number;
  /** Deepest nesting of undefined-length sequences and items. Default 64. */
  readonly maxDepth?: number;
  /**
   * For deflated transfer syntaxes: most bytes inflated while looking for the header. Past it the reader gives up
   * and reports what it found so far (`incomplete: true`) — a deflate bomb costs bounded work. Default 64 MiB.
   */
  readonly maxInflatedLength?: number;
}

/** An incremental header reader, see {@link createHeaderReader}. */
export interface HeaderReader {
  /** Feeds the next chunk. Resolves true once the header is complete; later chunks are ignored. */
  push(chunk: Uint8Array): Promise<boolean>;
  /** Declares the end of the data set and returns the header. Throws if the data ended inside an element. */
  end(): Promise<DatasetHeader>;
  /** Whether the header is complete. */
  readonly done: boolean;
}

type Mode = { readonly explicit: boolean; readonly le: boolean };
type Frame = { readonly kind: 'sequence' | 'item'; readonly mode: Mode };

const ITEM = 0xfffee000;
const ITEM_DELIMITATION = 0xfffee00d;
const SEQUENCE_DELIMITATION = 0xfffee0dd;
const UNDEFINED = 0xffffffff;

/** Default {@link HeaderReaderOptions.maxInflatedLength}: 64 MiB. */
export const DEFAULT_MAX_INFLATED_LENGTH = 64 * 1024 * 1024;

/** The synchronous core: parses decoded (inflated) data set bytes. */
class HeaderParser {
  done = false;
  private readonly root: Mode;
  private readonly stack: Frame[] = [];
  private readonly head = new Uint8Array(12);
  private headLength = 0;
  private skip = 0;
  private collecting: { tag: number; value: Uint8Array; filled: number } | undefined;
  private position = 0;
  private readonly wanted: Set<number>;
  private readonly lastWanted: number;
  private readonly stopAtTag: number;
  private readonly maxValueLength: number;
  private readonly maxDepth: number;
  readonly elements = new Map<number, Uint8Array>();
  stoppedAtTag: number | undefined;
  bytesRead = 0;

  constructor(options: HeaderReaderOptions) {
    const encoding = datasetEncoding(options.transferSyntax);
    this.root = { explicit: encoding.explicitVr, le: encoding.littleEndian };
    this.wanted = new Set([...DEFAULT_TAGS, ...(options.tags ?? [])]);
    this.stopAtTag = options.stopAtTag ?? HeaderTag.PixelData;
    this.lastWanted = options.stopAfterWanted === false ? Number.POSITIVE_INFINITY : Math.max(...this.wanted);
    this.maxValueLength = options.maxValueLength ?? 65536;
    this.maxDepth = options.maxDepth ?? 64;
  }

  push(chunk: Uint8Array): boolean {
    let i = 0;
    while (i < chunk.length && !this.done) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        this.position += n;
        continue;
      }
      const collecting = this.collecting;
      if (collecting !== undefined) {
        const n = Math.min(collecting.value.length - collecting.filled, chunk.length - i);
        collecting.value.set(chunk.subarray(i, i + n), collecting.filled);
        collecting.filled += n;
        i += n;
        this.position += n;
        if (collecting.filled === collecting.value.length) {
          this.elements.set(collecting.tag, collecting.value);
          this.collecting = undefined;
        }
        continue;
      }
      // Header bytes: 8 first, then 4 more for the explicit VRs with a 32-bit length.
      const needed = this.headLength < 8 ? 8 : 12;
      const n = Math.min(needed - this.headLength, chunk.length - i);
      this.head.set(chunk.subarray(i, i + n), this.headLength);
      this.headLength += n;
      i += n;
      this.position += n;
      if (this.headLength < needed) continue;
      if (needed === 8 && this.needsLongHeader()) continue;
      this.interpretHeader();
      this.headLength = 0;
    }
    return this.done;
  }

  end(): void {
    if (this.done) return;
    if (this.headLength > 0 || this.skip > 0 || this.collecting !== undefined || this.stack.length > 0) {
      throw new MalformedDatasetError(
        this.stack.length > 0
          ? `data set ended inside ${this.stack.length} undefined-length sequence(s)/item(s)`
          : 'data set ended inside an element',
        this.position,
      );
    }
    this.done = true;
    this.stoppedAtTag = undefined;
    this.bytesRead = this.position;
  }

  private get mode(): Mode {
    return this.stack.at(-1)?.mode ?? this.root;
  }

  private u16(offset: number): number {
    const h = this.head;
    return this.mode.le ? h[offset]! | (h[offset + 1]! << 8) : (h[offset]! << 8) | h[offset + 1]!;
  }

  private u32(offset: number): number {
    const h = this.head;
    return this.mode.le
      ? (h[offset]! | (h[offset + 1]! << 8) | (h[offset + 2]! << 16) | (h[offset + 3]! << 24)) >>> 0
      : ((h[offset]! << 24) | (h[offset + 1]! << 16) | (h[offset + 2]! << 8) | h[offset + 3]!) >>> 0;
  }

  private tag(): number {
    return ((this.u16(0) << 16) | this.u16(2)) >>> 0;
  }

  private vr(): string {
    return String.fromCharCode(this.head[4]!, this.head[5]!);
  }

  /** After 8 header bytes: does this element have the 12-byte explicit header? Validates the VR. */
  private needsLongHeader(): boolean {
    if (!this.mode.explicit || this.stack.at(-1)?.kind === 'sequence') return false;
    const tag = this.tag();
    if (tag >>> 16 === 0xfffe) return false;
    const vr = this.vr();
    if (LONG_LENGTH_VRS.has(vr)) return true;
    if (SHORT_LENGTH_VRS.has(vr)) return false;
    throw new MalformedDatasetError(
      `unknown VR ${JSON.stringify(vr)} for element ${formatTag(tag)}`,
      this.position - this.headLength,
    );
  }

  private interpretHeader(): void {
    const start = this.position - this.headLength;
    const tag = this.tag();
    const frame = this.stack.at(-1);
    const mode = this.mode;
    const isLong = this.headLength === 12;
    let vr: string | undefined;
    let length: number;
    if (tag >>> 16 === 0xfffe || !mode.explicit || frame?.kind === 'sequence') {
      length = this.u32(4);
    } else {
      vr = this.vr();
      length = isLong ? this.u32(8) : this.u16(6);
    }

    if (frame?.kind === 'sequence') {
      if (tag === ITEM) {
        if (length === UNDEFINED) this.pushFrame('item', mode, start);
        else this.skip = length;
      } else if (tag === SEQUENCE_DELIMITATION) {
        this.stack.pop();
      } else {
        throw new MalformedDatasetError(`expected an item in a sequence, found ${formatTag(tag)}`, start);
      }
      return;
    }
    if (tag === ITEM_DELIMITATION) {
      if (frame?.kind !== 'item') throw new MalformedDatasetError('item delimiter outside an item', start);
      this.stack.pop();
      return;
    }
    if (tag >>> 16 === 0xfffe) {
      throw new MalformedDatasetError(`unexpected delimiter ${formatTag(tag)}`, start);
    }

    if (frame === undefined) {
      if (tag >= this.stopAtTag || tag > this.lastWanted) {
        this.done = true;
        this.stoppedAtTag = tag;
        this.bytesRead = start;
        return;
      }
      if (length !== UNDEFINED && this.wanted.has(tag)) {
        if (length > this.maxValueLength) {
          throw new MalformedDatasetError(
            `${formatTag(tag)} has ${length} bytes, more than the ${this.maxValueLength} allowed`,
            start,
          );
        }
        if (length === 0) this.elements.set(tag, new Uint8Array(0));
        else this.collecting = { tag, value: new Uint8Array(length), filled: 0 };
        return;
      }
    }
    if (length === UNDEFINED) {
      if (vr !== undefined && !['SQ', 'UN', 'OB', 'OW'].includes(vr)) {
        throw new MalformedDatasetError(`${vr} element ${formatTag(tag)} with undefined length`, start);
      }
      // An undefined-length UN holds Implicit VR Little Endian (PS3.5 6.2.2).
      this.pushFrame('sequence', vr === 'UN' ? { explicit: false, le: true } : mode, start);
      return;
    }
    this.skip = length;
  }

  private pushFrame(kind: Frame['kind'], mode: Mode, start: number): void {
    if (this.stack.length >= this.maxDepth) {
      throw new MalformedDatasetError(`sequences nested deeper than ${this.maxDepth}`, start);
    }
    this.stack.push({ kind, mode });
  }
}

/**
 * Creates an incremental reader of a data set's top-level routing attributes (PS3.5 7.1; PS3.5 A.5 for deflate). Feed
 * it chunks with `push`; it resolves true as soon as it has passed the last wanted attribute or reached `stopAtTag`
 * (Pixel Data by default), without holding the bytes it skips.
 */
export function createHeaderReader(options: HeaderReaderOptions): HeaderReader {
  const parser = new HeaderParser(options);
  const { deflated } = datasetEncoding(options.transferSyntax);
  let inflater: InflateRaw | undefined;
  let failure: unknown;
  let inflatedAll: Promise<void> | undefined;
  const maxInflated = options.maxInflatedLength ?? DEFAULT_MAX_INFLATED_LENGTH;
  let inflated = 0;
  let gaveUp = false;

  if (deflated) {
    inflater = createInflateRaw();
    inflater.on('data', (data: Buffer) => {
      if (parser.done || gaveUp || failure !== undefined) return;
      inflated += data.length;
      if (inflated > maxInflated) {
        gaveUp = true;
        inflater?.destroy();
        return;
      }
      try {
        if (parser.push(data)) inflater?.destroy();
      } catch (error) {
        failure = error;
        inflater?.destroy();
      }
    });
    inflatedAll = new Promise<void>((resolve) => {
      inflater!.once('end', resolve);
      inflater!.once('close', resolve);
      inflater!.once('error', (error) => {
        if (!parser.done && failure === undefined) {
          failure = new MalformedDatasetError(`deflated data set does not inflate: ${error.message}`, 0, {
            cause: error,
          });
        }
        resolve();
      });
    });
  }

  const check = () => {
    if (failure !== undefined) throw failure;
  };

  const header = (): DatasetHeader => {
    const built = buildHeader(options.transferSyntax, parser);
    return gaveUp ? { ...built, stoppedAtTag: undefined, incomplete: true } : built;
  };

  return {
    get done() {
      return parser.done || gaveUp;
    },
    async push(chunk) {
      check();
      if (parser.done || gaveUp) return true;
      if (inflater === undefined) {
        try {
          return parser.push(chunk);
        } catch (error) {
          failure = error;
          throw error;
        }
      }
      const target = inflater;
      if (!target.destroyed) {
        // The write callback runs once the chunk is inflated and parsed; a destroyed inflater settles via `close`.
        const written = new Promise<void>((resolve) => target.write(chunk, () => resolve()));
        await Promise.race([written, inflatedAll]);
      }
      check();
      return parser.done || gaveUp;
    },
    async end() {
      check();
      if (gaveUp) return header();
      if (inflater !== undefined && !parser.done) {
        if (!inflater.destroyed) inflater.end();
        await inflatedAll;
        check();
      }
      parser.end();
      return header();
    },
  };
}

/**
 * Reads the header of a data set from bytes or an (async) iterable of chunks, stopping as soon as it is complete.
 * An iterator left early is closed with `return()` (a Node Readable is then destroyed): to keep using a stream, feed
 * a {@link createHeaderReader} from your own `data` handler instead.
 */
export async function readDatasetHeader(
  source: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  options: HeaderReaderOptions,
): Promise<DatasetHeader> {
  const reader = createHeaderReader(options);
  if (source instanceof Uint8Array) {
    await reader.push(source);
    return reader.end();
  }
  for await (const chunk of source) {
    if (await reader.push(chunk)) break;
  }
  return reader.end();
}

function buildHeader(transferSyntax: string, parser: HeaderParser): DatasetHeader {
  const raw = parser.elements;
  const charset = raw.has(HeaderTag.SpecificCharacterSet)
    ? asciiText(raw.get(HeaderTag.SpecificCharacterSet)!)
    : undefined;
  const header: Record<string, unknown> = {
    transferSyntax,
    elements: raw,
    stoppedAtTag: parser.stoppedAtTag,
    bytesRead: parser.bytesRead,
  };
  const uid = (tag: number, key: string) => {
    const v = raw.get(tag);
    if (v !== undefined) header[key] = latin1.decode(v).replace(/[\0 ]+$/, '');
  };
  const code = (tag: number, key: string) => {
    const v = raw.get(tag);
    if (v !== undefined) header[key] = asciiText(v);
  };
  const text = (tag: number, key: string) => {
    const v = raw.get(tag);
    if (v !== undefined) header[key] = decodeText(v, charset).replace(/[\0 ]+$/, '');
  };
  const integer = (tag: number, key: string) => {
    const v = raw.get(tag);
    if (v === undefined) return;
    const s = asciiText(v);
    const n = Number.parseInt(s, 10);
    if (s !== '' && /^[+-]?\d+$/.test(s) && Number.isSafeInteger(n)) header[key] = n;
  };
  if (charset !== undefined) header['specificCharacterSet'] = charset;
  uid(HeaderTag.SOPClassUID, 'sopClassUid');
  uid(HeaderTag.SOPInstanceUID, 'sopInstanceUid');
  uid(HeaderTag.StudyInstanceUID, 'studyInstanceUid');
  uid(HeaderTag.SeriesInstanceUID, 'seriesInstanceUid');
  text(HeaderTag.PatientID, 'patientId');
  text(HeaderTag.PatientName, 'patientName');
  text(HeaderTag.AccessionNumber, 'accessionNumber');
  code(HeaderTag.Modality, 'modality');
  code(HeaderTag.StudyDate, 'studyDate');
  integer(HeaderTag.SeriesNumber, 'seriesNumber');
  integer(HeaderTag.InstanceNumber, 'instanceNumber');
  return header as unknown as DatasetHeader;
}

const latin1 = new TextDecoder('latin1');

function asciiText(bytes: Uint8Array): string {
  return latin1.decode(bytes).replace(/^[ \0]+|[ \0]+$/g, '');
}

const SINGLE_BYTE: Record<string, string> = {
  'ISO_IR 6': 'latin1',
  'ISO_IR 100': 'latin1',
  'ISO_IR 101': 'iso-8859-2',
  'ISO_IR 109': 'iso-8859-3',
  'ISO_IR 110': 'iso-8859-4',
  'ISO_IR 144': 'iso-8859-5',
  'ISO_IR 127': 'iso-8859-6',
  'ISO_IR 126': 'iso-8859-7',
  'ISO_IR 138': 'iso-8859-8',
  'ISO_IR 148': 'iso-8859-9',
  'ISO_IR 203': 'iso-8859-15',
  'ISO_IR 166': 'windows-874',
  'ISO_IR 13': 'shift_jis',
  'ISO_IR 192': 'utf-8',
  GB18030: 'gb18030',
  GBK: 'gbk',
};

/**
 * Decodes a text value by its Specific Character Set (0008,0005), PS3.5 6.1.2.3 and 6.1.2.5. ISO 2022 code extension
 * is handled for the Japanese (IR 87/159) repertoires through ISO-2022-JP, and for Korean (IR 149) and Chinese
 * (IR 58) by their EUC encodings; other values fall back to the first single-byte repertoire named.
 */
export function decodeText(bytes: Uint8Array, specificCharacterSet: string | undefined): string {
  const terms = (specificCharacterSet ?? '').split('\\').map((s) => s.trim());
  let label = 'latin1';
  const has = (ir: string) => terms.some((t) => t === `ISO 2022 IR ${ir}`);
  const stripEscapes = (b: Uint8Array) =>
    Buffer.from(
      Buffer.from(b)
        .toString('latin1')
        .replace(/\x1b[$()][)A-Z@]?/g, ''),
      'latin1',
    );
  try {
    if (has('87') || has('159')) return decoderFor('iso-2022-jp').decode(bytes);
    if (has('149')) return decoderFor('euc-kr').decode(stripEscapes(bytes));
    if (has('58')) return decoderFor('gb18030').decode(stripEscapes(bytes));
    for (const term of terms) {
      if (term === '') continue;
      const normalized = term.replace(/^ISO 2022 IR /, 'ISO_IR ');
      const found = SINGLE_BYTE[normalized];
      if (found !== undefined) {
        label = found;
        break;
      }
    }
    return decoderFor(label).decode(bytes);
  } catch {
    return latin1.decode(bytes);
  }
}

/** One decoder per encoding, reused: making a TextDecoder costs far more than a short decode (a few per data set). */
const decoders = new Map<string, { decode(input: Uint8Array): string }>();
function decoderFor(label: string): { decode(input: Uint8Array): string } {
  let decoder = decoders.get(label);
  if (decoder === undefined) {
    decoder = new TextDecoder(label);
    decoders.set(label, decoder);
  }
  return decoder;
}

function formatTag(tag: number): string {
  const h = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  return `(${h(tag >>> 16)},${h(tag & 0xffff)})`;
}

/* ------------------------------------------------------------------------------------------- Part 10 header ---- */

/** File Meta Information, PS3.10 7.1 (group 0002, always Explicit VR Little Endian). */
export interface FileMetaInformation {
  readonly transferSyntaxUid: string;
  readonly mediaStorageSopClassUid?: string;
  readonly mediaStorageSopInstanceUid?: string;
  readonly implementationClassUid?: string;
  readonly implementationVersionName?: string;
  readonly sourceApplicationEntityTitle?: string;
  readonly sendingApplicationEntityTitle?: string;
  readonly receivingApplicationEntityTitle?: string;
  /** Every meta element's raw value bytes, by tag. */
  readonly elements: ReadonlyMap<number, Uint8Array>;
}

/** The start of a DICOM file: preamble, meta information, where the data set begins. */
export interface Part10Header {
  /** The file has the 128-byte preamble followed by `DICM` (PS3.10 7.1). */
  readonly hasPreamble: boolean;
  /** The meta information, or undefined for a bare data set. */
  readonly meta: FileMetaInformation | undefined;
  /** Byte offset where the data set starts. */
  readonly datasetOffset: number;
  /** From the meta, or guessed from the first element of a bare data set (PS3.5 7.1); undefined if unknowable. */
  readonly transferSyntax: string | undefined;
}

/** Options of {@link parsePart10Header}. */
export interface Part10Options {
  /** Largest meta information group accepted. Default 65536. */
  readonly maxMetaLength?: number;
  /** `bytes` is the whole file: a file shorter than a preamble is then taken as a bare data set. */
  readonly complete?: boolean;
}

/**
 * Parses the start of a DICOM file (PS3.10 7.1): the 128-byte preamble and `DICM` prefix, then the File Meta
 * Information group 0002 in Explicit VR Little Endian. Also accepts a file that starts with `DICM` or directly with
 * group 0002 (no preamble), and a bare data set (no meta: `meta` undefined, transfer syntax guessed).
 *
 * @returns the header, or undefined when `bytes` is too short to tell (give it more of the file).
 * @throws MalformedDatasetError for a meta group that is broken or larger than `maxMetaLength`.
 */
export function parsePart10Header(bytes: Uint8Array, options: Part10Options = {}): Part10Header | undefined {
  const maxMetaLength = options.maxMetaLength ?? 65536;
  const isDicm = (at: number) =>
    bytes[at] === 0x44 && bytes[at + 1] === 0x49 && bytes[at + 2] === 0x43 && bytes[at + 3] === 0x4d;
  let start: number;
  let hasPreamble = false;
  if (bytes.length >= 132 && isDicm(128)) {
    start = 132;
    hasPreamble = true;
  } else if (bytes.length >= 4 && isDicm(0)) {
    start = 4;
  } else if (bytes.length >= 2 && bytes[0] === 0x02 && bytes[1] === 0x00) {
    start = 0;
  } else if (bytes.length < 132 && options.complete !== true) {
    // Could still be a preamble with `DICM` after it.
    return undefined;
  } else {
    return { hasPreamble: false, meta: undefined, datasetOffset: 0, transferSyntax: detectTransferSyntax(bytes) };
  }

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const elements = new Map<number, Uint8Array>();
  let offset = start;
  let end: number | undefined;
  for (;;) {
    if (end !== undefined && offset === end) break;
    if (offset + 8 > bytes.length) return undefined;
    const group = view.getUint16(offset, true);
    if (group !== 0x0002) {
      if (end !== undefined) {
        throw new MalformedDatasetError('File Meta Information Group Length does not match its elements', offset);
      }
      break;
    }
    const element = view.getUint16(offset + 2, true);
    const tag = (0x00020000 | element) >>> 0;
    const vr = String.fromCharCode(bytes[offset + 4]!, bytes[offset + 5]!);
    let headerLength = 8;
    let length: number;
    if (LONG_LENGTH_VRS.has(vr)) {
      if (offset + 12 > bytes.length) return undefined;
      headerLength = 12;
      length = view.getUint32(offset + 8, true);
    } else if (SHORT_LENGTH_VRS.has(vr)) {
      length = view.getUint16(offset + 6, true);
    } else {
      throw new MalformedDatasetError(`meta element ${formatTag(tag)} has no explicit VR`, offset);
    }
    if (length === UNDEFINED || offset + headerLength + length - start > maxMetaLength) {
      throw new MalformedDatasetError(`File Meta Information larger than ${maxMetaLength} bytes`, offset);
    }
    if (offset + headerLength + length > bytes.length) return undefined;
    const value = bytes.subarray(offset + headerLength, offset + headerLength + length);
    if (tag === 0x00020000) {
      if (length !== 4) throw new MalformedDatasetError('File Meta Information Group Length is not UL', offset);
      const groupLength = view.getUint32(offset + headerLength, true);
      end = offset + headerLength + 4 + groupLength;
      if (end - start > maxMetaLength) {
        throw new MalformedDatasetError(`File Meta Information larger than ${maxMetaLength} bytes`, offset);
      }
    }
    elements.set(tag, value);
    offset += headerLength + length;
    if (end !== undefined && offset > end) {
      throw new MalformedDatasetError('File Meta Information Group Length does not match its elements', offset);
    }
  }
  const text = (tag: number) => {
    const v = elements.get(tag);
    return v === undefined ? undefined : latin1.decode(v).replace(/^[ ]+|[\0 ]+$/g, '');
  };
  const transferSyntaxUid = text(0x00020010);
  if (transferSyntaxUid === undefined || transferSyntaxUid === '') {
    throw new MalformedDatasetError('File Meta Information lacks Transfer Syntax UID (0002,0010)', start);
  }
  const meta: Record<string, unknown> = { transferSyntaxUid, elements };
  const optional: [number, string][] = [
    [0x00020002, 'mediaStorageSopClassUid'],
    [0x00020003, 'mediaStorageSopInstanceUid'],
    [0x00020012, 'implementationClassUid'],
    [0x00020013, 'implementationVersionName'],
    [0x00020016, 'sourceApplicationEntityTitle'],
    [0x00020017, 'sendingApplicationEntityTitle'],
    [0x00020018, 'receivingApplicationEntityTitle'],
  ];
  for (const [tag, key] of optional) {
    const v = text(tag);
    if (v !== undefined) meta[key] = v;
  }
  return {
    hasPreamble,
    meta: meta as unknown as FileMetaInformation,
    datasetOffset: offset,
    transferSyntax: transferSyntaxUid,
  };
}

/**
 * Guesses the transfer syntax of a bare data set from its first element (PS3.5 7.1.1–7.1.3): an explicit VR after
 * the tag means Explicit VR, the byte order of the group number tells little from big endian; otherwise Implicit VR
 * Little Endian. Undefined when fewer than 8 bytes are given.
 */
export function detectTransferSyntax(bytes: Uint8Array): string | undefined {
  if (bytes.length < 8) return undefined;
  const groupLe = bytes[0]! | (bytes[1]! << 8);
  const groupBe = (bytes[0]! << 8) | bytes[1]!;
  const vr = String.fromCharCode(bytes[4]!, bytes[5]!);
  if (LONG_LENGTH_VRS.has(vr) || SHORT_LENGTH_VRS.has(vr)) {
    return groupLe <= groupBe ? '1.2.840.10008.1.2.1' : '1.2.840.10008.1.2.2';
  }
  return '1.2.840.10008.1.2';
}

/**
 * Reads the Part 10 header (PS3.10 7.1) from the start of a file: preamble, `DICM`, File Meta Information, and the
 * offset where the data set starts. Reads only the first bytes of the file (at most `maxMetaLength` + 132 + 4096).
 *
 * @throws MalformedDatasetError when the meta information is broken; the fs error (ENOENT...) as is.
 */
export async function readPart10Header(path: string, options: Part10Options = {}): Promise<Part10Header> {
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    const limit = Math.min(size, (options.maxMetaLength ?? 65536) + 132 + 4096);
    let length = Math.min(limit, 4096);
    for (;;) {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, 0);
      const bytes = buffer.subarray(0, bytesRead);
      const header = parsePart10Header(bytes, { ...options, complete: bytesRead === size });
      if (header !== undefined) return header;
      if (length >= limit) {
        throw new MalformedDatasetError(`file ends inside its File Meta Information: ${path}`, bytesRead);
      }
      length = limit;
    }
  } finally {
    await handle.close();
  }
}
