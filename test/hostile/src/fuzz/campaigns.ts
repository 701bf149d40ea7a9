/** The three campaigns of the suite, with their seeds loaded (shared by the CI test and `pnpm fuzz`). */
import type { Rng } from '../testing/rng.js';
import { commandSetSeeds, type DatasetSeed, datasetSeeds, pduSeeds } from './corpus.js';
import type { FuzzTarget } from './engine.js';
import { fuzzCommandSet, fuzzHeaderReader, fuzzPdu } from './targets.js';

/** PDU decoder and reader over mutated golden PDUs (inputs up to 70 KiB). */
export function pduTarget(): FuzzTarget<Uint8Array> {
  return {
    name: 'pdu',
    seeds: pduSeeds(),
    bytesOf: (s) => s,
    maxLength: 70 * 1024,
    run: (input: Uint8Array, _seed: Uint8Array, rng: Rng) => fuzzPdu(input, rng),
  };
}

/** Command-set decoder over mutated DCMTK command sets. */
export function commandSetTarget(): FuzzTarget<Uint8Array> {
  return {
    name: 'command-set',
    seeds: commandSetSeeds(),
    bytesOf: (s) => s,
    maxLength: 4096,
    run: (input: Uint8Array) => fuzzCommandSet(input),
  };
}

/** Header reader over mutated fixture data sets in five transfer syntaxes. */
export async function headerReaderTarget(): Promise<FuzzTarget<DatasetSeed>> {
  return {
    name: 'header-reader',
    seeds: await datasetSeeds(),
    bytesOf: (s) => s.bytes,
    maxLength: 128 * 1024,
    run: (input: Uint8Array, seed: DatasetSeed, rng: Rng) => fuzzHeaderReader(input, seed, rng),
  };
}
