/**
 * StoreScu with `concurrency > 1` (parallel associations, issue 5): against DCMTK `storescp --fork` (one child
 * process per association), against our StoreScp holding every store until all the associations are open (so they
 * provably overlap), and combined with the split of more than 128 presentation contexts (PS3.8 9.3.2.2).
 */
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { dcmdumpElementsOf, diffElements, startStorescp } from '@netdicom/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectFile } from './plan.js';
import { type FileSentEvent, type StoreProgress, StoreScu } from './store-scu.js';
import { dumpDataset, runTool } from './testing/dcmtk.js';
import { buildPart10 } from './testing/dicom-builder.js';
import { grayImage } from './testing/fixtures.js';
import { startScriptedScp } from './testing/scripted-scp.js';
import { makeTempDir } from './testing/temp-dir.js';
import { TransferSyntax } from './transfer-syntax.js';

let dir: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  dir = await makeTempDir('store-scu-concurrency-');
});
afterAll(async () => {
  await dir.cleanup();
});

/** Resolves once `condition()` holds; rejects after `timeoutMs` (generous: only a hang should hit it). */
async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** storescp names received files `MODALITY.SOPInstanceUID` (`UNKNOWN.` and the like for private classes). */
function uidOfReceived(path: string): string {
  return basename(path).replace(/^[A-Za-z]+\./, '');
}

describe('StoreScu concurrency', () => {
  it('spreads files over 3 associations to storescp --fork: each arrives once, identical, onFileSent once each', async () => {
    const folder = join(dir.path, 'fork');
    await runTool('mkdir', ['-p', folder]);
    const uids = Array.from({ length: 9 }, (_, i) => `1.2.826.0.1.3680043.10.99.400.${i + 1}`);
    for (const [i, uid] of uids.entries()) await writeFile(join(folder, `img-${i}.dcm`), grayImage(uid));
    const scp = await startStorescp({ fork: true, extraArgs: ['-v'] });
    try {
      const sent: FileSentEvent[] = [];
      const progress: StoreProgress[] = [];
      const scu = new StoreScu({ addr: `127.0.0.1:${scp.port}`, calledAeTitle: scp.aeTitle, concurrency: 3 });
      const subscription = scu.progress$.subscribe((p) => progress.push(p));
      const result = await scu.addDirectory(folder).send({ onFileSent: (_e, event) => sent.push(event) });
      subscription.unsubscribe();

      expect(result).toEqual({ successful: 9, failed: 0, warnings: [], totalFiles: 9 });
      expect(sent.map((e) => e.sopInstanceUid).sort()).toEqual([...uids].sort());
      expect(new Set(sent.map((e) => e.file)).size).toBe(9);
      const last = progress.at(-1)!;
      expect(last).toMatchObject({ totalFiles: 9, filesDone: 9, successful: 9, failed: 0 });
      expect(last.bytesSent).toBe(last.bytesTotal);
      // Every worker opened its own association (a forked storescp child each).
      expect(scp.output().match(/Association Acknowledged/g)).toHaveLength(3);
      const files = await scp.receivedFiles();
      expect(files.map(uidOfReceived).sort()).toEqual([...uids].sort());
      for (const [i, uid] of uids.entries()) {
        const arrived = files.find((file) => uidOfReceived(file) === uid)!;
        expect(await dumpDataset(arrived), uid).toBe(await dumpDataset(join(folder, `img-${i}.dcm`)));
      }
    } finally {
      await scp.stop();
    }
  });

  it('really runs the associations at once: our StoreScp holds the stores until 3 associations have one running', async () => {
    const uids = Array.from({ length: 7 }, (_, i) => `1.2.826.0.1.3680043.10.99.401.${i + 1}`);
    // Associations with a store being handled right now (by count of stores), and the most seen at one time.
    const running = new Map<unknown, number>();
    let mostAssociations = 0;
    let released = false;
    const peer = await startScriptedScp(async (store) => {
      running.set(store.association, (running.get(store.association) ?? 0) + 1);
      mostAssociations = Math.max(mostAssociations, running.size);
      try {
        await until(() => released || running.size >= 3, 'stores running on three associations at once');
        released = true;
      } finally {
        const left = running.get(store.association)! - 1;
        if (left === 0) running.delete(store.association);
        else running.set(store.association, left);
      }
      return 0;
    });
    try {
      const sent: FileSentEvent[] = [];
      // One C-STORE outstanding per association, so a single association cannot take every file by pipelining.
      const scu = new StoreScu({
        addr: peer.addr,
        calledAeTitle: peer.aeTitle,
        concurrency: 3,
        asynchronousOperationsWindow: 1,
      });
      for (const uid of uids) scu.addFileFromMemory(grayImage(uid), `${uid}.dcm`);
      const result = await scu.send({ onFileSent: (_e, event) => sent.push(event) });

      expect(result).toEqual({ successful: 7, failed: 0, warnings: [], totalFiles: 7 });
      expect(sent.map((e) => e.sopInstanceUid).sort()).toEqual([...uids].sort());
      expect(peer.associations).toHaveLength(3);
      expect(peer.storeAssociations().size).toBe(3);
      expect(mostAssociations).toBe(3);
      for (const uid of uids)
        expect(
          peer.storesOf(uid).map((s) => s.status),
          uid,
        ).toEqual([0]);
    } finally {
      await peer.close();
    }
  });

  it('combines concurrency with the split of more than 128 presentation contexts', async () => {
    const folder = join(dir.path, 'split');
    await runTool('mkdir', ['-p', folder]);
    const classes = 50; // x3 contexts (deflated, explicit, uncompressed fallback) = 150 > 128
    const paths: string[] = [];
    for (let i = 0; i < classes; i++) {
      const sopClassUid = `1.2.826.0.1.3680043.10.99.402.${i + 1}`;
      for (const [ts, tag] of [
        [TransferSyntax.DeflatedExplicitVRLittleEndian, 1],
        [TransferSyntax.ExplicitVRLittleEndian, 2],
      ] as const) {
        const path = join(folder, `${i}-${tag}.dcm`);
        await writeFile(
          path,
          buildPart10({
            sopClassUid,
            sopInstanceUid: `1.2.826.0.1.3680043.10.99.403.${i + 1}.${tag}`,
            transferSyntaxUid: ts,
            elements: [
              { tag: 0x00080060, vr: 'CS', value: 'OT' },
              { tag: 0x00100010, vr: 'PN', value: `Split^${i}^${tag}` },
            ],
          }),
        );
        paths.push(path);
      }
    }
    const scp = await startStorescp({ fork: true, extraArgs: ['+xa', '-pm', '-v'] });
    try {
      const lines: string[] = [];
      const sent: FileSentEvent[] = [];
      const scu = new StoreScu({
        addr: `127.0.0.1:${scp.port}`,
        calledAeTitle: scp.aeTitle,
        concurrency: 3,
        verbose: (line) => lines.push(line),
      });
      const result = await scu.addDirectory(folder).send({ onFileSent: (_e, event) => sent.push(event) });

      expect(result).toEqual({ successful: 100, failed: 0, warnings: [], totalFiles: 100 });
      expect(lines).toContain('2 association plan(s): 126, 24 presentation context(s)');
      expect(new Set(sent.map((e) => e.file)).size).toBe(100);
      // Three workers over two plans: each opens one association at once (both plans covered); a worker whose plan
      // is done moves on to the other plan if files remain there, so at most two associations per worker.
      const associations = scp.output().match(/Association Acknowledged/g)?.length ?? 0;
      expect(associations).toBeGreaterThanOrEqual(3);
      expect(associations).toBeLessThanOrEqual(6);
      const files = await scp.receivedFiles();
      expect(files).toHaveLength(100);
      // Same attributes on arrival (two dcmdump runs in all), and each in the transfer syntax it was sent in.
      const sentDumps = await dcmdumpElementsOf(paths);
      const arrivedDumps = await dcmdumpElementsOf(files);
      for (const path of paths) {
        const planned = await inspectFile({ file: path, source: { kind: 'path', path } });
        const arrived = files.find((file) => uidOfReceived(file) === planned.sopInstanceUid);
        expect(arrived, path).toBeDefined();
        expect(diffElements(sentDumps.get(path)!, arrivedDumps.get(arrived!)!), path).toEqual([]);
        expect(arrivedDumps.get(arrived!)!['0002,0010'], path).toBe(planned.transferSyntaxUid);
        expect(sent.find((e) => e.file === path)!.transferSyntax, path).toBe(planned.transferSyntaxUid);
      }
    } finally {
      await scp.stop();
    }
  });
});
