/**
 * Fixed-seed fuzzing in CI: 100 000 cases each for the PDU decoder and reader (PS3.8 9.3), the command-set decoder
 * (PS3.7 6.3, E.1) and the data set header reader (PS3.5 7.1, A.5), made by mutating real bytes (golden DCMTK
 * PDUs, DCMTK command sets, fixture data sets in five transfer syntaxes) and random bytes. Every case must be accepted
 * (with its property holding) or rejected with the package's typed error; `pnpm fuzz` runs longer random-seeded
 * campaigns.
 */
import { PduError, TruncatedPduError } from '@netdicom/pdu';
import { describe, expect, it } from 'vitest';
import { FuzzFailureError } from '../errors.js';
import { commandSetTarget, headerReaderTarget, pduTarget } from './campaigns.js';
import { type CampaignReport, caseInput, runCampaign } from './engine.js';

const CASES = 100_000;
/** Heap the campaign may reach (it holds its seeds and one case at a time). */
const HEAP_BOUND = 512 * 1024 * 1024;

function expectClean(report: CampaignReport, codes: readonly string[]): void {
  expect(report.cases).toBe(CASES);
  // Both outcomes are exercised: some mutations stay valid, most are refused with the typed error.
  expect(report.accepted).toBeGreaterThan(0);
  expect(Object.keys(report.codes).sort()).toEqual([...codes].sort());
  expect(report.accepted + Object.values(report.codes).reduce((a, b) => a + b, 0)).toBe(CASES);
  expect(report.heapPeak).toBeLessThan(HEAP_BOUND);
}

describe('fuzzing with fixed seeds (100 000 cases per target)', () => {
  it('PDU decoder and streaming reader: decoded or PduError, the reader never holds more than one PDU', async () => {
    const report = await runCampaign(pduTarget(), { seed: 0x9d0, cases: CASES });
    expectClean(report, [
      'ERR_NETDICOM_PDU_INVALID_PARAMETER_VALUE',
      'ERR_NETDICOM_PDU_TRUNCATED',
      'ERR_NETDICOM_PDU_UNEXPECTED_PARAMETER',
      'ERR_NETDICOM_PDU_UNRECOGNIZED',
    ]);
  }, 180_000);

  it('command-set decoder: decoded (and re-encoded byte for byte) or InvalidCommandSetError', async () => {
    const report = await runCampaign(commandSetTarget(), { seed: 0xc0de, cases: CASES });
    expectClean(report, ['ERR_NETDICOM_DIMSE_INVALID_COMMAND_SET']);
  }, 180_000);

  it('header reader in five transfer syntaxes: a header or MalformedDatasetError, values within their cap', async () => {
    const report = await runCampaign(await headerReaderTarget(), { seed: 0x4ead, cases: CASES });
    expectClean(report, ['ERR_NETDICOM_DIMSE_MALFORMED_DATASET']);
  }, 300_000);
});

describe('the fuzz engine', () => {
  it('reports an input that throws anything but the typed error, with what replays it', async () => {
    const target = {
      name: 'strict-decoder',
      seeds: [new Uint8Array([1, 2, 3, 4])],
      bytesOf: (s: Uint8Array) => s,
      maxLength: 64,
      // Like the real targets: the typed error becomes its code, anything else escapes.
      run: (input: Uint8Array) => {
        try {
          if (input.length > 6) throw new TypeError('out of bounds');
          if (input.length < 2) throw new TruncatedPduError('short');
          return 'accepted';
        } catch (error) {
          if (error instanceof PduError) return error.code;
          throw error;
        }
      },
    };
    const failure = await runCampaign(target, { seed: 5, cases: 10_000 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FuzzFailureError);
    const { caseIndex, inputHex, seed } = failure as FuzzFailureError;
    expect(seed).toBe(5);
    // The reported case is reproducible from (seed, index) alone, and it is the one that threw.
    const replayed = caseInput(target, seed, caseIndex).input;
    expect(Buffer.from(replayed).toString('hex')).toBe(inputHex);
    expect(replayed.length).toBeGreaterThan(6);
    expect((failure as FuzzFailureError).message).toContain('TypeError: out of bounds');
  });

  it('stops at its deadline', async () => {
    const report = await runCampaign(commandSetTarget(), { seed: 1, cases: 1e9, deadline: Date.now() + 200 });
    expect(report.cases).toBeGreaterThan(0);
    expect(report.cases).toBeLessThan(1e9);
  });
});
