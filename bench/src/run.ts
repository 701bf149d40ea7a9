/**
 * `pnpm bench`: netdicom against DCMTK on this machine, in one run.
 *
 * Data is generated on the fly (500 CT slices of 512x512x16 bit, one 500 MB object). Every scenario runs a real
 * receiver process and a real sender process on loopback, both writing to disk; we time the sender from spawn to
 * exit, read each process's peak RSS from GNU time, check that every object arrived, and take the median of a few
 * runs. Results go to bench/results/ (JSON, a Markdown table, an SVG chart) and are printed as a table with the
 * ratios to DCMTK. Absolute times on a shared machine are noise; the ratios, measured in the same run, are the point.
 * The "Node.js floor" pair (bench/floor/) moves the same files over plain TCP into fsynced files with no DICOM at all:
 * the least any Node.js sender and receiver pay on this machine, against which netdicom's own overhead is read.
 *
 * Environment: BENCH_RUNS (default 3), BENCH_SLICES (500), BENCH_LARGE_MB (500), BENCH_ONLY (substring filter on
 * scenario names), BENCH_KEEP=1 keeps the temporary directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, makeCtSeries, waitForPort, writeLargeObject } from '@netdicom/test-peers';
import { renderChart } from './chart.js';
import { renderMarkdown } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const cli = join(repo, 'packages', 'cli', 'bin', 'netdicom.js');
const floorDir = join(here, '..', 'floor');
const resultsDir = join(here, '..', 'results');

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SLICES = Number(process.env.BENCH_SLICES ?? 500);
const LARGE_MB = Number(process.env.BENCH_LARGE_MB ?? 500);
const ONLY = process.env.BENCH_ONLY;

/** `floor`: bench/floor/, raw TCP and files with no DICOM: the least any Node.js sender and receiver must pay. */
type Side = 'dcmtk' | 'netdicom' | 'floor';
type DataSet = 'slices' | 'large';

export interface Scenario {
  readonly name: string;
  readonly sender: Side;
  readonly receiver: Side;
  readonly data: DataSet;
  readonly concurrency?: number;
  readonly window?: number;
  /** Receiver answers before fsync, as DCMTK storescp always does: the protocol cost without durability. */
  readonly noFsync?: boolean;
}

export interface RunMeasurement {
  readonly seconds: number;
  readonly senderRssMb: number;
  readonly receiverRssMb: number;
}

export interface ScenarioResult {
  readonly scenario: Scenario;
  readonly files: number;
  readonly bytes: number;
  readonly runs: readonly RunMeasurement[];
  readonly seconds: number;
  readonly filesPerSecond: number;
  readonly megabytesPerSecond: number;
  readonly senderRssMb: number;
  readonly receiverRssMb: number;
}

function scenarios(): Scenario[] {
  const list: Scenario[] = [];
  for (const data of ['slices', 'large'] as const) {
    list.push({ name: `${data}: dcmtk -> dcmtk`, sender: 'dcmtk', receiver: 'dcmtk', data });
    list.push({ name: `${data}: netdicom -> netdicom`, sender: 'netdicom', receiver: 'netdicom', data });
    list.push({
      name: `${data}: netdicom -> netdicom, no fsync`,
      sender: 'netdicom',
      receiver: 'netdicom',
      data,
      noFsync: true,
    });
    list.push({ name: `${data}: netdicom -> dcmtk`, sender: 'netdicom', receiver: 'dcmtk', data, concurrency: 1 });
    list.push({ name: `${data}: dcmtk -> netdicom`, sender: 'dcmtk', receiver: 'netdicom', data });
    list.push({ name: `${data}: Node.js floor (no DICOM)`, sender: 'floor', receiver: 'floor', data });
    list.push({
      name: `${data}: Node.js floor (no DICOM), no fsync`,
      sender: 'floor',
      receiver: 'floor',
      data,
      noFsync: true,
    });
  }
  for (const concurrency of [1, 2, 4]) {
    for (const window of [1, 4, 16]) {
      list.push({
        name: `slices: netdicom -> netdicom c${concurrency} w${window}`,
        sender: 'netdicom',
        receiver: 'netdicom',
        data: 'slices',
        concurrency,
        window,
      });
    }
  }
  return ONLY ? list.filter((s) => s.name.includes(ONLY)) : list;
}

interface Exited {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly stdout: string;
}

/**
 * Spawns `argv`; with `rssFile`, under GNU time so that its peak RSS lands there (kilobytes) when it exits by itself.
 * Receivers are stopped by a signal, which GNU time would not survive: their peak is read from /proc instead.
 */
function spawnMeasured(argv: readonly string[], rssFile?: string): { child: ChildProcess; exited: Promise<Exited> } {
  const [program, ...args] = rssFile ? ['/usr/bin/time', '-f', '%M', '-o', rssFile, ...argv] : argv;
  const child = spawn(program!, args, {
    env: { ...process.env, TCP_NODELAY: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (stdout.length > 1_000_000) stdout = stdout.slice(-100_000);
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 1_000_000) stderr = stderr.slice(-100_000);
  });
  const exited = new Promise<Exited>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, exited };
}

/** Peak resident set size (VmHWM) of a running process, in MB. */
async function peakRssOfMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]);
  return Number.isFinite(kb) ? kb / 1024 : Number.NaN;
}

async function readRssMb(file: string): Promise<number> {
  const text = await readFile(file, 'utf8');
  const kb = Number(text.trim().split(/\s+/).pop());
  return Number.isFinite(kb) ? kb / 1024 : Number.NaN;
}

async function countFiles(dir: string): Promise<number> {
  let n = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && !entry.name.endsWith('.part') && !entry.parentPath?.includes('.netdicom-tmp')) n++;
  }
  return n;
}

function receiverArgv(s: Scenario, port: number, dir: string, forked: boolean): string[] {
  const side = s.receiver;
  if (side === 'floor') {
    return [process.execPath, join(floorDir, 'receiver.mjs'), String(port), dir, ...(s.noFsync ? ['--no-fsync'] : [])];
  }
  if (side === 'dcmtk') {
    return ['storescp', ...(forked ? ['--fork'] : []), '--output-directory', dir, '--accept-all', String(port)];
  }
  return [
    process.execPath,
    cli,
    'listen',
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    '--dir',
    dir,
    '--layout',
    'flat',
    '--any-called',
    '--log-level',
    'error',
    ...(s.noFsync ? ['--no-fsync'] : []),
  ];
}

function senderArgv(s: Scenario, port: number, input: string): string[] {
  if (s.sender === 'floor') return [process.execPath, join(floorDir, 'sender.mjs'), `127.0.0.1:${port}`, input];
  if (s.sender === 'dcmtk') {
    return ['storescu', '--aetitle', 'BENCHSCU', '--call', 'BENCHSCP', '+sd', '+r', '127.0.0.1', String(port), input];
  }
  return [
    process.execPath,
    cli,
    'send',
    input,
    '--to',
    `127.0.0.1:${port}`,
    '--aet',
    'BENCHSCU',
    '--called',
    'BENCHSCP',
    '--no-progress',
    '--log-level',
    'warn',
    ...(s.concurrency === undefined ? [] : ['--concurrency', String(s.concurrency)]),
    ...(s.window === undefined ? [] : ['--window', String(s.window)]),
  ];
}

async function runOnce(s: Scenario, input: string, expectedFiles: number, work: string): Promise<RunMeasurement> {
  const out = await mkdtemp(join(work, 'received-'));
  const port = await freePort();
  const forked = s.receiver === 'dcmtk' && (s.concurrency ?? 1) > 1;
  const senderRss = join(work, `rss-sender-${port}`);
  const receiver = spawnMeasured(receiverArgv(s, port, out, forked));
  try {
    await waitForPort(port, { timeoutMs: 20_000 });
    const started = performance.now();
    const sender = spawnMeasured(senderArgv(s, port, input), senderRss);
    const done = await sender.exited;
    const seconds = (performance.now() - started) / 1000;
    if (done.code !== 0) {
      throw new Error(`${s.name}: sender exited with ${done.code ?? done.signal}\n${done.stderr.slice(-2000)}`);
    }
    const received = await countFiles(out);
    if (received !== expectedFiles) {
      throw new Error(`${s.name}: ${received} of ${expectedFiles} objects arrived`);
    }
    // The transfer is over: the receiver's high-water mark now covers it.
    const receiverRssMb = await peakRssOfMb(receiver.child.pid!);
    receiver.child.kill('SIGTERM');
    await receiver.exited;
    return { seconds, senderRssMb: await readRssMb(senderRss), receiverRssMb };
  } finally {
    if (receiver.child.exitCode === null && receiver.child.signalCode === null) {
      receiver.child.kill('SIGKILL');
      await receiver.exited;
    }
    await rm(out, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function dirBytes(path: string): Promise<{ files: number; bytes: number }> {
  const info = await stat(path);
  if (info.isFile()) return { files: 1, bytes: info.size };
  let files = 0;
  let bytes = 0;
  for (const entry of await readdir(path, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    files++;
    bytes += (await stat(join(entry.parentPath ?? path, entry.name))).size;
  }
  return { files, bytes };
}

async function main(): Promise<void> {
  if (!existsSync(join(repo, 'packages', 'cli', 'dist', 'main.js'))) {
    throw new Error('the CLI is not built: run `pnpm build` first (`pnpm bench` does it through turbo)');
  }
  const work = await mkdtemp(join(tmpdir(), 'netdicom-bench-'));
  const slicesDir = join(work, 'slices');
  const largeDir = join(work, 'large');
  await mkdir(slicesDir, { recursive: true });
  await mkdir(largeDir, { recursive: true });
  const list = scenarios();
  process.stdout.write(`netdicom bench: ${list.length} scenarios x ${RUNS} runs, data in ${work}\n`);
  if (list.some((s) => s.data === 'slices')) {
    process.stdout.write(`generating ${SLICES} CT slices...\n`);
    await makeCtSeries(slicesDir, SLICES);
  }
  if (list.some((s) => s.data === 'large')) {
    process.stdout.write(`generating a ${LARGE_MB} MB object...\n`);
    await writeLargeObject(join(largeDir, 'large.dcm'), LARGE_MB * 1_000_000);
  }

  const results: ScenarioResult[] = [];
  try {
    for (const s of list) {
      const input = s.data === 'slices' ? slicesDir : largeDir;
      const { files, bytes } = await dirBytes(input);
      const runs: RunMeasurement[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await runOnce(s, input, files, work));
      const seconds = median(runs.map((r) => r.seconds));
      const result: ScenarioResult = {
        scenario: s,
        files,
        bytes,
        runs,
        seconds,
        filesPerSecond: files / seconds,
        megabytesPerSecond: bytes / 1e6 / seconds,
        senderRssMb: median(runs.map((r) => r.senderRssMb)),
        receiverRssMb: median(runs.map((r) => r.receiverRssMb)),
      };
      results.push(result);
      process.stdout.write(
        `  ${s.name.padEnd(44)} ${seconds.toFixed(3)} s  ${result.filesPerSecond.toFixed(0).padStart(6)} files/s  ${result.megabytesPerSecond.toFixed(0).padStart(5)} MB/s  sender ${result.senderRssMb.toFixed(0)} MB  receiver ${result.receiverRssMb.toFixed(0)} MB\n`,
      );
    }
  } finally {
    if (process.env.BENCH_KEEP !== '1') await rm(work, { recursive: true, force: true });
  }

  const machine = {
    date: new Date().toISOString(),
    cpus: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    runs: RUNS,
  };
  await mkdir(resultsDir, { recursive: true });
  const markdown = renderMarkdown(results, machine);
  await writeFile(join(resultsDir, 'results.json'), `${JSON.stringify({ machine, results }, null, 2)}\n`);
  await writeFile(join(resultsDir, 'results.md'), markdown);
  const chart = renderChart(results);
  if (chart) await writeFile(join(resultsDir, 'throughput.svg'), chart);
  process.stdout.write(`\n${markdown}\nwritten to ${resultsDir}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
