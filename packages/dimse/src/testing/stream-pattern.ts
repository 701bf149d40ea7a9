/** The 1 MiB byte pattern the streaming test generates and checks, and a matcher that holds nothing. Test code only. */
export const PATTERN_LENGTH = 1024 * 1024;

/** One immutable pattern buffer; `matches` checks a chunk that arrived at stream offset `at`. */
export function streamPattern(): { readonly bytes: Buffer; matches(at: number, chunk: Uint8Array): boolean } {
  const bytes = Buffer.from(new Uint8Array(PATTERN_LENGTH).map((_, i) => (i * 31 + (i >> 10)) & 0xff));
  return {
    bytes,
    matches(at, chunk) {
      let offset = 0;
      while (offset < chunk.length) {
        const p = (at + offset) % PATTERN_LENGTH;
        const n = Math.min(PATTERN_LENGTH - p, chunk.length - offset);
        if (Buffer.compare(bytes.subarray(p, p + n), chunk.subarray(offset, offset + n)) !== 0) return false;
        offset += n;
      }
      return true;
    },
  };
}
