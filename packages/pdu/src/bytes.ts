/**
 * Internal byte helpers of the PDU codec: big-endian integers (PS3.8 9.3.1: all PDU fields are Big Endian), ISO 646 /
 * Latin-1 text and a growable writer. Not exported from the package.
 */

/** Reads an unsigned 16-bit big-endian integer. The caller has checked the bounds. */
export function readU16(b: Uint8Array, at: number): number {
  return ((b[at] as number) << 8) | (b[at + 1] as number);
}

/** Reads an unsigned 32-bit big-endian integer. The caller has checked the bounds. */
export function readU32(b: Uint8Array, at: number): number {
  return (
    (b[at] as number) * 0x1000000 +
    (((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number))
  );
}

/**
 * A copy of `b[start, end)` as a plain `Uint8Array`. (`Buffer.prototype.slice` returns a view, not a copy, so
 * `b.slice()` cannot be trusted when `b` may be a Node.js Buffer, as socket chunks are.)
 */
export function copyBytes(b: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  out.set(b.subarray(start, end));
  return out;
}

/** Writes an unsigned 32-bit big-endian integer. */
export function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/**
 * Decodes bytes as ISO 8859-1 (one byte, one UTF-16 code unit), which contains ISO 646 G0 as its first half. Unlike
 * `TextDecoder('latin1')` (which is windows-1252) this maps every byte value to the same code point, so any byte
 * string round-trips.
 */
export function latin1(b: Uint8Array, start: number, end: number): string {
  let s = '';
  if (end - start <= 64) {
    for (let i = start; i < end; i++) s += String.fromCharCode(b[i] as number);
    return s;
  }
  for (let i = start; i < end; i += 4096) {
    s += String.fromCharCode.apply(null, b.subarray(i, Math.min(end, i + 4096)) as unknown as number[]);
  }
  return s;
}

/** True when every code unit of `s` fits in one byte (ISO 8859-1), so that `writeLatin1` can encode it. */
export function isLatin1(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
}

export function bytesEqual(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array): boolean {
  if (aEnd - aStart !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[aStart + i] !== b[i]) return false;
  return true;
}

/** A growable big-endian byte writer with back-patched lengths. */
export class ByteWriter {
  buf: Uint8Array;
  pos = 0;

  constructor(initial = 512) {
    this.buf = new Uint8Array(initial);
  }

  /** Forgets what was written, keeping the buffer for reuse. */
  reset(): this {
    this.pos = 0;
    return this;
  }

  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf[this.pos++] = v >>> 8;
    this.buf[this.pos++] = v & 0xff;
  }

  u32(v: number): void {
    this.ensure(4);
    writeU32(this.buf, this.pos, v);
    this.pos += 4;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Writes `s` one byte per code unit; the caller has checked `isLatin1(s)`. */
  latin1(s: string): void {
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
  }

  fill(v: number, n: number): void {
    this.ensure(n);
    this.buf.fill(v, this.pos, this.pos + n);
    this.pos += n;
  }

  patchU16(at: number, v: number): void {
    this.buf[at] = v >>> 8;
    this.buf[at + 1] = v & 0xff;
  }

  patchU32(at: number, v: number): void {
    writeU32(this.buf, at, v);
  }

  /** A copy of the bytes written so far. */
  result(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** A TypeError with Node's `ERR_INVALID_ARG_TYPE` code, for arguments of the wrong type (a caller's bug). */
export function argumentError(message: string): TypeError & { code: string } {
  return Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_TYPE' });
}
