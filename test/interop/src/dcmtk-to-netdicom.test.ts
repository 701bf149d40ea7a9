/**
 * Direction 2 of the matrix: DCMTK sends every cell to netdicom's `StoreScp` (in this process, PS3.4 Annex B over
 * PS3.8): `storescu` proposing each file's own transfer syntax (test-peers `storescuConfigArgs`), and `dcmsend` with
 * its defaults, one SCP and one DCMTK run per sender. Both DCMTK tools re-encode what they send (sequence lengths made
 * explicit, deflate redone, trailing padding dropped), so each stored file is compared with the original element by
 * element, every value whole and Pixel Data by SHA-256, after checking the File Meta Information netdicom wrote.
 */
import {
  type Fixture,
  runDcmsend,
  runStorescu,
  storescuConfigArgs,
  type ToolResult,
  TransferSyntaxUid,
} from '@netdicom/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComparisonDump, dumpForComparison, elementDifferences, elementsOf } from './testing/compare.js';
import { cellName, fixtureOf, loadMatrixFixtures, MATRIX_CELLS, type MatrixCell } from './testing/matrix.js';
import { type MatrixScp, startMatrixScp } from './testing/netdicom-scp.js';

let fixtures: Map<string, Fixture>;
let fixtureDumps: Map<string, ComparisonDump>;

beforeAll(async () => {
  fixtures = await loadMatrixFixtures();
  fixtureDumps = await dumpForComparison([...fixtures.values()].map((f) => f.path));
}, 600_000);

/** One DCMTK sender against one StoreScp: everything needed to judge its cells. */
interface SenderRun {
  scp: MatrixScp;
  tool: ToolResult;
  dumps: Map<string, ComparisonDump>;
}

/** Declares the tests of one DCMTK sender: a run-level test, then one test per cell. */
function senderMatrix(
  direction: string,
  callingAeTitle: string,
  expectedTransferSyntax: (fixture: Fixture) => string,
  send: (scp: MatrixScp, files: readonly Fixture[]) => Promise<ToolResult>,
  /** stderr lines of the DCMTK tool that are about its own choices, not about us. */
  ownWarnings: RegExp = /^$/,
): void {
  describe(direction, () => {
    let run: SenderRun | undefined;

    beforeAll(async () => {
      const scp = await startMatrixScp();
      try {
        const tool = await send(scp, [...fixtures.values()]);
        await scp.close();
        const dumps = await dumpForComparison([...scp.received.values()].map((i) => i.path));
        run = { scp, tool, dumps };
      } catch (error) {
        await scp.remove();
        throw error;
      }
    }, 300_000);

    afterAll(async () => {
      await run?.scp.remove();
    });

    it(`sends every cell in one run, the SCP failing nothing`, () => {
      expect(run!.tool.code, run!.tool.stderr).toBe(0);
      expect(run!.tool.stderr.split('\n').filter((line) => line !== '' && !ownWarnings.test(line))).toEqual([]);
      expect(run!.scp.failed.map((f) => `${f.sopInstanceUid}: ${f.error.message}`)).toEqual([]);
      expect(run!.scp.errors.map((e) => e.message)).toEqual([]);
      expect(run!.scp.received.size).toBe(MATRIX_CELLS.length);
      expect(run!.scp.ended.length).toBeGreaterThan(0);
      expect(run!.scp.ended.filter((e) => e.reason !== 'released').map((e) => e.reason)).toEqual([]);
    });

    for (const cell of MATRIX_CELLS) {
      it(cellName(cell, direction), () => expectCellStored(run!, cell, callingAeTitle, expectedTransferSyntax));
    }
  });
}

function expectCellStored(
  run: SenderRun,
  cell: MatrixCell,
  callingAeTitle: string,
  expectedTransferSyntax: (fixture: Fixture) => string,
): void {
  const fixture = fixtureOf(fixtures, cell);
  const failure = run.scp.failed.find((f) => f.sopInstanceUid === fixture.sopInstanceUid);
  expect(failure?.error.message).toBeUndefined();
  const instance = run.scp.received.get(fixture.sopInstanceUid);
  expect(instance, 'StoreScp stored it').toBeDefined();
  const transferSyntax = expectedTransferSyntax(fixture);
  expect(instance!.transferSyntax, 'received in the transfer syntax negotiated').toBe(transferSyntax);
  expect(instance!.sopClassUid).toBe(fixture.sopClassUid);
  expect(instance!.callingAeTitle).toBe(callingAeTitle);

  const arrived = elementsOf(run.dumps.get(instance!.path), instance!.path);
  expect(arrived['0002,0002']).toBe(fixture.sopClassUid);
  expect(arrived['0002,0003']).toBe(fixture.sopInstanceUid);
  expect(arrived['0002,0010']).toBe(transferSyntax);
  expect(arrived['0002,0016']).toBe(callingAeTitle);
  expect(elementDifferences(elementsOf(fixtureDumps.get(fixture.path), fixture.path), arrived)).toEqual([]);
}

senderMatrix(
  'storescu -> netdicom',
  'STORESCU',
  (fixture) => fixture.transferSyntaxUid,
  async (scp, files) =>
    runStorescu({
      port: scp.port,
      aeTitle: 'STORESCU',
      calledAeTitle: scp.aeTitle,
      files: files.map((f) => f.path),
      extraArgs: await storescuConfigArgs(files),
      timeoutMs: 180_000,
    }),
);

/**
 * dcmsend proposes one context per SOP Class for every native file, Explicit VR Little Endian first, then Explicit
 * VR Big Endian and Implicit VR Little Endian (PS3.8 9.3.2.2), and converts each file to what was accepted; StoreScp
 * accepts the requestor's first choice. Deflated and encapsulated files get contexts of their own syntax.
 */
function dcmsendTransferSyntax(fixture: Fixture): string {
  return NATIVE.has(fixture.transferSyntaxUid) ? TransferSyntaxUid.ExplicitVRLittleEndian : fixture.transferSyntaxUid;
}

const NATIVE = new Set<string>([
  TransferSyntaxUid.ImplicitVRLittleEndian,
  TransferSyntaxUid.ExplicitVRLittleEndian,
  TransferSyntaxUid.ExplicitVRBigEndian,
]);

senderMatrix(
  'dcmsend -> netdicom',
  'DCMSEND',
  dcmsendTransferSyntax,
  (scp, files) =>
    runDcmsend({
      port: scp.port,
      aeTitle: 'DCMSEND',
      calledAeTitle: scp.aeTitle,
      files: files.map((f) => f.path),
      timeoutMs: 180_000,
    }),
  // dcmsend explains, for each lossless compressed file, that it proposes no uncompressed syntax for it.
  /^W: ( |transfer syntax uses a lossless compression but we cannot decompress it)/,
);
