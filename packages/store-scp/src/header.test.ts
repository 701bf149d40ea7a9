/** peekHeader: routing attributes read from the first bytes of a dataset stream (PS3.5 7.1), every byte replayed. */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { peekHeader } from './header.js';
import { buildDataset, EXPLICIT_VR_LITTLE_ENDIAN } from './testing/dataset-builder.js';

function streamOf(bytes: Uint8Array, chunkSize: number): Readable {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return Readable.from(chunks, { objectMode: false });
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts);
}

const spec = {
  sopInstanceUid: '1.2.3.4.5',
  studyInstanceUid: '1.2.3.4',
  seriesInstanceUid: '1.2.3.4.1',
  patientId: 'PID-1',
  patientName: 'Doe^John',
  modality: 'MR',
  pixelBytes: 100_000,
};

describe('peekHeader', () => {
  for (const chunkSize of [1, 7, 64, 4096, 1 << 20]) {
    it(`reads the attributes and replays every byte (chunks of ${chunkSize})`, async () => {
      const bytes = buildDataset(spec);
      const peeked = await peekHeader(streamOf(bytes, chunkSize), EXPLICIT_VR_LITTLE_ENDIAN);
      expect(peeked.attributes).toMatchObject({
        PatientID: 'PID-1',
        PatientName: 'Doe^John',
        StudyInstanceUID: '1.2.3.4',
        SeriesInstanceUID: '1.2.3.4.1',
        SOPInstanceUID: '1.2.3.4.5',
        Modality: 'MR',
      });
      expect(peeked.header?.stoppedAtTag).toBe(0x7fe00010);
      expect((await collect(peeked.stream)).equals(Buffer.from(bytes))).toBe(true);
    });
  }

  it('a dataset shorter than the header still gives its attributes', async () => {
    const bytes = buildDataset({ sopInstanceUid: '1.2.3', patientId: 'SHORT' });
    const peeked = await peekHeader(streamOf(bytes, 5), EXPLICIT_VR_LITTLE_ENDIAN);
    expect(peeked.attributes.PatientID).toBe('SHORT');
    expect(peeked.header?.stoppedAtTag).toBeUndefined();
    expect((await collect(peeked.stream)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('past the limit: no header, empty attributes, and still every byte', async () => {
    const bytes = buildDataset(spec);
    const peeked = await peekHeader(streamOf(bytes, 16), EXPLICIT_VR_LITTLE_ENDIAN, 32);
    expect(peeked.header).toBeUndefined();
    expect(peeked.attributes).toEqual({});
    expect((await collect(peeked.stream)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('rejects bytes that are not a dataset in the transfer syntax', async () => {
    const garbage = Buffer.from('0800160099ZZ0400abcdefgh', 'latin1');
    await expect(peekHeader(streamOf(garbage, 3), EXPLICIT_VR_LITTLE_ENDIAN)).rejects.toMatchObject({
      code: 'ERR_NETDICOM_DIMSE_MALFORMED_DATASET',
    });
  });

  it('yields the chunks as the stream delivered them, not concatenated copies', async () => {
    const bytes = buildDataset(spec);
    const delivered: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 4096) delivered.push(Buffer.from(bytes.subarray(i, i + 4096)));
    const source = new Readable({ read() {} });
    // Everything is buffered before the peek: a Readable's own iterator would hand the rest over as one new buffer.
    for (const chunk of delivered) source.push(chunk);
    source.push(null);
    const peeked = await peekHeader(source, EXPLICIT_VR_LITTLE_ENDIAN);
    const yielded: Uint8Array[] = [];
    for await (const chunk of peeked.stream) yielded.push(chunk);
    expect(yielded.length).toBe(delivered.length);
    expect(yielded.every((chunk, i) => chunk === delivered[i])).toBe(true);
  });

  it('an error of the stream after the peek reaches the reader', async () => {
    const bytes = buildDataset(spec);
    const source = new Readable({ read() {} });
    source.push(Buffer.from(bytes.subarray(0, 4096)));
    const peeked = await peekHeader(source, EXPLICIT_VR_LITTLE_ENDIAN);
    const reading = collect(peeked.stream);
    source.destroy(new Error('association aborted'));
    await expect(reading).rejects.toThrow('association aborted');
  });

  it('a stream destroyed between the peek and the first read fails the read instead of hanging', async () => {
    const bytes = buildDataset(spec);
    const source = new Readable({ read() {} });
    // As @netdicom/dimse's incoming data sets do: an error with no reader must not crash the process.
    source.on('error', () => undefined);
    source.push(Buffer.from(bytes.subarray(0, 4096)));
    const peeked = await peekHeader(source, EXPLICIT_VR_LITTLE_ENDIAN);
    source.destroy(new Error('association aborted'));
    await new Promise((resolve) => setImmediate(resolve));
    await expect(collect(peeked.stream)).rejects.toThrow('association aborted');
  });

  it('return() before the end destroys the stream; never reading it leaves the stream alone', async () => {
    const bytes = buildDataset(spec);
    const read = streamOf(bytes, 1024);
    const peeked = await peekHeader(read, EXPLICIT_VR_LITTLE_ENDIAN);
    const iterator = peeked.stream[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.return?.();
    expect(read.destroyed).toBe(true);
    const untouched = streamOf(bytes, 1024);
    const unread = await peekHeader(untouched, EXPLICIT_VR_LITTLE_ENDIAN);
    expect(unread.header).toBeDefined();
    expect(untouched.listenerCount('data')).toBe(0);
    expect(untouched.destroyed).toBe(false);
  });

  it('leaves a stream it stops early paused, with the rest unread', async () => {
    const bytes = buildDataset(spec);
    const source = streamOf(bytes, 1024);
    const peeked = await peekHeader(source, EXPLICIT_VR_LITTLE_ENDIAN);
    expect(source.isPaused()).toBe(true);
    expect(source.readableEnded).toBe(false);
    expect((await collect(peeked.stream)).length).toBe(bytes.length);
  });
});
