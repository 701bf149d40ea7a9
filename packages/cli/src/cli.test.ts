/**
 * The `netdicom` command driven as a child process, as users and scripts run it: against real DCMTK peers
 * (storescp, storescu, echoscu) and against itself. Needs the built CLI (`pnpm build`; the package's test script
 * builds it first).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  dcmdump,
  freePort,
  makeCtSeries,
  runEchoscu,
  runStorescu,
  startStorescp,
  writeLargeObject,
} from '@netdicom/test-peers';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { NETDICOM_BIN, runNetdicom } from './testing/netdicom-process.js';

const bin = NETDICOM_BIN;

const netdicom = runNetdicom;

/** A running `netdicom listen`, with its output so far. */
interface Listener {
  readonly child: ChildProcess;
  readonly port: number;
  readonly dir: string;
  output(): string;
  exited: Promise<number | null>;
}

async function listen(dir: string, extra: readonly string[] = []): Promise<Listener> {
  const child = spawn(process.execPath, [bin, 'listen', '--port', '0', '--host', '127.0.0.1', '--dir', dir, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`listen did not start:\n${output}`)), 20_000);
    const check = () => {
      const m = /listening on [\d.]+:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stderr!.on('data', check);
    child.on('exit', () => reject(new Error(`listen exited:\n${output}`)));
  });
  return { child, port, dir, output: () => output, exited };
}

async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function dicomFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.dcm') && !join(e.parentPath, e.name).includes('.netdicom-tmp'))
    .map((e) => join(e.parentPath, e.name));
}

/** Offset of the dataset in a Part-10 file: after the preamble, DICM and the file meta group (PS3.10 7.1). */
function datasetOffset(file: Buffer): number {
  expect(file.toString('latin1', 128, 132)).toBe('DICM');
  // (0002,0000) UL in explicit VR little endian: tag 4 bytes, VR 2, length 2, value 4.
  return 132 + 12 + file.readUInt32LE(140);
}

let work: string;
let slicesDir: string;
let slices: Awaited<ReturnType<typeof makeCtSeries>>;
const listeners: Listener[] = [];

beforeAll(async () => {
  expect(existsSync(join(dirname(bin), '..', 'dist', 'main.js')), 'run `pnpm build` first').toBe(true);
  work = await mkdtemp(join(tmpdir(), 'netdicom-cli-'));
  slicesDir = join(work, 'study');
  slices = await makeCtSeries(slicesDir, 4);
});

afterEach(async () => {
  for (const l of listeners.splice(0)) {
    if (l.child.exitCode === null) {
      l.child.kill('SIGKILL');
      await l.exited;
    }
  }
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('help and usage', () => {
  test.each(['echo', 'send', 'listen'])('netdicom %s --help prints usage with examples, exit 0', async (command) => {
    const run = await netdicom([command, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Usage: netdicom ${command}`);
    expect(run.stdout).toContain('Examples:');
  });

  test('netdicom --help lists the commands; no command is a usage error', async () => {
    const help = await netdicom(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['echo', 'send', 'listen']) expect(help.stdout).toContain(c);
    const none = await netdicom([]);
    expect(none.code).toBe(2);
  });

  test('usage errors exit 2 with one sentence', async () => {
    const noTo = await netdicom(['send', slicesDir]);
    expect(noTo.code).toBe(2);
    expect(noTo.stderr).toContain('--to HOST:PORT');
    const badFlag = await netdicom(['echo', '127.0.0.1:104', '--frobnicate']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/frobnicate/);
    const badAet = await netdicom(['echo', '127.0.0.1:104', '--called', 'THIS-IS-FAR-TOO-LONG']);
    expect(badAet.code).toBe(2);
    expect(badAet.stderr).toContain('not an AE title');
    const missing = await netdicom(['send', join(work, 'no-such-dir'), '--to', '127.0.0.1:104']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('does not exist');
  });
});

describe('echo', () => {
  test('against DCMTK storescp: exit 0 and the round-trip time', async () => {
    const scp = await startStorescp({ aeTitle: 'DCMTKSCP' });
    try {
      const run = await netdicom(['echo', `127.0.0.1:${scp.port}`, '--called', 'DCMTKSCP', '--count', '3']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/answered C-ECHO in [\d.]+ ms: Success \(0x0000\)/);
      expect(run.stderr).toMatch(/3 echoes: min [\d.]+ ms, avg [\d.]+ ms, max [\d.]+ ms/);
    } finally {
      await scp.stop();
    }
  });

  test('a refused connection is one clear sentence, exit 2', async () => {
    const port = await freePort();
    const run = await netdicom(['echo', `127.0.0.1:${port}`, '--timeout', '5']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`127.0.0.1:${port}: connection refused`);
  });

  test('an association rejection says why, exit 2', async () => {
    const l = await listen(join(work, 'rejecting'), ['--aet', 'NETDICOM']);
    listeners.push(l);
    const run = await netdicom(['echo', `127.0.0.1:${l.port}`, '--called', 'SOMEONE-ELSE']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/association rejected.*called AE title not recognized/i);
  });
});

describe('send', () => {
  test('a folder to DCMTK storescp: exit 0 and a --json summary with one entry per file', async () => {
    const out = join(work, 'dcmtk-received');
    await mkdir(out, { recursive: true });
    const scp = await startStorescp({ aeTitle: 'DCMTKSCP', outputDir: out });
    try {
      const report = join(work, 'report.json');
      const run = await netdicom([
        'send',
        slicesDir,
        '--to',
        `127.0.0.1:${scp.port}`,
        '--called',
        'DCMTKSCP',
        '--json',
        '--report',
        report,
      ]);
      expect(run.code, run.stderr).toBe(0);
      const summary = JSON.parse(run.stdout);
      expect(summary.ok).toBe(true);
      expect(summary.totals).toMatchObject({ files: 4, successful: 4, failed: 0, warnings: 0 });
      expect(summary.totals.bytes).toBeGreaterThan(4 * 512 * 512 * 2);
      expect(summary.files).toHaveLength(4);
      for (const f of summary.files) {
        expect(f.ok).toBe(true);
        expect(f.status).toEqual({ code: 0, hex: '0x0000', name: 'Success', category: 'success' });
        expect(slices.map((s) => s.sopInstanceUid)).toContain(f.sopInstanceUid);
      }
      expect(JSON.parse(await readFile(report, 'utf8'))).toEqual(summary);
      expect((await readdir(out)).length).toBe(4);
    } finally {
      await scp.stop();
    }
  });

  test('a bad file among good ones: the good ones are stored, exit 1, the bad one is in the summary', async () => {
    const mixed = join(work, 'mixed');
    await mkdir(mixed, { recursive: true });
    await copyFile(slices[0]!.path, join(mixed, 'good.dcm'));
    // DICM at offset 128, then a truncated file meta group: recognised as DICOM, unreadable.
    const bad = Buffer.alloc(140);
    bad.write('DICM', 128, 'latin1');
    bad.writeUInt16LE(0x0002, 132);
    await writeFile(join(mixed, 'broken.dcm'), bad);
    const l = await listen(join(work, 'mixed-out'), ['--any-called', '--layout', 'flat']);
    listeners.push(l);
    const run = await netdicom(['send', mixed, '--to', `127.0.0.1:${l.port}`, '--json']);
    expect(run.code, run.stderr).toBe(1);
    const summary = JSON.parse(run.stdout);
    expect(summary.ok).toBe(false);
    expect(summary.totals.successful).toBe(1);
    expect(summary.totals.failed).toBe(1);
    const broken = summary.files.find((f: { file: string }) => f.file.endsWith('broken.dcm'));
    expect(broken.ok).toBe(false);
    expect(broken.error).toBeTruthy();
    expect(await dicomFiles(join(work, 'mixed-out'))).toHaveLength(1);
  });

  test('no association possible (refused): exit 2, one sentence', async () => {
    const port = await freePort();
    const run = await netdicom(['send', slicesDir, '--to', `127.0.0.1:${port}`, '--timeout', '5', '--retries', '0']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('connection refused');
  });
});

describe('listen', () => {
  test('DCMTK storescu -> netdicom listen: one line per association and instance, files in the study layout', async () => {
    const dir = join(work, 'listen-study');
    const l = await listen(dir, ['--aet', 'ARCHIVE']);
    listeners.push(l);
    const sent = await runStorescu({
      port: l.port,
      aeTitle: 'MODALITY',
      calledAeTitle: 'ARCHIVE',
      files: slices.map((s) => s.path),
    });
    expect(sent.code, sent.stderr).toBe(0);
    await waitFor(() => l.output().includes('ended'), 'the association to end');
    const files = await dicomFiles(dir);
    expect(files).toHaveLength(4);
    // study layout: Study/Series/Instance
    for (const f of files) {
      expect(f).toContain(slices[0]!.studyInstanceUid);
      expect(f).toContain(slices[0]!.seriesInstanceUid);
    }
    expect(l.output()).toMatch(/association from MODALITY at 127\.0\.0\.1:\d+ to ARCHIVE/);
    expect(l.output().match(/^stored /gm)).toHaveLength(4);
    const echo = await runEchoscu({ port: l.port, calledAeTitle: 'ARCHIVE' });
    expect(echo.code).toBe(0);
  });

  test('netdicom send -> netdicom listen round trip, then SIGTERM stops cleanly (exit 0)', async () => {
    const dir = join(work, 'listen-self');
    const l = await listen(dir, ['--layout', 'flat']);
    listeners.push(l);
    const run = await netdicom(['send', slicesDir, '--to', `127.0.0.1:${l.port}`, '--called', 'NETDICOM']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/4 of 4 files stored/);
    for (const s of slices) {
      const stored = await readFile(join(dir, `${s.sopInstanceUid}.dcm`));
      const original = await readFile(s.path);
      expect(stored.subarray(-1000).equals(original.subarray(-1000))).toBe(true);
    }
    l.child.kill('SIGTERM');
    expect(await l.exited).toBe(0);
    expect(l.output()).toContain('stopped');
  });

  test('SIGTERM during a large store: the store finishes first and is complete', async () => {
    const big = join(work, 'big');
    await mkdir(big, { recursive: true });
    const file = await writeLargeObject(join(big, 'big.dcm'), 200_000_000);
    const dir = join(work, 'listen-sigterm');
    const l = await listen(dir, ['--layout', 'flat']);
    listeners.push(l);
    const sender = runStorescu({ port: l.port, calledAeTitle: 'NETDICOM', files: [file.path], timeoutMs: 120_000 });
    // Wait until the store is under way (its temporary file grows), then ask the SCP to stop.
    await waitFor(async () => {
      const tmp = join(dir, '.netdicom-tmp');
      if (!existsSync(tmp)) return false;
      const parts = (await readdir(tmp, { recursive: true })).filter((n) => String(n).endsWith('.part'));
      return parts.length > 0;
    }, 'the store to start');
    l.child.kill('SIGTERM');
    const sent = await sender;
    expect(await l.exited).toBe(0);
    expect(sent.code, sent.stderr).toBe(0);
    const stored = await dicomFiles(dir);
    expect(stored).toHaveLength(1);
    const bytes = await readFile(stored[0]!);
    // Whole dataset present. storescu drops Data Set Trailing Padding (FFFC,FFFC; OB, 12-byte header) when it
    // sends, so what follows our file meta is the sender's dataset less that element.
    const padding = file.paddingLength > 0 ? file.paddingLength + 12 : 0;
    expect(bytes.length - datasetOffset(bytes)).toBe(file.size - file.datasetOffset - padding);
    await expect(dcmdump(stored[0]!, ['-q'], { strict: true })).resolves.toContain('PixelData');
    expect(l.output()).toMatch(/SIGTERM: closing/);
  });
});
