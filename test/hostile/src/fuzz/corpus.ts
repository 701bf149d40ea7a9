/**
 * Seeds of the fuzz campaigns, all real bytes: the golden PDU streams DCMTK sent (recorded in
 * `packages/pdu/src/testing/fixtures`), the command sets inside them and the DCMTK command sets kept by
 * `packages/dimse/src/testing`, and data sets of the `@netdicom/test-peers` fixtures in the four uncompressed
 * transfer syntaxes plus an encapsulated one (PS3.5 A.1, A.2, A.3 retired, A.5, A.4), with hostile data sets of this
 * package (deep nesting, a small deflate bomb).
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodePdu, type Pdu } from '@netdicom/pdu';
import { makeFixture, TransferSyntaxUid } from '@netdicom/test-peers';
import { buildInstance, deflateBomb, nestedSequences } from '../testing/dataset.js';
import { associateRq, commandsOf, echoRq, splitPdus, storeRq } from '../testing/wire.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repository = path.resolve(here, '..', '..', '..', '..');
const PDU_FIXTURES = path.join(repository, 'packages', 'pdu', 'src', 'testing', 'fixtures');
const DIMSE_COMMAND_SETS = path.join(repository, 'packages', 'dimse', 'src', 'testing', 'dcmtk-command-sets.ts');

/** Every PDU of the golden DCMTK streams, and a few of our own A-ASSOCIATE-RQs. */
export function pduSeeds(): Uint8Array[] {
  const seeds: Uint8Array[] = [];
  for (const name of readdirSync(PDU_FIXTURES)
    .filter((n) => n.endsWith('.bin'))
    .sort()) {
    seeds.push(...splitPdus(new Uint8Array(readFileSync(path.join(PDU_FIXTURES, name)))).pdus);
  }
  seeds.push(associateRq({ window: { invoked: 16, performed: 1 } }), associateRq({ contexts: [] }));
  if (seeds.length < 20) throw new Error(`only ${seeds.length} golden PDUs found under ${PDU_FIXTURES}`);
  return seeds;
}

/** Command sets: reassembled from the golden streams, DCMTK's recorded ones, and ours. */
export function commandSetSeeds(): Uint8Array[] {
  const pdus: Pdu[] = [];
  for (const name of readdirSync(PDU_FIXTURES)
    .filter((n) => n.endsWith('.bin'))
    .sort()) {
    for (const bytes of splitPdus(new Uint8Array(readFileSync(path.join(PDU_FIXTURES, name)))).pdus) {
      pdus.push(decodePdu(bytes));
    }
  }
  const seeds = commandsOf(pdus).commands;
  const source = readFileSync(DIMSE_COMMAND_SETS, 'utf8');
  for (const match of source.matchAll(/'([0-9a-f]{16,})'/g)) seeds.push(Buffer.from(match[1]!, 'hex'));
  seeds.push(echoRq(7), storeRq(9, '1.2.840.10008.5.1.4.1.1.2', '2.25.1'));
  if (seeds.length < 8) throw new Error(`only ${seeds.length} command sets found`);
  return seeds;
}

/** A data set to fuzz the header reader with, and the transfer syntax it is encoded in. */
export interface DatasetSeed {
  readonly bytes: Uint8Array;
  readonly transferSyntax: string;
}

/** Largest seed kept (the header reader stops after the first attributes; the rest only costs time). */
const MAX_DATASET_SEED = 64 * 1024;

/** The data set of a PS3.10 file: after the preamble, `DICM` and the File Meta Information group. */
function datasetOf(file: Uint8Array): Uint8Array {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const metaLength = view.getUint32(140, true);
  return file.subarray(144 + metaLength);
}

const FIXTURE_KINDS = ['ct', 'sr', 'odd-latin1', 'odd-utf8', 'rt-struct'] as const;
const UNCOMPRESSED = [
  'ImplicitVRLittleEndian',
  'ExplicitVRLittleEndian',
  'ExplicitVRBigEndian',
  'DeflatedExplicitVRLittleEndian',
] as const;

/** Data sets of the test-peers fixtures (made by DCMTK tools, cached), the golden .dcm files, and hostile ones. */
export async function datasetSeeds(): Promise<DatasetSeed[]> {
  const seeds: DatasetSeed[] = [];
  const jobs: Promise<void>[] = [];
  for (const kind of FIXTURE_KINDS) {
    for (const syntax of [...UNCOMPRESSED, ...(kind === 'ct' ? (['JPEGBaseline8Bit'] as const) : [])]) {
      jobs.push(
        makeFixture(kind, syntax).then((fixture) => {
          const bytes = datasetOf(new Uint8Array(readFileSync(fixture.path)));
          const keep = syntax === 'DeflatedExplicitVRLittleEndian' ? bytes : bytes.subarray(0, MAX_DATASET_SEED);
          seeds.push({ bytes: keep, transferSyntax: TransferSyntaxUid[syntax] });
        }),
      );
    }
  }
  await Promise.all(jobs);
  for (const name of readdirSync(PDU_FIXTURES)
    .filter((n) => n.endsWith('.dcm'))
    .sort()) {
    const file = new Uint8Array(readFileSync(path.join(PDU_FIXTURES, name)));
    const metaSyntax = Buffer.from(file).toString('latin1', 0, Math.min(file.length, 400));
    const syntax = metaSyntax.includes('1.2.840.10008.1.2.1\0') ? TransferSyntaxUid.ExplicitVRLittleEndian : undefined;
    seeds.push({ bytes: datasetOf(file), transferSyntax: syntax ?? TransferSyntaxUid.ImplicitVRLittleEndian });
  }
  seeds.push(
    { bytes: buildInstance({ sopInstanceUid: '2.25.7', middle: nestedSequences(80) }), transferSyntax: EXPLICIT },
    { bytes: buildInstance({ sopInstanceUid: '2.25.8', tail: nestedSequences(20) }), transferSyntax: EXPLICIT },
    { bytes: deflateBomb(2), transferSyntax: TransferSyntaxUid.DeflatedExplicitVRLittleEndian },
  );
  // Fixed order whatever order the fixtures were made in.
  return seeds.sort((a, b) => a.transferSyntax.localeCompare(b.transferSyntax) || a.bytes.length - b.bytes.length);
}

const EXPLICIT = TransferSyntaxUid.ExplicitVRLittleEndian;
