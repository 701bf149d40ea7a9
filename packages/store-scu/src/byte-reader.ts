/**
 * A pull reader over an async source of byte chunks: exact reads, skips and streamed reads that never hold more
 * than the chunks needed for the current request. Used to walk datasets element by element (PS3.5 section 7) in
 * constant memory.
 */

import { DatasetParseError } from './errors.js';

const EMPTY = new Uint8Array(0);

/** Sequential reader over `AsyncIterator<Uint8Array>`; `position` counts the bytes consumed. */
export class ByteReader {
  /** Bytes consumed so far (relative to the start of the source). */
  position = 0;
  private chunks: Uint8Array[] = [];
  private head = 0;
  private buffered = 0;
  private done = false;
  private readonly source: AsyncIterator<Uint8Array>;

  constructor(source: AsyncIterable<Uint8Array> | AsyncIterator<Uint8Array>) {
    this.source =
      Symbol.asyncIterator in source ? (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]() : source;
  }

  /** Bytes available without waiting. */
  get available(): number {
    return this.buffered;
  }

  /** Makes at least `n` bytes available; false when the source ends first. */
  async fill(n: number): Promise<boolean> {
    while (this.buffered < n && !this.done) {
      const next = await this.source.next();
      if (next.done) {
        this.done = true;
        break;
      }
      const chunk = next.value;
      if (chunk.length === 0) continue;
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    return this.buffered >= n;
  }

  /** True when every byte has been consumed and the source is finished. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  /** Returns the next `n` bytes without consuming them (fewer at the end of the source). */
  async peek(n: number): Promise<Uint8Array> {
    await this.fill(n);
    const want = Math.min(n, this.buffered);
    const first = this.chunks[0];
    if (!first) return EMPTY;
    if (first.length - this.head >= want) return first.subarray(this.head, this.head + want);
    const out = new Uint8Array(want);
    let filled = 0;
    let head = this.head;
    for (const chunk of this.chunks) {
      const piece = chunk.subarray(head, head + (want - filled));
      out.set(piece, filled);
      filled += piece.length;
      head = 0;
      if (filled === want) break;
    }
    return out;
  }

  /** Reads exactly `n` bytes; throws a `truncated` {@link DatasetParseError} when the source ends first. */
  async read(n: number): Promise<Uint8Array> {
    if (n === 0) return EMPTY;
    if (!(await this.fill(n))) {
      throw new DatasetParseError(
        'truncated',
        `The data ended after ${this.position + this.buffered} bytes, inside an element that needs ${n - this.buffered} more`,
      );
    }
    return this.take(n);
  }

  /** Skips exactly `n` bytes (reads and drops them chunk by chunk). */
  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.buffered === 0 && !(await this.fill(1))) {
        throw new DatasetParseError('truncated', `The data ended ${left} bytes before the end of a value`);
      }
      const step = Math.min(left, this.buffered);
      this.drop(step);
      left -= step;
    }
  }

  /**
   * Streams exactly `n` bytes as pieces of whole `unit`s (1, 2, 4 or 8 bytes), each piece at most `maxPiece` bytes;
   * pieces are views of the source chunks when possible. Throws `truncated` when the source ends first.
   */
  async *stream(n: number, unit = 1, maxPiece = 1 << 20): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0) {
      if (this.buffered < Math.min(unit, left) && !(await this.fill(Math.min(unit, left)))) {
        throw new DatasetParseError('truncated', `The data ended ${left} bytes before the end of a value`);
      }
      const first = this.chunks[0]!;
      let step = Math.min(left, first.length - this.head, maxPiece);
      if (unit > 1 && step >= unit) step -= step % unit;
      if (step < unit) step = Math.min(unit, left);
      yield step <= first.length - this.head ? this.take(step) : await this.read(step);
      left -= step;
    }
  }

  private take(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.drop(n);
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const piece = chunk.subarray(this.head, this.head + (n - filled));
      out.set(piece, filled);
      filled += piece.length;
      this.drop(piece.length);
    }
    return out;
  }

  private drop(n: number): void {
    let left = n;
    this.position += n;
    this.buffered -= n;
    while (left > 0) {
      const first = this.chunks[0]!;
      const rest = first.length - this.head;
      if (rest > left) {
        this.head += left;
        return;
      }
      left -= rest;
      this.chunks.shift();
      this.head = 0;
    }
  }

  /** Stops the underlying source (closes files, streams). */
  async close(): Promise<void> {
    this.chunks = [];
    this.buffered = 0;
    if (!this.done) {
      this.done = true;
      await this.source.return?.();
    }
  }
}
