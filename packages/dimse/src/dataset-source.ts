/**
 * The data set inputs a C-STORE accepts (bytes, a stream, a file, a dcmjs data set) and how each becomes chunks of
 * data set bytes in a transfer syntax (PS3.5 section 10; PS3.10 7.1 for files).
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { type DcmjsDataset, type DcmjsDicomDict, datasetToBytes, isDcmjsDataset, sopIdentifiersOf } from './dataset.js';
import { DatasetSourceError, InvalidArgumentError } from './errors.js';
import { type Part10Header, parsePart10Header, readDatasetHeader, readPart10Header } from './header-reader.js';

/** A data set stored in a file: a Part 10 file, or a bare data set starting at `offset`. */
export interface DatasetFile {
  readonly path: string;
  /**
   * Where the data set starts. Omitted: the file is read as Part 10 (PS3.10 7.1) and the data set starts after its
   * meta information (or at 0 for a bare data set); its transfer syntax and SOP UIDs then come from the meta.
   */
  readonly offset?: number;
  /** Bytes of data set to send from `offset`; default: to the end of the file. */
  readonly length?: number;
}

/** Anything a C-STORE can send as its data set. */
export type DatasetInput =
  | Uint8Array
  | Readable
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>
  | DatasetFile
  | DcmjsDataset
  | DcmjsDicomDict;

/** What is known about a data set input before sending it. */
export interface ResolvedDataset {
  /** Transfer syntax of the bytes, when known (files, or given); dcmjs data sets are encoded on demand. */
  readonly transferSyntax: string | undefined;
  readonly sopClassUid: string | undefined;
  readonly sopInstanceUid: string | undefined;
  /** Encodable in any of these transfer syntaxes (dcmjs data sets); undefined: only in `transferSyntax`. */
  readonly encodable: boolean;
  /** Opens the data set bytes in the chosen transfer syntax, with chunks of at most `chunkSize` where it can. */
  open(
    transferSyntax: string,
    chunkSize: number,
  ): Promise<Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>>;
}

function isDatasetFile(value: unknown): value is DatasetFile {
  return typeof value === 'object' && value !== null && typeof (value as DatasetFile).path === 'string';
}

/**
 * Looks at a data set input (PS3.10 7.1 for files): reads a file's meta information when it has no offset, takes
 * SOP UIDs from a dcmjs data set, and leaves bytes and streams as they are (their transfer syntax must be given or
 * implied by the presentation context).
 */
export async function resolveDataset(
  input: DatasetInput,
  transferSyntax: string | undefined,
): Promise<ResolvedDataset> {
  if (input instanceof Uint8Array) {
    return {
      transferSyntax,
      sopClassUid: undefined,
      sopInstanceUid: undefined,
      encodable: false,
      open: async () => input,
    };
  }
  if (isDatasetFile(input)) return resolveFile(input, transferSyntax);
  if (typeof input === 'object' && input !== null && (Symbol.asyncIterator in input || Symbol.iterator in input)) {
    const stream = input as AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
    return {
      transferSyntax,
      sopClassUid: undefined,
      sopInstanceUid: undefined,
      encodable: false,
      open: async () => stream,
    };
  }
  if (isDcmjsDataset(input)) {
    const ids = sopIdentifiersOf(input);
    return {
      transferSyntax,
      sopClassUid: ids.sopClassUid,
      sopInstanceUid: ids.sopInstanceUid,
      encodable: true,
      open: async (ts) => datasetToBytes(input, ts),
    };
  }
  throw new InvalidArgumentError('dataset must be bytes, a stream, { path }, or a dcmjs data set');
}

/** Files up to this size are read whole, in one read that also yields their Part 10 header. */
const SMALL_FILE = 2 * 1024 * 1024;
/** Reads of a large file: about 1 MiB, a whole number of PDV payloads so that every chunk fills PDUs exactly. */
function readSize(chunkSize: number): number {
  return chunkSize * Math.max(1, Math.floor((1024 * 1024) / chunkSize));
}

async function resolveFile(file: DatasetFile, transferSyntax: string | undefined): Promise<ResolvedDataset> {
  let offset = file.offset;
  let ts = transferSyntax;
  let sopClassUid: string | undefined;
  let sopInstanceUid: string | undefined;
  /** The whole data set, when the file was small enough to be read at once. */
  let whole: Uint8Array | undefined;
  try {
    if (offset === undefined) {
      const handle = await open(file.path, 'r');
      let header: Part10Header | undefined;
      try {
        const size = (await handle.stat()).size;
        const length = Math.min(size, SMALL_FILE);
        const buffer = Buffer.allocUnsafe(length);
        let read = 0;
        while (read < length) {
          const { bytesRead } = await handle.read(buffer, read, length - read, read);
          if (bytesRead === 0) break;
          read += bytesRead;
        }
        header = parsePart10Header(buffer.subarray(0, read), { complete: read === size });
        if (header !== undefined && read === size) {
          const end = file.length === undefined ? read : Math.min(read, header.datasetOffset + file.length);
          whole = buffer.subarray(header.datasetOffset, end);
        }
      } finally {
        await handle.close();
      }
      header ??= await readPart10Header(file.path);
      offset = header.datasetOffset;
      if (ts !== undefined && header.transferSyntax !== undefined && ts !== header.transferSyntax && header.meta) {
        throw new InvalidArgumentError(
          `${file.path} is in transfer syntax ${header.transferSyntax}, not ${ts} (netdicom never transcodes files)`,
        );
      }
      ts ??= header.transferSyntax;
      sopClassUid = header.meta?.mediaStorageSopClassUid;
      sopInstanceUid = header.meta?.mediaStorageSopInstanceUid;
    }
    if ((sopClassUid === undefined || sopInstanceUid === undefined) && ts !== undefined) {
      const dataset = await readDatasetHeader(
        whole ??
          createReadStream(file.path, {
            start: offset,
            ...(file.length === undefined ? {} : { end: offset + file.length - 1 }),
          }),
        { transferSyntax: ts },
      );
      sopClassUid ??= dataset.sopClassUid;
      sopInstanceUid ??= dataset.sopInstanceUid;
    }
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    throw new DatasetSourceError(`cannot read ${file.path}: ${(error as Error).message}`, { cause: error });
  }
  const start = offset;
  const inMemory = whole;
  return {
    transferSyntax: ts,
    sopClassUid,
    sopInstanceUid,
    encodable: false,
    open: async (_ts, chunkSize) => {
      if (inMemory !== undefined) return inMemory;
      const stream = createReadStream(file.path, {
        start,
        ...(file.length === undefined ? {} : { end: start + file.length - 1 }),
        highWaterMark: readSize(chunkSize),
      });
      // Surface open errors (ENOENT, EACCES) before the command goes out.
      await new Promise<void>((resolve, reject) => {
        const onError = (error: Error) =>
          reject(new DatasetSourceError(`cannot read ${file.path}: ${error.message}`, { cause: error }));
        stream.once('error', onError);
        stream.once('open', () => {
          stream.off('error', onError);
          resolve();
        });
      });
      return stream;
    },
  };
}
