import { spawnSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DatasetMismatchError,
  DatasetSourceError,
  EmptyDatasetError,
  FileStoreClosedError,
  FileStoreConfigError,
  InvalidStoreRequestError,
  ObjectTooLargeError,
  OutOfResourcesError,
  PathEscapeError,
  StorageIoError,
  StoreAbortedError,
  type StoreScpError,
} from '../errors.js';
import {
  buildDataset,
  CT_IMAGE_STORAGE,
  chunked,
  EXPLICIT_VR_LITTLE_ENDIAN,
  randomUid,
  TEST_IMPLEMENTATION_CLASS_UID,
} from '../testing/dataset-builder.js';
import { createFaultyFileSystem, type FaultRule, type FsOperation } from '../testing/faulty-fs.js';
import { listFiles, listStoredFiles, listTempFiles } from '../testing/tree.js';
import { type FileStore, type FileStoreOptions, type FileStoreWriteRequest, openFileStore } from './file-store.js';
import { nodeFileSystem } from './fs-layer.js';
import { PART10_PREFIX_LENGTH } from './part10.js';

let sandbox: string;
let storageDir: string;
const opened: FileStore[] = [];

beforeEach(async () => {
  sandbox = await mkdtemp(path.join(tmpdir(), 'netdicom-store-'));
  storageDir = path.join(sandbox, 'storage');
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  await rm(sandbox, { recursive: true, force: true });
});

async function open(options: Partial<FileStoreOptions> = {}): Promise<FileStore> {
  const store = await openFileStore({
    storageDir,
    implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID,
    implementationVersionName: 'NETDICOM_TEST',
    ...options,
  });
  opened.push(store);
  return store;
}

interface Instance {
  readonly sopInstanceUid: string;
  readonly dataset: Uint8Array;
  request(overrides?: Partial<FileStoreWriteRequest>): FileStoreWriteRequest;
}

function instance(
  spec: { sopInstanceUid?: string; patientId?: string; study?: string; series?: string; pixelBytes?: number } = {},
): Instance {
  const sopInstanceUid = spec.sopInstanceUid ?? randomUid();
  const study = spec.study ?? '1.2.826.0.1.3680043.2.1125.1';
  const series = spec.series ?? '1.2.826.0.1.3680043.2.1125.1.2';
  const dataset = buildDataset({
    sopInstanceUid,
    studyInstanceUid: study,
    seriesInstanceUid: series,
    patientId: spec.patientId ?? 'PID-1',
    patientName: 'Doe^Jane',
    modality: 'CT',
    pixelBytes: spec.pixelBytes ?? 4096,
  });
  return {
    sopInstanceUid,
    dataset,
    request: (overrides = {}) => ({
      sopClassUid: CT_IMAGE_STORAGE,
      sopInstanceUid,
      transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN,
      callingAeTitle: 'MODALITY',
      attributes: {
        SOPClassUID: CT_IMAGE_STORAGE,
        SOPInstanceUID: sopInstanceUid,
        PatientID: spec.patientId ?? 'PID-1',
        StudyInstanceUID: study,
        SeriesInstanceUID: series,
        Modality: 'CT',
      },
      dataset: chunked(dataset, 1000),
      ...overrides,
    }),
  };
}

/** The dataset part of a stored Part-10 file. */
async function storedDataset(file: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(await readFile(file));
  const groupLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(140, true);
  return bytes.subarray(PART10_PREFIX_LENGTH + 12 + groupLength);
}

async function expectStoreError<T extends StoreScpError>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => T,
  status: number,
): Promise<T> {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(type);
  expect((error as StoreScpError).status).toBe(status);
  expect((error as StoreScpError).code).toMatch(/^ERR_NETDICOM_STORE_/);
  return error as T;
}

/** An async source that records whether it was closed early and how many bytes it handed out. */
function trackedSource(bytes: Uint8Array, chunkSize: number) {
  const state = { closed: false, yielded: 0, finished: false };
  async function* gen() {
    try {
      for (let i = 0; i < bytes.length; i += chunkSize) {
        await Promise.resolve();
        const chunk = bytes.subarray(i, Math.min(bytes.length, i + chunkSize));
        state.yielded += chunk.length;
        yield chunk;
      }
      state.finished = true;
    } finally {
      state.closed = true;
    }
  }
  return { source: gen(), state };
}

describe('openFileStore', () => {
  it('creates the storage directory with its parents and a private temporary directory', async () => {
    storageDir = path.join(sandbox, 'a', 'b', 'storage');
    const store = await open();
    expect(store.storageDir).toBe(storageDir);
    expect(await readdir(storageDir)).toEqual(['.netdicom-tmp']);
    expect(store.startup).toEqual({ removedTempFiles: 0, removedSessions: 0 });
  });

  it.each([
    [{ implementationClassUid: 'not a uid' }, /implementation/],
    [{ implementationVersionName: 'MUCH_TOO_LONG_VERSION_NAME' }, /implementation/],
    [{ maxObjectSize: 0 }, /maxObjectSize/],
    [{ maxObjectSize: 1.5 }, /maxObjectSize/],
    [{ writeBufferSize: 10 }, /writeBufferSize/],
    [{ maxComponentBytes: 20 }, /maxComponentBytes/],
    [{ duplicates: 'replace' as never }, /duplicate policy/],
    [{ layout: '{Nope}/{SOPInstanceUID}' }, /unknown placeholder/],
  ])('rejects invalid options %j', async (options, message) => {
    const error = await expectStoreError(open(options), FileStoreConfigError, 0xa701);
    expect(error.message).toMatch(message);
  });

  it('rejects a storage directory that is a file', async () => {
    await writeFile(path.join(sandbox, 'file'), 'x');
    storageDir = path.join(sandbox, 'file');
    await expectStoreError(open(), FileStoreConfigError, 0xa701);
  });

  it('refuses a temporary directory that is a symbolic link', async () => {
    const outside = path.join(sandbox, 'outside');
    await mkdir(outside);
    await mkdir(storageDir);
    await symlink(outside, path.join(storageDir, '.netdicom-tmp'));
    await expectStoreError(open(), PathEscapeError, 0xa701);
    expect(await readdir(outside)).toEqual([]);
  });
});

describe('write', () => {
  it('stores a Part-10 file under the flat layout and reports it', async () => {
    const store = await open();
    const inst = instance();
    const result = await store.write(inst.request());
    expect(result).toEqual({
      path: path.join(storageDir, `${inst.sopInstanceUid}.dcm`),
      relativePath: `${inst.sopInstanceUid}.dcm`,
      bytes: inst.dataset.length,
      fileBytes: (await readFile(result.path)).length,
    });
    expect(Buffer.compare(await storedDataset(result.path), inst.dataset)).toBe(0);
    expect(await listTempFiles(storageDir)).toEqual([]);
    expect(store.inFlight).toBe(0);
  });

  it.each([
    ['study', (i: Instance) => `1.2.826.0.1.3680043.2.1125.1/1.2.826.0.1.3680043.2.1125.1.2/${i.sopInstanceUid}.dcm`],
    [
      'patient',
      (i: Instance) => `PID-7/1.2.826.0.1.3680043.2.1125.1/1.2.826.0.1.3680043.2.1125.1.2/${i.sopInstanceUid}.dcm`,
    ],
    [
      '{CallingAETitle}/{PatientID}/{Modality}_{SeriesInstanceUID}/{SOPInstanceUID}.dcm',
      (i: Instance) => `MODALITY/PID-7/CT_1.2.826.0.1.3680043.2.1125.1.2/${i.sopInstanceUid}.dcm`,
    ],
  ])('stores under layout %s', async (layout, expected) => {
    const store = await open({ layout });
    const inst = instance({ patientId: 'PID-7' });
    const result = await store.write(inst.request());
    expect(result.relativePath).toBe(expected(inst));
    expect(await listStoredFiles(storageDir)).toEqual([expected(inst)]);
    expect(Buffer.compare(await storedDataset(result.path), inst.dataset)).toBe(0);
  });

  it('accepts a Uint8Array, a sync iterable and a Node Readable as the dataset', async () => {
    const store = await open();
    for (const make of [
      (d: Uint8Array) => d,
      (d: Uint8Array) => [d.subarray(0, 10), d.subarray(10)],
      (d: Uint8Array) => Readable.from([Buffer.from(d.subarray(0, 100)), Buffer.from(d.subarray(100))]),
    ]) {
      const inst = instance();
      const result = await store.write(inst.request({ dataset: make(inst.dataset) }));
      expect(Buffer.compare(await storedDataset(result.path), inst.dataset)).toBe(0);
    }
  });

  it('streams a large object in many small chunks byte-exactly', async () => {
    const store = await open({ writeBufferSize: 64 * 1024 });
    const inst = instance({ pixelBytes: 5 * 1024 * 1024 + 2 });
    const result = await store.write(inst.request({ dataset: chunked(inst.dataset, 16_372) }));
    expect(Buffer.compare(await storedDataset(result.path), inst.dataset)).toBe(0);
  });

  it('never holds more than writeBufferSize (plus one chunk) of a dataset while the disk is slow', async () => {
    let written = 0;
    let maxAhead = 0;
    const { source, state } = trackedSource(instance({ pixelBytes: 3 * 1024 * 1024 }).dataset, 16 * 1024);
    const slowFs = {
      ...nodeFileSystem,
      async createExclusive(p: string) {
        const handle = await nodeFileSystem.createExclusive(p);
        return {
          ...handle,
          async writev(buffers: readonly Uint8Array[], position: number) {
            maxAhead = Math.max(maxAhead, state.yielded - written);
            await new Promise((r) => setTimeout(r, 2));
            const n = await handle.writev(buffers, position);
            written += n;
            return n;
          },
        };
      },
    };
    const store = await open({ fileSystem: slowFs, writeBufferSize: 256 * 1024 });
    const inst = instance();
    await store.write(inst.request({ dataset: source, attributes: {} }));
    expect(state.finished).toBe(true);
    expect(maxAhead).toBeGreaterThan(0);
    expect(maxAhead).toBeLessThanOrEqual(256 * 1024 + 16 * 1024);
  });

  it('fsyncs a large dataset while it arrives, and fails the store if such an fsync fails', async () => {
    let syncs = 0;
    let failSync = false;
    const countingFs = {
      ...nodeFileSystem,
      async createExclusive(p: string) {
        const handle = await nodeFileSystem.createExclusive(p);
        return {
          ...handle,
          async sync() {
            syncs++;
            if (failSync) throw Object.assign(new Error('injected EIO'), { code: 'EIO' });
            await handle.sync();
          },
        };
      },
    };
    const store = await open({ fileSystem: countingFs });
    const small = instance();
    await store.write(small.request());
    expect(syncs).toBe(1);
    const large = instance({ pixelBytes: 20 * 1024 * 1024 });
    const result = await store.write(large.request({ dataset: chunked(large.dataset, 256 * 1024) }));
    // 20 MiB: early fsyncs after about 8 and 16 MiB, then the final one.
    expect(syncs).toBeGreaterThanOrEqual(3);
    expect(Buffer.compare(await storedDataset(result.path), large.dataset)).toBe(0);

    failSync = true;
    const failing = instance({ pixelBytes: 20 * 1024 * 1024 });
    await expectStoreError(
      store.write(failing.request({ dataset: chunked(failing.dataset, 256 * 1024) })),
      StorageIoError,
      0xa701,
    );
    expect((await listStoredFiles(storageDir)).some((f) => f.includes(failing.sopInstanceUid))).toBe(false);
    expect(await listTempFiles(storageDir)).toEqual([]);
  });

  it('rejects a dataset whose SOP Instance UID differs from the command with 0xA900 and keeps nothing', async () => {
    const store = await open();
    const inst = instance();
    const { source, state } = trackedSource(inst.dataset, 100);
    const error = await expectStoreError(
      store.write(
        inst.request({
          dataset: source,
          attributes: { SOPInstanceUID: '1.2.3.999', SOPClassUID: CT_IMAGE_STORAGE },
        }),
      ),
      DatasetMismatchError,
      0xa900,
    );
    expect(error.attribute).toBe('SOPInstanceUID');
    expect(error.commandValue).toBe(inst.sopInstanceUid);
    expect(error.datasetValue).toBe('1.2.3.999');
    expect(await listFiles(storageDir)).toEqual([]);
    expect(state.finished).toBe(false);
  });

  it('rejects a dataset whose SOP Class UID differs from the command with 0xA900', async () => {
    const store = await open();
    const inst = instance();
    const error = await expectStoreError(
      store.write(inst.request({ attributes: { SOPClassUID: '1.2.840.10008.5.1.4.1.1.4' } })),
      DatasetMismatchError,
      0xa900,
    );
    expect(error.attribute).toBe('SOPClassUID');
    expect(await listStoredFiles(storageDir)).toEqual([]);
  });

  it('treats UID padding as insignificant when comparing command and dataset', async () => {
    const store = await open();
    const inst = instance();
    await store.write(
      inst.request({ attributes: { SOPInstanceUID: `${inst.sopInstanceUid}\u0000`, SOPClassUID: CT_IMAGE_STORAGE } }),
    );
    expect(await listStoredFiles(storageDir)).toEqual([`${inst.sopInstanceUid}.dcm`]);
  });

  it('aborts a store larger than maxObjectSize with 0xA702, stops reading and keeps nothing', async () => {
    const store = await open({ maxObjectSize: 100_000 });
    const inst = instance({ pixelBytes: 1_000_000 });
    const { source, state } = trackedSource(inst.dataset, 10_000);
    const error = await expectStoreError(store.write(inst.request({ dataset: source })), ObjectTooLargeError, 0xa702);
    expect(error.limit).toBe(100_000);
    expect(error.received).toBeGreaterThan(100_000);
    expect(state.yielded).toBeLessThanOrEqual(110_000);
    expect(state.closed).toBe(true);
    expect(await listStoredFiles(storageDir)).toEqual([]);
    expect(await listTempFiles(storageDir)).toEqual([]);
    // Exactly at the limit is fine.
    const small = instance({ pixelBytes: 2 });
    const limit = await open({ maxObjectSize: small.dataset.length, storageDir: path.join(sandbox, 's2') });
    await expect(limit.write(small.request())).resolves.toMatchObject({ bytes: small.dataset.length });
  });

  it('rejects an empty dataset with 0xC000', async () => {
    const store = await open();
    const inst = instance();
    await expectStoreError(store.write(inst.request({ dataset: [] })), EmptyDatasetError, 0xc000);
    await expectStoreError(store.write(inst.request({ dataset: new Uint8Array(0) })), EmptyDatasetError, 0xc000);
    expect(await listFiles(storageDir)).toEqual([]);
  });

  it('fails with 0xC000 when the dataset stream errors or yields non-bytes, keeping nothing', async () => {
    const store = await open();
    const inst = instance();
    async function* broken() {
      yield inst.dataset.subarray(0, 1000);
      throw new Error('connection reset');
    }
    const error = await expectStoreError(store.write(inst.request({ dataset: broken() })), DatasetSourceError, 0xc000);
    expect((error.cause as Error).message).toBe('connection reset');
    async function* strings() {
      yield 'text' as unknown as Uint8Array;
    }
    await expectStoreError(store.write(inst.request({ dataset: strings() })), DatasetSourceError, 0xc000);
    await expectStoreError(store.write(inst.request({ dataset: 42 as never })), DatasetSourceError, 0xc000);
    expect(await listFiles(storageDir)).toEqual([]);
  });

  it('rejects request values that cannot be written into the meta header with 0xC000', async () => {
    const store = await open();
    const inst = instance();
    await expectStoreError(
      store.write(inst.request({ sopInstanceUid: '1.2.3/../../x', attributes: {} })),
      InvalidStoreRequestError,
      0xc000,
    );
    await expectStoreError(store.write(inst.request({ callingAeTitle: 'EVIL\\AE' })), InvalidStoreRequestError, 0xc000);
    await expectStoreError(store.write(null as never), InvalidStoreRequestError, 0xc000);
    expect(await listFiles(storageDir)).toEqual([]);
  });

  it('aborts a stalled store through its signal with 0xFE00 and keeps nothing', async () => {
    const store = await open();
    const inst = instance();
    const controller = new AbortController();
    async function* stalls() {
      yield inst.dataset.subarray(0, 500);
      await new Promise(() => undefined); // the peer stops sending
    }
    const pending = store.write(inst.request({ dataset: stalls(), signal: controller.signal }));
    await new Promise((r) => setTimeout(r, 20));
    expect(store.inFlight).toBe(1);
    controller.abort(new Error('C-CANCEL'));
    const error = await expectStoreError(pending, StoreAbortedError, 0xfe00);
    expect((error.cause as Error).message).toBe('C-CANCEL');
    expect(await listFiles(storageDir)).toEqual([]);
    expect(store.inFlight).toBe(0);
    // An already aborted signal fails at once.
    await expectStoreError(store.write(inst.request({ signal: AbortSignal.abort() })), StoreAbortedError, 0xfe00);
  });

  it('one long-lived signal for many stores: no abort listener is left behind', async () => {
    const store = await open();
    const controller = new AbortController();
    for (let i = 0; i < 20; i++) {
      const inst = instance({ pixelBytes: 64 * 1024 });
      await store.write(inst.request({ signal: controller.signal }));
    }
    expect(getEventListeners(controller.signal, 'abort')).toEqual([]);
    expect((await listStoredFiles(storageDir)).length).toBe(20);
  });

  it('close() waits for stores in flight, then refuses new ones with 0xA700 and removes its session directory', async () => {
    const store = await open();
    const inst = instance({ pixelBytes: 200_000 });
    const pending = store.write(inst.request({ dataset: chunked(inst.dataset, 1000) }));
    const closing = store.close();
    await expect(pending).resolves.toMatchObject({ bytes: inst.dataset.length });
    await closing;
    await expectStoreError(store.write(instance().request()), FileStoreClosedError, 0xa700);
    expect(await readdir(path.join(storageDir, '.netdicom-tmp'))).toEqual([]);
    expect(await listStoredFiles(storageDir)).toEqual([`${inst.sopInstanceUid}.dcm`]);
  });
});

describe('duplicates', () => {
  it('overwrite: replaces atomically and reports overwritten', async () => {
    const store = await open({ duplicates: 'overwrite' });
    const uid = randomUid();
    const first = instance({ sopInstanceUid: uid, pixelBytes: 100 });
    const second = instance({ sopInstanceUid: uid, pixelBytes: 200 });
    expect((await store.write(first.request())).duplicate).toBeUndefined();
    const result = await store.write(second.request());
    expect(result.duplicate).toBe('overwritten');
    expect(await listStoredFiles(storageDir)).toEqual([`${uid}.dcm`]);
    expect(Buffer.compare(await storedDataset(result.path), second.dataset)).toBe(0);
  });

  it('keep-first: keeps the first file, reads and discards the new dataset, reports kept-first', async () => {
    const store = await open({ duplicates: 'keep-first' });
    const uid = randomUid();
    const first = instance({ sopInstanceUid: uid, pixelBytes: 100 });
    const second = instance({ sopInstanceUid: uid, pixelBytes: 200 });
    await store.write(first.request());
    const { source, state } = trackedSource(second.dataset, 64);
    const result = await store.write(second.request({ dataset: source }));
    expect(result).toMatchObject({ duplicate: 'kept-first', bytes: second.dataset.length, fileBytes: 0 });
    expect(state.finished).toBe(true);
    expect(result.path).toBe(path.join(storageDir, `${uid}.dcm`));
    expect(Buffer.compare(await storedDataset(result.path), first.dataset)).toBe(0);
    expect(await listFiles(storageDir)).toEqual([`${uid}.dcm`]);
  });

  it('keep-first: of concurrent stores of one instance exactly one file wins, complete', async () => {
    const store = await open({ duplicates: 'keep-first' });
    const uid = randomUid();
    const copies = Array.from({ length: 8 }, (_, i) => instance({ sopInstanceUid: uid, pixelBytes: 1000 + i * 2 }));
    const results = await Promise.all(copies.map((c) => store.write(c.request())));
    expect(results.filter((r) => r.duplicate === undefined)).toHaveLength(1);
    expect(results.filter((r) => r.duplicate === 'kept-first')).toHaveLength(7);
    const winner = copies[results.findIndex((r) => r.duplicate === undefined)];
    expect(Buffer.compare(await storedDataset(path.join(storageDir, `${uid}.dcm`)), winner!.dataset)).toBe(0);
    expect(await listFiles(storageDir)).toEqual([`${uid}.dcm`]);
  });

  it('keep-both: numbers later copies .1.dcm, .2.dcm', async () => {
    const store = await open({ duplicates: 'keep-both', layout: 'study' });
    const uid = randomUid();
    const copies = [0, 1, 2].map((i) => instance({ sopInstanceUid: uid, pixelBytes: 100 + i * 2 }));
    const results = [];
    for (const c of copies) results.push(await store.write(c.request()));
    expect(results.map((r) => path.basename(r.relativePath))).toEqual([`${uid}.dcm`, `${uid}.1.dcm`, `${uid}.2.dcm`]);
    expect(results.map((r) => r.duplicate)).toEqual([undefined, 'kept-both', 'kept-both']);
    for (const [i, r] of results.entries()) {
      expect(Buffer.compare(await storedDataset(r.path), copies[i]!.dataset)).toBe(0);
    }
  });

  it('keep-both: 24 concurrent stores of one instance get 24 distinct complete files', async () => {
    const store = await open({ duplicates: 'keep-both' });
    const uid = randomUid();
    const copies = Array.from({ length: 24 }, (_, i) => instance({ sopInstanceUid: uid, pixelBytes: 5000 + i * 2 }));
    const results = await Promise.all(copies.map((c) => store.write(c.request())));
    const names = results.map((r) => r.relativePath);
    expect(new Set(names).size).toBe(24);
    expect(names.filter((n) => n === `${uid}.dcm`)).toHaveLength(1);
    for (const [i, r] of results.entries()) {
      expect(Buffer.compare(await storedDataset(r.path), copies[i]!.dataset)).toBe(0);
    }
    expect((await listStoredFiles(storageDir)).length).toBe(24);
    expect(await listTempFiles(storageDir)).toEqual([]);
  });
});

describe('durability protocol', () => {
  /** A file system that records operations and holds syncDirectory until released. */
  function recordingFs(rule: FaultRule = () => undefined) {
    const log: FsOperation[] = [];
    return { fs: createFaultyFileSystem(nodeFileSystem, rule, log), log };
  }

  it('fsyncs the file before the rename, new directories before use, and the final directory before resolving', async () => {
    const { fs, log } = recordingFs();
    const store = await open({ fileSystem: fs, layout: 'study' });
    log.length = 0;
    const inst = instance();
    const result = await store.write(inst.request());
    const finalDir = path.dirname(result.path);
    const seriesParent = path.dirname(finalDir);
    const ops = log.map((o) => `${o.op} ${path.relative(storageDir, o.path)}`);
    const at = (pattern: RegExp) => ops.findIndex((o) => pattern.test(o));
    const create = at(/^createExclusive \.netdicom-tmp\/s-[^/]+\/[0-9a-f]+\.part$/);
    const lastWrite = ops.length - 1 - [...ops].reverse().findIndex((o) => o.startsWith('writev'));
    const sync = at(/^sync /);
    const close = at(/^close /);
    const mkdirStudy = at(/^mkdir 1\.2\.826\.0\.1\.3680043\.2\.1125\.1$/);
    const syncRoot = ops.indexOf('syncDirectory ');
    const mkdirSeries = at(/^mkdir .*\/1\.2\.826\.0\.1\.3680043\.2\.1125\.1\.2$/);
    const syncStudy = ops.indexOf(`syncDirectory ${path.relative(storageDir, seriesParent)}`);
    const rename = at(/^rename /);
    const syncFinal = ops.lastIndexOf(`syncDirectory ${path.relative(storageDir, finalDir)}`);
    const sequence = [create, lastWrite, sync, close, mkdirStudy, syncRoot, mkdirSeries, syncStudy, rename, syncFinal];
    expect(sequence.every((i) => i >= 0)).toBe(true);
    for (let i = 1; i < sequence.length; i++) expect(sequence[i]).toBeGreaterThan(sequence[i - 1] ?? -1);
    expect(syncFinal).toBe(ops.length - 1);
  });

  it('resolves only after the final directory fsync has completed', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let renamed = false;
    const fs = {
      ...nodeFileSystem,
      async rename(from: string, to: string) {
        await nodeFileSystem.rename(from, to);
        renamed = true;
      },
      async syncDirectory(dir: string) {
        if (renamed) await gate;
        return nodeFileSystem.syncDirectory(dir);
      },
    };
    const store = await open({ fileSystem: fs });
    let resolved = false;
    const pending = store.write(instance().request()).then((r) => {
      resolved = true;
      return r;
    });
    for (let i = 0; i < 50 && !renamed; i++) await new Promise((r) => setTimeout(r, 5));
    expect(renamed).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(resolved).toBe(false);
    release();
    await pending;
    expect(resolved).toBe(true);
  });

  it('does no fsync at all with fsync: false', async () => {
    const { fs, log } = recordingFs();
    const store = await open({ fileSystem: fs, fsync: false, layout: 'patient' });
    await store.write(instance().request());
    expect(log.filter((o) => o.op === 'sync')).toEqual([]);
    // Only the creation of the storage directory itself (at open) syncs a directory, and that is outside it.
    expect(log.filter((o) => o.op === 'syncDirectory' && o.path.startsWith(storageDir))).toEqual([]);
    expect(log.filter((o) => o.op === 'mkdir').length).toBeGreaterThanOrEqual(3);
  });

  it('group-commits directory fsyncs: 16 renames into one directory share 2 fsyncs', async () => {
    let renames = 0;
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((r) => {
      releaseFirst = r;
    });
    let syncs = 0;
    let armed = false;
    const fs = {
      ...nodeFileSystem,
      async rename(from: string, to: string) {
        await nodeFileSystem.rename(from, to);
        renames++;
        if (renames === 16) releaseFirst();
      },
      async syncDirectory(dir: string) {
        if (armed && ++syncs === 1) await firstHeld; // hold the first fsync until every rename has happened
        return nodeFileSystem.syncDirectory(dir);
      },
    };
    const store = await open({ fileSystem: fs });
    const before = store.directorySyncs;
    armed = true;
    await Promise.all(Array.from({ length: 16 }, () => store.write(instance().request())));
    expect(store.directorySyncs - before).toBe(2);
    expect((await listStoredFiles(storageDir)).length).toBe(16);
  });

  const steps: { name: string; match: (o: FsOperation, finalDir: string) => boolean; policy?: 'keep-both' }[] = [
    { name: 'create temp', match: (o) => o.op === 'createExclusive' },
    { name: 'write', match: (o) => o.op === 'writev' },
    { name: 'file fsync', match: (o) => o.op === 'sync' },
    { name: 'close', match: (o) => o.op === 'close' },
    { name: 'mkdir', match: (o) => o.op === 'mkdir' },
    { name: 'new dir parent fsync', match: (o, d) => o.op === 'syncDirectory' && o.path === path.dirname(d) },
    { name: 'rename', match: (o) => o.op === 'rename' },
    { name: 'link (keep-both)', match: (o) => o.op === 'link', policy: 'keep-both' },
    { name: 'final dir fsync', match: (o, d) => o.op === 'syncDirectory' && o.path === d },
    {
      name: 'final dir fsync (keep-both)',
      match: (o, d) => o.op === 'syncDirectory' && o.path === d,
      policy: 'keep-both',
    },
  ];
  for (const step of steps) {
    for (const [code, type, status] of [
      ['EIO', StorageIoError, 0xa701],
      ['ENOSPC', OutOfResourcesError, 0xa700],
    ] as const) {
      it(`${step.name} failing with ${code}: typed error ${status.toString(16)}, nothing final, temp cleaned, store keeps working`, async () => {
        const inst = instance();
        const finalDir = path.join(storageDir, 'PID-1', '1.2.826.0.1.3680043.2.1125.1');
        let armed = false;
        let fired = 0;
        const { fs } = recordingFs((o) => {
          if (armed && fired === 0 && step.match(o, finalDir)) {
            fired++;
            return code;
          }
          return undefined;
        });
        const store = await open({
          fileSystem: fs,
          duplicates: step.policy ?? 'overwrite',
          layout: '{PatientID}/{StudyInstanceUID}/{SOPInstanceUID}.dcm',
        });
        armed = true;
        const error = await expectStoreError(store.write(inst.request()), type, status);
        expect(fired).toBe(1);
        expect(error.osCode).toBe(code);
        expect(await listStoredFiles(storageDir)).toEqual([]);
        expect(await listTempFiles(storageDir)).toEqual([]);
        // The next store works.
        const next = instance();
        const result = await store.write(next.request());
        expect(Buffer.compare(await storedDataset(result.path), next.dataset)).toBe(0);
        expect(await listStoredFiles(storageDir)).toEqual([
          `PID-1/1.2.826.0.1.3680043.2.1125.1/${next.sopInstanceUid}.dcm`,
        ]);
      });
    }
  }

  it.each(['EDQUOT', 'EMFILE', 'ENFILE', 'ENOMEM'])('%s is Out of Resources (0xA700)', async (code) => {
    let armed = false;
    const { fs } = recordingFs((o) => (armed && o.op === 'createExclusive' ? code : undefined));
    const store = await open({ fileSystem: fs });
    armed = true;
    const error = await expectStoreError(store.write(instance().request()), OutOfResourcesError, 0xa700);
    expect(error).toMatchObject({ osCode: code, step: 'open', code: 'ERR_NETDICOM_STORE_OUT_OF_RESOURCES' });
    expect(await listFiles(storageDir)).toEqual([]);
  });

  it('a short write (partial writev) is completed by writing the rest', async () => {
    const fs = {
      ...nodeFileSystem,
      async createExclusive(p: string) {
        const handle = await nodeFileSystem.createExclusive(p);
        return {
          ...handle,
          // Write at most 1000 bytes per call, like a file system under pressure may.
          writev: (buffers: readonly Uint8Array[], position: number) =>
            handle.writev([Buffer.concat(buffers).subarray(0, 1000)], position),
        };
      },
    };
    const store = await open({ fileSystem: fs });
    const inst = instance({ pixelBytes: 300_000 });
    const result = await store.write(inst.request({ dataset: inst.dataset }));
    expect(Buffer.compare(await storedDataset(result.path), inst.dataset)).toBe(0);
  });

  it('recreates a final directory removed behind its back and still commits', async () => {
    const store = await open({ layout: 'study' });
    const a = instance();
    const first = await store.write(a.request());
    await rm(path.join(storageDir, '1.2.826.0.1.3680043.2.1125.1'), { recursive: true });
    const b = instance();
    const second = await store.write(b.request());
    expect(path.dirname(second.path)).toBe(path.dirname(first.path));
    expect(Buffer.compare(await storedDataset(second.path), b.dataset)).toBe(0);
  });
});

describe('crash leftovers', () => {
  it('removes temporary files of dead processes at open and keeps those of live sessions', async () => {
    const first = await open();
    const tempRoot = path.join(storageDir, '.netdicom-tmp');
    // A process that has exited: its pid is free.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    expect(dead).toBeGreaterThan(0);
    const deadSession = path.join(tempRoot, `s-${dead}-0-abcdef`);
    await mkdir(deadSession);
    await writeFile(path.join(deadSession, 'aaaa.part'), 'half a file');
    await writeFile(path.join(deadSession, 'bbbb.part'), 'another half');
    await writeFile(path.join(tempRoot, 'legacy.part'), 'x');
    // A foreign entry that does not look like ours is left alone.
    await writeFile(path.join(tempRoot, 'README'), 'not ours');
    const liveSessions = (await readdir(tempRoot)).filter((n) => n.startsWith(`s-${process.pid}-`));
    expect(liveSessions).toHaveLength(1);

    const second = await open();
    expect(second.startup).toEqual({ removedTempFiles: 3, removedSessions: 1 });
    const after = await readdir(tempRoot);
    expect(after).toContain('README');
    expect(after).toContain(liveSessions[0]);
    expect(after).not.toContain(path.basename(deadSession));
    // Both stores still work side by side.
    await first.write(instance().request());
    await second.write(instance().request());
    expect((await listStoredFiles(storageDir)).length).toBe(2);
  });

  it('treats a session of this pid that no open store owns as dead (pid reused after a crash)', async () => {
    await mkdir(path.join(storageDir, '.netdicom-tmp', `s-${process.pid}-1-00ff`), { recursive: true });
    await writeFile(path.join(storageDir, '.netdicom-tmp', `s-${process.pid}-1-00ff`, 'x.part'), 'x');
    const store = await open();
    expect(store.startup).toEqual({ removedTempFiles: 1, removedSessions: 1 });
  });
});
