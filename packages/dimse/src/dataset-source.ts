/**
 * The data set inputs a C-STORE accepts (bytes, a stream, a file, a dcmjs data set) and how each becomes chunks of
 * data set bytes in a transfer syntax (PS3.5 section 10; PS3.10 7.1 for files).
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { type DcmjsDataset, type DcmjsDicomDict, datasetToBytes, isDcmjsDataset, sopIdentifiersOf } from './dataset.js';
import { DatasetSourceError, InvalidArgumentError } from './errors.js';
import type { FileRange } from './file-range.js';
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
  ): Promise<Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array> | FileRange>;
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
  given: { readonly sopClassUid?: string | undefined; readonly sopInstanceUid?: string | undefined } = {},
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
  if (isDatasetFile(input)) return resolveFile(input, transferSyntax, given);
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

/** Bytes of a file read to find its File Meta Information (PS3.10 7.1); a longer meta is read again whole. */
const HEAD_SIZE = 16 * 1024;

async function resolveFile(
  file: DatasetFile,
  transferSyntax: string | undefined,
  given: { readonly sopClassUid?: string | undefined; readonly sopInstanceUid?: string | undefined },
): Promise<ResolvedDataset> {
  let offset = file.offset;
  let ts = transferSyntax;
  // UIDs the request gives need not be read from the file.
  let sopClassUid = given.sopClassUid;
  let sopInstanceUid = given.sopInstanceUid;
  try {
    if (offset === undefined) {
      let header: Part10Header | undefined;
      const handle = await open(file.path, 'r');
      try {
        const head = Buffer.allocUnsafe(HEAD_SIZE);
        const { bytesRead } = await handle.read(head, 0, HEAD_SIZE, 0);
        // A read shorter than asked for reached the end of the file.
        header = parsePart10Header(head.subarray(0, bytesRead), { complete: bytesRead < HEAD_SIZE });
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
      sopClassUid ??= header.meta?.mediaStorageSopClassUid;
      sopInstanceUid ??= header.meta?.mediaStorageSopInstanceUid;
    }
    if ((sopClassUid === undefined || sopInstanceUid === undefined) && ts !== undefined) {
      const dataset = await readDatasetHeader(
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
  // Sent with positional reads into the association's buffers (see file-range.ts); opened when the message goes out.
  const range: FileRange = { kind: 'file-range', path: file.path, start: offset, length: file.length };
  return {
    transferSyntax: ts,
    sopClassUid,
    sopInstanceUid,
    encodable: false,
    open: async () => range,
  };
}
