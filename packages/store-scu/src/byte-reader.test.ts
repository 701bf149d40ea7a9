import { describe, expect, it } from 'vitest';
import { ByteReader } from './byte-reader.js';
import { DatasetParseError } from './errors.js';

async function* pieces(bytes: Uint8Array, size: number) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('ByteReader', () => {
  const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);
  for (const size of [1, 3, 7, 100]) {
    it(`reads, peeks, skips and streams across chunks of ${size}`, async () => {
      const reader = new ByteReader(pieces(bytes, size));
      expect([...(await reader.peek(5))]).toEqual([0, 1, 2, 3, 4]);
      expect([...(await reader.read(10))]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      await reader.skip(10);
      expect(reader.position).toBe(20);
      const streamed: number[] = [];
      for await (const piece of reader.stream(30, 4)) {
        expect(piece.length % 4 === 0 || piece.length === 30 % 4).toBe(true);
        streamed.push(...piece);
      }
      expect(streamed).toEqual(Array.from({ length: 30 }, (_, i) => 20 + i));
      expect(reader.position).toBe(50);
      await reader.skip(50);
      expect(await reader.atEnd()).toBe(true);
      await expect(reader.read(1)).rejects.toBeInstanceOf(DatasetParseError);
    });
  }
  it('reports truncation inside a streamed value', async () => {
    const reader = new ByteReader(pieces(bytes, 16));
    const consume = async () => {
      for await (const _ of reader.stream(200)) {
        // drain
      }
    };
    await expect(consume()).rejects.toMatchObject({ code: 'ERR_NETDICOM_STORE_SCU_TRUNCATED' });
  });
});
