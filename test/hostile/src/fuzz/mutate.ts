/**
 * Structure-blind mutations of real bytes, driven by a seeded generator: bit flips, interesting bytes, interesting
 * 16- and 32-bit lengths written in either byte order (0, 1, 0xFFFF, 0xFFFFFFFF, the true length ± 1...),
 * truncation, insertion, deletion, duplication and splicing with another seed. The kinds of damage real peers and
 * attackers cause to the length fields of PS3.8 PDUs and PS3.5 data elements.
 */
import type { Rng } from '../testing/rng.js';

const INTERESTING_8 = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];
const INTERESTING_16 = [0x0000, 0x0001, 0x0002, 0x0004, 0x7fff, 0x8000, 0xfffe, 0xffff];
const INTERESTING_32 = [0, 1, 2, 4, 6, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x10000, 0x40000];

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/** One mutation of `input`; `other` is a second seed for splicing. Never returns more than `maxLength` bytes. */
export function mutateOnce(input: Uint8Array, other: Uint8Array, rng: Rng, maxLength: number): Uint8Array {
  const b = new Uint8Array(input);
  const at = () => rng.int(Math.max(1, b.length));
  let out: Uint8Array;
  switch (rng.int(11)) {
    case 0: {
      for (let i = rng.range(1, 8); i > 0 && b.length > 0; i--) {
        const p = at();
        b[p] = b[p]! ^ (1 << rng.int(8));
      }
      out = b;
      break;
    }
    case 1: {
      for (let i = rng.range(1, 4); i > 0 && b.length > 0; i--) b[at()] = rng.pick(INTERESTING_8);
      out = b;
      break;
    }
    case 2:
    case 3: {
      // A 16- or 32-bit field overwritten with an interesting value, big- or little-endian.
      if (b.length < 4) {
        out = b;
        break;
      }
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const p = rng.int(b.length - 3);
      const little = rng.chance(0.5);
      if (rng.chance(0.5)) view.setUint16(p, rng.pick(INTERESTING_16), little);
      else {
        const current = view.getUint32(p, little);
        const value = rng.chance(0.5)
          ? rng.pick(INTERESTING_32)
          : (current + rng.pick([-2, -1, 1, 2, 6, -6, 0x100, -0x100])) >>> 0;
        view.setUint32(p, value, little);
      }
      out = b;
      break;
    }
    case 4:
      out = b.subarray(0, rng.int(b.length + 1));
      break;
    case 5: {
      const p = rng.int(b.length + 1);
      out = concat([b.subarray(0, p), rng.bytes(rng.range(1, 64)), b.subarray(p)]);
      break;
    }
    case 6: {
      const p = rng.int(b.length + 1);
      const n = rng.range(1, 64);
      out = concat([b.subarray(0, p), b.subarray(Math.min(b.length, p + n))]);
      break;
    }
    case 7: {
      const p = rng.int(b.length + 1);
      const n = rng.range(1, 256);
      out = concat([b.subarray(0, p), b.subarray(p, p + n), b.subarray(p)]);
      break;
    }
    case 8: {
      const cut = rng.int(b.length + 1);
      const from = rng.int(other.length + 1);
      out = concat([b.subarray(0, cut), other.subarray(from)]);
      break;
    }
    case 9: {
      // A run of one byte (zeros or 0xFF): long fields of nothing.
      const p = rng.int(b.length + 1);
      out = concat([b.subarray(0, p), new Uint8Array(rng.range(1, 512)).fill(rng.pick([0, 0xff])), b.subarray(p)]);
      break;
    }
    default:
      out = b
        .reverse()
        .subarray(0, rng.int(b.length + 1))
        .reverse();
      break;
  }
  return out.length > maxLength ? out.subarray(0, maxLength) : out;
}

/** A case: a seed mutated 1-4 times (or, one time in ten, random bytes). */
export function makeCase(seeds: readonly Uint8Array[], rng: Rng, maxLength: number): Uint8Array {
  if (rng.chance(0.1)) return rng.bytes(rng.int(Math.min(maxLength, 2048)));
  let input = rng.pick(seeds);
  for (let i = rng.range(1, 4); i > 0; i--) input = mutateOnce(input, rng.pick(seeds), rng, maxLength);
  return input;
}

/** Splits bytes into chunks of random sizes (1 byte up to all of it), for streaming readers. */
export function randomChunks(bytes: Uint8Array, rng: Rng): Uint8Array[] {
  if (rng.chance(0.3)) return [bytes];
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = rng.chance(0.2) ? 1 : rng.range(1, Math.max(1, Math.min(bytes.length - at, 4096)));
    chunks.push(bytes.subarray(at, at + n));
    at += n;
  }
  return chunks;
}
