/**
 * Retries of StoreScu (issue 5: "Retries with backoff for transient failures (association lost, Out of Resources
 * 0xA7xx, timeouts), a fresh association after an abort, never a duplicate send of a file already acknowledged"),
 * against real peers over TCP on loopback: our own `@netdicom/store-scp` StoreScp, which can answer 0xA7xx (PS3.4
 * Table B.2-1) or abort on demand, and DCMTK storescp --abort-after.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FailedStore, nodeFileSystem, type ReceivedInstance, StoreScp } from '@netdicom/store-scp';
import { startStorescp } from '@netdicom/test-peers';
import { afterEach, describe, expect, it } from 'vitest';
import { AssociationLostError, StoreFileError } from './errors.js';
import { inspectFile } from './plan.js';
import { type FileErrorEvent, type FileSentEvent, StoreScu } from './store-scu.js';
import { grayImage } from './testing/fixtures.js';
import { type ScriptedScp, startScriptedScp } from './testing/scripted-scp.js';

const UID_ROOT = '1.2.826.0.1.3680043.10.99.300';

/** A small instance and the dataset bytes (after the file meta) a C-STORE of it must carry. */
async function instance(n: number): Promise<{ uid: string; bytes: Uint8Array; dataset: Buffer; name: string }> {
  const uid = `${UID_ROOT}.${n}`;
  const bytes = grayImage(uid);
  const planned = await inspectFile({ file: `f${n}`, source: { kind: 'buffer', bytes } });
  return { uid, bytes, dataset: Buffer.from(bytes.subarray(planned.datasetOffset)), name: `file-${n}.dcm` };
}

/** Collects the callbacks of one send(). */
function recorder() {
  const sent: FileSentEvent[] = [];
  const errors: [Error | null, FileErrorEvent][] = [];
  const lines: string[] = [];
  return {
    sent,
    errors,
    lines,
    verbose: (line: string) => lines.push(line),
    callbacks: {
      onFileSent: (_error: Error | null, event: FileSentEvent) => sent.push(event),
      onFileError: (error: Error | null, event: FileErrorEvent) => errors.push([error, event]),
    },
  };
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

let peer: ScriptedScp | undefined;
afterEach(async () => {
  await peer?.close();
  peer = undefined;
});

describe('StoreScu retries on Out of Resources (0xA7xx)', () => {
  it('retries a file answered 0xA700 with a growing backoff until Success, and sends the others once', async () => {
    const files = await Promise.all([1, 2, 3].map(instance));
    const target = files[1]!;
    peer = await startScriptedScp((store) => (store.sopInstanceUid === target.uid && store.attempt <= 2 ? 0xa700 : 0));
    const log = recorder();
    const scu = new StoreScu({
      addr: peer.addr,
      calledAeTitle: peer.aeTitle,
      retries: { attempts: 3, initialDelayMs: 100 },
      verbose: log.verbose,
    });
    for (const file of files) scu.addFileFromMemory(file.bytes, file.name);
    const result = await scu.send(log.callbacks);

    expect(result).toEqual({ successful: 3, failed: 0, warnings: [], totalFiles: 3 });
    expect(log.errors).toEqual([]);
    expect(log.sent.map((e) => e.file).sort()).toEqual(files.map((f) => f.name).sort());
    expect(log.sent.find((e) => e.file === target.name)!.status).toMatchObject({ code: 0, category: 'success' });
    // What the peer saw: three attempts of the refused file, one of each other, one Success each.
    expect(peer.storesOf(target.uid).map((s) => s.status)).toEqual([0xa700, 0xa700, 0]);
    for (const file of files) {
      if (file !== target) expect(peer.storesOf(file.uid).map((s) => s.status)).toEqual([0]);
      const [stored, ...more] = peer.successesOf(file.uid);
      expect(more).toEqual([]);
      expect(Buffer.compare(stored!.dataset!, file.dataset), file.name).toBe(0);
    }
    // Backoff: the 1st retry waits at least initialDelayMs, the 2nd at least twice that (jitter only adds).
    const [first, second, third] = peer.storesOf(target.uid);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(95);
    expect(third!.at - second!.at).toBeGreaterThanOrEqual(195);
    expect(log.lines.filter((line) => line.startsWith(`${target.name}: Refused: Out of Resources`))).toEqual([
      `${target.name}: Refused: Out of Resources, retry 1 of 3`,
      `${target.name}: Refused: Out of Resources, retry 2 of 3`,
    ]);
    // The retries went over the same association: a status is no reason to drop it.
    expect(peer.associations).toHaveLength(1);
  });

  it('reports a file still refused when its retries run out through onFileError with the status; others go on', async () => {
    const [full, refused, good] = await Promise.all([11, 12, 13].map(instance));
    peer = await startScriptedScp((store) => {
      if (store.sopInstanceUid === full!.uid) return { status: 0xa701, errorComment: 'archive volume full' };
      if (store.sopInstanceUid === refused!.uid) return 0xc000; // Error: Cannot understand: not transient
      return 0;
    });
    const log = recorder();
    const scu = new StoreScu({
      addr: peer.addr,
      calledAeTitle: peer.aeTitle,
      retries: { attempts: 2, initialDelayMs: 5 },
    });
    for (const file of [full!, refused!, good!]) scu.addFileFromMemory(file.bytes, file.name);
    const result = await scu.send(log.callbacks);

    expect(result).toEqual({ successful: 1, failed: 2, warnings: [], totalFiles: 3 });
    expect(log.sent.map((e) => e.file)).toEqual([good!.name]);
    // 1 attempt + 2 retries of the Out of Resources file; the 0xC000 failure is final at once.
    expect(peer.storesOf(full!.uid)).toHaveLength(3);
    expect(peer.storesOf(refused!.uid)).toHaveLength(1);
    expect(peer.storesOf(good!.uid)).toHaveLength(1);
    const byFile = new Map(log.errors.map(([error, event]) => [event.file, { error, event }]));
    expect(byFile.size).toBe(2);
    const exhausted = byFile.get(full!.name)!;
    expect(exhausted.error).toBeInstanceOf(StoreFileError);
    expect(exhausted.error).toBe(exhausted.event.error);
    expect(exhausted.event.error).toMatchObject({
      reason: 'store-failed',
      code: 'ERR_NETDICOM_STORE_SCU_STORE_FAILED',
      status: 0xa701,
    });
    expect(exhausted.event.message).toBe(
      `${full!.name}: the peer answered Refused: Out of Resources (0xA701): archive volume full`,
    );
    expect(exhausted.event).toMatchObject({ sopInstanceUid: full!.uid, sopClassUid: '1.2.840.10008.5.1.4.1.1.2' });
    expect(byFile.get(refused!.name)!.event.error).toMatchObject({ reason: 'store-failed', status: 0xc000 });
  });

  it('with retries: 0 a 0xA700 is final at the first answer', async () => {
    const file = await instance(21);
    peer = await startScriptedScp(() => 0xa700);
    const log = recorder();
    const result = await new StoreScu({ addr: peer.addr, calledAeTitle: peer.aeTitle, retries: 0 })
      .addFileFromMemory(file.bytes, file.name)
      .send(log.callbacks);
    expect(result).toMatchObject({ successful: 0, failed: 1 });
    expect(peer.storesOf(file.uid)).toHaveLength(1);
    expect(log.errors[0]![1].error).toMatchObject({ status: 0xa700 });
  });

  it('a real file store that runs out of space (ENOSPC: 0xA700) gets the refused files again once space is back', async () => {
    const storageDir = await mkdtemp(join(tmpdir(), 'store-scu-diskfull-'));
    let failuresLeft = 2;
    const scp = new StoreScp({
      aeTitle: 'DISKFULL',
      port: 0,
      host: '127.0.0.1',
      storageDir,
      layout: 'flat',
      // The first two files the store creates fail as on a full disk; then the disk has room again.
      fileSystem: {
        ...nodeFileSystem,
        createExclusive: async (path) => {
          if (failuresLeft > 0) {
            failuresLeft--;
            throw Object.assign(new Error(`ENOSPC: no space left on device, open '${path}'`), {
              code: 'ENOSPC',
              syscall: 'open',
              path,
            });
          }
          return nodeFileSystem.createExclusive(path);
        },
      },
    });
    const received: ReceivedInstance[] = [];
    const failed: FailedStore[] = [];
    scp.received$.subscribe((instance) => received.push(instance));
    scp.failed$.subscribe((failure) => failed.push(failure));
    try {
      const { port } = await scp.listen();
      const files = await Promise.all([31, 32, 33, 34].map(instance));
      const log = recorder();
      const scu = new StoreScu({
        addr: `127.0.0.1:${port}`,
        calledAeTitle: 'DISKFULL',
        retries: { attempts: 3, initialDelayMs: 20 },
      });
      for (const file of files) scu.addFileFromMemory(file.bytes, file.name);
      const result = await scu.send(log.callbacks);

      expect(result).toEqual({ successful: 4, failed: 0, warnings: [], totalFiles: 4 });
      expect(failed.map((f) => f.status)).toEqual([0xa700, 0xa700]);
      expect(log.sent).toHaveLength(4);
      // Each instance stored exactly once, its file holding the very dataset bytes sent.
      expect(received.map((r) => r.sopInstanceUid).sort()).toEqual(files.map((f) => f.uid).sort());
      for (const file of files) {
        const instanceReceived = received.find((r) => r.sopInstanceUid === file.uid)!;
        const onDisk = new Uint8Array(await readFile(instanceReceived.path));
        const planned = await inspectFile({ file: file.name, source: { kind: 'buffer', bytes: onDisk } });
        expect(planned.sopInstanceUid).toBe(file.uid);
        expect(Buffer.compare(Buffer.from(onDisk.subarray(planned.datasetOffset)), file.dataset), file.name).toBe(0);
      }
    } finally {
      await scp.close();
      await rm(storageDir, { recursive: true, force: true });
    }
  });
});

describe('StoreScu retries after an association is lost', () => {
  it('resends on a fresh association only what was not acknowledged when the peer aborted mid-transfer', async () => {
    const [a, b, c] = await Promise.all([41, 42, 43].map(instance));
    const aAcknowledged = deferred();
    const cArrived = deferred();
    peer = await startScriptedScp(async (store, context) => {
      if (store.attempt > 1) return 0;
      if (store.sopInstanceUid === b!.uid) {
        // Once A is acknowledged and C is in flight behind B, the peer aborts: B and C were never answered.
        await Promise.all([aAcknowledged.promise, cArrived.promise]);
        await context.association.abort();
        return 0xa700;
      }
      if (store.sopInstanceUid === c!.uid) {
        cArrived.resolve();
        await new Promise((resolve) => context.signal.addEventListener('abort', resolve, { once: true }));
        return 0xa700;
      }
      return 0;
    });
    const log = recorder();
    const scu = new StoreScu({
      addr: peer.addr,
      calledAeTitle: peer.aeTitle,
      retries: { attempts: 2, initialDelayMs: 10 },
      verbose: log.verbose,
    });
    for (const file of [a!, b!, c!]) scu.addFileFromMemory(file.bytes, file.name);
    const result = await scu.send({
      ...log.callbacks,
      onFileSent: (error, event) => {
        log.callbacks.onFileSent(error, event);
        if (event.file === a!.name) aAcknowledged.resolve();
      },
    });

    expect(result).toEqual({ successful: 3, failed: 0, warnings: [], totalFiles: 3 });
    expect(log.errors).toEqual([]);
    expect(log.sent.map((e) => e.file).sort()).toEqual([a!.name, b!.name, c!.name].sort());
    // A was acknowledged before the abort: never sent again. B and C went again, on a second association.
    expect(peer.storesOf(a!.uid)).toHaveLength(1);
    expect(peer.storesOf(b!.uid)).toHaveLength(2);
    expect(peer.storesOf(c!.uid)).toHaveLength(2);
    expect(peer.associations).toHaveLength(2);
    expect(peer.storesOf(b!.uid)[1]!.association).not.toBe(peer.storesOf(b!.uid)[0]!.association);
    for (const file of [a!, b!, c!]) {
      const successes = peer.successesOf(file.uid);
      expect(successes, file.name).toHaveLength(1);
      expect(Buffer.compare(successes[0]!.dataset!, file.dataset), file.name).toBe(0);
    }
    expect(log.lines.some((line) => line.startsWith('association lost:'))).toBe(true);
  });

  it('storescp --abort-after: the dataset arrived but no response came, so the file is retried, then reported', async () => {
    const scp = await startStorescp({ extraArgs: ['--abort-after', '-v'] });
    try {
      const file = await instance(51);
      const log = recorder();
      const scu = new StoreScu({
        addr: `127.0.0.1:${scp.port}`,
        calledAeTitle: scp.aeTitle,
        retries: { attempts: 1, initialDelayMs: 10 },
      });
      const result = await scu.addFileFromMemory(file.bytes, file.name).send(log.callbacks);
      expect(result).toEqual({ successful: 0, failed: 1, warnings: [], totalFiles: 1 });
      expect(log.sent).toEqual([]);
      const [[error, event]] = log.errors as [[Error, FileErrorEvent]];
      expect(error).toBeInstanceOf(AssociationLostError);
      expect(event).toMatchObject({ file: file.name, sopInstanceUid: file.uid });
      expect(error.message).toMatch(
        new RegExp(`^${file.name}: the association was lost 2 time\\(s\\) while sending it`),
      );
      // One association per attempt, each one carrying the whole C-STORE-RQ before storescp aborted it.
      expect(scp.output().match(/Association Acknowledged/g)).toHaveLength(2);
      expect(scp.output().match(/Received Store Request/g)).toHaveLength(2);
    } finally {
      await scp.stop();
    }
  });
});
