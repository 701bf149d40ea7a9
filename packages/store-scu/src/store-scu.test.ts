import { createServer } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startStorescp } from '@netdicom/test-peers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AssociationRejectedError,
  ConnectError,
  InvalidOptionError,
  InvalidStateError,
  type StoreFileError,
} from './errors.js';
import { type FileErrorEvent, StoreScu, type StoreProgress, type TransferCompletedEvent } from './store-scu.js';
import { buildPart10, CT_IMAGE_STORAGE } from './testing/dicom-builder.js';
import { makeTempDir } from './testing/temp-dir.js';

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await makeTempDir();
});
afterEach(async () => {
  await dir.cleanup();
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('StoreScu options', () => {
  it('validates options with typed errors', () => {
    expect(() => new StoreScu({ addr: 'nohost' })).toThrow(InvalidOptionError);
    expect(() => new StoreScu({ addr: 'h:1', callingAeTitle: 'THIS-AE-IS-FAR-TOO-LONG' })).toThrow(/calling AE title/);
    expect(() => new StoreScu({ addr: 'h:1', transferSyntax: 'NoSuchSyntax' })).toThrow(/Unknown transfer syntax/);
    expect(() => new StoreScu({ addr: 'h:1', concurrency: 0 })).toThrow(/concurrency/);
    expect(() => new StoreScu({ addr: 'h:1', asynchronousOperationsWindow: 0 })).toThrow(
      /asynchronousOperationsWindow/,
    );
    expect(() => new StoreScu({ addr: 'h:1', retries: -1 })).toThrow(/retries/);
    expect(() => new StoreScu({ addr: 'h:1', decompress: 'always' as 'never' })).toThrow(/decompress/);
    const scu = new StoreScu({ addr: '127.0.0.1:104', transferSyntax: 'ImplicitVRLittleEndian' });
    expect(scu.addFile('a').addDirectory('b').addFileFromMemory(new Uint8Array(0), 'c').queued).toBe(3);
    expect(scu.clean().queued).toBe(0);
  });
});

describe('StoreScu.send without a reachable peer', () => {
  it('reports every bad file and opens no association when nothing is sendable', async () => {
    const port = await closedPort(); // nothing listens: an association attempt would fail
    await mkdir(join(dir.path, 'sub'));
    await writeFile(join(dir.path, 'notes.txt'), 'not dicom, just text in a folder of images');
    const good = buildPart10({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.3' });
    await writeFile(join(dir.path, 'sub/truncated.dcm'), good.subarray(0, good.length - 10));
    await writeFile(join(dir.path, 'sub/no-uid.dcm'), buildPart10({ sopClassUid: CT_IMAGE_STORAGE }));
    // A DICOMDIR (Media Storage Directory Storage) of a CD layout: skipped like other non-instances in folders.
    await writeFile(
      join(dir.path, 'DICOMDIR'),
      buildPart10({ sopClassUid: '1.2.840.10008.1.3.10', sopInstanceUid: '1.2.4' }),
    );
    const scu = new StoreScu({ addr: `127.0.0.1:${port}` });
    scu.addDirectory(dir.path).addFile(join(dir.path, 'notes.txt'));
    const errors: FileErrorEvent[] = [];
    const progress: StoreProgress[] = [];
    const subscription = scu.progress$.subscribe((p) => progress.push(p));
    const result = await scu.send({ onFileError: (error, event) => errors.push({ ...event, error: error as never }) });
    subscription.unsubscribe();
    expect(result).toEqual({
      successful: 0,
      failed: 3,
      totalFiles: 3,
      warnings: [
        `${join(dir.path, 'DICOMDIR')}: skipped, a DICOMDIR`,
        `${join(dir.path, 'notes.txt')}: skipped, not a DICOM file`,
      ],
    });
    expect(errors.map((e) => [e.file.slice(dir.path.length + 1), (e.error as StoreFileError).reason]).sort()).toEqual([
      ['notes.txt', 'not-dicom'],
      ['sub/no-uid.dcm', 'missing-sop-instance'],
      ['sub/truncated.dcm', 'truncated'],
    ]);
    expect(progress.at(-1)).toMatchObject({ totalFiles: 3, failed: 3, filesDone: 3 });
  });

  it('rejects with ConnectError (refused) after its retries, and says so to onTransferCompleted', async () => {
    const port = await closedPort();
    const scu = new StoreScu({ addr: `127.0.0.1:${port}`, retries: { attempts: 2, initialDelayMs: 5 } });
    scu.addFileFromMemory(buildPart10({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.3' }), 'one.dcm');
    const lines: string[] = [];
    const completed: [Error | null, TransferCompletedEvent][] = [];
    const verbose = new StoreScu({
      addr: `127.0.0.1:${port}`,
      retries: { attempts: 2, initialDelayMs: 5 },
      verbose: (line) => lines.push(line),
    }).addFileFromMemory(buildPart10({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.3' }), 'one.dcm');
    const error = await verbose
      .send({ onTransferCompleted: (err, e) => completed.push([err, e]) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).toMatchObject({ failure: 'refused', message: expect.stringMatching(/connection refused/) });
    expect(lines.filter((line) => /retry \d of 2/.test(line))).toHaveLength(2);
    expect(completed).toHaveLength(1);
    expect(completed[0]![0]).toBe(error);
    await expect(scu.send()).rejects.toBeInstanceOf(ConnectError);
  });

  it('rejects with AssociationRejectedError carrying the reason the peer gave', async () => {
    const scp = await startStorescp({ extraArgs: ['--refuse'] });
    try {
      const scu = new StoreScu({ addr: `127.0.0.1:${scp.port}`, retries: 0 });
      scu.addFileFromMemory(buildPart10({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.3' }), 'one.dcm');
      const error = await scu.send().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AssociationRejectedError);
      expect((error as Error).message).toMatch(/rejected the association: rejected-permanent/);
    } finally {
      await scp.stop();
    }
  });

  it('refuses a second send() while one runs', async () => {
    const port = await closedPort();
    const scu = new StoreScu({ addr: `127.0.0.1:${port}`, retries: { attempts: 1, initialDelayMs: 50 } });
    scu.addFileFromMemory(buildPart10({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.3' }), 'one.dcm');
    const first = scu.send().catch(() => undefined);
    await expect(scu.send()).rejects.toBeInstanceOf(InvalidStateError);
    expect(() => scu.clean()).toThrow(InvalidStateError);
    await first;
  });
});
