/**
 * Durability faults at the system level (PS3.4 B.2.3: Success means stored): a StoreScp child killed with SIGKILL in
 * the middle of concurrent stores, a full disk (a real tmpfs when we may mount one, and an injected ENOSPC), and a
 * failing fsync of a file or of its directory (injected through StoreScp's `fileSystem` option). After each: every
 * instance answered Success is on disk under its final name, complete, byte for byte what was sent; no file under a
 * final name is partial; temporary files are recognisable and cleaned at the next start; the SCP keeps serving.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { connect } from '@netdicom/association';
import { createDimseClient, type DimseClient } from '@netdicom/dimse';
import { runEchoscu } from '@netdicom/test-peers';
import { afterEach, describe, expect, it } from 'vitest';
import { buildInstance } from './testing/dataset.js';
import { createRng, type Rng } from './testing/rng.js';
import { inspectSandbox, listFiles, part10DatasetOffset, TEMP_DIR } from './testing/sandbox.js';
import { startScpProcess } from './testing/scp-process.js';
import { CT_IMAGE_STORAGE, EXPLICIT_VR_LE, VERIFICATION } from './testing/wire.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Our own requestor with a CT context (Explicit VR LE) and Verification. */
async function client(port: number): Promise<{ dimse: DimseClient; close(): Promise<void> }> {
  const association = await connect({
    host: '127.0.0.1',
    port,
    callingAeTitle: 'DURABLE',
    calledAeTitle: 'HOSTILE',
    presentationContexts: [
      { abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [EXPLICIT_VR_LE] },
      { abstractSyntax: VERIFICATION, transferSyntaxes: [EXPLICIT_VR_LE] },
    ],
    timeouts: { connect: 10_000, artim: 10_000 },
  });
  return {
    dimse: createDimseClient(association),
    close: () => association.release().catch(() => association.abort()),
  };
}

/** An instance with a fresh UID and `pixelBytes` of pixel data. */
function instance(rng: Rng, pixelBytes: number) {
  const sopInstanceUid = `2.25.${rng.u32()}${rng.u32()}${rng.u32()}`;
  const dataset = buildInstance({ sopInstanceUid, patientId: 'DURABLE', pixelBytes });
  return { sopInstanceUid, dataset, hash: sha(dataset) };
}

/**
 * Every stored file under a final name is complete and is one of the instances sent (its data set hashes to one of
 * them); every instance answered Success is among them. Returns the SOP Instance UIDs found.
 */
async function checkStore(
  storageDir: string,
  sent: ReadonlyMap<string, string>,
  acknowledged: ReadonlySet<string>,
): Promise<Set<string>> {
  const found = new Set<string>();
  const byHash = new Map([...sent].map(([uid, hash]) => [hash, uid]));
  for (const rel of (await listFiles(storageDir)).filter((f) => !f.startsWith(`${TEMP_DIR}/`))) {
    const file = path.join(storageDir, rel);
    const offset = await part10DatasetOffset(file);
    expect(offset, `${rel} is not a PS3.10 file`).toBeDefined();
    const content = (await readFile(file)).subarray(offset);
    const uid = byHash.get(sha(content));
    expect(uid, `${rel} holds a data set that was not sent whole (partial file under a final name)`).toBeDefined();
    found.add(uid!);
  }
  for (const uid of acknowledged) expect(found.has(uid), `acknowledged ${uid} is not on disk`).toBe(true);
  return found;
}

async function echoscuAnswers(port: number): Promise<void> {
  const echo = await runEchoscu({ port, calledAeTitle: 'HOSTILE', aeTitle: 'ECHOSCU', timeoutMs: 30_000 });
  expect(echo.code, echo.stderr).toBe(0);
}

describe('kill -9 in the middle of stores', () => {
  it('loses no acknowledged instance and leaves no partial file under a final name; the next start cleans', async () => {
    const sandbox = await mkdtemp(path.join(tmpdir(), 'netdicom-hostile-kill-'));
    cleanups.push(() => rm(sandbox, { recursive: true, force: true }));
    const rng = createRng(0x4b111);
    // Across the rounds: what was sent (by UID, the hash of its data set) and what was answered Success.
    const sent = new Map<string, string>();
    const acknowledged = new Set<string>();
    let removedTempFiles = 0;
    for (let round = 0; round < 3; round++) {
      const scp = await startScpProcess({ sandbox, scp: { aeTitle: 'HOSTILE', layout: 'study' } });
      cleanups.push(() => scp.kill());
      removedTempFiles += (scp.listening['startup'] as { removedTempFiles: number }).removedTempFiles;
      expect((await listFiles(scp.storageDir)).filter((f) => f.startsWith(`${TEMP_DIR}/`))).toEqual([]);
      const acknowledgedBefore = acknowledged.size;
      let killed = false;
      // Four associations storing 64 KiB - 4 MiB instances one after the other until the SCP dies.
      const sender = async () => {
        const c = await client(scp.port);
        try {
          while (!killed) {
            const { sopInstanceUid, dataset, hash } = instance(rng, rng.range(64, 4096) * 1024);
            sent.set(sopInstanceUid, hash);
            const response = await c.dimse.store({
              sopClassUid: CT_IMAGE_STORAGE,
              sopInstanceUid,
              transferSyntax: EXPLICIT_VR_LE,
              dataset,
            });
            if (response.status.code === 0) acknowledged.add(sopInstanceUid);
          }
        } catch {
          // The association dies with the SCP.
        }
      };
      const senders = Array.from({ length: 4 }, sender);
      // Kill after some stores were acknowledged, at a random moment while the next ones are in flight.
      while (acknowledged.size < acknowledgedBefore + 5) await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setTimeout(resolve, rng.int(40)));
      killed = true;
      await scp.kill();
      await Promise.all(senders);
      const found = await checkStore(scp.storageDir, sent, acknowledged);
      expect(found.size).toBeGreaterThanOrEqual(acknowledged.size);
      // The kill came mid-store: something was in flight (a temporary file, or a store not yet begun on disk).
      expect(sent.size).toBeGreaterThan(acknowledged.size);
    }
    // A last start: the temporary directory left by the kills is cleaned, and the SCP serves.
    const scp = await startScpProcess({ sandbox, scp: { aeTitle: 'HOSTILE', layout: 'study' } });
    cleanups.push(() => scp.dispose());
    removedTempFiles += (scp.listening['startup'] as { removedTempFiles: number }).removedTempFiles;
    // Four stores of up to 4 MiB were in flight at each kill: their temporary files were found and removed.
    expect(removedTempFiles).toBeGreaterThan(0);
    expect((await listFiles(scp.storageDir)).filter((f) => f.startsWith(`${TEMP_DIR}/`))).toEqual([]);
    await echoscuAnswers(scp.port);
    expect((await inspectSandbox(scp)).outside).toEqual([]);
  }, 120_000);
});

describe('injected file-system faults (StoreScp fileSystem option)', () => {
  /** Stores one instance while `op` fails with `code`, then one with no fault; returns both statuses. */
  async function storeWithFault(op: string, code: string) {
    const scp = await startScpProcess({ scp: { aeTitle: 'HOSTILE', layout: 'flat' } });
    cleanups.push(() => scp.dispose());
    const rng = createRng(op.length * 1000 + code.length);
    const c = await client(scp.port);
    cleanups.push(() => c.close());
    const sent = new Map<string, string>();
    const acknowledged = new Set<string>();
    const store = async () => {
      const { sopInstanceUid, dataset, hash } = instance(rng, 256 * 1024);
      sent.set(sopInstanceUid, hash);
      const response = await c.dimse.store({
        sopClassUid: CT_IMAGE_STORAGE,
        sopInstanceUid,
        transferSyntax: EXPLICIT_VR_LE,
        dataset,
      });
      if (response.status.code === 0) acknowledged.add(sopInstanceUid);
      return { sopInstanceUid, status: response.status.code };
    };
    await scp.fault(op, code);
    const faulty = await store();
    const report = await inspectSandbox(scp);
    expect(report.temp).toEqual([]);
    expect(report.incomplete).toEqual([]);
    await scp.fault(undefined);
    await echoscuAnswers(scp.port);
    const healthy = await store();
    const found = await checkStore(scp.storageDir, sent, acknowledged);
    const failed = scp.events.find((e) => e.event === 'failed');
    return { faulty, healthy, found, failed, scp };
  }

  it('fsync of the file fails (EIO): 0xA701, nothing under a final name, the next store succeeds', async () => {
    const { faulty, healthy, found, failed } = await storeWithFault('sync', 'EIO');
    expect(faulty.status).toBe(0xa701);
    expect(failed).toMatchObject({ status: 0xa701, code: 'ERR_NETDICOM_STORE_IO' });
    expect(healthy.status).toBe(0);
    expect([...found]).toEqual([healthy.sopInstanceUid]);
  });

  it('fsync of the directory fails (EIO): never answered Success', async () => {
    const { faulty, healthy, found } = await storeWithFault('syncDirectory', 'EIO');
    expect(faulty.status).toBe(0xa701);
    expect(healthy.status).toBe(0);
    expect(found.has(healthy.sopInstanceUid)).toBe(true);
  });

  it('the disk is full (ENOSPC on write): 0xA700 Out of Resources, nothing kept, the SCP keeps serving', async () => {
    const { faulty, healthy, found, failed } = await storeWithFault('writev', 'ENOSPC');
    expect(faulty.status).toBe(0xa700);
    expect(failed).toMatchObject({ status: 0xa700, code: 'ERR_NETDICOM_STORE_OUT_OF_RESOURCES' });
    expect(healthy.status).toBe(0);
    expect([...found]).toEqual([healthy.sopInstanceUid]);
  });

  it('the file cannot be renamed into place (EIO): 0xA701, nothing under a final name', async () => {
    const { faulty, healthy, found } = await storeWithFault('rename', 'EIO');
    expect(faulty.status).toBe(0xa701);
    expect(healthy.status).toBe(0);
    expect([...found]).toEqual([healthy.sopInstanceUid]);
  });
});

/** Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN, as in CI; skipped with a message elsewhere). */
function canMount(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(path.join(tmpdir(), 'netdicom-hostile-mount-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    console.warn(
      'durability: cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN); the real full-disk test is skipped',
    );
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

describe('a real full disk (a 4 MiB tmpfs)', () => {
  it.skipIf(!canMount())(
    'answers 0xA700 once full, keeps complete files only, serves on',
    async () => {
      const sandbox = await mkdtemp(path.join(tmpdir(), 'netdicom-hostile-full-'));
      const storageDir = path.join(sandbox, 'storage');
      await mkdir(storageDir);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', storageDir]);
      cleanups.push(async () => {
        execFileSync('umount', ['-l', storageDir]);
        await rm(sandbox, { recursive: true, force: true });
      });
      const scp = await startScpProcess({ sandbox, scp: { aeTitle: 'HOSTILE', layout: 'flat', storageDir } });
      cleanups.push(() => scp.dispose());
      const c = await client(scp.port);
      cleanups.push(() => c.close());
      const rng = createRng(0xf011);
      const sent = new Map<string, string>();
      const acknowledged = new Set<string>();
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const { sopInstanceUid, dataset, hash } = instance(rng, 700 * 1024);
        sent.set(sopInstanceUid, hash);
        const response = await c.dimse.store({
          sopClassUid: CT_IMAGE_STORAGE,
          sopInstanceUid,
          transferSyntax: EXPLICIT_VR_LE,
          dataset,
        });
        statuses.push(response.status.code);
        if (response.status.code === 0) acknowledged.add(sopInstanceUid);
      }
      // Five fit in 4 MiB; then every store is refused Out of Resources, and the association goes on.
      expect(statuses.filter((s) => s === 0).length).toBeGreaterThanOrEqual(3);
      expect(statuses.slice(statuses.indexOf(0xa700))).toEqual(
        new Array(statuses.length - statuses.indexOf(0xa700)).fill(0xa700),
      );
      expect((await c.dimse.echo()).status.code).toBe(0);
      await checkStore(storageDir, sent, acknowledged);
      expect((await inspectSandbox(scp)).temp).toEqual([]);
      await echoscuAnswers(scp.port);
    },
    60_000,
  );
});
