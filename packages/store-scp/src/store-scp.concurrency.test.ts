/**
 * Many associations at once in one process (PS3.8 7.1; the default limit is 100): 100 requestors hold their
 * associations open together, each stores over it, and every instance is stored intact. The 101st is refused with
 * A-ASSOCIATE-RJ transient, local-limit-exceeded (PS3.8 Table 9-21). And one association pipelining C-STOREs up to the
 * asynchronous operations window we grant (PS3.7 D.3.3.3).
 */
import { readFile } from 'node:fs/promises';
import { AssociationRejectedError } from '@netdicom/association';
import { describe, expect, it } from 'vitest';
import {
  buildDataset,
  CT_IMAGE_STORAGE,
  EXPLICIT_VR_LITTLE_ENDIAN,
  randomUid,
  TEST_IMPLEMENTATION_CLASS_UID,
} from './testing/dataset-builder.js';
import { connectScu, datasetOffset, startScp, type TestScu } from './testing/scp.js';

const CONTEXTS = [{ abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [EXPLICIT_VR_LITTLE_ENDIAN] }];

describe('100 simultaneous associations', () => {
  it('are all served at once, every instance stored intact; the 101st is refused', async () => {
    const scp = await startScp({ layout: 'flat' });
    const scus: TestScu[] = [];
    try {
      for (const scu of await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          connectScu(scp.port, CONTEXTS, { callingAeTitle: `SCU${String(i).padStart(3, '0')}` }),
        ),
      )) {
        scus.push(scu);
      }
      expect(scp.scp.associationCount).toBe(100);
      await expect(connectScu(scp.port, CONTEXTS, { callingAeTitle: 'ONE_TOO_MANY' })).rejects.toMatchObject({
        constructor: AssociationRejectedError,
        result: 2,
        source: 3,
        reason: 2,
      });

      const datasets = scus.map((_, i) => {
        const sopInstanceUid = randomUid();
        return {
          sopInstanceUid,
          bytes: buildDataset({ sopInstanceUid, patientId: `P${i}`, pixelBytes: 64 * 1024 + i }),
        };
      });
      const responses = await Promise.all(
        scus.map((scu, i) =>
          scu.client.store({
            sopClassUid: CT_IMAGE_STORAGE,
            sopInstanceUid: datasets[i]!.sopInstanceUid,
            transferSyntax: EXPLICIT_VR_LITTLE_ENDIAN,
            dataset: datasets[i]!.bytes,
          }),
        ),
      );
      expect(responses.map((r) => r.status.code)).toEqual(Array(100).fill(0));
      expect(scp.received).toHaveLength(100);
      for (const { sopInstanceUid, bytes } of datasets) {
        const instance = scp.received.find((i) => i.sopInstanceUid === sopInstanceUid)!;
        const file = await readFile(instance.path);
        expect(Buffer.from(bytes).equals(file.subarray(await datasetOffset(instance.path)))).toBe(true);
      }
      expect(new Set(scp.received.map((i) => i.callingAeTitle)).size).toBe(100);
    } finally {
      await Promise.all(scus.map((scu) => scu.release()));
      await scp.close();
    }
    expect(scp.ended).toHaveLength(100);
    expect(scp.ended.every((e) => e.reason === 'released' && e.instances.length === 1)).toBe(true);
    expect(scp.rejected.map((r) => [r.callingAeTitle, r.reasonCode])).toEqual([['ONE_TOO_MANY', 2]]);
  }, 120_000);
});

describe('asynchronous operations window', () => {
  it('grants min(proposed, maxOperationsPerformed) and serves pipelined stores', async () => {
    const scp = await startScp({ layout: 'flat', maxOperationsPerformed: 8 });
    const scu = await connectScu(scp.port, CONTEXTS, {
      asynchronousOperationsWindow: { maxOperationsInvoked: 32, maxOperationsPerformed: 4 },
      implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID,
    });
    try {
      // PS3.7 D.3.3.3: invoked = what the requestor may have outstanding with us; we invoke nothing (1).
      expect(scu.association.negotiated.asynchronousOperationsWindow).toEqual({
        maxOperationsInvoked: 8,
        maxOperationsPerformed: 1,
      });
      expect(scu.client.window).toBe(8);
      const uids = Array.from({ length: 24 }, () => randomUid());
      let peak = 0;
      const probe = setInterval(() => {
        peak = Math.max(peak, scp.scp.storesInFlight);
      }, 1);
      const responses = await Promise.all(
        uids.map((sopInstanceUid) =>
          scu.client.store({
            sopClassUid: CT_IMAGE_STORAGE,
            sopInstanceUid,
            transferSyntax: EXPLICIT_VR_LITTLE_ENDIAN,
            dataset: buildDataset({ sopInstanceUid, patientId: 'PIPE', pixelBytes: 256 * 1024 }),
          }),
        ),
      );
      clearInterval(probe);
      expect(responses.map((r) => r.status.code)).toEqual(Array(24).fill(0));
      expect(scp.received.map((i) => i.sopInstanceUid).sort()).toEqual([...uids].sort());
      // Stores overlapped (one fsyncing while the next arrives), never beyond the window.
      expect(peak).toBeGreaterThan(1);
      expect(peak).toBeLessThanOrEqual(8);
    } finally {
      await scu.release();
      await scp.close();
    }
  });
});
