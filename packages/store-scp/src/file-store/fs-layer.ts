/**
 * The file-system operations the file store performs, as one injectable interface. Production uses
 * {@link nodeFileSystem} (node:fs/promises: every call runs on the libuv thread pool, so concurrent stores write and
 * fsync in parallel and the event loop never blocks). Tests wrap it to fail any step of the durable write protocol.
 *
 * @packageDocumentation
 */
import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';

/** An open file being written. */
export interface FileStoreHandle {
  /** Writes `buffers` at `position`; resolves to the number of bytes written (may be short). */
  writev(buffers: readonly Uint8Array[], position: number): Promise<number>;
  /** fsync(2): data and metadata to stable storage. */
  sync(): Promise<void>;
  /** close(2). */
  close(): Promise<void>;
}

/** Minimal stat result. */
export interface FileStoreStats {
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isFile(): boolean;
}

/**
 * File-system operations used by the file store. Paths are absolute. Errors are Node system errors (with `code`).
 */
export interface FileStoreFileSystem {
  /** Creates a new file exclusively, never following a symbolic link (O_CREAT|O_EXCL|O_NOFOLLOW). */
  createExclusive(path: string): Promise<FileStoreHandle>;
  /** mkdir(2) of one level (fails with EEXIST when present). */
  mkdir(path: string): Promise<void>;
  /** lstat(2). */
  lstat(path: string): Promise<FileStoreStats>;
  /** rename(2): atomically replaces `to`. */
  rename(from: string, to: string): Promise<void>;
  /** link(2): fails with EEXIST when `to` exists (atomic no-replace). */
  link(from: string, to: string): Promise<void>;
  /** unlink(2). */
  unlink(path: string): Promise<void>;
  /** rmdir(2). */
  rmdir(path: string): Promise<void>;
  /** readdir(3): entry names with their type. */
  readdir(path: string): Promise<{ name: string; isDirectory: boolean }[]>;
  /** Opens the directory read-only and fsyncs it, so entries created or renamed in it are durable. */
  syncDirectory(path: string): Promise<void>;
  /** realpath(3). */
  realpath(path: string): Promise<string>;
}

// libuv adds O_CLOEXEC itself.
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
const DIR_FLAGS = constants.O_RDONLY | (constants.O_DIRECTORY ?? 0) | (constants.O_NOFOLLOW ?? 0);

/** The production file system: node:fs/promises. */
export const nodeFileSystem: FileStoreFileSystem = {
  async createExclusive(path) {
    const handle = await fsp.open(path, CREATE_FLAGS, 0o666);
    return {
      async writev(buffers, position) {
        const { bytesWritten } = await handle.writev(buffers as Uint8Array[], position);
        return bytesWritten;
      },
      sync: () => handle.sync(),
      close: () => handle.close(),
    };
  },
  mkdir: async (path) => {
    await fsp.mkdir(path, 0o777);
  },
  lstat: (path) => fsp.lstat(path),
  rename: (from, to) => fsp.rename(from, to),
  link: (from, to) => fsp.link(from, to),
  unlink: (path) => fsp.unlink(path),
  rmdir: (path) => fsp.rmdir(path),
  async readdir(path) {
    const entries = await fsp.readdir(path, { withFileTypes: true });
    return entries.map((e) => ({ name: e.name, isDirectory: e.isDirectory() }));
  },
  async syncDirectory(path) {
    const handle = await fsp.open(path, DIR_FLAGS);
    try {
      await handle.sync();
    } catch (error) {
      // A file system that cannot sync directories says EINVAL/ENOTSUP: its entries are as durable as it allows.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EINVAL' && code !== 'ENOTSUP') throw error;
    } finally {
      await handle.close();
    }
  },
  realpath: (path) => fsp.realpath(path),
};
