/**
 * A full disk (a real 6 MiB tmpfs, mounted by the test; root only): stores past the limit are answered 0xA700
 * Refused: Out of Resources (PS3.4 Table B.2-1), every file under a final name is complete, nothing temporary is
 * left, and the SCP keeps serving: an echo, and a store once space is freed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { dcmdumpFiles, type Fixture, makeCtSeries, parseDcmdump, runEchoscu, runStorescu } from '@netdicom/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetOffset, startScp, type TestScp } from './testing/scp.js';
import { listTempFiles } from './testing/tree.js';

let work: string;
let mountPoint: string | undefined;
let mountError = '';
let series: Fixture[];

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'netdicom-scp-full-'));
  series = await makeCtSeries(path.join(work, 'ct'), 20);
  const dir = await mkdtemp(path.join(tmpdir(), 'netdicom-scp-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', dir], { stdio: 'pipe' });
    mountPoint = dir;
  } catch (error) {
    mountError = String((error as { stderr?: Buffer }).stderr ?? error).trim();
    await rm(dir, { recursive: true, force: true });
  }
}, 120_000);

afterAll(async () => {
  if (mountPoint) {
    execFileSync('umount', [mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
  }
  await rm(work, { recursive: true, force: true });
});

describe('disk full', () => {
  let scp: TestScp | undefined;
  afterAll(async () => {
    await scp?.close();
  });

  it('answers 0xA700 past the limit, keeps only complete files, and keeps serving', async (ctx) => {
    if (mountPoint === undefined) {
      ctx.skip(`cannot mount a tmpfs here (needs root): ${mountError}`);
      return;
    }
    const storageDir = path.join(mountPoint, 'storage');
    scp = await startScp({ storageDir, layout: 'flat' });
    const result = await runStorescu({
      port: scp.port,
      aeTitle: 'MODALITY',
      calledAeTitle: 'NETDICOM',
      files: series.map((f) => f.path),
      extraArgs: ['-v'],
    });
    // storescu stops at the first Out of Resources refusal (the SCP told it to come back later).
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/Received Store Response \(Refused: OutOfResources\)/);
    const stored = [...scp.received];
    expect(stored.length).toBeGreaterThan(3);
    expect(stored.length).toBeLessThan(series.length);
    // Still full: the next store is refused the same way.
    const unsent = series.slice(stored.length + 1);
    const retry = await runStorescu({
      port: scp.port,
      aeTitle: 'MODALITY',
      calledAeTitle: 'NETDICOM',
      files: [unsent[0]!.path],
      extraArgs: ['-v'],
    });
    expect(retry.stdout + retry.stderr).toMatch(/Refused: OutOfResources/);
    expect(scp.failed).toHaveLength(2);
    for (const failure of scp.failed) {
      expect(failure.status).toBe(0xa700);
      expect(failure.error).toMatchObject({ code: 'ERR_NETDICOM_STORE_OUT_OF_RESOURCES' });
      expect(stored.some((i) => i.sopInstanceUid === failure.sopInstanceUid)).toBe(false);
    }
    expect(scp.received).toHaveLength(stored.length);
    // Nothing temporary left, and every final file is complete: parses, and its dataset is the sent one.
    expect(await listTempFiles(storageDir)).toEqual([]);
    const dumps = await dcmdumpFiles(
      stored.map((i) => i.path),
      ['-M', '-Un'],
    );
    for (const instance of stored) {
      const source = series.find((f) => f.sopInstanceUid === instance.sopInstanceUid)!;
      const original = await readFile(source.path);
      const sent = original.subarray(await datasetOffset(source.path));
      const file = await readFile(instance.path);
      expect(file.subarray(await datasetOffset(instance.path)).equals(sent)).toBe(true);
      expect((await stat(instance.path)).size).toBe(file.length);
      expect(parseDcmdump(dumps.get(instance.path)!)['0008,0018']).toBe(instance.sopInstanceUid);
    }

    // Still serving: an echo now, and a store once space is freed.
    const echo = await runEchoscu({ port: scp.port, aeTitle: 'MODALITY', calledAeTitle: 'NETDICOM' });
    expect(echo.code, echo.stderr).toBe(0);
    for (const instance of stored.slice(0, 3)) await unlink(instance.path);
    const refused = series.find((f) => f.sopInstanceUid === scp!.failed[0]!.sopInstanceUid)!;
    const again = await runStorescu({
      port: scp.port,
      aeTitle: 'MODALITY',
      calledAeTitle: 'NETDICOM',
      files: [refused.path],
    });
    expect(again.code, again.stderr).toBe(0);
    expect(scp.received.at(-1)?.sopInstanceUid).toBe(refused.sopInstanceUid);
  }, 120_000);
});
