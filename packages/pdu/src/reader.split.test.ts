/**
 * createPduReader({ splitPData: true }): a P-DATA-TF that spans chunks is handed on as it arrives, as views of the
 * chunks. What DIMSE sees (PS3.8 E.2: the data of each message, PDV by PDV until the last-fragment bit) must be the
 * same as with whole PDUs, wherever the stream is cut, and the PDU's structure must be checked as strictly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodePdu } from './encode.js';
import { InvalidPduParameterValueError, TruncatedPduError } from './errors.js';
import { createPduReader } from './reader.js';
import { pdu as anyPdu, withoutPreserved } from './testing/arbitraries.js';
import { cat, pDataTf, pdv, u32 } from './testing/builders.js';
import type { Pdu } from './types.js';
import { thrown } from './testing/thrown.js';

type Event =
  | { readonly kind: 'data'; readonly id: number; readonly command: boolean; readonly bytes: number[] }
  | { readonly kind: 'end-of-message' }
  | { readonly kind: 'pdu'; readonly pdu: Pdu };

/** What the DIMSE layer sees: runs of message data per context and command bit, the ends of messages, other PDUs. */
function events(pdus: readonly Pdu[]): Event[] {
  const out: Event[] = [];
  for (const p of pdus) {
    if (p.kind !== 'P-DATA-TF') {
      out.push({ kind: 'pdu', pdu: withoutPreserved(p) });
      continue;
    }
    for (const v of p.pdvs) {
      const last = out.at(-1);
      if (last?.kind === 'data' && last.id === v.presentationContextId && last.command === v.isCommand) {
        last.bytes.push(...v.data);
      } else {
        out.push({ kind: 'data', id: v.presentationContextId, command: v.isCommand, bytes: [...v.data] });
      }
      if (v.isLast) out.push({ kind: 'end-of-message' });
    }
  }
  return out;
}

function read(stream: Uint8Array, cuts: readonly number[], splitPData: boolean): Pdu[] {
  const reader = createPduReader({ maxPduLength: 1 << 20, splitPData });
  const out: Pdu[] = [];
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    out.push(...reader.push(stream.subarray(at, cut)));
    at = cut;
  }
  out.push(...reader.push(stream.subarray(at)));
  expect(reader.bufferedBytes).toBe(0);
  reader.end();
  return out;
}

describe('splitPData', () => {
  it('gives DIMSE the same messages as whole PDUs, wherever the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.array(anyPdu, { minLength: 1, maxLength: 6 }).chain((pdus) => {
          const stream = cat(...pdus.map((p) => encodePdu(p)));
          return fc.tuple(fc.constant(stream), fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 12 }));
        }),
        ([stream, cuts]) => {
          expect(events(read(stream, cuts, true))).toEqual(events(read(stream, cuts, false)));
        },
      ),
      { numRuns: 1500, seed: 20261122 },
    );
  });

  it('hands a PDU spanning chunks on as views of the chunks, part by part, the last bit on the final part', () => {
    const data = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 31) & 0xff);
    const stream = pDataTf([pdv(3, 0x00, data.subarray(0, 1000)), pdv(3, 0x02, data.subarray(1000))]);
    const reader = createPduReader({ maxPduLength: 1 << 20, splitPData: true });
    const chunks = [0, 65536, 131072, 196608].map((at) => stream.slice(at, at + 65536));
    const parts = chunks.map((chunk) => ({ chunk, pdus: reader.push(chunk) }));
    reader.end();
    for (const { chunk, pdus } of parts) {
      expect(pdus).toHaveLength(1);
      for (const v of (pdus[0] as Extract<Pdu, { kind: 'P-DATA-TF' }>).pdvs) expect(v.data.buffer).toBe(chunk.buffer);
    }
    const pdvs = parts.flatMap(({ pdus }) => (pdus[0] as Extract<Pdu, { kind: 'P-DATA-TF' }>).pdvs);
    expect(pdvs.map((v) => [v.presentationContextId, v.isCommand, v.isLast, v.data.length])).toEqual([
      [3, false, false, 1000],
      [3, false, false, 65536 - 6 - 6 - 1000 - 6],
      [3, false, false, 65536],
      [3, false, false, 65536],
      [3, false, true, stream.length - 196608],
    ]);
    expect(Buffer.concat(pdvs.map((v) => v.data)).equals(Buffer.from(data))).toBe(true);
  });

  it('checks the structure as the bytes arrive, with the errors of whole PDUs', () => {
    const cases: [string, Uint8Array][] = [
      ['an Item-length past the end of the PDU', cat([0x04, 0], u32(20), u32(30), [1, 0], new Uint8Array(14))],
      ['an Item-length below 2', cat([0x04, 0], u32(20), u32(1), [1], new Uint8Array(15))],
      ['an even presentation-context-ID', cat([0x04, 0], u32(20), u32(16), [2, 0], new Uint8Array(14))],
      ['trailing bytes too few for an item', cat([0x04, 0], u32(13), pdv(1, 2, [9, 9, 9]), [0, 0, 0, 0])],
    ];
    for (const [what, bytes] of cases) {
      const whole = thrown(() => createPduReader({ maxPduLength: 1024 }).push(bytes));
      for (let cut = 7; cut < bytes.length; cut++) {
        const reader = createPduReader({ maxPduLength: 1024, splitPData: true });
        const error = thrown(() => {
          reader.push(bytes.subarray(0, cut));
          reader.push(bytes.subarray(cut));
        });
        expect(error, `${what}, cut at ${cut}`).toBeInstanceOf(InvalidPduParameterValueError);
        expect(error.constructor, what).toBe(whole.constructor);
        // The reader stays failed.
        expect(() => reader.push(Uint8Array.of(5))).toThrow(error);
      }
    }
  });

  it('end() in the middle of a streamed P-DATA-TF reports it cut short', () => {
    const stream = pDataTf([pdv(1, 0x02, new Uint8Array(100))]);
    const reader = createPduReader({ maxPduLength: 1024, splitPData: true });
    expect(reader.push(stream.subarray(0, 50))).toHaveLength(1);
    const error = thrown(() => reader.end());
    expect(error).toBeInstanceOf(TruncatedPduError);
    expect(error.message).toBe(`the stream ended inside a PDU: 50 bytes of ${stream.length} bytes received`);
  });

  it('other PDUs, and P-DATA-TFs within one chunk, come out as without the option', () => {
    const stream = cat(
      pDataTf([pdv(1, 0x03, [1, 2, 3, 4])]),
      encodePdu({ kind: 'A-RELEASE-RQ' }),
      pDataTf([pdv(5, 0x00, [7, 7]), pdv(5, 0x02, [8, 8])]),
    );
    expect(read(stream, [], true)).toEqual(read(stream, [], false));
  });
});
