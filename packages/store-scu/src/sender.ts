/**
 * Sending one planned file on an established association: choosing the accepted presentation context (PS3.8
 * 9.3.3.2), transcoding when the accepted transfer syntax differs (PS3.5 section 10), and the C-STORE itself
 * (PS3.7 9.1.1) through `@netdicom/dimse`.
 */

import type { Association } from '@netdicom/association';
import type { DimseClient, DimseDataset } from './dimse-bridge.js';
import { StoreFileError, TranscodeError } from './errors.js';
import type { PlannedFile } from './plan.js';
import { bufferChunks, readFileRange } from './sources.js';
import { describeStoreStatus, type StoreStatus } from './store-status.js';
import { type DecompressionPolicy, transcodeDataset, transcodeImpossibility } from './transcode.js';
import { TransferSyntax, transferSyntaxName } from './transfer-syntax.js';

/** Preference among accepted native syntaxes when the file's own one was not accepted. */
const NATIVE_PREFERENCE: readonly string[] = [
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.ImplicitVRLittleEndian,
  TransferSyntax.DeflatedExplicitVRLittleEndian,
  TransferSyntax.ExplicitVRBigEndian,
];

/** The presentation context chosen for a file. */
export interface ChosenContext {
  readonly id: number;
  readonly transferSyntax: string;
}

/**
 * Picks the accepted presentation context for a file: its own transfer syntax when accepted (and allowed by a forced
 * syntax), otherwise an accepted native syntax it can be transcoded to under `policy`. Throws {@link StoreFileError}
 * (`no-presentation-context` or `transcode-impossible`) naming what was accepted.
 */
export function chooseContext(
  association: Pick<Association, 'negotiated'>,
  file: Pick<PlannedFile, 'file' | 'sopClassUid' | 'transferSyntaxUid'>,
  options: { forcedTransferSyntax?: string | undefined; policy: DecompressionPolicy },
): ChosenContext {
  const accepted = association.negotiated.acceptedContexts.filter(
    (context) => context.abstractSyntax === file.sopClassUid && context.transferSyntax !== undefined,
  );
  if (accepted.length === 0) {
    throw new StoreFileError(
      'no-presentation-context',
      file.file,
      `${file.file}: the peer accepted no presentation context for SOP Class ${file.sopClassUid}`,
    );
  }
  const wanted = options.forcedTransferSyntax;
  const candidates = wanted ? accepted.filter((context) => context.transferSyntax === wanted) : accepted;
  if (candidates.length === 0) {
    throw new StoreFileError(
      'no-presentation-context',
      file.file,
      `${file.file}: the peer did not accept the forced transfer syntax ${transferSyntaxName(wanted!)} for SOP Class ${file.sopClassUid}`,
    );
  }
  const same = candidates.find((context) => context.transferSyntax === file.transferSyntaxUid);
  if (same) return { id: same.id, transferSyntax: same.transferSyntax! };
  const ranked = [...candidates].sort((a, b) => rank(a.transferSyntax!) - rank(b.transferSyntax!));
  const reasons: string[] = [];
  for (const context of ranked) {
    const reason = transcodeImpossibility(file.transferSyntaxUid, context.transferSyntax!, options.policy);
    if (!reason) return { id: context.id, transferSyntax: context.transferSyntax! };
    reasons.push(reason);
  }
  throw new StoreFileError(
    'transcode-impossible',
    file.file,
    `${file.file} is ${transferSyntaxName(file.transferSyntaxUid)}, the peer accepted only ${ranked
      .map((context) => transferSyntaxName(context.transferSyntax!))
      .join(', ')} for it: ${reasons[0]}`,
  );
}

function rank(ts: string): number {
  const index = NATIVE_PREFERENCE.indexOf(ts);
  return index < 0 ? NATIVE_PREFERENCE.length : index;
}

/**
 * Bytes of the file's dataset (after the meta) as stored, or transcoded to `transferSyntax`. `@netdicom/dimse` cuts
 * them into even-length fragments and pads an odd total (a deflated stream, PS3.5 A.5) with one NUL byte.
 */
export function datasetFor(file: PlannedFile, transferSyntax: string, policy: DecompressionPolicy): DimseDataset {
  if (transferSyntax === file.transferSyntaxUid) {
    return file.source.kind === 'path'
      ? { path: file.source.path, offset: file.datasetOffset, length: file.size - file.datasetOffset }
      : file.source.bytes.subarray(file.datasetOffset);
  }
  const raw =
    file.source.kind === 'path'
      ? readFileRange(file.source.path, file.datasetOffset)
      : bufferChunks(file.source.bytes.subarray(file.datasetOffset));
  return transcodeDataset(raw, { from: file.transferSyntaxUid, to: transferSyntax, decompress: policy });
}

/** What one C-STORE of a file produced. */
export interface StoreOutcome {
  readonly status: StoreStatus;
  readonly transferSyntax: string;
}

/** Finds a {@link TranscodeError} in an error's cause chain. */
export function findTranscodeError(error: unknown): TranscodeError | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 8; depth++) {
    if (current instanceof TranscodeError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Stores one file on `association` (PS3.4 B.2, PS3.7 9.1.1). Non-success statuses are returned, not thrown; throws
 * {@link StoreFileError} when the file cannot be sent on this association, and passes association failures through.
 */
export async function storePlannedFile(
  association: Pick<Association, 'negotiated'>,
  client: DimseClient,
  file: PlannedFile,
  options: { forcedTransferSyntax?: string | undefined; policy: DecompressionPolicy; priority?: number },
): Promise<StoreOutcome> {
  const chosen = chooseContext(association, file, options);
  let dataset: DimseDataset;
  try {
    dataset = datasetFor(file, chosen.transferSyntax, options.policy);
  } catch (error) {
    if (error instanceof TranscodeError) {
      throw new StoreFileError('transcode-impossible', file.file, `${file.file}: ${error.message}`, { cause: error });
    }
    throw error;
  }
  try {
    const response = await client.store({
      sopClassUid: file.sopClassUid,
      sopInstanceUid: file.sopInstanceUid,
      dataset,
      transferSyntax: chosen.transferSyntax,
      presentationContextId: chosen.id,
      ...(options.priority !== undefined ? { priority: options.priority } : {}),
    });
    return {
      status: describeStoreStatus(response.status, response.errorComment),
      transferSyntax: chosen.transferSyntax,
    };
  } catch (error) {
    const transcode = findTranscodeError(error);
    if (transcode) {
      throw new StoreFileError('transcode-failed', file.file, `${file.file}: ${transcode.message}`, { cause: error });
    }
    throw error;
  }
}
