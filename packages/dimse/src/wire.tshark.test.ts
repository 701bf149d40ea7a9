/**
 * An independent check of the bytes we put on the wire: Wireshark's DICOM dissector (tshark) decodes a capture of our
 * client talking to our server — C-ECHO, and C-STORE data sets fragmented over many PDUs and packed several PDVs to a
 * PDU — and must find the messages it expects and nothing to complain about.
 */
import { Readable } from 'node:stream';
import { buffer as readAll } from 'node:stream/consumers';
import { decodeDicomCapture, type RunningCapture, startCapture } from '@netdicom/test-peers';
import { afterEach, describe, expect, it } from 'vitest';
import { Status } from './status.js';
import { buildDataset, sampleElements } from './testing/dataset-builder.js';
import { CT_IMAGE_STORAGE, EXPLICIT, type Loopback, startLoopback } from './testing/loopback.js';

let loopback: Loopback | undefined;
afterEach(async () => {
  await loopback?.close();
  loopback = undefined;
});

describe("Wireshark's DICOM dissector on our traffic", () => {
  it('decodes our C-ECHO and C-STORE messages without expert warnings', async () => {
    let capture!: RunningCapture;
    loopback = await startLoopback({
      beforeConnect: async (port) => {
        capture = await startCapture({ ports: [port] });
        // tshark reports "Capturing on" a moment before packets really flow into the file.
        await new Promise((r) => setTimeout(r, 1000));
      },
      serverMaxPdu: 4096,
      handlers: {
        onStore: async (ctx) => {
          await readAll(ctx.dataset);
          return ctx.sopInstanceUid.endsWith('.2') ? { status: Status.OutOfResources, errorComment: 'full' } : 0;
        },
      },
    });
    const client = loopback.client;
    expect((await client.echo()).status.code).toBe(0);
    // A real data set (the dissector parses it): 20 KB of pixel data after the routing attributes.
    const data = buildDataset(
      [
        ...sampleElements().filter((e) => e.tag !== 0x7fe00010),
        { tag: 0x7fe00010, vr: 'OW', value: new Uint8Array(20_000).map((_, i) => i & 0xff) },
      ],
      'explicit-le',
    );
    expect(
      (
        await client.store({
          dataset: data,
          sopClassUid: CT_IMAGE_STORAGE,
          sopInstanceUid: '1.2.3.1',
          transferSyntax: EXPLICIT,
        })
      ).status.code,
    ).toBe(0);
    // Tiny chunks: coalesced into staging PDVs; a failure response with an Error Comment.
    const tiny = Array.from({ length: Math.ceil(data.length / 100) }, (_, i) => data.subarray(i * 100, i * 100 + 100));
    const failed = await client.store({
      dataset: Readable.from(tiny),
      sopClassUid: CT_IMAGE_STORAGE,
      sopInstanceUid: '1.2.3.2',
      transferSyntax: EXPLICIT,
    });
    expect(failed.status.code).toBe(0xa700);
    await loopback.clientAssociation.release();
    const path = await capture.stop(1000);
    const decoded = await decodeDicomCapture(path, [loopback.port]);
    const info = decoded.frames.map((f) => f.info).join('\n');
    for (const expected of [
      'A-ASSOCIATE request',
      'C-ECHO-RQ ID=1',
      'C-ECHO-RSP ID=1 (Success)',
      'C-STORE-RQ ID=2',
      'C-STORE-RSP ID=2 (Success)',
      'C-STORE-RQ ID=3',
      'C-STORE-RSP (Refused: Out of Resources, full)',
      'A-RELEASE request',
    ]) {
      expect(info, expected).toContain(expected);
    }
    const dicom = decoded.expert.filter((e) => e.protocol.toUpperCase() === 'DICOM');
    // The dissector reports non-success statuses in its "Response" group: exactly our one refusal.
    expect(dicom.filter((e) => e.group === 'Response')).toEqual([
      expect.objectContaining({ severity: 'warning', count: 1 }),
    ]);
    const complaints = dicom.filter(
      (e) => e.group !== 'Response' && (e.severity === 'error' || e.severity === 'warning'),
    );
    expect(complaints).toEqual([]);
  }, 60_000);
});
