import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildDataset, randomUid, TEST_IMPLEMENTATION_CLASS_UID } from '../testing/dataset-builder.js';
import { listStoredFiles, listTempFiles } from '../testing/tree.js';
import { openFileStore } from './file-store.js';
import { PART10_PREFIX_LENGTH } from './part10.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.resolve(here, '..', '..');
const writer = path.resolve(here, '..', 'testing', 'crash-writer.ts');
const CRASH_PIXEL_BYTES = 1024 * 1024; // as in crash-writer.ts

let storageDir: string;
let child: ChildProcess | undefined;

beforeEach(async () => {
  storageDir = await mkdtemp(path.join(tmpdir(), 'netdicom-crash-'));
});
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
  await rm(storageDir, { recursive: true, force: true });
});

/** Starts the writer child and resolves once it prints `marker`; rejects if it exits first. */
function startWriter(mode: string, uid: string, marker: string): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', writer, storageDir, mode, uid], {
    cwd: packageDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(`${marker}\n`)) resolve(proc);
    });
    proc.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    proc.on('exit', (code, signal) => reject(new Error(`writer exited (${code ?? signal}) before ${marker}: ${err}`)));
  });
}

async function killHard(proc: ChildProcess): Promise<void> {
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGKILL');
  await exited;
  expect(proc.signalCode).toBe('SIGKILL');
}

describe('kill -9 in the middle of a store', () => {
  it('while streaming a 500 MB object: nothing under a final name, the temp file is removed at the next open', async () => {
    const uid = randomUid();
    const proc = await startWriter('streaming', uid, 'WRITING');
    const temps = await listTempFiles(storageDir);
    expect(temps).toHaveLength(1);
    expect(temps[0]).toMatch(new RegExp(`^\\.netdicom-tmp/s-${proc.pid}-\\d+-[0-9a-f]+/[0-9a-f]+\\.part$`));
    expect((await stat(path.join(storageDir, temps[0] ?? ''))).size).toBeGreaterThan(1024 * 1024);
    await killHard(proc);

    expect(await listStoredFiles(storageDir)).toEqual([]);
    const store = await openFileStore({ storageDir, implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID });
    expect(store.startup).toEqual({ removedTempFiles: 1, removedSessions: 1 });
    expect(await listTempFiles(storageDir)).toEqual([]);
    expect(await listStoredFiles(storageDir)).toEqual([]);
    await store.close();
    expect(await readdir(path.join(storageDir, '.netdicom-tmp'))).toEqual([]);
  }, 60_000);

  it('during the file fsync (before the rename): nothing under a final name', async () => {
    const uid = randomUid();
    const proc = await startWriter('file-sync', uid, 'SYNCING');
    await killHard(proc);
    expect(await listStoredFiles(storageDir)).toEqual([]);
    const store = await openFileStore({ storageDir, implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID });
    expect(store.startup.removedTempFiles).toBe(1);
    expect(await listTempFiles(storageDir)).toEqual([]);
    await store.close();
  }, 60_000);

  it('after the rename, before the directory fsync: the file under its final name is complete', async () => {
    const uid = randomUid();
    const proc = await startWriter('dir-sync', uid, 'RENAMED');
    await killHard(proc);
    expect(await listStoredFiles(storageDir)).toEqual([`${uid}.dcm`]);
    const bytes = new Uint8Array(await readFile(path.join(storageDir, `${uid}.dcm`)));
    const groupLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(140, true);
    const expected = buildDataset({ sopInstanceUid: uid, pixelBytes: CRASH_PIXEL_BYTES, patientId: 'X' });
    expect(Buffer.compare(bytes.subarray(PART10_PREFIX_LENGTH + 12 + groupLength), expected)).toBe(0);
    const store = await openFileStore({ storageDir, implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID });
    expect(await listTempFiles(storageDir)).toEqual([]);
    await store.close();
  }, 60_000);
});
