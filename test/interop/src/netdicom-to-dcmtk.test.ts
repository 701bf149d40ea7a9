/**
 * Direction 1 of the matrix: netdicom's `StoreScu` (in this process) sends every cell to DCMTK `storescp` (PS3.4
 * Annex B over PS3.8), which accepts every transfer syntax (test-peers `acceptAll`) and writes what it receives
 * bit-preserving (`+B`). Every cell must travel in its own transfer syntax, untouched: the stored data set is compared
 * byte for byte with the file's, DCMTK's File Meta Information checked, and `dcmdump` must read the result cleanly
 * with the same elements and Pixel Data as the original.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileErrorEvent, FileSentEvent, SendResult } from '@netdicom/store-scu';
import { StoreScu } from '@netdicom/store-scu';
import { type Fixture, type RunningScp, startStorescp } from '@netdicom/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComparisonDump, dumpForComparison, elementDifferences, elementsOf } from './testing/compare.js';
import { cellName, fixtureOf, loadMatrixFixtures, MATRIX_CELLS } from './testing/matrix.js';
import { firstDifference, passThroughBytes, readDataset } from './testing/part10.js';

const DIRECTION = 'netdicom -> storescp';
const SCP_AE = 'STORESCP';
const SCU_AE = 'NETDICOM-SCU';

let fixtures: Map<string, Fixture>;
let outputDir: string;
let scp: RunningScp | undefined;
let result: SendResult;
const sent = new Map<string, FileSentEvent>();
const failed = new Map<string, FileErrorEvent>();
/** Received file by SOP Instance UID (storescp names files `<modality>.<SOP Instance UID>`). */
const received = new Map<string, string>();
let dumps: Map<string, ComparisonDump>;
let scpOutput = '';

beforeAll(async () => {
  fixtures = await loadMatrixFixtures();
  outputDir = await mkdtemp(join(tmpdir(), 'netdicom-interop-storescp-'));
  scp = await startStorescp({ aeTitle: SCP_AE, acceptAll: true, outputDir, extraArgs: ['+B'] });
  const scu = new StoreScu({ addr: `127.0.0.1:${scp.port}`, callingAeTitle: SCU_AE, calledAeTitle: SCP_AE });
  for (const fixture of fixtures.values()) scu.addFile(fixture.path);
  result = await scu.send({
    onFileSent: (_error, event) => sent.set(event.sopInstanceUid, event),
    onFileError: (_error, event) => failed.set(event.file, event),
  });
  await scp.stop();
  scpOutput = scp.output();
  scp = undefined;
  const uids = new Set([...fixtures.values()].map((f) => f.sopInstanceUid));
  for (const name of await readdir(outputDir)) {
    const uid = name.slice(name.indexOf('.') + 1);
    if (uids.has(uid)) received.set(uid, join(outputDir, name));
  }
  dumps = await dumpForComparison([...[...fixtures.values()].map((f) => f.path), ...received.values()]);
}, 600_000);

afterAll(async () => {
  await scp?.stop();
  if (outputDir !== undefined) await rm(outputDir, { recursive: true, force: true });
});

describe(DIRECTION, () => {
  it('sends every cell in one run, storescp logging no warning or error', () => {
    expect([...failed.values()].map((e) => e.message)).toEqual([]);
    expect(result).toEqual({
      successful: MATRIX_CELLS.length,
      failed: 0,
      warnings: [],
      totalFiles: MATRIX_CELLS.length,
    });
    expect(scpOutput.split('\n').filter((line) => /^[EWF]: /.test(line))).toEqual([]);
    expect(received.size).toBe(MATRIX_CELLS.length);
  });

  for (const cell of MATRIX_CELLS) {
    it(cellName(cell, DIRECTION), async () => {
      const fixture = fixtureOf(fixtures, cell);
      expect(failed.get(fixture.path)?.message).toBeUndefined();
      const event = sent.get(fixture.sopInstanceUid);
      expect(event, 'StoreScu reported the file sent').toBeDefined();
      expect(event!.status.code).toBe(0);
      expect(event!.transferSyntax, 'sent in its own transfer syntax').toBe(fixture.transferSyntaxUid);

      const path = received.get(fixture.sopInstanceUid);
      expect(path, 'storescp stored it').toBeDefined();
      const arrived = elementsOf(dumps.get(path!), path!);
      expect(arrived['0002,0010']).toBe(fixture.transferSyntaxUid);
      expect(arrived['0002,0002']).toBe(fixture.sopClassUid);
      expect(arrived['0002,0003']).toBe(fixture.sopInstanceUid);
      expect(elementDifferences(elementsOf(dumps.get(fixture.path), fixture.path), arrived)).toEqual([]);
      // Pass-through: storescp +B writes the data set as it came off the wire, so these are the bytes we sent.
      const expected = passThroughBytes(await readDataset(fixture.path), fixture.transferSyntaxUid);
      const difference = firstDifference(expected, await readDataset(path!));
      expect(difference).toBeUndefined();
    });
  }
});
