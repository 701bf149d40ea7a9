/**
 * Byte sources for datasets: a file range read with positional reads (the file is closed when the iteration ends,
 * early or not), a buffer, or any Readable / async iterable. All yield `Uint8Array` chunks.
 */

import { open } from 'node:fs/promises';
import { createInflateRaw } from 'node:zlib';
import { Readable } from 'node:stream';

/** Default read size of file sources: large enough for throughput, small enough to keep memory flat. */
export const DEFAULT_READ_SIZE = 256 * 1024;

/** Reads `path` from `start` to `end` (exclusive; default: end of file) in chunks of `chunkSize` bytes. */
export async function* readFileRange(
  path: string,
  start = 0,
  end = Number.POSITIVE_INFINITY,
  chunkSize = DEFAULT_READ_SIZE,
): AsyncGenerator<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    let position = start;
    while (position < end) {
      const want = Math.min(chunkSize, end - position);
      const buffer = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buffer, 0, want, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield bytesRead === want ? buffer : buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** Yields `bytes` in pieces of at most `chunkSize` (views, no copy). */
export async function* bufferChunks(bytes: Uint8Array, chunkSize = DEFAULT_READ_SIZE): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, Math.min(bytes.length, i + chunkSize));
}

/** Inflates a raw-deflate (RFC 1951) stream of chunks, as Deflated Explicit VR Little Endian uses (PS3.5 A.5). */
export function inflateRaw(source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  return Readable.from(source, { objectMode: false }).pipe(createInflateRaw()) as AsyncIterable<Uint8Array>;
}
