/**
 * Direction 3 of the matrix: netdicom to netdicom (PS3.4 Annex B over PS3.8). In this process, `StoreScu` sends
 * every cell to `StoreScp`; as child processes, `netdicom send` sends a subset (every kind once, 10 transfer syntaxes)
 * to `netdicom listen`. Both ends pass data sets through untouched, so every stored data set must hold exactly the
 * bytes of the original's (plus the trailing NUL PS3.5 A.5 asks of an odd-length deflated stream), after a File Meta
 * Information that DCMTK's `dcmdump` reads cleanly.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileErrorEvent, FileSentEvent, SendResult } from '@netdicom/store-scu';
import { StoreScu } from '@netdicom/store-scu';
import type { Fixture, ToolResult } from '@netdicom/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChildProcessError } from './errors.js';
import { type CliListener, ensureCliBuilt, runCliSend, startCliListener } from './testing/cli.js';
import { type ComparisonDump, dumpForComparison, elementsOf } from './testing/compare.js';
import { CLI_CELLS, cellName, fixtureOf, loadMatrixFixtures, MATRIX_CELLS } from './testing/matrix.js';
import { type MatrixScp, startMatrixScp } from './testing/netdicom-scp.js';
import { firstDifference, passThroughBytes, readDataset } from './testing/part10.js';

let fixtures: Map<string, Fixture>;

beforeAll(async () => {
  fixtures = await loadMatrixFixtures();
}, 600_000);

/** Checks one stored file against its original: meta read by dcmdump, then the data set byte for byte. */
async function expectPassedThrough(
  fixture: Fixture,
  path: string | undefined,
  dumps: ReadonlyMap<string, ComparisonDump>,
  callingAeTitle: string,
): Promise<void> {
  expect(path, 'stored').toBeDefined();
  const meta = elementsOf(dumps.get(path!), path!);
  expect(meta['0002,0002']).toBe(fixture.sopClassUid);
  expect(meta['0002,0003']).toBe(fixture.sopInstanceUid);
  expect(meta['0002,0010']).toBe(fixture.transferSyntaxUid);
  expect(meta['0002,0016']).toBe(callingAeTitle);
  const expected = passThroughBytes(await readDataset(fixture.path), fixture.transferSyntaxUid);
  expect(firstDifference(expected, await readDataset(path!))).toBeUndefined();
}

describe('netdicom -> netdicom', () => {
  const direction = 'netdicom -> netdicom';
  const callingAeTitle = 'NETDICOM-SCU';
  let scp: MatrixScp | undefined;
  let result: SendResult;
  const sent = new Map<string, FileSentEvent>();
  const failed = new Map<string, FileErrorEvent>();
  let dumps: Map<string, ComparisonDump>;

  beforeAll(async () => {
    scp = await startMatrixScp();
    const scu = new StoreScu({ addr: `127.0.0.1:${scp.port}`, callingAeTitle, calledAeTitle: scp.aeTitle });
    for (const fixture of fixtures.values()) scu.addFile(fixture.path);
    result = await scu.send({
      onFileSent: (_error, event) => sent.set(event.sopInstanceUid, event),
      onFileError: (_error, event) => failed.set(event.file, event),
    });
    await scp.close();
    dumps = await dumpForComparison([...scp.received.values()].map((i) => i.path));
  }, 300_000);

  afterAll(async () => {
    await scp?.remove();
  });

  it('sends every cell in one run, the SCP failing nothing and every association released', () => {
    expect([...failed.values()].map((e) => e.message)).toEqual([]);
    expect(result).toEqual({
      successful: MATRIX_CELLS.length,
      failed: 0,
      warnings: [],
      totalFiles: MATRIX_CELLS.length,
    });
    expect(scp!.failed.map((f) => `${f.sopInstanceUid}: ${f.error.message}`)).toEqual([]);
    expect(scp!.errors.map((e) => e.message)).toEqual([]);
    expect(scp!.received.size).toBe(MATRIX_CELLS.length);
    expect(scp!.ended.filter((e) => e.reason !== 'released').map((e) => e.reason)).toEqual([]);
  });

  for (const cell of MATRIX_CELLS) {
    it(cellName(cell, direction), async () => {
      const fixture = fixtureOf(fixtures, cell);
      expect(failed.get(fixture.path)?.message).toBeUndefined();
      const event = sent.get(fixture.sopInstanceUid);
      expect(event, 'StoreScu reported the file sent').toBeDefined();
      expect(event!.status.code).toBe(0);
      expect(event!.transferSyntax, 'sent in its own transfer syntax').toBe(fixture.transferSyntaxUid);
      const instance = scp!.received.get(fixture.sopInstanceUid);
      expect(instance, 'StoreScp stored it').toBeDefined();
      expect(instance!.transferSyntax).toBe(fixture.transferSyntaxUid);
      expect(instance!.sopClassUid).toBe(fixture.sopClassUid);
      expect(instance!.callingAeTitle).toBe(callingAeTitle);
      await expectPassedThrough(fixture, instance!.path, dumps, callingAeTitle);
    });
  }
});

/** One file's entry in `netdicom send --json`. */
interface CliFileEntry {
  readonly file: string;
  readonly ok: boolean;
  readonly sopInstanceUid?: string;
  readonly transferSyntax?: string;
  readonly status?: { readonly code: number; readonly name: string };
  readonly error?: string;
}

describe('netdicom send -> netdicom listen (child processes)', () => {
  const direction = 'netdicom send -> netdicom listen';
  const callingAeTitle = 'CLI-SCU';
  let dir: string | undefined;
  let listener: CliListener | undefined;
  let send: ToolResult;
  let summary: { ok: boolean; totals: { files: number; successful: number; failed: number }; files: CliFileEntry[] };
  let listenEnd: ToolResult;
  let dumps: Map<string, ComparisonDump>;
  const stored = (fixture: Fixture) => join(dir!, `${fixture.sopInstanceUid}.dcm`);

  beforeAll(async () => {
    await ensureCliBuilt();
    dir = await mkdtemp(join(tmpdir(), 'netdicom-interop-cli-'));
    listener = await startCliListener(['--aet', 'NETDICOM', '--dir', dir, '--layout', 'flat']);
    const files = CLI_CELLS.map((cell) => fixtureOf(fixtures, cell).path);
    send = await runCliSend([
      ...files,
      '--to',
      `127.0.0.1:${listener.port}`,
      '--called',
      'NETDICOM',
      '--aet',
      callingAeTitle,
      '--json',
      '--no-progress',
    ]);
    try {
      summary = JSON.parse(send.stdout) as typeof summary;
    } catch (error) {
      throw new ChildProcessError(`netdicom send printed no JSON summary (exit ${send.code}):\n${send.stderr}`, {
        cause: error,
      });
    }
    listenEnd = await listener.terminate();
    listener = undefined;
    dumps = await dumpForComparison(CLI_CELLS.map((cell) => stored(fixtureOf(fixtures, cell))));
  }, 300_000);

  afterAll(async () => {
    await listener?.tool.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('sends the subset in one run; both commands exit 0', () => {
    expect(send.code, send.stderr).toBe(0);
    expect(summary.ok).toBe(true);
    expect(summary.totals).toMatchObject({ files: CLI_CELLS.length, successful: CLI_CELLS.length, failed: 0 });
    expect(listenEnd.code, listenEnd.stderr).toBe(0);
    expect(listenEnd.stdout.match(/stored /g)?.length ?? 0).toBe(0); // logs go to stderr, stdout stays clean
    expect(listenEnd.stderr.match(/stored /g)).toHaveLength(CLI_CELLS.length);
  });

  for (const cell of CLI_CELLS) {
    it(cellName(cell, direction), async () => {
      const fixture = fixtureOf(fixtures, cell);
      const entry = summary.files.find((f) => f.sopInstanceUid === fixture.sopInstanceUid);
      expect(entry, 'in the --json summary').toBeDefined();
      expect(entry!.error).toBeUndefined();
      expect(entry!.ok).toBe(true);
      expect(entry!.status?.code).toBe(0);
      expect(entry!.transferSyntax, 'sent in its own transfer syntax').toBe(fixture.transferSyntaxUid);
      await expectPassedThrough(fixture, stored(fixture), dumps, callingAeTitle);
    });
  }
});
