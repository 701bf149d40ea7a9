// Helpers shared by this package's own tests.
import { mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from '../process.js';

/** Runs `fn` over `items` with at most `concurrency` at a time; results in input order. */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/**
 * Pixel Data as DCMTK's `dcmdump +W` writes it out: one buffer for native Pixel Data, or one per item of encapsulated
 * Pixel Data (the Basic Offset Table first, then the fragments), in order.
 */
export async function pixelDataParts(path: string): Promise<Buffer[]> {
  const dir = await mkdtemp(join(tmpdir(), 'netdicom-raw-'));
  try {
    await runTool('dcmdump', ['-q', '+W', dir, path], { check: true });
    const index = (name: string) => Number(/\.(\d+)\.raw$/.exec(name)?.[1] ?? Number.NaN);
    const files = (await readdir(dir)).sort((a, b) => index(a) - index(b));
    return await Promise.all(files.map((name) => readFile(join(dir, name))));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The native Pixel Data of an uncompressed file, as written out by DCMTK's `dcmdump +W`. */
export async function rawPixelData(path: string): Promise<Buffer> {
  const parts = await pixelDataParts(path);
  if (parts.length !== 1) throw new Error(`${path} has ${parts.length} Pixel Data parts, expected native Pixel Data`);
  return parts[0]!;
}

/** Offset of the dataset in a PS3.10 file: 132 + the File Meta Information group (its group length + 12). */
export async function datasetOffset(path: string): Promise<number> {
  const file = await open(path, 'r');
  const head = Buffer.alloc(144);
  try {
    await file.read(head, 0, 144, 0);
  } finally {
    await file.close();
  }
  if (head.toString('latin1', 128, 132) !== 'DICM') throw new Error(`${path} is not a PS3.10 file`);
  return 132 + 12 + head.readUInt32LE(140);
}

/** dcmdump output as one line per element: a value holding line breaks (LT/ST/UT) is joined back into its line. */
export function logicalLines(text: string): string[] {
  const lines: string[] = [];
  const start = /^\s*\([0-9a-f]{4},[0-9a-f]{4}\) /;
  const end = /#\s*(?:\d+|u\/l),\s*\d+ /;
  let pending: string | undefined;
  for (const line of text.split('\n')) {
    if (pending !== undefined) {
      pending = `${pending}\n${line}`;
      if (end.test(line)) {
        lines.push(pending);
        pending = undefined;
      }
    } else if (start.test(line) && !end.test(line)) {
      pending = line;
    } else {
      lines.push(line);
    }
  }
  if (pending !== undefined) lines.push(pending);
  return lines;
}
