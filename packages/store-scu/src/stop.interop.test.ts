/**
 * `StoreScu.stop()` against DCMTK storescp (a real peer on loopback): a graceful stop lets the stores in flight finish
 * and releases the associations (A-RELEASE, storescp says "Association Release"), the files never started are
 * reported as not sent; a second stop, or the AbortSignal, after a stop aborts at once (A-ABORT).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { startStorescp } from '@netdicom/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError } from './errors.js';
import { type FileSentEvent, type StopState, StoreScu, type StoreProgress } from './store-scu.js';
import { dumpDataset } from './testing/dcmtk.js';
import { grayImage } from './testing/fixtures.js';
import { signalProcess, storescpProcesses } from './testing/processes.js';
import { makeTempDir } from './testing/temp-dir.js';

let dir: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  dir = await makeTempDir('store-scu-stop-');
});
afterAll(async () => {
  await dir.cleanup();
});

/** SOP Instance UID of each image written, by path. */
const uids = new Map<string, string>();
let folders = 0;

/** Writes `count` images into a fresh folder; returns their paths in order. */
async function writeImages(name: string, count: number): Promise<string[]> {
  const folder = join(dir.path, name);
  await mkdir(folder, { recursive: true });
  folders++;
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(folder, `img-${String(i).padStart(3, '0')}.dcm`);
    const uid = `1.2.826.0.1.3680043.10.99.500.${folders}.${i + 1}`;
    await writeFile(path, grayImage(uid));
    uids.set(path, uid);
    paths.push(path);
  }
  return paths;
}

/** storescp names what it stores MODALITY.SOPInstanceUID; the UID of a received file. */
const uidOf = (file: string) => basename(file).replace(/^[A-Z]+\./, '');

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('StoreScu.stop() against storescp', () => {
  it('finishes the stores in flight on three associations, releases them, and reports the rest as not sent', async () => {
    const paths = await writeImages('many', 40);
    const scp = await startStorescp({ fork: true, extraArgs: ['-v'] });
    try {
      const scu = new StoreScu({ addr: `127.0.0.1:${scp.port}`, calledAeTitle: scp.aeTitle, concurrency: 3 });
      for (const path of paths) scu.addFile(path);
      let latest: StoreProgress | undefined;
      const subscription = scu.progress$.subscribe((p) => {
        latest = p;
      });
      const sent: FileSentEvent[] = [];
      const sending: string[] = [];
      let stopState: StopState | undefined;
      let inFlightAtStop = -1;
      let sentBeforeStop = -1;
      const result = await scu.send({
        onFileSending: (_e, event) => {
          sending.push(event.file);
          if (sending.length === 10) {
            inFlightAtStop = latest!.inFlight;
            sentBeforeStop = sent.length;
            stopState = scu.stop();
          }
        },
        onFileSent: (_e, event) => sent.push(event),
      });
      subscription.unsubscribe();

      expect(stopState).toBe('stopping');
      // The tenth file itself had started when stop() was called: it is among those in flight.
      expect(inFlightAtStop).toBeGreaterThanOrEqual(1);
      expect(inFlightAtStop).toBeLessThanOrEqual(3);
      // No file started after the stop; every file started was acknowledged.
      expect(sending).toHaveLength(10);
      expect(sent.map((e) => e.file).sort()).toEqual([...sending].sort());
      expect(sent.length - sentBeforeStop).toBe(inFlightAtStop);
      expect(result).toMatchObject({ successful: 10, failed: 0, totalFiles: 40 });
      expect(result.stopped?.notSent).toBe(30);
      expect(result.successful + result.failed + result.stopped!.notSent).toBe(result.totalFiles);
      expect(result.stopped!.notSentFiles).toEqual(paths.filter((p) => !sending.includes(p)));
      expect(latest).toMatchObject({ inFlight: 0, successful: 10, filesDone: 10 });

      // The acknowledged files are on disk, identical; nothing else is.
      const received = await scp.receivedFiles();
      expect(received.map(uidOf).sort()).toEqual(sending.map((p) => uids.get(p)).sort());
      for (const file of received) {
        const original = paths.find((p) => uids.get(p) === uidOf(file))!;
        expect(await dumpDataset(file), file).toBe(await dumpDataset(original));
      }
      // Every association ended by A-RELEASE, none by A-ABORT.
      await waitFor('the associations to end', () => {
        const out = scp.output();
        return (
          (out.match(/Association Release/g)?.length ?? 0) >= (out.match(/Association Acknowledged/g)?.length ?? 1)
        );
      });
      expect(scp.output()).not.toMatch(/Abort/i);
      expect(scu.stop()).toBe('idle');
    } finally {
      await scp.stop();
    }
  });

  it('waits for a response held back by the peer, then releases', async () => {
    const paths = await writeImages('held', 3);
    const scp = await startStorescp({ extraArgs: ['-v'] });
    const { main } = storescpProcesses(scp.process.pid!);
    try {
      const scu = new StoreScu({ addr: `127.0.0.1:${scp.port}`, calledAeTitle: scp.aeTitle });
      for (const path of paths) scu.addFile(path);
      const sent: string[] = [];
      const result = await scu.send({
        onFileSending: () => {
          // The peer falls silent while the first store is in flight; stop, then let the peer answer.
          signalProcess(main.pid, 'SIGSTOP');
          expect(scu.stop()).toBe('stopping');
          setTimeout(() => signalProcess(main.pid, 'SIGCONT'), 500);
        },
        onFileSent: (_e, event) => sent.push(event.file),
      });
      expect(sent).toEqual([paths[0]]);
      expect(result).toMatchObject({ successful: 1, failed: 0, totalFiles: 3 });
      expect(result.stopped).toEqual({ notSent: 2, notSentFiles: paths.slice(1) });
      expect((await scp.receivedFiles()).map(uidOf)).toEqual([uids.get(paths[0]!)]);
      await waitFor('the release', () => scp.output().includes('Association Release'));
      expect(scp.output()).not.toMatch(/Abort/i);
    } finally {
      signalProcess(main.pid, 'SIGCONT');
      await scp.stop();
    }
  });

  it('a second stop() aborts at once: the store in flight is given up, the association aborted', async () => {
    const paths = await writeImages('twice', 3);
    const scp = await startStorescp({ extraArgs: ['-v'] });
    const { main } = storescpProcesses(scp.process.pid!);
    try {
      const scu = new StoreScu({ addr: `127.0.0.1:${scp.port}`, calledAeTitle: scp.aeTitle });
      for (const path of paths) scu.addFile(path);
      const states: StopState[] = [];
      const sent: string[] = [];
      const completed: (Error | null)[] = [];
      const sending = scu.send({
        onFileSending: () => {
          signalProcess(main.pid, 'SIGSTOP'); // the response will not come while we wait
          states.push(scu.stop());
          setTimeout(() => states.push(scu.stop()), 200);
        },
        onFileSent: (_e, event) => sent.push(event.file),
        onTransferCompleted: (error) => completed.push(error),
      });
      const error = await sending.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CancelledError);
      expect((error as CancelledError).message).toMatch(/second stop request/);
      expect(states).toEqual(['stopping', 'aborting']);
      expect(sent).toEqual([]);
      expect(completed).toHaveLength(1);
      expect(completed[0]).toBe(error);
      signalProcess(main.pid, 'SIGCONT');
      await waitFor('storescp to see the abort', () => scp.output().includes('Association Aborted'));
      expect(scp.output()).not.toContain('Association Release');
    } finally {
      signalProcess(main.pid, 'SIGCONT');
      await scp.stop();
    }
  });

  it('the AbortSignal still aborts a stopping transfer', async () => {
    const paths = await writeImages('signal', 2);
    const scp = await startStorescp({ extraArgs: ['-v'] });
    const { main } = storescpProcesses(scp.process.pid!);
    try {
      const scu = new StoreScu({ addr: `127.0.0.1:${scp.port}`, calledAeTitle: scp.aeTitle });
      for (const path of paths) scu.addFile(path);
      const controller = new AbortController();
      const sending = scu.send({
        signal: controller.signal,
        onFileSending: () => {
          signalProcess(main.pid, 'SIGSTOP');
          scu.stop();
          setTimeout(() => controller.abort(new Error('user cancelled')), 200);
        },
      });
      const error = await sending.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CancelledError);
      expect((error as CancelledError).cause).toEqual(new Error('user cancelled'));
      signalProcess(main.pid, 'SIGCONT');
      await waitFor('storescp to see the abort', () => scp.output().includes('Association Aborted'));
    } finally {
      signalProcess(main.pid, 'SIGCONT');
      await scp.stop();
    }
  });

  it('stop() before send() does nothing; a stop during planning sends nothing and reports every file', async () => {
    const paths = await writeImages('early', 3);
    const scp = await startStorescp({ extraArgs: ['-v'] });
    try {
      const scu = new StoreScu({ addr: `127.0.0.1:${scp.port}`, calledAeTitle: scp.aeTitle });
      expect(scu.stop()).toBe('idle');
      for (const path of paths) scu.addFile(path);
      const sending = scu.send();
      expect(scu.stop()).toBe('stopping'); // planning has not finished yet
      const result = await sending;
      expect(result).toEqual({
        successful: 0,
        failed: 0,
        warnings: [],
        totalFiles: 3,
        stopped: { notSent: 3, notSentFiles: paths },
      });
      expect(scp.output()).not.toContain('Association Acknowledged');
      // The instance is reusable: the next send() is not stopped.
      expect(await scu.send()).toEqual({ successful: 3, failed: 0, warnings: [], totalFiles: 3 });
    } finally {
      await scp.stop();
    }
  });
});
