import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { decodePdu } from './decode.js';
import {
  InvalidPduParameterValueError,
  InvalidPduReaderOptionsError,
  PduTooLargeError,
  TruncatedPduError,
  UnrecognizedPduError,
  UnrecognizedPduParameterError,
} from './errors.js';
import { createPduReader, defaultMaxAssociatePduLength } from './reader.js';
import {
  abort,
  cat,
  item,
  maximumLength,
  minimalRq,
  pDataTf,
  pdv,
  releaseRp,
  releaseRq,
  u32,
} from './testing/builders.js';
import { fixture, splitPdus } from './testing/golden.js';
import type { PDataTf, Pdu } from './types.js';
import { thrown } from './testing/thrown.js';

const echo = fixture('echo.scu.bin'); // A-ASSOCIATE-RQ, P-DATA-TF, A-RELEASE-RQ from echoscu

function readAll(chunks: readonly Uint8Array[], maxPduLength = 65536): Pdu[] {
  const reader = createPduReader({ maxPduLength });
  const out: Pdu[] = [];
  for (const c of chunks) out.push(...reader.push(c));
  expect(reader.bufferedBytes).toBe(0);
  reader.end();
  return out;
}

describe('framing', () => {
  const expected = splitPdus(echo).map((s) => decodePdu(s));

  it('returns nothing until a PDU is complete, then the PDU', () => {
    const reader = createPduReader({ maxPduLength: 65536 });
    expect(reader.push(echo.subarray(0, 3))).toEqual([]);
    expect(reader.bufferedBytes).toBe(3);
    expect(reader.pendingPduLength).toBeUndefined();
    expect(reader.push(echo.subarray(3, 100))).toEqual([]);
    expect(reader.bufferedBytes).toBe(100);
    expect(reader.pendingPduLength).toBe(205);
    const out = reader.push(echo.subarray(100, 211));
    expect(out).toEqual([expected[0]]);
    expect(reader.bufferedBytes).toBe(0);
    expect(reader.pendingPduLength).toBeUndefined();
  });

  it('splits a stream at every byte position into the same PDUs', () => {
    for (let i = 0; i <= echo.length; i++) {
      expect(readAll([echo.subarray(0, i), echo.subarray(i)])).toEqual(expected);
    }
  });

  it('reads the stream one byte at a time', () => {
    const chunks = Array.from({ length: echo.length }, (_, i) => echo.subarray(i, i + 1));
    expect(readAll(chunks)).toEqual(expected);
  });

  it('splits at every pair of positions of a shorter stream', () => {
    const stream = cat(releaseRq(), pDataTf([pdv(1, 3, [1, 2, 3]), pdv(3, 0, [4])]), abort(2, 6), releaseRp());
    const want = splitPdus(stream).map((s) => decodePdu(s));
    for (let i = 0; i <= stream.length; i++) {
      for (let j = i; j <= stream.length; j++) {
        expect(readAll([stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)])).toEqual(want);
      }
    }
  });

  it('returns many PDUs from one chunk, in order', () => {
    const stream = cat(echo, echo, echo);
    expect(readAll([stream])).toEqual([...expected, ...expected, ...expected]);
  });

  it('accepts empty chunks anywhere', () => {
    const empty = new Uint8Array(0);
    expect(readAll([empty, echo.subarray(0, 4), empty, echo.subarray(4), empty])).toEqual(expected);
  });
});

describe('no copies of P-DATA payloads', () => {
  const payload = new Uint8Array(3000).map((_, i) => i & 0xff);
  const pdata = pDataTf([pdv(1, 0, payload.subarray(0, 1000)), pdv(1, 2, payload.subarray(1000))]);

  it('PDV data are views of the chunk when the PDU lies within it', () => {
    const chunk = cat(releaseRq(), pdata, releaseRq());
    const reader = createPduReader({ maxPduLength: 65536 });
    const [, p] = reader.push(chunk) as [Pdu, PDataTf, Pdu];
    expect(p.pdvs).toHaveLength(2);
    expect(p.pdvs[0]?.data.buffer).toBe(chunk.buffer);
    expect(p.pdvs[1]?.data.buffer).toBe(chunk.buffer);
    expect(p.pdvs[1]?.data).toEqual(payload.subarray(1000));
  });

  it('a PDU spanning chunks is assembled once, into a buffer of exactly its size', () => {
    const reader = createPduReader({ maxPduLength: 65536 });
    const a = pdata.subarray(0, 1500);
    const b = pdata.subarray(1500);
    expect(reader.push(a)).toEqual([]);
    const [p] = reader.push(b) as [PDataTf];
    expect(p.pdvs[0]?.data.buffer).not.toBe(a.buffer);
    expect(p.pdvs[0]?.data.buffer.byteLength).toBe(pdata.length);
    expect(p.pdvs[0]?.data).toEqual(payload.subarray(0, 1000));
    expect(p.pdvs[1]?.data).toEqual(payload.subarray(1000));
  });
});

describe('limits: refused from the header, before any body is buffered', () => {
  it('a P-DATA-TF header announcing 4 GiB is refused as soon as its 6th byte arrives', () => {
    const reader = createPduReader({ maxPduLength: 16384 });
    const header = cat([4, 0], u32(0xffffffff));
    expect(reader.push(header.subarray(0, 5))).toEqual([]);
    expect(reader.bufferedBytes).toBe(5);
    const error = thrown(() => reader.push(header.subarray(5, 6)));
    expect(error).toBeInstanceOf(PduTooLargeError);
    expect(error).toMatchObject({ length: 0xffffffff, limit: 16384, abortReason: 6, pduType: 4 });
    expect(reader.bufferedBytes).toBe(0);
  });

  it('a header followed by body bytes in the same chunk holds none of them', () => {
    const reader = createPduReader({ maxPduLength: 1024 });
    const chunk = cat([4, 0], u32(2048), new Uint8Array(1500));
    expect(thrown(() => reader.push(chunk))).toBeInstanceOf(PduTooLargeError);
    expect(reader.bufferedBytes).toBe(0);
  });

  it('the limit applies to the PDU-length field: equal is accepted, one more is refused', () => {
    const exact = pDataTf([pdv(1, 3, new Uint8Array(1018))]); // PDU-length 1024
    expect(createPduReader({ maxPduLength: 1024 }).push(exact)).toHaveLength(1);
    expect(thrown(() => createPduReader({ maxPduLength: 1023 }).push(exact))).toBeInstanceOf(PduTooLargeError);
  });

  it('association PDUs have their own limit, 1 MiB by default', () => {
    expect(defaultMaxAssociatePduLength).toBe(1048576);
    const rq = minimalRq();
    expect(createPduReader({ maxPduLength: 16 }).push(rq)).toHaveLength(1);
    const limited = createPduReader({ maxPduLength: 65536, maxAssociatePduLength: rq.length - 7 });
    expect(thrown(() => limited.push(rq.subarray(0, 6)))).toBeInstanceOf(PduTooLargeError);
    const big = cat([1, 0], u32(defaultMaxAssociatePduLength + 1));
    expect(thrown(() => createPduReader({ maxPduLength: 65536 }).push(big))).toBeInstanceOf(PduTooLargeError);
  });

  it('fixed-length PDUs with another length are refused from the header', () => {
    const error = thrown(() => createPduReader({ maxPduLength: 65536 }).push(cat([5, 0], u32(1000))));
    expect(error).toBeInstanceOf(InvalidPduParameterValueError);
  });

  it('an unknown PDU type is refused from its first byte', () => {
    const reader = createPduReader({ maxPduLength: 65536 });
    expect(reader.push(releaseRq())).toHaveLength(1);
    const error = thrown(() => reader.push(Uint8Array.of(0x09)));
    expect(error).toBeInstanceOf(UnrecognizedPduError);
    expect(error.abortReason).toBe(1);
  });

  it('memory held tracks what was received, not what was announced', () => {
    const reader = createPduReader({ maxPduLength: 10_000_000 });
    reader.push(cat([4, 0], u32(9_000_000), u32(8_999_996), [1, 0]));
    expect(reader.bufferedBytes).toBe(12);
    reader.push(new Uint8Array(1000));
    expect(reader.bufferedBytes).toBe(1012);
    expect(reader.pendingPduLength).toBe(9_000_000);
  });
});

describe('a peer trickling bytes', () => {
  it('costs memory in proportion to the bytes, not to the number of chunks', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const size = 128 * 1024;
    const body = new Uint8Array(size).map((_, i) => (i * 7) & 0xff);
    const stream = pDataTf([pdv(1, 2, body.subarray(6))]);
    const reader = createPduReader({ maxPduLength: size });
    gc();
    const before = process.memoryUsage();
    for (let i = 0; i < stream.length - 1; i++) reader.push(stream.slice(i, i + 1));
    gc();
    const after = process.memoryUsage();
    expect(reader.bufferedBytes).toBe(stream.length - 1);
    // Held as views, 131,000 one-byte chunks cost about 25 MB; copied into blocks, about the bytes themselves.
    const grown = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
    expect(grown).toBeLessThan(8 * 1024 * 1024);
    const [p] = reader.push(stream.slice(stream.length - 1)) as [PDataTf];
    expect(p.pdvs[0]?.data).toEqual(body.subarray(6));
  });

  it('mixes copied small pieces and views of large chunks in the right order', () => {
    const body = new Uint8Array(20000).map((_, i) => (i * 13) & 0xff);
    const stream = pDataTf([pdv(3, 0, body.subarray(0, 9000)), pdv(3, 2, body.subarray(9000))]);
    const sizes = [1, 3, 5000, 2, 4095, 4096, 1, 4097, 7, 100000];
    const reader = createPduReader({ maxPduLength: 65536 });
    const out: Pdu[] = [];
    let at = 0;
    for (const n of sizes) {
      out.push(...reader.push(stream.subarray(at, at + n)));
      at += n;
    }
    expect(out).toEqual([decodePdu(stream)]);
  });
});

describe('errors and end of stream', () => {
  it('a decode error is thrown from push, and again from every later push', () => {
    const reader = createPduReader({ maxPduLength: 65536 });
    const bad = pDataTf([pdv(2, 3, [1])]);
    const error = thrown(() => reader.push(cat(releaseRq(), bad)));
    expect(error).toBeInstanceOf(InvalidPduParameterValueError);
    expect(thrown(() => reader.push(releaseRq()))).toBe(error);
    expect(reader.bufferedBytes).toBe(0);
  });

  it('passes decode options through', () => {
    const withUnknown = minimalRq({ ui: [maximumLength(0), item(0x5f, [])] });
    const reader = createPduReader({ maxPduLength: 65536, unknownItems: 'reject' });
    expect(thrown(() => reader.push(withUnknown))).toBeInstanceOf(UnrecognizedPduParameterError);
    expect(createPduReader({ maxPduLength: 65536 }).push(withUnknown)).toHaveLength(1);
  });

  it('end() reports a PDU cut short, and is quiet on a PDU boundary', () => {
    const clean = createPduReader({ maxPduLength: 65536 });
    clean.push(echo);
    expect(() => clean.end()).not.toThrow();

    for (const cut of [1, 5, 6, 100]) {
      const reader = createPduReader({ maxPduLength: 65536 });
      reader.push(echo.subarray(0, cut));
      const error = thrown(() => reader.end());
      expect(error).toBeInstanceOf(TruncatedPduError);
      expect(error.message).toMatch(`${cut} bytes`);
    }
    const ended = createPduReader({ maxPduLength: 65536 });
    ended.end();
    expect(thrown(() => ended.push(releaseRq()))).toMatchObject({ code: 'ERR_STREAM_WRITE_AFTER_END' });
  });

  it.each([0, -1, 1.5, 2 ** 32, Number.NaN, '16384'])('refuses maxPduLength %j', (value) => {
    expect(thrown(() => createPduReader({ maxPduLength: value as number }))).toBeInstanceOf(
      InvalidPduReaderOptionsError,
    );
  });

  it('refuses a bad maxAssociatePduLength and non-byte chunks', () => {
    expect(thrown(() => createPduReader({ maxPduLength: 1, maxAssociatePduLength: 0 }))).toBeInstanceOf(
      InvalidPduReaderOptionsError,
    );
    const error = thrown(() => createPduReader({ maxPduLength: 1 }).push('abc' as unknown as Uint8Array));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.code).toBe('ERR_INVALID_ARG_TYPE');
  });
});
