/**
 * C-STORE throughput over loopback, netdicom against DCMTK on the same machine, every pairing of SCU and SCP:
 * 500 CT-sized objects (~513 KB each) and one 500 MB object, read from Part 10 files, received and discarded (DCMTK
 * `storescp --ignore`; our server drains each data set). Our SCP runs in a child process (its own core), DCMTK
 * tools with TCP_NODELAY=1. Wall time of the whole SCU run (association included), best of ROUNDS.
 *
 * Run: pnpm bench (in packages/dimse). BENCH_ROUNDS (3), BENCH_COUNT (500), BENCH_BIG_MB (500) change the sizes.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { connect, createAcceptancePolicy, createAssociationServer } from '@netdicom/association';
import { createDimseClient, createDimseServer } from '../src/index.js';
import { type BuiltElement, buildDataset, buildPart10 } from '../src/testing/dataset-builder.js';
import { startStorescp } from '@netdicom/test-peers';
import { runTool } from '../src/testing/dcmtk.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const COUNT = Number(process.env['BENCH_COUNT'] ?? 500);
const BIG_MB = Number(process.env['BENCH_BIG_MB'] ?? 500);
const CT = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';

async function serve(): Promise<void> {
  const server = createAssociationServer({
    maxAssociations: 4,
    onAssociationRequest: createAcceptancePolicy({
      abstractSyntaxes: 'any',
      transferSyntaxes: 'any',
      asynchronousOperationsWindow: { maxOperationsInvoked: 16, maxOperationsPerformed: 16 },
    }),
  });
  server.associations$.subscribe((association) => {
    createDimseServer(association, {
      onStore: async ({ dataset }) => {
        for await (const _ of dataset) {
          // drop
        }
      },
    });
  });
  const { port } = await server.listen(0, '127.0.0.1');
  process.send?.({ port });
}

function ct(uid: string, pixelBytes: number): BuiltElement[] {
  const us = (n: number) => new Uint8Array([n & 0xff, n >> 8]);
  const side = Math.floor(Math.sqrt(pixelBytes / 2));
  return [
    { tag: 0x00080016, vr: 'UI', value: CT },
    { tag: 0x00080018, vr: 'UI', value: uid },
    { tag: 0x00080060, vr: 'CS', value: 'CT' },
    { tag: 0x00100010, vr: 'PN', value: 'Bench^Patient' },
    { tag: 0x00100020, vr: 'LO', value: 'BENCH' },
    { tag: 0x00280002, vr: 'US', value: us(1) },
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    { tag: 0x00280010, vr: 'US', value: us(side) },
    { tag: 0x00280011, vr: 'US', value: us(side) },
    { tag: 0x00280100, vr: 'US', value: us(16) },
    { tag: 0x00280101, vr: 'US', value: us(16) },
    { tag: 0x00280102, vr: 'US', value: us(15) },
    { tag: 0x00280103, vr: 'US', value: us(0) },
    { tag: 0x7fe00010, vr: 'OW', value: new Uint8Array(side * side * 2).fill(0x11) },
  ];
}

async function writeObjects(dir: string, count: number, pixelBytes: number, prefix: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const uid = `1.2.826.0.1.3680043.10.999.${prefix}.${i + 1}`;
    const path = join(dir, `${i}.dcm`);
    await writeFile(
      path,
      buildPart10(buildDataset(ct(uid, pixelBytes), 'explicit-le'), {
        transferSyntax: EXPLICIT,
        sopClassUid: CT,
        sopInstanceUid: uid,
      }),
    );
    paths.push(path);
  }
  return paths;
}

async function ourScu(port: number, paths: readonly string[], window: number): Promise<void> {
  const association = await connect({
    host: '127.0.0.1',
    port,
    callingAeTitle: 'BENCH-SCU',
    calledAeTitle: 'BENCH-SCP',
    presentationContexts: [{ abstractSyntax: CT, transferSyntaxes: [EXPLICIT] }],
    ...(window > 1
      ? { asynchronousOperationsWindow: { maxOperationsInvoked: window, maxOperationsPerformed: 1 } }
      : {}),
  });
  const client = createDimseClient(association);
  const results = await Promise.all(paths.map((path) => client.store({ dataset: { path } })));
  if (results.some((r) => r.status.code !== 0)) throw new Error('a store failed');
  await association.release();
}

async function dcmtkScu(port: number, dir: string): Promise<void> {
  await runTool('storescu', ['-xe', '+sd', '-aec', 'BENCH-SCP', '127.0.0.1', String(port), dir], 600_000);
}

async function best(label: string, bytes: number, run: () => Promise<void>): Promise<void> {
  let fastest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    await run();
    fastest = Math.min(fastest, performance.now() - started);
  }
  const mibs = bytes / 1024 / 1024 / (fastest / 1000);
  console.log(`${label.padEnd(44)} ${(fastest / 1000).toFixed(2).padStart(7)} s ${mibs.toFixed(0).padStart(6)} MiB/s`);
}

async function main(): Promise<void> {
  if (process.argv[2] === 'serve') return serve();
  const dir = await mkdtemp(join(tmpdir(), 'dimse-bench-'));
  let child: ChildProcess | undefined;
  const dcmtk = await startStorescp({ extraArgs: ['--ignore'] });
  try {
    const smallDir = join(dir, 'small');
    const bigDir = join(dir, 'big');
    const small = await writeObjects(smallDir, COUNT, 512 * 512 * 2, '1');
    const big = await writeObjects(bigDir, 1, BIG_MB * 1024 * 1024, '2');
    child = fork(fileURLToPath(import.meta.url), ['serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ours = await new Promise<number>((resolve) =>
      child!.once('message', (m: { port: number }) => resolve(m.port)),
    );
    const smallBytes = COUNT * (512 * 512 * 2);
    const bigBytes = BIG_MB * 1024 * 1024;
    console.log(`C-STORE over loopback, best of ${ROUNDS}: ${COUNT} x 512 KiB objects, and 1 x ${BIG_MB} MiB`);
    await best(`${COUNT} small: storescu -> storescp`, smallBytes, () => dcmtkScu(dcmtk.port, smallDir));
    await best(`${COUNT} small: netdicom -> netdicom (window 1)`, smallBytes, () => ourScu(ours, small, 1));
    await best(`${COUNT} small: netdicom -> netdicom (window 8)`, smallBytes, () => ourScu(ours, small, 8));
    await best(`${COUNT} small: netdicom -> storescp`, smallBytes, () => ourScu(dcmtk.port, small, 1));
    await best(`${COUNT} small: storescu -> netdicom`, smallBytes, () => dcmtkScu(ours, smallDir));
    await best(`1 big: storescu -> storescp`, bigBytes, () => dcmtkScu(dcmtk.port, bigDir));
    await best(`1 big: netdicom -> netdicom`, bigBytes, () => ourScu(ours, big, 1));
    await best(`1 big: netdicom -> storescp`, bigBytes, () => ourScu(dcmtk.port, big, 1));
    await best(`1 big: storescu -> netdicom`, bigBytes, () => dcmtkScu(ours, bigDir));
  } finally {
    child?.kill();
    await dcmtk.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
