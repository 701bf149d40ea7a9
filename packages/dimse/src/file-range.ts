/**
 * Reading a data set stored in a file (PS3.10 7.1: the bytes after the File Meta Information) for sending, without a
 * fresh buffer per read: positional reads into a few buffers owned by the association's message layer, each reused
 * once the PDUs that carry it have been handed to the operating system. A stream per file (open, allocate, read,
 * destroy) cost more CPU than the transfer itself for objects of a few hundred kilobytes, most of it in the garbage
 * collector reclaiming the buffers.
 */
import { type FileHandle, open } from 'node:fs/promises';

/** A byte range of a file to send as (part of) a data set. */
export interface FileRange {
  readonly kind: 'file-range';
  readonly path: string;
  /** First byte. */
  readonly start: number;
  /** Bytes to send from `start`; undefined: to the end of the file. */
  readonly length: number | undefined;
}

/** Whether a value is a {@link FileRange}. */
export function isFileRange(value: unknown): value is FileRange {
  return typeof value === 'object' && value !== null && (value as FileRange).kind === 'file-range';
}

/**
 * Buffers of one size, at most `max` of them, handed out and given back. `acquire` waits while all are out: the
 * sender then waits for the transport, which bounds the memory of a transfer to `max * size`.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];
  private created = 0;
  private readonly waiters: ((buffer: Buffer) => void)[] = [];

  constructor(
    readonly size: number,
    readonly max: number,
  ) {}

  acquire(): Promise<Buffer> {
    const buffer = this.free.pop();
    if (buffer !== undefined) return Promise.resolve(buffer);
    if (this.created < this.max) {
      this.created++;
      // Outside Node's shared pool: these live as long as the association and are reused.
      return Promise.resolve(Buffer.allocUnsafeSlow(this.size));
    }
    return new Promise<Buffer>((resolve) => this.waiters.push(resolve));
  }

  release(buffer: Buffer): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter(buffer);
    else this.free.push(buffer);
  }
}

/** A chunk read into a pooled buffer; given back once every PDU holding a view of it has been written. */
export class PooledChunk {
  private holds = 1;

  constructor(
    readonly bytes: Uint8Array,
    private readonly buffer: Buffer,
    private readonly pool: BufferPool,
  ) {}

  /** One more PDU holds a view of this chunk. */
  hold(): void {
    this.holds++;
  }

  /** A holder is done (its PDU was written, or the placement of the chunk is over). */
  release(): void {
    this.holds--;
    if (this.holds === 0) this.pool.release(this.buffer);
  }
}

/**
 * Reads a {@link FileRange} chunk by chunk into pooled buffers, one read ahead of the consumer. A read shorter than
 * asked for is the end of the file (regular files return less only at their end).
 */
export class FileRangeReader {
  private position: number;
  private readonly end: number;
  private ahead: Promise<PooledChunk | undefined> | undefined;
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    range: FileRange,
    private readonly pool: BufferPool,
  ) {
    this.position = range.start;
    this.end = range.length === undefined ? Number.POSITIVE_INFINITY : range.start + range.length;
  }

  /** Opens the file; rejects with the system error (ENOENT, EACCES, ...). */
  static async open(range: FileRange, pool: BufferPool): Promise<FileRangeReader> {
    return new FileRangeReader(await open(range.path, 'r'), range, pool);
  }

  /** The next chunk, or undefined at the end of the range. */
  next(): Promise<PooledChunk | undefined> {
    const chunk = this.ahead ?? this.read();
    this.ahead = undefined;
    // Read ahead: the next chunk comes from the disk while this one goes out.
    this.ahead = chunk.then((got) => (got === undefined ? undefined : this.read()));
    // A failed read-ahead is reported when the consumer asks for it.
    this.ahead.catch(() => undefined);
    return chunk;
  }

  private async read(): Promise<PooledChunk | undefined> {
    if (this.closed || this.position >= this.end) return undefined;
    const buffer = await this.pool.acquire();
    if (this.closed) {
      this.pool.release(buffer);
      return undefined;
    }
    const want = Math.min(buffer.length, this.end - this.position);
    let bytesRead: number;
    try {
      ({ bytesRead } = await this.handle.read(buffer, 0, want, this.position));
    } catch (error) {
      this.pool.release(buffer);
      throw error;
    }
    if (bytesRead === 0) {
      this.pool.release(buffer);
      if (this.end !== Number.POSITIVE_INFINITY) {
        throw new Error(
          `the file ends at byte ${this.position}, before the ${this.end - this.position} bytes expected`,
        );
      }
      return undefined;
    }
    this.position += bytesRead;
    // End of file: no further read needed.
    if (bytesRead < want && this.end === Number.POSITIVE_INFINITY) this.position = this.end;
    else if (bytesRead < want) {
      const missing = this.end - this.position;
      this.pool.release(buffer);
      throw new Error(`the file ends at byte ${this.position}, before the ${missing} bytes expected`);
    }
    return new PooledChunk(buffer.subarray(0, bytesRead), buffer, this.pool);
  }

  /** Stops reading (a pending read-ahead gives its buffer back) and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const ahead = this.ahead;
    this.ahead = undefined;
    // Not awaited: a read-ahead waiting for a buffer gives it back as soon as it gets one.
    ahead?.then(
      (pending) => pending?.release(),
      () => undefined,
    );
    await this.handle.close().catch(() => undefined);
  }
}
