/**
 * Child process for the crash tests: opens a file store and stores one instance, then gets killed with SIGKILL by the
 * test at a chosen point of the durable write protocol. Prints one line to stdout when it reaches that point.
 *
 * Usage: node --import tsx crash-writer.ts <storageDir> <mode> <sopInstanceUid>
 * - `streaming`: a dataset of up to 500 MB trickles in; prints `WRITING` once 2 MB are in the temporary file.
 * - `file-sync`: a 1 MB dataset; blocks inside the file fsync; prints `SYNCING`.
 * - `dir-sync`: a 1 MB dataset; blocks inside the final directory fsync, after the rename; prints `RENAMED`.
 */
import { openFileStore } from '../file-store/file-store.js';
import { type FileStoreFileSystem, nodeFileSystem } from '../file-store/fs-layer.js';
import {
  buildDataset,
  CT_IMAGE_STORAGE,
  EXPLICIT_VR_LITTLE_ENDIAN,
  TEST_IMPLEMENTATION_CLASS_UID,
} from './dataset-builder.js';

const [storageDir, mode, uidArgument] = process.argv.slice(2);
if (storageDir === undefined || uidArgument === undefined) throw new Error('usage: <storageDir> <mode> <uid>');
const sopInstanceUid: string = uidArgument;

/** Size of the finite dataset of the file-sync and dir-sync modes; the test rebuilds the same bytes. */
const CRASH_PIXEL_BYTES = 1024 * 1024;

const forever = () => new Promise<never>(() => undefined);
let renamed = false;
const fileSystem: FileStoreFileSystem = {
  ...nodeFileSystem,
  async createExclusive(path) {
    const handle = await nodeFileSystem.createExclusive(path);
    return {
      ...handle,
      async sync() {
        if (mode === 'file-sync') {
          process.stdout.write('SYNCING\n');
          await forever();
        }
        return handle.sync();
      },
    };
  },
  async rename(from, to) {
    await nodeFileSystem.rename(from, to);
    renamed = true;
  },
  async syncDirectory(path) {
    if (mode === 'dir-sync' && renamed) {
      process.stdout.write('RENAMED\n');
      await forever();
    }
    return nodeFileSystem.syncDirectory(path);
  },
};

async function* trickle(): AsyncGenerator<Uint8Array> {
  const head = buildDataset({ sopInstanceUid, pixelBytes: 0 });
  yield head;
  // Pixel Data (7FE0,0010) OB with a 500 MB length, streamed slowly.
  const total = 500 * 1024 * 1024;
  const header = new Uint8Array(12);
  const view = new DataView(header.buffer);
  view.setUint16(0, 0x7fe0, true);
  view.setUint16(2, 0x0010, true);
  header.set([0x4f, 0x42], 4);
  view.setUint32(8, total, true);
  yield header;
  const chunk = new Uint8Array(64 * 1024).fill(0xab);
  let sent = 0;
  let announced = false;
  while (sent < total) {
    yield chunk;
    sent += chunk.length;
    if (!announced && sent >= 4 * 1024 * 1024) {
      announced = true;
      // Give the store time to flush what it has queued, then announce.
      setTimeout(() => process.stdout.write('WRITING\n'), 200);
    }
    await new Promise((r) => setTimeout(r, sent >= 4 * 1024 * 1024 ? 20 : 0));
  }
}

const store = await openFileStore({
  storageDir,
  implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID,
  fileSystem,
  writeBufferSize: 256 * 1024,
});
const dataset =
  mode === 'streaming' ? trickle() : [buildDataset({ sopInstanceUid, pixelBytes: CRASH_PIXEL_BYTES, patientId: 'X' })];
await store.write({
  sopClassUid: CT_IMAGE_STORAGE,
  sopInstanceUid,
  transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN,
  callingAeTitle: 'CRASHER',
  dataset,
});
process.stdout.write('DONE\n');
await store.close();
