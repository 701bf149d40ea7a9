/**
 * Property tests (fast-check, fixed seeds): round trips of generated PDUs of every kind, byte-exact re-encoding of
 * unusual but valid encodings, and the reader's independence from chunk boundaries.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePdu } from './decode.js';
import { encodePdu, encodePduParts } from './encode.js';
import { createPduReader } from './reader.js';
import * as arb from './testing/arbitraries.js';
import { noisyEncode, seededRandom } from './testing/noisy.js';
import type { Pdu } from './types.js';

const params = { seed: 0x5eed, numRuns: 400 } as const;

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

describe('round trips of generated PDUs', () => {
  const kinds: [string, fc.Arbitrary<Pdu>][] = [
    ['A-ASSOCIATE-RQ', arb.associateRq],
    ['A-ASSOCIATE-AC', arb.associateAc],
    ['A-ASSOCIATE-RJ', arb.associateRj],
    ['P-DATA-TF', arb.pDataTf],
    ['A-RELEASE-RQ', arb.releaseRq],
    ['A-RELEASE-RP', arb.releaseRp],
    ['A-ABORT', arb.abort],
  ];

  it.each(kinds)('%s: decode(encode(pdu)) equals pdu, and encode(decode(bytes)) equals bytes', (_, pduArb) => {
    fc.assert(
      fc.property(pduArb, (pdu) => {
        const bytes = encodePdu(pdu);
        const decoded = decodePdu(bytes);
        expect(decoded).toEqual(pdu);
        expect(decoded).not.toHaveProperty('preserved');
        expect(encodePdu(decoded)).toEqual(bytes);
        expect(concat(encodePduParts(pdu))).toEqual(bytes);
      }),
      params,
    );
  });

  it('unusual encodings (reserved bytes, padding, any item order) decode to the same fields and re-encode exactly', () => {
    fc.assert(
      fc.property(arb.pdu, fc.integer(), (pdu, seed) => {
        const bytes = noisyEncode(pdu, seededRandom(seed));
        const decoded = decodePdu(bytes);
        expect(arb.withoutPreserved(decoded)).toEqual(pdu);
        expect(encodePdu(decoded)).toEqual(bytes);
        expect(concat(encodePduParts(decoded))).toEqual(bytes);
      }),
      { ...params, numRuns: 1500 },
    );
  });
});

describe('the reader does not care where chunks split', () => {
  it('a stream of generated PDUs split at random points yields the same PDUs', () => {
    fc.assert(
      fc.property(
        fc.array(arb.pdu, { minLength: 1, maxLength: 6 }),
        fc.integer(),
        fc.array(fc.integer({ min: 0, max: 1 << 16 }), { maxLength: 12 }),
        (pdus, seed, cuts) => {
          const encoded = pdus.map((p) => noisyEncode(p, seededRandom(seed)));
          const stream = concat(encoded);
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const reader = createPduReader({ maxPduLength: 1 << 20 });
          const out: Pdu[] = [];
          let from = 0;
          for (const p of [...points, stream.length]) {
            out.push(...reader.push(stream.subarray(from, p)));
            from = p;
          }
          expect(reader.bufferedBytes).toBe(0);
          expect(out).toEqual(encoded.map((e) => decodePdu(e)));
          expect(out.map((p) => encodePdu(p))).toEqual(encoded);
        },
      ),
      params,
    );
  });

  it('a stream fed in chunks of any fixed size yields the same PDUs', () => {
    fc.assert(
      fc.property(fc.array(arb.pdu, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 300 }), (pdus, size) => {
        const encoded = pdus.map((p) => encodePdu(p));
        const stream = concat(encoded);
        const reader = createPduReader({ maxPduLength: 1 << 20 });
        const out: Pdu[] = [];
        for (let at = 0; at < stream.length; at += size) out.push(...reader.push(stream.subarray(at, at + size)));
        expect(out).toEqual(pdus);
      }),
      params,
    );
  });
});
