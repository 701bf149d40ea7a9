/**
 * What a StoreScp child left on disk: files outside its storage directory (there must be none), temporary files
 * (none once its stores are over), and stored files, each checked to be a complete PS3.10 file whose data set has the
 * size the SCP announced when it answered Success (PS3.4 B.2.3: Success only for what is durably stored).
 */
import { open, readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { ScpProcess } from './scp-process.js';

/** Every regular file (or link) under `root`, as `/`-separated relative paths, sorted. */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, prefix: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path.join(dir, entry.name), rel);
      else out.push(rel);
    }
  };
  await walk(root, '');
  return out.sort();
}

/** The store's temporary directory name (`TEMP_DIR_NAME` of the file store). */
export const TEMP_DIR = '.netdicom-tmp';

/** Offset of the data set in a PS3.10 file, or undefined when the file is not one (preamble, DICM, meta length). */
export async function part10DatasetOffset(file: string): Promise<number | undefined> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(144);
    const { bytesRead } = await handle.read(head, 0, 144, 0);
    if (bytesRead < 144 || head.toString('latin1', 128, 132) !== 'DICM') return undefined;
    if (head.readUInt16LE(132) !== 0x0002 || head.readUInt16LE(134) !== 0x0000) return undefined;
    return 144 + head.readUInt32LE(140);
  } finally {
    await handle.close();
  }
}

/** The state of a sandbox. */
export interface SandboxReport {
  /** Files in the sandbox outside the storage directory (must be empty). */
  readonly outside: readonly string[];
  /** Files in the storage's temporary directory. */
  readonly temp: readonly string[];
  /** Stored files (relative to the storage directory). */
  readonly stored: readonly string[];
  /** Stored files that are not complete: not PS3.10, or not of the size answered Success for. */
  readonly incomplete: readonly string[];
  /** Stored files no Success was answered for (a `received` event of the child). */
  readonly unannounced: readonly string[];
}

/** Inspects the sandbox of `scp` against the `received` events it printed. */
export async function inspectSandbox(scp: ScpProcess): Promise<SandboxReport> {
  const storageRel = path.relative(scp.sandbox, scp.storageDir);
  const all = await listFiles(scp.sandbox);
  const outside = all.filter((f) => !f.startsWith(`${storageRel}/`));
  const inStorage = await listFiles(scp.storageDir);
  const temp = inStorage.filter((f) => f.startsWith(`${TEMP_DIR}/`));
  const stored = inStorage.filter((f) => !f.startsWith(`${TEMP_DIR}/`));
  const announced = new Map<string, number>();
  for (const event of scp.events) {
    if (event.event === 'received') announced.set(event['path'] as string, event['bytes'] as number);
  }
  const incomplete: string[] = [];
  const unannounced: string[] = [];
  for (const rel of stored) {
    const file = path.join(scp.storageDir, rel);
    const bytes = announced.get(file);
    if (bytes === undefined) unannounced.push(rel);
    const offset = await part10DatasetOffset(file);
    const size = (await stat(file)).size;
    if (offset === undefined || (bytes !== undefined && size - offset !== bytes)) incomplete.push(rel);
  }
  return { outside, temp, stored, incomplete, unannounced };
}
