/**
 * Huge DICOM objects (hundreds of MB to GBs) written or streamed in constant memory: a Multi-frame Grayscale Byte
 * Secondary Capture image (PS3.3 A.8.3) whose Pixel Data is produced chunk by chunk, sized to the exact byte with
 * Data Set Trailing Padding (FFFC,FFFC) (PS3.10 7.2).
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { InvalidArgumentError } from './errors.js';
import {
  type DataElement,
  type Dataset,
  datasetChunks,
  element as el,
  encodedDatasetLength,
  encodeFileMetaInformation,
  type StreamedValue,
  writePart10File,
} from './part10.js';
import { SopClassUid, Tag } from './tags.js';
import { TransferSyntaxUid, transferSyntaxInfo } from './transfer-syntaxes.js';
import { createUid, uidFromName } from './uids.js';

/** Frame Time (0018,1063), the Frame Increment Pointer target of the large object (one value whatever the frame count). */
const FRAME_TIME = 0x00181063;

/** Options of {@link writeLargeObject} and {@link largeDatasetStream}. */
export interface LargeObjectOptions {
  /** Implicit or Explicit VR Little Endian (UID or keyword); default Explicit VR Little Endian. */
  readonly transferSyntax?: string;
  /** Frame size; default 512 x 512 (8 bits, 256 KiB per frame). */
  readonly rows?: number;
  readonly columns?: number;
  /** Derives the UIDs; the same seed and size give the same bytes. Default: a fresh random seed. */
  readonly seed?: string;
  /** Size of the pixel chunks produced; default 1 MiB. */
  readonly chunkSize?: number;
}

/** What a large object is made of. */
export interface LargeObjectInfo {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly transferSyntaxUid: string;
  readonly rows: number;
  readonly columns: number;
  readonly frames: number;
  /** Length of Pixel Data (7FE0,0010): rows x columns x frames. */
  readonly pixelDataLength: number;
  /** Length of the Data Set Trailing Padding value that makes the size exact (less than one frame). */
  readonly paddingLength: number;
  /** Length of the dataset alone (what goes in C-STORE). */
  readonly datasetLength: number;
}

/** A written large file. */
export interface LargeObjectFile extends LargeObjectInfo {
  readonly path: string;
  /** File size: exactly the requested size. */
  readonly size: number;
  /** Offset of the dataset in the file (preamble, `DICM` and File Meta Information come before). */
  readonly datasetOffset: number;
}

interface Plan extends LargeObjectInfo {
  readonly dataset: Dataset;
}

/**
 * The deterministic pixel stream: a 64 KiB pattern repeated, each chunk stamped with its index (uint32 LE in its
 * first bytes) so a dropped, repeated or reordered chunk changes the bytes. Every chunk is a fresh buffer.
 */
export function* patternChunks(byteLength: number, chunkSize = 1024 * 1024): Generator<Uint8Array> {
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 8)
    throw new InvalidArgumentError(`chunkSize must be >= 8, not ${chunkSize}`);
  const template = Buffer.allocUnsafe(64 * 1024);
  for (let i = 0; i < template.length; i++) template[i] = (i * 31 + (i >>> 8) * 7) & 0xff;
  let index = 0;
  for (let offset = 0; offset < byteLength; offset += chunkSize, index++) {
    const size = Math.min(chunkSize, byteLength - offset);
    const chunk = Buffer.allocUnsafe(size);
    for (let at = 0; at < size; at += template.length)
      template.copy(chunk, at, 0, Math.min(template.length, size - at));
    if (size >= 4) chunk.writeUInt32LE(index >>> 0, 0);
    yield chunk;
  }
}

function plan(totalBytes: number, headerBytes: number, options: LargeObjectOptions): Plan {
  if (!Number.isSafeInteger(totalBytes) || totalBytes <= 0 || totalBytes % 2 !== 0) {
    throw new InvalidArgumentError(`a DICOM object has an even, positive size; ${totalBytes} is not`);
  }
  const tsUid = options.transferSyntax ?? TransferSyntaxUid.ExplicitVRLittleEndian;
  const ts = transferSyntaxInfo(tsUid);
  if (ts === undefined || ts.producer.tool !== 'writer') {
    throw new InvalidArgumentError(`large objects are written in Implicit or Explicit VR Little Endian, not ${tsUid}`);
  }
  const rows = options.rows ?? 512;
  const columns = options.columns ?? 512;
  for (const [name, value] of [
    ['rows', rows],
    ['columns', columns],
  ] as const) {
    if (!Number.isInteger(value) || value < 1 || value > 0xffff) {
      throw new InvalidArgumentError(`${name} must be 1..65535, not ${value}`);
    }
  }
  const frameSize = rows * columns;
  if (frameSize % 2 !== 0)
    throw new InvalidArgumentError('rows x columns must be even (8-bit frames, even Pixel Data)');
  const seed = options.seed ?? createUid();
  const ids = {
    sopClassUid: SopClassUid.MultiFrameGrayscaleByteSecondaryCaptureImageStorage,
    sopInstanceUid: uidFromName(`${seed}/large/instance`),
    studyInstanceUid: uidFromName(`${seed}/large/study`),
    seriesInstanceUid: uidFromName(`${seed}/large/series`),
  };
  const chunkSize = options.chunkSize ?? 1024 * 1024;
  const build = (frames: number, paddingLength: number): Dataset => {
    const pixels: StreamedValue = {
      byteLength: frames * frameSize,
      chunks: () => patternChunks(frames * frameSize, chunkSize),
    };
    const elements: DataElement[] = [
      el(Tag.ImageType, 'CS', ['DERIVED', 'SECONDARY']),
      el(Tag.SOPClassUID, 'UI', ids.sopClassUid),
      el(Tag.SOPInstanceUID, 'UI', ids.sopInstanceUid),
      el(Tag.StudyDate, 'DA', '20240115'),
      el(Tag.StudyTime, 'TM', '120000'),
      el(Tag.AccessionNumber, 'SH', ''),
      el(Tag.Modality, 'CS', 'OT'),
      el(Tag.ConversionType, 'CS', 'WSD'),
      el(Tag.ReferringPhysicianName, 'PN', ''),
      el(Tag.SeriesDescription, 'LO', 'Large object'),
      el(Tag.PatientName, 'PN', 'Large^Object'),
      el(Tag.PatientID, 'LO', 'LARGE-1'),
      el(Tag.PatientBirthDate, 'DA', ''),
      el(Tag.PatientSex, 'CS', ''),
      el(FRAME_TIME, 'DS', '33.3'),
      el(Tag.StudyInstanceUID, 'UI', ids.studyInstanceUid),
      el(Tag.SeriesInstanceUID, 'UI', ids.seriesInstanceUid),
      el(Tag.StudyID, 'SH', ''),
      el(Tag.SeriesNumber, 'IS', 1),
      el(Tag.InstanceNumber, 'IS', 1),
      el(Tag.PatientOrientation, 'CS', ''),
      el(Tag.BurnedInAnnotation, 'CS', 'NO'),
      el(Tag.SamplesPerPixel, 'US', 1),
      el(Tag.PhotometricInterpretation, 'CS', 'MONOCHROME2'),
      el(Tag.NumberOfFrames, 'IS', frames),
      el(Tag.FrameIncrementPointer, 'AT', FRAME_TIME),
      el(Tag.Rows, 'US', rows),
      el(Tag.Columns, 'US', columns),
      el(Tag.BitsAllocated, 'US', 8),
      el(Tag.BitsStored, 'US', 8),
      el(Tag.HighBit, 'US', 7),
      el(Tag.PixelRepresentation, 'US', 0),
      el(Tag.PixelData, 'OB', pixels),
      el(Tag.DataSetTrailingPadding, 'OB', Buffer.alloc(paddingLength)),
    ];
    return elements;
  };
  // The header length depends (slightly) on the frame count written in Number of Frames: iterate to a fixed point.
  let frames = 1;
  for (let round = 0; round < 8; round++) {
    const overhead = headerBytes + encodedDatasetLength(build(frames, 0), ts.uid) - frames * frameSize;
    const next = Math.floor((totalBytes - overhead) / frameSize);
    if (next < 1) {
      throw new InvalidArgumentError(
        `${totalBytes} bytes cannot hold one ${rows}x${columns} frame and the header (${overhead + frameSize} bytes at least)`,
      );
    }
    if (next === frames) break;
    frames = next;
  }
  const overhead = headerBytes + encodedDatasetLength(build(frames, 0), ts.uid) - frames * frameSize;
  let paddingLength = totalBytes - overhead - frames * frameSize;
  if (paddingLength < 0) {
    frames -= 1;
    paddingLength += frameSize;
  }
  const dataset = build(frames, paddingLength);
  const datasetLength = encodedDatasetLength(dataset, ts.uid);
  if (headerBytes + datasetLength !== totalBytes || frames < 1) {
    throw new InvalidArgumentError(`cannot lay out an object of exactly ${totalBytes} bytes`);
  }
  return {
    ...ids,
    transferSyntaxUid: ts.uid,
    rows,
    columns,
    frames,
    pixelDataLength: frames * frameSize,
    paddingLength,
    datasetLength,
    dataset,
  };
}

function metaLength(options: LargeObjectOptions, sopInstanceUid: string): number {
  return encodeFileMetaInformation({
    mediaStorageSopClassUid: SopClassUid.MultiFrameGrayscaleByteSecondaryCaptureImageStorage,
    mediaStorageSopInstanceUid: sopInstanceUid,
    transferSyntaxUid:
      transferSyntaxInfo(options.transferSyntax ?? TransferSyntaxUid.ExplicitVRLittleEndian)?.uid ?? '',
  }).byteLength;
}

function withoutDataset(p: Plan): LargeObjectInfo {
  const { dataset: _dataset, ...info } = p;
  return info;
}

/**
 * Writes a valid PS3.10 file of exactly `bytes` bytes (even; at least one frame plus ~1 KB of header) without
 * holding it in memory: a multi-frame 8-bit image whose frames are streamed to disk, the remainder of less than one
 * frame in Data Set Trailing Padding. Written atomically (temporary file, then rename).
 */
export async function writeLargeObject(
  path: string,
  bytes: number,
  options: LargeObjectOptions = {},
): Promise<LargeObjectFile> {
  const seed = options.seed ?? createUid();
  const seeded = { ...options, seed };
  // The SOP Instance UID (hence the meta length) depends on the seed only, not on the size.
  const datasetOffset = 132 + metaLength(seeded, uidFromName(`${seed}/large/instance`));
  const p = plan(bytes, datasetOffset, seeded);
  const { size } = await writePart10File(path, {
    sopClassUid: p.sopClassUid,
    sopInstanceUid: p.sopInstanceUid,
    transferSyntaxUid: p.transferSyntaxUid,
    dataset: p.dataset,
  });
  return { ...withoutDataset(p), path, size, datasetOffset };
}

/**
 * A dataset (no preamble, no File Meta Information) of exactly `byteLength` bytes, produced on demand: what a C-STORE
 * of a huge object sends. The identifiers needed for the C-STORE request are properties of the stream.
 */
export class LargeDatasetStream extends Readable implements LargeObjectInfo {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly transferSyntaxUid: string;
  readonly rows: number;
  readonly columns: number;
  readonly frames: number;
  readonly pixelDataLength: number;
  readonly paddingLength: number;
  readonly datasetLength: number;
  /** Same as `datasetLength`: the number of bytes the stream yields. */
  readonly byteLength: number;
  private readonly source: AsyncIterator<Uint8Array>;

  constructor(bytes: number, options: LargeObjectOptions = {}) {
    super({ highWaterMark: 1024 * 1024 });
    const p = plan(bytes, 0, options);
    this.sopClassUid = p.sopClassUid;
    this.sopInstanceUid = p.sopInstanceUid;
    this.studyInstanceUid = p.studyInstanceUid;
    this.seriesInstanceUid = p.seriesInstanceUid;
    this.transferSyntaxUid = p.transferSyntaxUid;
    this.rows = p.rows;
    this.columns = p.columns;
    this.frames = p.frames;
    this.pixelDataLength = p.pixelDataLength;
    this.paddingLength = p.paddingLength;
    this.datasetLength = p.datasetLength;
    this.byteLength = p.datasetLength;
    this.source = datasetChunks(p.dataset, p.transferSyntaxUid)[Symbol.asyncIterator]();
  }

  override _read(): void {
    this.source.next().then(
      (result) => {
        if (result.done === true) this.push(null);
        else this.push(result.value);
      },
      (error: unknown) => this.destroy(error instanceof Error ? error : new Error(String(error))),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    void this.source.return?.();
    callback(error);
  }
}

/**
 * A Readable of a dataset of exactly `bytes` bytes (even), generated as it is read: for network-only tests of huge
 * C-STOREs without touching the disk. Same seed and size as {@link writeLargeObject} give the same dataset bytes as
 * that file from `datasetOffset` on.
 */
export function largeDatasetStream(bytes: number, options: LargeObjectOptions = {}): LargeDatasetStream {
  return new LargeDatasetStream(bytes, options);
}

/** SHA-256 (hex) of a file, or of its bytes from `start` up to `end` (exclusive; default: the end), read as a stream. */
export function hashFile(path: string, start = 0, end?: number): Promise<string> {
  if (end !== undefined && end <= start) return Promise.resolve(createHash('sha256').digest('hex'));
  return hashStream(createReadStream(path, end === undefined ? { start } : { start, end: end - 1 }));
}

/** SHA-256 (hex) of everything a stream yields. */
export async function hashStream(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk);
  return hash.digest('hex');
}
