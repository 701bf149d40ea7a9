/**
 * Finding DICOM files: a recursive, asynchronous directory walk with bounded concurrency that follows symbolic
 * links without looping, and recognition of DICOM by content (PS3.10 section 7.1), never by file name.
 */

import { open, opendir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type DicomSniff, sniffDicom } from './part10.js';

/** Bytes read from the start of a file to recognise it. */
export const SNIFF_SIZE = 256;

/** Reads the first bytes of a file and says whether (and how) it is DICOM. See {@link sniffDicom}. */
export async function sniffFile(path: string): Promise<DicomSniff & { size: number }> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.min(SNIFF_SIZE, size));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return { ...sniffDicom(buffer.subarray(0, bytesRead), size), size };
  } finally {
    await handle.close();
  }
}

/** A file found by {@link walkDirectory}. */
export interface WalkedFile {
  readonly path: string;
  readonly size: number;
}

/** Options of {@link walkDirectory}. */
export interface WalkOptions {
  /** Directories read at the same time (default 8). */
  readonly concurrency?: number;
  /** Follow symbolic links to files and directories (default true; loops are detected by device and inode). */
  readonly followSymlinks?: boolean;
  /** Called for entries that cannot be read (permissions, vanished files); the walk goes on. */
  readonly onError?: (path: string, error: unknown) => void;
  readonly signal?: AbortSignal;
}

/**
 * Walks `root` recursively and returns every regular file under it, sorted by path. Directories are read `concurrency`
 * at a time; each directory (by device and inode) is visited once, so symbolic link loops end.
 */
export async function walkDirectory(root: string, options: WalkOptions = {}): Promise<WalkedFile[]> {
  const limit = Math.max(1, options.concurrency ?? 8);
  const follow = options.followSymlinks ?? true;
  const seenDirs = new Set<string>();
  const seenFiles = new Set<string>();
  const files: WalkedFile[] = [];
  const queue: string[] = [];
  const report = (path: string, error: unknown) => options.onError?.(path, error);

  const rootStat = await stat(root);
  if (!rootStat.isDirectory()) return [{ path: root, size: rootStat.size }];
  seenDirs.add(`${rootStat.dev}:${rootStat.ino}`);
  queue.push(root);

  const readOne = async (dir: string): Promise<void> => {
    let handle: Awaited<ReturnType<typeof opendir>>;
    try {
      handle = await opendir(dir);
    } catch (error) {
      report(dir, error);
      return;
    }
    for await (const entry of handle) {
      options.signal?.throwIfAborted();
      const path = join(dir, entry.name);
      try {
        if (entry.isDirectory() || (entry.isSymbolicLink() && follow)) {
          const info = await stat(path);
          const key = `${info.dev}:${info.ino}`;
          if (info.isDirectory()) {
            if (!seenDirs.has(key)) {
              seenDirs.add(key);
              queue.push(path);
            }
          } else if (info.isFile() && !seenFiles.has(key)) {
            seenFiles.add(key);
            files.push({ path, size: info.size });
          }
        } else if (entry.isFile()) {
          const info = await stat(path);
          const key = `${info.dev}:${info.ino}`;
          if (!seenFiles.has(key)) {
            seenFiles.add(key);
            files.push({ path, size: info.size });
          }
        }
      } catch (error) {
        report(path, error);
      }
    }
  };

  const running = new Set<Promise<void>>();
  while (queue.length > 0 || running.size > 0) {
    options.signal?.throwIfAborted();
    while (queue.length > 0 && running.size < limit) {
      const job: Promise<void> = readOne(queue.shift()!).finally(() => running.delete(job));
      running.add(job);
    }
    if (running.size > 0) await Promise.race(running);
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return files;
}
