/**
 * File store throughput: N stores of a ~513 KB CT-like instance (16 KB chunks, as P-DATA fragments arrive) at
 * concurrency 1, 4 and 16, with the full durable protocol, compared with a naive protocol that fsyncs the directory
 * once per store (no group commit) and with fsync turned off (the ceiling: what an SCP that does not fsync, such as
 * DCMTK storescp by default, pays).
 *
 * Run: pnpm --filter @netdicom/store-scp bench
 *   or node --conditions=@netdicom/source --import tsx bench/file-store.bench.ts [count] [dir]
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, mkdtemp, open, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type FileStore, openFileStore } from '../src/file-store/index.js';
import { encodePart10Header } from '../src/file-store/part10.js';
import {
  buildDataset,
  CT_IMAGE_STORAGE,
  EXPLICIT_VR_LITTLE_ENDIAN,
  randomUid,
  TEST_IMPLEMENTATION_CLASS_UID,
} from '../src/testing/dataset-builder.js';

const COUNT = Number(process.argv[2] ?? 500);
const BASE = process.argv[3] ?? tmpdir();
const CHUNK = 16 * 1024;
const STUDY = '1.2.826.0.1.3680043.2.1125.9';
const SERIES = '1.2.826.0.1.3680043.2.1125.9.1';

// One CT slice: 512x512x16 bit = 524288 bytes of pixel data plus a small header, ~513 KB like PEERS.md's fixture.
const PIXEL_BYTES = 512 * 512 * 2;

// Pixel Data element (header + value), shared by all instances so that the bench's own memory stays small and the
// RSS measured is the store's.
const PIXELS = buildDataset({ sopInstanceUid: '1.2', pixelBytes: PIXEL_BYTES }).subarray(-(PIXEL_BYTES + 12));

interface Item {
  readonly uid: string;
  readonly head: Uint8Array;
  readonly length: number;
}

/** The dataset of `item` in CHUNK-sized pieces (fresh copies, as a socket delivers fresh buffers). */
async function* chunks(item: Item): AsyncGenerator<Uint8Array> {
  yield item.head.slice();
  for (let i = 0; i < PIXELS.length; i += CHUNK) yield PIXELS.slice(i, Math.min(PIXELS.length, i + CHUNK));
}

function makeDatasets(n: number): Item[] {
  return Array.from({ length: n }, () => {
    const uid = randomUid();
    const head = buildDataset({
      sopInstanceUid: uid,
      studyInstanceUid: STUDY,
      seriesInstanceUid: SERIES,
      patientId: 'BENCH',
      modality: 'CT',
    });
    return { uid, head, length: head.length + PIXELS.length };
  });
}

async function runPool<T>(items: T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
}

/** The naive protocol: same steps, but every store fsyncs its directory itself. */
async function naiveStore(root: string, item: Item, tmp: string): Promise<void> {
  const uid = item.uid;
  const header = encodePart10Header({
    mediaStorageSopClassUid: CT_IMAGE_STORAGE,
    mediaStorageSopInstanceUid: uid,
    transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN,
    implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID,
  });
  const temp = path.join(tmp, `${randomBytes(8).toString('hex')}.part`);
  const fh = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL);
  await fh.write(header, 0, header.length, 0);
  let pos = header.length;
  for await (const c of chunks(item)) {
    await fh.write(c, 0, c.length, pos);
    pos += c.length;
  }
  await fh.sync();
  await fh.close();
  const dir = path.join(root, STUDY, SERIES);
  await mkdir(dir, { recursive: true });
  await rename(temp, path.join(dir, `${uid}.dcm`));
  const d = await open(dir, constants.O_RDONLY);
  await d.sync();
  await d.close();
}

interface Row {
  variant: string;
  concurrency: number;
  seconds: number;
  filesPerSecond: number;
  mbPerSecond: number;
  dirSyncs: number | string;
  peakRssMb: number;
}

async function measure(
  variant: string,
  concurrency: number,
  run: (dir: string, data: Item[]) => Promise<number | string>,
): Promise<Row> {
  const dir = await mkdtemp(path.join(BASE, 'netdicom-bench-'));
  const data = makeDatasets(COUNT);
  const totalBytes = data.reduce((n, d) => n + d.length, 0);
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  const started = process.hrtime.bigint();
  const dirSyncs = await run(dir, data);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  await rm(dir, { recursive: true, force: true });
  return {
    variant,
    concurrency,
    seconds: Number(seconds.toFixed(3)),
    filesPerSecond: Math.round(COUNT / seconds),
    mbPerSecond: Math.round(totalBytes / 1e6 / seconds),
    dirSyncs,
    peakRssMb: Math.round(peak / 1e6),
  };
}

async function storeAll(store: FileStore, data: Item[], concurrency: number) {
  await runPool(data, concurrency, (d) =>
    store.write({
      sopClassUid: CT_IMAGE_STORAGE,
      sopInstanceUid: d.uid,
      transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN,
      callingAeTitle: 'BENCH',
      attributes: { SOPInstanceUID: d.uid, StudyInstanceUID: STUDY, SeriesInstanceUID: SERIES, PatientID: 'BENCH' },
      dataset: chunks(d),
    }),
  );
}

function fsType(dir: string): string {
  try {
    return execFileSync('stat', ['-f', '-c', '%T', dir]).toString().trim();
  } catch {
    return 'unknown';
  }
}

type Variant = { name: string; run: (dir: string, data: Item[], concurrency: number) => Promise<number | string> };
const variants: Variant[] = [
  {
    name: 'netdicom (fsync, group commit)',
    async run(dir, data, concurrency) {
      const store = await openFileStore({
        storageDir: dir,
        layout: 'study',
        implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID,
      });
      await storeAll(store, data, concurrency);
      await store.close();
      return store.directorySyncs;
    },
  },
  {
    name: 'naive (fsync, dir fsync per store)',
    async run(dir, data, concurrency) {
      const tmp = path.join(dir, '.tmp');
      await mkdir(tmp);
      await runPool(data, concurrency, (d) => naiveStore(dir, d, tmp));
      return COUNT;
    },
  },
  {
    name: 'netdicom (fsync: false)',
    async run(dir, data, concurrency) {
      const store = await openFileStore({
        storageDir: dir,
        layout: 'study',
        fsync: false,
        implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID,
      });
      await storeAll(store, data, concurrency);
      await store.close();
      return 0;
    },
  },
];

// Disk timings on a VM are noisy: each configuration runs ROUNDS times, interleaved, and the median is reported.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const baselineRssMb = Math.round(process.memoryUsage().rss / 1e6);
const samples = new Map<string, Row[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const concurrency of [1, 4, 16]) {
    for (const v of variants) {
      const row = await measure(v.name, concurrency, (dir, data) => v.run(dir, data, concurrency));
      const key = `${concurrency}\u0000${v.name}`;
      samples.set(key, [...(samples.get(key) ?? []), row]);
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const rows: (Row & { range: string })[] = [...samples.values()].map((rs) => {
  const fps = rs.map((r) => r.filesPerSecond);
  const mid = rs.find((r) => r.filesPerSecond === median(fps)) ?? (rs[0] as Row);
  return {
    ...mid,
    peakRssMb: Math.max(...rs.map((r) => r.peakRssMb)),
    range: `${Math.min(...fps)}-${Math.max(...fps)}`,
  };
});

console.log(
  `file store bench: ${COUNT} x ${((PIXEL_BYTES + 300) / 1024).toFixed(0)} KB, ${CHUNK / 1024} KB chunks, ` +
    `dir ${BASE} (${fsType(BASE)}), node ${process.version}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? 4}, ` +
    `median of ${ROUNDS} rounds, RSS before: ${baselineRssMb} MB`,
);
console.log('| variant | concurrency | files/s (median) | files/s (min-max) | MB/s | dir fsyncs | peak RSS MB |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.variant} | ${r.concurrency} | ${r.filesPerSecond} | ${r.range} | ${r.mbPerSecond} | ${r.dirSyncs} | ${r.peakRssMb} |`,
  );
}

// One large object: memory must not grow with its size.
{
  const LARGE = Number(process.env.BENCH_LARGE_MB ?? 1024) * 1024 * 1024;
  const dir = await mkdtemp(path.join(BASE, 'netdicom-bench-large-'));
  const store = await openFileStore({ storageDir: dir, implementationClassUid: TEST_IMPLEMENTATION_CLASS_UID });
  const uid = randomUid();
  const head = buildDataset({ sopInstanceUid: uid, patientId: 'BENCH' });
  const pixelHeader = new Uint8Array(12);
  const view = new DataView(pixelHeader.buffer);
  view.setUint16(0, 0x7fe0, true);
  view.setUint16(2, 0x0010, true);
  pixelHeader.set([0x4f, 0x42], 4); // OB
  view.setUint32(8, LARGE, true);
  async function* large(): AsyncGenerator<Uint8Array> {
    yield head;
    yield pixelHeader;
    const block = new Uint8Array(CHUNK).fill(0x5a);
    for (let sent = 0; sent < LARGE; sent += CHUNK) yield block.slice();
  }
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const started = process.hrtime.bigint();
  const result = await store.write({
    sopClassUid: CT_IMAGE_STORAGE,
    sopInstanceUid: uid,
    transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN,
    dataset: large(),
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  await store.close();
  await rm(dir, { recursive: true, force: true });
  console.log(
    `\nlarge object: ${(result.bytes / 1024 ** 2).toFixed(0)} MiB in ${seconds.toFixed(2)} s ` +
      `(${(result.bytes / 1e6 / seconds).toFixed(0)} MB/s, fsync on), RSS ${Math.round(before / 1e6)} MB before, ` +
      `peak ${Math.round(peak / 1e6)} MB`,
  );
}
