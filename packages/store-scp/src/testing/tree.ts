/** Helpers to inspect a storage tree in tests. */
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';

/** All regular files and symbolic links under `root`, as `/`-separated paths relative to it, sorted. */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, prefix: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path.join(dir, entry.name), rel);
      else out.push(rel);
    }
  };
  await walk(root, '');
  return out.sort();
}

/** Files outside the store's temporary directory (what a user would see as stored instances). */
export async function listStoredFiles(root: string): Promise<string[]> {
  return (await listFiles(root)).filter((f) => !f.startsWith('.netdicom-tmp/'));
}

/** Files inside the store's temporary directory. */
export async function listTempFiles(root: string): Promise<string[]> {
  return (await listFiles(root)).filter((f) => f.startsWith('.netdicom-tmp/'));
}
