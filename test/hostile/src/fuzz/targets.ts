/**
 * The three fuzz targets and their oracles. Each case must end in one of two ways: accepted (and then a property of
 * the result holds), or rejected with the package's own typed error (`PduError`, `DimseError` with its stable
 * `code`). Anything else — another exception, a broken property, a read that does not settle — is a failure.
 */
import { createHeaderReader, DimseError, decodeCommandSet, encodeCommandSet } from '@netdicom/dimse';
import { createPduReader, decodePdu, PduError } from '@netdicom/pdu';
import type { Rng } from '../testing/rng.js';
import type { DatasetSeed } from './corpus.js';
import { randomChunks } from './mutate.js';

/** What one case ended in: `accepted`, or the stable `code` of the typed error it was rejected with. */
export type CaseResult = 'accepted' | string;

/** Thrown by an oracle when an accepted input breaks a property (distinct from an unexpected exception). */
export class PropertyViolation extends Error {
  override readonly name = 'PropertyViolation';
}

/** P-DATA-TF limit of the reader under test (our announced Maximum Length Received, PS3.8 D.1). */
const READER_MAX_PDU = 65536;
/** The reader's A-ASSOCIATE limit under test (default 1 MiB). */
const READER_MAX_ASSOCIATE = 1024 * 1024;

/**
 * PS3.8 9.3 PDU decoder and streaming reader: `decodePdu` on the whole input, and `createPduReader` fed the same
 * bytes in random chunks. Property: the reader never holds more than one PDU's worth (6 + its limit), whatever
 * length was announced (it must refuse oversized headers after 6 bytes).
 */
export function fuzzPdu(input: Uint8Array, rng: Rng): CaseResult {
  let result: CaseResult;
  try {
    decodePdu(input);
    result = 'accepted';
  } catch (error) {
    if (!(error instanceof PduError)) throw error;
    result = error.code;
  }
  const reader = createPduReader({ maxPduLength: READER_MAX_PDU, maxAssociatePduLength: READER_MAX_ASSOCIATE });
  try {
    for (const chunk of randomChunks(input, rng)) {
      reader.push(chunk);
      if (reader.bufferedBytes > 6 + READER_MAX_ASSOCIATE) {
        throw new PropertyViolation(`the PDU reader holds ${reader.bufferedBytes} bytes`);
      }
    }
  } catch (error) {
    if (!(error instanceof PduError)) throw error;
  }
  return result;
}

/**
 * PS3.7 6.3 / E.1 command-set decoder, validating and not. Property: a command set the validating decoder accepts
 * re-encodes to exactly its bytes (the decoder keeps what it needs for that, as its documentation promises).
 */
export function fuzzCommandSet(input: Uint8Array): CaseResult {
  let loose: CaseResult;
  try {
    decodeCommandSet(input, { validate: false });
    loose = 'accepted';
  } catch (error) {
    if (!(error instanceof DimseError)) throw error;
    loose = error.code;
  }
  try {
    const command = decodeCommandSet(input);
    const again = encodeCommandSet(command);
    if (Buffer.compare(Buffer.from(again), Buffer.from(input)) !== 0) {
      throw new PropertyViolation(`re-encoded command set differs: ${Buffer.from(again).toString('hex')}`);
    }
    if (loose !== 'accepted') throw new PropertyViolation('accepted when validating, refused when not');
    return 'accepted';
  } catch (error) {
    if (error instanceof PropertyViolation || !(error instanceof DimseError)) throw error;
    return error.code;
  }
}

/** Largest value the header reader collects (its default), PS3.5 7.1. */
const MAX_VALUE = 65536;

/**
 * The data set header reader (PS3.5 7.1, A.5 deflate), fed random chunks. Properties: every collected value is at
 * most its cap, and the read settles (the caller bounds its time).
 */
export async function fuzzHeaderReader(input: Uint8Array, seed: DatasetSeed, rng: Rng): Promise<CaseResult> {
  const transferSyntax = rng.chance(0.9)
    ? seed.transferSyntax
    : rng.pick(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1.99']);
  const reader = createHeaderReader({ transferSyntax });
  try {
    for (const chunk of randomChunks(input, rng)) {
      if (await reader.push(chunk)) break;
    }
    const header = await reader.end();
    for (const [tag, value] of header.elements) {
      if (value.length > MAX_VALUE) {
        throw new PropertyViolation(`value of ${tag.toString(16)} holds ${value.length} bytes`);
      }
    }
    return 'accepted';
  } catch (error) {
    if (error instanceof PropertyViolation || !(error instanceof DimseError)) throw error;
    return error.code;
  }
}
