/**
 * Planning a transfer before sending (PS3.4 Annex B, PS3.8 section 9.3.2.2): read only the file meta and the first
 * top-level attributes of each file (never the pixel data), then propose one presentation context per (SOP class,
 * transfer syntax) plus uncompressed fallbacks per SOP class, split across as many associations as the limit of
 * 128 presentation contexts (odd IDs 1..255) requires.
 */

import { ByteReader } from './byte-reader.js';
import { DatasetParseError, StoreFileError } from './errors.js';
import { type RandomAccess, verifyExtent } from './extent.js';
import {
  encodingOf,
  MEDIA_STORAGE_DIRECTORY_SOP_CLASS,
  readFileMeta,
  readTopLevelStrings,
  sniffDicom,
} from './part10.js';
import { SNIFF_SIZE } from './scan.js';
import { inflateRaw } from './sources.js';
import { describeTransferSyntax, TransferSyntax } from './transfer-syntax.js';
import { open } from 'node:fs/promises';

/** Where the bytes of a queued file are. */
export type FileSource =
  | { readonly kind: 'path'; readonly path: string }
  | { readonly kind: 'buffer'; readonly bytes: Uint8Array };

/** A file queued for sending: its display name (path or the name given) and its bytes. */
export interface QueuedFile {
  readonly file: string;
  readonly source: FileSource;
}

/** What planning learnt about one file. */
export interface PlannedFile extends QueuedFile {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  /** Offset of the first dataset byte (after preamble and meta). */
  readonly datasetOffset: number;
  /** Size of the whole file in bytes. */
  readonly size: number;
}

const SOP_CLASS_UID = 0x00080016;
const SOP_INSTANCE_UID = 0x00080018;
const PLAN_READ_SIZE = 16 * 1024;

/** Random access to a queued file's bytes, reading its first 16 KiB once. */
interface Access extends RandomAccess {
  readonly head: Uint8Array;
  close(): Promise<void>;
}

async function openAccess(source: FileSource): Promise<Access> {
  if (source.kind === 'buffer') {
    const bytes = source.bytes;
    return {
      size: bytes.length,
      head: bytes.subarray(0, PLAN_READ_SIZE),
      read: async (position, length) => bytes.subarray(position, position + length),
      close: async () => {},
    };
  }
  const handle = await open(source.path, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.allocUnsafe(Math.min(PLAN_READ_SIZE, size));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const cached = head.subarray(0, bytesRead);
    return {
      size,
      head: cached,
      async read(position, length) {
        // The head serves every read it covers; the whole file when it is all there.
        if (position + length <= cached.length || (cached.length === size && position <= size)) {
          return cached.subarray(position, position + length);
        }
        const buffer = Buffer.allocUnsafe(Math.max(0, Math.min(length, size - position)));
        const result = await handle.read(buffer, 0, buffer.length, position);
        return buffer.subarray(0, result.bytesRead);
      },
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

async function* chunksOf(access: Access, start: number): AsyncGenerator<Uint8Array> {
  let position = start;
  // What the head already holds first, without a read.
  if (position < access.head.length) {
    yield access.head.subarray(position);
    position = access.head.length;
  }
  while (position < access.size) {
    const chunk = await access.read(position, PLAN_READ_SIZE);
    if (chunk.length === 0) return;
    position += chunk.length;
    yield chunk;
  }
}

/**
 * Inspects one file: recognises it by content, reads its File Meta Information (PS3.10 7.1) and the top-level SOP
 * Class UID (0008,0016) and SOP Instance UID (0008,0018), stopping there. Throws {@link StoreFileError} with reason
 * `not-dicom`, `dicomdir`, `truncated`, `malformed`, `missing-sop-class`, `missing-sop-instance` or `unreadable`.
 */
export async function inspectFile(queued: QueuedFile): Promise<PlannedFile> {
  const { file, source } = queued;
  let access: Access;
  try {
    access = await openAccess(source);
  } catch (error) {
    throw new StoreFileError('unreadable', file, `Cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  const size = access.size;
  const sniff = sniffDicom(access.head.subarray(0, SNIFF_SIZE), size);
  if (sniff.kind === 'not-dicom') {
    await access.close();
    throw new StoreFileError(
      'not-dicom',
      file,
      `${file} is not a DICOM file (no DICM prefix and no dataset at offset 0)`,
    );
  }
  let transferSyntaxUid: string;
  let datasetOffset = 0;
  let metaSopClass: string | undefined;
  let metaSopInstance: string | undefined;
  let reader: ByteReader | undefined;
  try {
    if (sniff.kind === 'dataset') {
      transferSyntaxUid = sniff.transferSyntaxUid;
    } else {
      const start = sniff.kind === 'part10' ? 132 : 0;
      reader = new ByteReader(chunksOf(access, start));
      const meta = await readFileMeta(reader);
      transferSyntaxUid = meta.transferSyntaxUid;
      metaSopClass = meta.mediaStorageSopClassUid;
      metaSopInstance = meta.mediaStorageSopInstanceUid;
      datasetOffset = start + reader.position;
      await reader.close();
      reader = undefined;
    }
    if (metaSopClass === MEDIA_STORAGE_DIRECTORY_SOP_CLASS) {
      throw new StoreFileError('dicomdir', file, `${file} is a DICOMDIR (Media Storage Directory), not an instance`);
    }
    const ts = describeTransferSyntax(transferSyntaxUid);
    const raw = chunksOf(access, datasetOffset);
    reader = new ByteReader(ts.deflated ? inflateRaw(raw) : raw);
    const found = await readTopLevelStrings(reader, encodingOf(ts), [SOP_CLASS_UID, SOP_INSTANCE_UID]);
    const sopClassUid = found.get(SOP_CLASS_UID) || metaSopClass;
    const sopInstanceUid = found.get(SOP_INSTANCE_UID) || metaSopInstance;
    if (!found.get(SOP_CLASS_UID)) {
      throw new StoreFileError('missing-sop-class', file, `${file} has no SOP Class UID (0008,0016) in its dataset`);
    }
    if (!found.get(SOP_INSTANCE_UID)) {
      throw new StoreFileError(
        'missing-sop-instance',
        file,
        `${file} has no SOP Instance UID (0008,0018) in its dataset`,
      );
    }
    if (sopClassUid === MEDIA_STORAGE_DIRECTORY_SOP_CLASS) {
      throw new StoreFileError('dicomdir', file, `${file} is a DICOMDIR (Media Storage Directory), not an instance`);
    }
    await reader.close();
    reader = undefined;
    // Headers only, values jumped over: a file cut after its header is caught here, before any association.
    if (!ts.deflated) await verifyExtent(access, datasetOffset, encodingOf(ts));
    return {
      file,
      source,
      sopClassUid: sopClassUid!,
      sopInstanceUid: sopInstanceUid!,
      transferSyntaxUid,
      datasetOffset,
      size,
    };
  } catch (error) {
    if (error instanceof StoreFileError) throw error;
    if (error instanceof DatasetParseError) {
      throw new StoreFileError(
        error.kind,
        file,
        `${file} is ${error.kind === 'truncated' ? 'truncated' : 'malformed'}: ${error.message}`,
        { cause: error },
      );
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') {
      throw new StoreFileError('malformed', file, `${file} has a corrupt deflated dataset`, { cause: error });
    }
    throw new StoreFileError('unreadable', file, `Cannot read ${file}: ${(error as Error).message}`, { cause: error });
  } finally {
    await reader?.close().catch(() => {});
    await access.close().catch(() => {});
  }
}

/** Outcome of {@link planFiles}: inspected files in queue order, and files that cannot be sent. */
export interface FilePlan {
  readonly files: PlannedFile[];
  readonly errors: {
    readonly file: string;
    readonly error: StoreFileError /** Index in the queue. */;
    readonly index: number;
  }[];
}

/** Inspects every queued file, `concurrency` at a time, keeping queue order. See {@link inspectFile}. */
export async function planFiles(
  queue: readonly QueuedFile[],
  options: { concurrency?: number; signal?: AbortSignal; onInspected?: (index: number) => void } = {},
): Promise<FilePlan> {
  const results: (PlannedFile | StoreFileError)[] = new Array(queue.length);
  let next = 0;
  const worker = async () => {
    while (next < queue.length) {
      options.signal?.throwIfAborted();
      const index = next++;
      try {
        results[index] = await inspectFile(queue[index]!);
      } catch (error) {
        results[index] =
          error instanceof StoreFileError
            ? error
            : new StoreFileError('unreadable', queue[index]!.file, String(error), { cause: error });
      }
      options.onInspected?.(index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 8, queue.length)) }, worker));
  const files: PlannedFile[] = [];
  const errors: FilePlan['errors'][number][] = [];
  results.forEach((result, index) => {
    if (result instanceof StoreFileError) errors.push({ file: result.file, error: result, index });
    else files.push(result);
  });
  return { files, errors };
}

/** One presentation context to propose, PS3.8 section 9.3.2.2. */
export interface ProposedContext {
  /** Odd presentation context ID, 1..255. */
  readonly id: number;
  readonly abstractSyntax: string;
  readonly transferSyntaxes: readonly string[];
}

/** The contexts to propose on one association and the files it carries. */
export interface AssociationPlan {
  readonly presentationContexts: readonly ProposedContext[];
  readonly files: readonly PlannedFile[];
}

/** Maximum presentation contexts on one association: odd IDs 1..255 (PS3.8 9.3.2.2). */
export const MAX_PRESENTATION_CONTEXTS = 128;

/** Options of {@link planAssociations}. */
export interface ContextPlanOptions {
  /** Force this transfer syntax UID: propose only it for every SOP class. */
  readonly transferSyntax?: string;
  /** Fallback syntaxes proposed per SOP class (default Explicit then Implicit VR Little Endian). */
  readonly fallbackTransferSyntaxes?: readonly string[];
  /** Limit per association (default and maximum 128). */
  readonly maxContexts?: number;
}

/**
 * Groups files by SOP class and proposes, for each SOP class: one context per transfer syntax found among its files
 * (a single transfer syntax each, so the acceptor's choice is unambiguous), plus one context with the uncompressed
 * fallbacks (PS3.5 A.1, A.2) unless the found syntaxes already cover them. With a forced transfer syntax, one context
 * per SOP class with that syntax alone. When more than `maxContexts` contexts are needed, SOP classes are packed
 * (first-fit, decreasing) into several associations; all contexts of a SOP class stay on the same association.
 */
export function planAssociations(files: readonly PlannedFile[], options: ContextPlanOptions = {}): AssociationPlan[] {
  const limit = Math.min(MAX_PRESENTATION_CONTEXTS, Math.max(1, options.maxContexts ?? MAX_PRESENTATION_CONTEXTS));
  const fallback = options.fallbackTransferSyntaxes ?? [
    TransferSyntax.ExplicitVRLittleEndian,
    TransferSyntax.ImplicitVRLittleEndian,
  ];
  const bySopClass = new Map<string, { syntaxes: Set<string>; files: PlannedFile[] }>();
  for (const file of files) {
    let group = bySopClass.get(file.sopClassUid);
    if (!group) {
      group = { syntaxes: new Set(), files: [] };
      bySopClass.set(file.sopClassUid, group);
    }
    group.syntaxes.add(file.transferSyntaxUid);
    group.files.push(file);
  }
  const groups = [...bySopClass.entries()].map(([sopClass, group]) => {
    const lists: string[][] = [];
    if (options.transferSyntax) {
      lists.push([options.transferSyntax]);
    } else {
      for (const ts of group.syntaxes) lists.push([ts]);
      if (!fallback.every((ts) => group.syntaxes.has(ts))) lists.push([...fallback]);
    }
    return { sopClass, lists: lists.slice(0, limit), files: group.files };
  });
  // First-fit decreasing bin packing of SOP classes into associations.
  const order = [...groups].sort((a, b) => b.lists.length - a.lists.length);
  const bins: { used: number; groups: typeof groups }[] = [];
  for (const group of order) {
    let bin = bins.find((candidate) => candidate.used + group.lists.length <= limit);
    if (!bin) {
      bin = { used: 0, groups: [] };
      bins.push(bin);
    }
    bin.used += group.lists.length;
    bin.groups.push(group);
  }
  // Keep queue order inside each association and between associations.
  const firstIndex = new Map(files.map((file, index) => [file, index]));
  return bins
    .map((bin) => {
      const contexts: ProposedContext[] = [];
      for (const group of bin.groups) {
        for (const list of group.lists) {
          contexts.push({ id: contexts.length * 2 + 1, abstractSyntax: group.sopClass, transferSyntaxes: list });
        }
      }
      const binFiles = bin.groups.flatMap((group) => group.files);
      binFiles.sort((a, b) => firstIndex.get(a)! - firstIndex.get(b)!);
      return { presentationContexts: contexts, files: binFiles };
    })
    .sort((a, b) => firstIndex.get(a.files[0]!)! - firstIndex.get(b.files[0]!)!);
}
