import type { Readable } from 'node:stream';
import { createHeaderReader, type DatasetHeader, decodeText } from '@netdicom/dimse';
import type { RoutingAttributes } from './file-store/index.js';

/** Tags beyond the header reader's defaults that layouts and events can use (PS3.6 data dictionary). */
const EXTRA_TAGS = {
  PatientBirthDate: 0x00100030,
  StudyTime: 0x00080030,
  StudyID: 0x00200010,
  StudyDescription: 0x00081030,
  SeriesDescription: 0x0008103e,
  InstitutionName: 0x00080080,
  BodyPartExamined: 0x00180015,
} as const;

/**
 * Bytes of a dataset held at most while its header is read (4 MiB). The header reader stops after the routing
 * attributes (groups 0008-0020), so this is only reached by datasets with megabytes of elements before them.
 */
export const DEFAULT_HEADER_PEEK_LIMIT = 4 * 1024 * 1024;

/** The dataset with its header read (PS3.5 7.1): the routing attributes, and a stream that still yields every byte. */
export interface PeekedDataset {
  /** The header, or undefined when it was not complete within the limit (then `attributes` is empty). */
  readonly header: DatasetHeader | undefined;
  readonly attributes: RoutingAttributes;
  /** All the dataset's bytes, from the first: the chunks read for the header, then the rest of the stream. */
  readonly stream: AsyncIterable<Uint8Array>;
}

/**
 * Reads the routing attributes at the start of a dataset stream without consuming it: the chunks read are kept
 * (at most about `limit` bytes, typically a few kilobytes, since the reader stops after the attributes it wants)
 * and replayed before the rest of the stream. Throws the header reader's MalformedDatasetError for data that is not
 * a dataset in `transferSyntax` (PS3.5 section 7 and 10). When the limit is reached first, `header` is undefined and
 * `attributes` empty; the stream still yields every byte.
 */
export async function peekHeader(
  dataset: Readable,
  transferSyntax: string,
  limit = DEFAULT_HEADER_PEEK_LIMIT,
): Promise<PeekedDataset> {
  const reader = createHeaderReader({ transferSyntax, tags: Object.values(EXTRA_TAGS) });
  const chunks: Uint8Array[] = [];
  let size = 0;
  let ended = false;
  const complete = await new Promise<boolean>((resolve, reject) => {
    const cleanup = () => {
      dataset.off('data', onData);
      dataset.off('end', onEnd);
      dataset.off('error', onError);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onEnd = () => {
      ended = true;
      cleanup();
      resolve(false);
    };
    const onData = (chunk: Uint8Array) => {
      dataset.pause();
      chunks.push(chunk);
      size += chunk.byteLength;
      reader.push(chunk).then(
        (done) => {
          if (done || size >= limit) {
            cleanup();
            resolve(done);
          } else {
            dataset.resume();
          }
        },
        (error: unknown) => {
          cleanup();
          reject(error);
        },
      );
    };
    dataset.on('data', onData);
    dataset.once('end', onEnd);
    dataset.once('error', onError);
  });
  let header: DatasetHeader | undefined;
  if (complete || ended) header = await reader.end();
  const attributes = header ? routingAttributes(header) : {};
  return { header, attributes, stream: chunksOf(dataset, chunks.splice(0), ended) };
}

/**
 * The chunks of a byte stream as it delivered them: `first` (already read), then the rest of `stream`, read through
 * its 'data' events, paused while no one asks for more. A Readable's own async iterator calls `read()`, which
 * concatenates whatever is buffered into a new buffer: a copy of every byte received, and memory for the collector.
 * `return()` destroys the stream, as the Readable's iterator does.
 */
function chunksOf(stream: Readable, first: Uint8Array[], ended: boolean): AsyncIterableIterator<Uint8Array> {
  const queue = first;
  let done = ended;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const detach = () => {
    stream.off('data', onData);
    stream.off('end', onEnd);
    stream.off('error', onError);
    stream.off('close', onClose);
  };
  const onData = (chunk: Uint8Array) => {
    queue.push(chunk);
    // One chunk ahead at most: the stream's buffer, not this queue, holds the rest (backpressure to the socket).
    if (wake === undefined) stream.pause();
    notify();
  };
  const onEnd = () => {
    done = true;
    detach();
    notify();
  };
  const onError = (error: unknown) => {
    failure ??= { error };
    detach();
    notify();
  };
  const onClose = () => {
    // Destroyed without 'end' or 'error': the data set was cut short.
    if (!done) onError(new Error('the data set stream closed before its end'));
  };
  // Like a generator, nothing happens before the first next(): a handler that never reads the data set leaves the
  // stream to whoever discards it.
  let attached = false;
  const attach = () => {
    attached = true;
    if (done) return;
    if (stream.readableEnded) {
      done = true;
      return;
    }
    if (stream.destroyed) {
      // Destroyed (the association ended) before anyone read on: no event will come.
      failure = { error: stream.errored ?? new Error('the data set stream closed before its end') };
      return;
    }
    stream.pause();
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.once('close', onClose);
  };
  const iterator: AsyncIterableIterator<Uint8Array> = {
    async next(): Promise<IteratorResult<Uint8Array>> {
      if (!attached) attach();
      for (;;) {
        const chunk = queue.shift();
        if (chunk !== undefined) return { done: false, value: chunk };
        if (failure !== undefined) throw failure.error;
        if (done) return { done: true, value: undefined };
        await new Promise<void>((resolve) => {
          wake = resolve;
          stream.resume();
        });
      }
    },
    async return(): Promise<IteratorResult<Uint8Array>> {
      queue.length = 0;
      if (attached && !done && failure === undefined) {
        detach();
        stream.destroy();
      }
      done = true;
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** Maps a dataset header to the file store's routing attributes. */
export function routingAttributes(header: DatasetHeader): RoutingAttributes {
  const text = (tag: number) => {
    const raw = header.elements.get(tag);
    return raw === undefined ? undefined : decodeText(raw, header.specificCharacterSet).trim();
  };
  return {
    PatientID: header.patientId,
    PatientName: header.patientName,
    StudyInstanceUID: header.studyInstanceUid,
    SeriesInstanceUID: header.seriesInstanceUid,
    SOPInstanceUID: header.sopInstanceUid,
    SOPClassUID: header.sopClassUid,
    Modality: header.modality,
    StudyDate: header.studyDate,
    AccessionNumber: header.accessionNumber,
    SeriesNumber: header.seriesNumber === undefined ? undefined : String(header.seriesNumber),
    InstanceNumber: header.instanceNumber === undefined ? undefined : String(header.instanceNumber),
    PatientBirthDate: text(EXTRA_TAGS.PatientBirthDate),
    StudyTime: text(EXTRA_TAGS.StudyTime),
    StudyID: text(EXTRA_TAGS.StudyID),
    StudyDescription: text(EXTRA_TAGS.StudyDescription),
    SeriesDescription: text(EXTRA_TAGS.SeriesDescription),
    InstitutionName: text(EXTRA_TAGS.InstitutionName),
    BodyPartExamined: text(EXTRA_TAGS.BodyPartExamined),
  };
}
