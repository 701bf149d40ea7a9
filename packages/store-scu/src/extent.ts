/**
 * Checking that a dataset is complete without reading its values: the element headers are walked with positional
 * reads, every value (Pixel Data included) is jumped over by its length, and the walk must end exactly at the end
 * of the file (PS3.5 section 7.1, 7.5, A.4). Catches files truncated after their header at planning time.
 */

import { open } from 'node:fs/promises';
import { DatasetParseError } from './errors.js';
import {
  type Encoding,
  formatTag,
  hasLongLength,
  IMPLICIT_LE,
  ITEM,
  ITEM_DELIMITATION,
  SEQUENCE_DELIMITATION,
  UNDEFINED_LENGTH,
} from './vr.js';

/** Random access to bytes: a file or a buffer. */
export interface RandomAccess {
  readonly size: number;
  /** The first bytes of the data, when already in memory: reads they cover need no I/O. */
  readonly head?: Uint8Array;
  /** Reads up to `length` bytes at `position` (fewer at the end). */
  read(position: number, length: number): Promise<Uint8Array>;
}

const WINDOW = 16 * 1024;
const MAX_DEPTH = 64;

class Windowed {
  private start = 0;
  private bytes: Uint8Array = new Uint8Array(0);
  constructor(private readonly source: RandomAccess) {}
  async get(position: number, length: number): Promise<Uint8Array> {
    const head = this.source.head;
    if (head !== undefined && position + length <= head.length) return head.subarray(position, position + length);
    if (position < this.start || position + length > this.start + this.bytes.length) {
      this.start = position;
      this.bytes = await this.source.read(position, Math.max(WINDOW, length));
    }
    const offset = position - this.start;
    const out = this.bytes.subarray(offset, offset + length);
    if (out.length < length) {
      throw new DatasetParseError('truncated', `The file ends inside the element header at byte ${position}`);
    }
    return out;
  }
}

interface Header {
  tag: number;
  vr: string | undefined;
  length: number;
  next: number;
}

async function header(window: Windowed, position: number, enc: Encoding): Promise<Header> {
  const bytes = await window.get(position, 8);
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const le = !enc.bigEndian;
  const tag = ((view.getUint16(0, le) << 16) | view.getUint16(2, le)) >>> 0;
  if (!enc.explicitVr || tag >>> 16 === 0xfffe)
    return { tag, vr: undefined, length: view.getUint32(4, le), next: position + 8 };
  const vr = String.fromCharCode(bytes[4]!, bytes[5]!);
  if (hasLongLength(vr)) {
    const more = await window.get(position + 8, 4);
    return { tag, vr, length: new DataView(more.buffer, more.byteOffset, 4).getUint32(0, le), next: position + 12 };
  }
  return { tag, vr, length: view.getUint16(6, le), next: position + 8 };
}

async function elements(
  window: Windowed,
  position: number,
  end: number | undefined,
  enc: Encoding,
  depth: number,
  size: number,
): Promise<number> {
  let pos = position;
  for (;;) {
    if (end !== undefined && pos >= end) {
      if (pos > end) throw new DatasetParseError('malformed', `An element crosses the end of its item at byte ${end}`);
      return pos;
    }
    if (end === undefined && pos >= size) {
      throw new DatasetParseError('truncated', 'The file ends inside an item of undefined length');
    }
    const h = await header(window, pos, enc);
    if (h.tag === ITEM_DELIMITATION) return h.next;
    if (h.length !== UNDEFINED_LENGTH) {
      pos = h.next + h.length;
      if (pos > size) {
        throw new DatasetParseError(
          'truncated',
          `${formatTag(h.tag)} declares ${h.length} bytes but the file ends ${pos - size} bytes short of them`,
        );
      }
      continue;
    }
    pos = await items(window, h.next, h.vr === 'UN' ? IMPLICIT_LE : enc, depth + 1, size, h.tag);
  }
}

async function items(window: Windowed, position: number, enc: Encoding, depth: number, size: number, tag: number) {
  if (depth > MAX_DEPTH) throw new DatasetParseError('malformed', `Sequences nested deeper than ${MAX_DEPTH} levels`);
  let pos = position;
  for (;;) {
    if (pos >= size) throw new DatasetParseError('truncated', `The file ends inside ${formatTag(tag)}`);
    const item = await header(window, pos, enc);
    if (item.tag === SEQUENCE_DELIMITATION) return item.next;
    if (item.tag !== ITEM) {
      throw new DatasetParseError('malformed', `Expected an item in ${formatTag(tag)}, found ${formatTag(item.tag)}`);
    }
    if (item.length === UNDEFINED_LENGTH) {
      pos = await elements(window, item.next, undefined, enc, depth, size);
    } else {
      pos = item.next + item.length;
      if (pos > size)
        throw new DatasetParseError('truncated', `An item of ${formatTag(tag)} ends past the end of the file`);
    }
  }
}

/**
 * Walks the dataset from `start` to the end of `source` by headers only; throws `truncated` when a value or item
 * runs past the end of the data, `malformed` when the structure is inconsistent. A single trailing padding byte is
 * tolerated.
 */
export async function verifyExtent(source: RandomAccess, start: number, enc: Encoding): Promise<void> {
  const window = new Windowed(source);
  const end = await elements(window, start, source.size - ((source.size - start) % 2), enc, 0, source.size);
  if (end < source.size - 1) {
    throw new DatasetParseError(
      'malformed',
      `The dataset ends at byte ${end}, before the end of the file (${source.size})`,
    );
  }
}

/** {@link verifyExtent} over a file. */
export async function verifyFileExtent(path: string, start: number, enc: Encoding): Promise<void> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    await verifyExtent(
      {
        size,
        async read(position, length) {
          const buffer = Buffer.allocUnsafe(Math.max(0, Math.min(length, size - position)));
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
          return buffer.subarray(0, bytesRead);
        },
      },
      start,
      enc,
    );
  } finally {
    await handle.close();
  }
}

/** {@link verifyExtent} over bytes in memory. */
export function verifyBufferExtent(bytes: Uint8Array, start: number, enc: Encoding): Promise<void> {
  return verifyExtent({ size: bytes.length, read: async (p, n) => bytes.subarray(p, p + n) }, start, enc);
}
