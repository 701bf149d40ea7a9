/**
 * The durable file store: one Part-10 file per received instance (PS3.10 7.1), acknowledged only once it is on
 * stable storage under its final name (PS3.4 B.2.3: Success means the SCP has stored the instance).
 *
 * Protocol for each store (see README.md):
 * 1. create `storageDir/.netdicom-tmp/<session>/<random>.part` with O_CREAT|O_EXCL|O_NOFOLLOW;
 * 2. write the Part-10 header, then the dataset bytes as received, with bounded buffering (backpressure);
 * 3. fsync the file, close it;
 * 4. create the final directories one level at a time (never through a symbolic link), fsyncing the parent of each
 *    new directory;
 * 5. commit: rename (policy `overwrite`) or link + unlink (`keep-first`, `keep-both`: atomic no-replace);
 * 6. fsync the final directory (group-committed with concurrent stores into the same directory);
 * 7. resolve. Any failure before that removes the temporary file and leaves nothing under a final name.
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  DatasetMismatchError,
  DatasetSourceError,
  EmptyDatasetError,
  FileStoreClosedError,
  FileStoreConfigError,
  InvalidStoreRequestError,
  ObjectTooLargeError,
  OutOfResourcesError,
  PathEscapeError,
  StorageIoError,
  StoreAbortedError,
  StoreScpError,
  type StoreStep,
} from '../errors.js';
import { createDirectorySyncer, type DirectorySyncer } from './dir-sync.js';
import { type FileStoreFileSystem, type FileStoreHandle, nodeFileSystem } from './fs-layer.js';
import { type CompiledLayout, compileLayout, type FileStoreLayout, type RoutingAttributes } from './layout.js';
import { checkMetaUid, encodePart10Header } from './part10.js';
import { DEFAULT_MAX_COMPONENT_BYTES, stripDicomPadding } from './sanitize.js';

/** Name of the hidden directory, directly under the storage directory, that holds temporary files. */
export const TEMP_DIR_NAME = '.netdicom-tmp';
/** Suffix of temporary files. */
export const TEMP_FILE_SUFFIX = '.part';

/** What to do when the final path of an instance already exists (same SOP Instance UID, same layout path). */
export type DuplicatePolicy = 'overwrite' | 'keep-first' | 'keep-both';

/** Options of {@link openFileStore}. */
export interface FileStoreOptions {
  /** Root directory of the store; created (with parents) when missing. Symbolic links in it are resolved once. */
  readonly storageDir: string;
  /** Layout name or template (default `flat`); see `layout.ts` and the README for placeholders. */
  readonly layout?: FileStoreLayout;
  /** Duplicate policy (default `overwrite`, as DCMTK `storescp`, dcm4che and pynetdicom do). */
  readonly duplicates?: DuplicatePolicy;
  /** (0002,0012) Implementation Class UID written into every file (PS3.7 D.3.3.2; pass the association's). */
  readonly implementationClassUid: string;
  /** (0002,0013) Implementation Version Name (at most 16 characters). */
  readonly implementationVersionName?: string;
  /** Maximum dataset size in bytes (the Part-10 header not counted); larger stores fail with status 0xA702. */
  readonly maxObjectSize?: number;
  /**
   * fsync files and directories (default `true`). `false` keeps the atomic rename but gives no durability across
   * power loss: only for tests and throwaway data.
   */
  readonly fsync?: boolean;
  /** Replacement for missing or empty routing values in paths (default `UNKNOWN`). */
  readonly missingValue?: string;
  /** Maximum UTF-8 bytes of one path component (default 200, minimum 40). */
  readonly maxComponentBytes?: number;
  /**
   * Bytes gathered per store before they are written (one `writev` each: a typical image is written in one), and, while
   * a write is in flight, before the store stops reading its dataset until the disk catches up (default 1 MiB).
   */
  readonly writeBufferSize?: number;
  /** File-system operations (default node:fs/promises). For fault-injection tests. */
  readonly fileSystem?: FileStoreFileSystem;
}

/** A dataset as bytes: one buffer, or a (sync or async) iterable of chunks such as a Node `Readable`. */
export type DatasetSource = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** One instance to store: what the C-STORE-RQ carries plus what the DIMSE header reader found in the dataset. */
export interface FileStoreWriteRequest {
  /** Affected SOP Class UID from the C-STORE-RQ command (PS3.7 9.3.1.1): (0002,0002). */
  readonly sopClassUid: string;
  /** Affected SOP Instance UID from the C-STORE-RQ command (PS3.7 9.3.1.1): (0002,0003). */
  readonly sopInstanceUid: string;
  /** Transfer syntax of the presentation context the dataset arrived on: (0002,0010). */
  readonly transferSyntaxUid: string;
  /** Calling AE title of the association: (0002,0016) Source Application Entity Title. */
  readonly callingAeTitle?: string;
  /** Called AE title (available to templates as `{CalledAETitle}`). */
  readonly calledAeTitle?: string;
  /**
   * Routing attributes read from the dataset header. `SOPClassUID`/`SOPInstanceUID`, when present, must equal the
   * command's (else {@link DatasetMismatchError}, 0xA900); when absent they are not checked.
   */
  readonly attributes?: RoutingAttributes;
  /** The dataset bytes exactly as received, in the transfer syntax `transferSyntaxUid`. */
  readonly dataset: DatasetSource;
  /** Aborts the store (before its commit) with {@link StoreAbortedError} (0xFE00). */
  readonly signal?: AbortSignal;
}

/** Outcome of a successful {@link FileStore.write}. */
export interface FileStoreWriteResult {
  /** Absolute path of the stored file (for `kept-first`: the file that was already there). */
  readonly path: string;
  /** The same path relative to the storage directory, with `/` separators. */
  readonly relativePath: string;
  /** Dataset bytes received. */
  readonly bytes: number;
  /** Bytes of the written file (Part-10 header plus dataset); 0 when nothing was written (`kept-first`). */
  readonly fileBytes: number;
  /** Set when the final path already existed: what the duplicate policy did. */
  readonly duplicate?: 'overwritten' | 'kept-first' | 'kept-both';
}

/** What `openFileStore()` found and cleaned. */
export interface FileStoreStartup {
  /** Temporary files of earlier, dead processes that were removed. */
  readonly removedTempFiles: number;
  /** Temporary session directories of dead processes that were removed. */
  readonly removedSessions: number;
}

/** A durable Part-10 file store. */
export interface FileStore {
  /** Absolute, resolved storage directory. */
  readonly storageDir: string;
  /** The layout template in use. */
  readonly layout: string;
  /** The duplicate policy in use. */
  readonly duplicates: DuplicatePolicy;
  /** Crash leftovers cleaned when the store was opened. */
  readonly startup: FileStoreStartup;
  /** Stores currently in progress. */
  readonly inFlight: number;
  /** Directory fsyncs issued so far (group commit makes this smaller than the number of stores). */
  readonly directorySyncs: number;
  /**
   * Stores one instance durably (see the module documentation for the protocol). Resolves only once the file is
   * fsynced under its final name and the directory entry is durable. Rejects with a {@link StoreScpError} whose
   * `status` is the C-STORE-RSP status to answer; then nothing was kept under a final name and the dataset iterator
   * has been closed (`return()`, which destroys a `Readable`).
   */
  write(request: FileStoreWriteRequest): Promise<FileStoreWriteResult>;
  /** Stops accepting writes, waits for the ones in progress, and removes this store's temporary directory. */
  close(): Promise<void>;
}

const RESOURCE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EMFILE', 'ENFILE', 'ENOMEM']);
const SESSION_PATTERN = /^s-(\d+)-(\d+)-([0-9a-f]+)$/;
const MAX_KEEP_BOTH = 100_000;
const VERIFIED_DIR_CACHE = 4096;
/**
 * Bytes a store writes before it fsyncs them while the rest still arrives (again every as many bytes): the kernel
 * would otherwise keep a large object's pages dirty until the final fsync, which then waits for all of them at once.
 */
const EARLY_SYNC_BYTES = 8 * 1024 * 1024;
// Sessions of this process that are open; another store opened by this process must not clean them.
const liveSessions = new Set<string>();

/**
 * Opens (creating when needed) a durable file store on `storageDir`: validates the options, makes sure the storage
 * and temporary directories are real directories, removes temporary files left by processes that died (crash
 * recovery, RELIABILITY.md class 5), and starts a session directory for this store's temporary files.
 *
 * @throws {FileStoreConfigError} for invalid options or an unusable storage directory.
 * @throws {PathEscapeError} when the temporary directory is a symbolic link or not a directory.
 */
export async function openFileStore(options: FileStoreOptions): Promise<FileStore> {
  const fs = options.fileSystem ?? nodeFileSystem;
  const duplicates = options.duplicates ?? 'overwrite';
  if (duplicates !== 'overwrite' && duplicates !== 'keep-first' && duplicates !== 'keep-both') {
    throw new FileStoreConfigError(`unknown duplicate policy ${JSON.stringify(duplicates)}`);
  }
  try {
    checkMetaUid('implementationClassUid', options.implementationClassUid);
    if (options.implementationVersionName !== undefined) {
      encodeProbe(options.implementationClassUid, options.implementationVersionName);
    }
  } catch (error) {
    throw new FileStoreConfigError(`invalid implementation identification: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const maxObjectSize = options.maxObjectSize;
  if (maxObjectSize !== undefined && !(Number.isSafeInteger(maxObjectSize) && maxObjectSize > 0)) {
    throw new FileStoreConfigError(`maxObjectSize must be a positive integer, got ${maxObjectSize}`);
  }
  const writeBufferSize = options.writeBufferSize ?? 1024 * 1024;
  if (!(Number.isSafeInteger(writeBufferSize) && writeBufferSize >= 4096)) {
    throw new FileStoreConfigError(`writeBufferSize must be an integer >= 4096, got ${writeBufferSize}`);
  }
  const maxComponentBytes = options.maxComponentBytes ?? DEFAULT_MAX_COMPONENT_BYTES;
  if (!(Number.isSafeInteger(maxComponentBytes) && maxComponentBytes >= 40 && maxComponentBytes <= 240)) {
    throw new FileStoreConfigError(`maxComponentBytes must be an integer from 40 to 240, got ${maxComponentBytes}`);
  }
  const layout = compileLayout(options.layout ?? 'flat', {
    maxComponentBytes,
    ...(options.missingValue === undefined ? {} : { missingValue: options.missingValue }),
  });

  const root = await prepareRoot(fs, options.storageDir);
  const tempRoot = path.join(root, TEMP_DIR_NAME);
  await ensureRealDirectory(fs, tempRoot, 'init');
  const startup = await cleanTempRoot(fs, tempRoot);
  const session = `s-${process.pid}-${processStartTime()}-${randomBytes(6).toString('hex')}`;
  const sessionDir = path.join(tempRoot, session);
  try {
    await fs.mkdir(sessionDir);
  } catch (error) {
    throw toStoreError(error, 'init', sessionDir);
  }
  liveSessions.add(sessionDir);

  return new DurableFileStore({
    fs,
    root,
    sessionDir,
    layout,
    duplicates,
    implementationClassUid: options.implementationClassUid,
    implementationVersionName: options.implementationVersionName,
    maxObjectSize,
    fsync: options.fsync ?? true,
    writeBufferSize,
    startup,
  });
}

function encodeProbe(implementationClassUid: string, implementationVersionName: string): void {
  encodePart10Header({
    mediaStorageSopClassUid: '1.2',
    mediaStorageSopInstanceUid: '1.2',
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    implementationClassUid,
    implementationVersionName,
  });
}

async function prepareRoot(fs: FileStoreFileSystem, storageDir: string): Promise<string> {
  if (typeof storageDir !== 'string' || storageDir.length === 0) {
    throw new FileStoreConfigError('storageDir must be a non-empty path');
  }
  const absolute = path.resolve(storageDir);
  // Create missing levels from the top; fsync the parent of each one created.
  const missing: string[] = [];
  let probe = absolute;
  for (;;) {
    try {
      await fs.lstat(probe);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new FileStoreConfigError(`cannot use storageDir ${absolute}`, { cause: error });
      }
      missing.push(probe);
      const parent = path.dirname(probe);
      if (parent === probe) break;
      probe = parent;
    }
  }
  for (const dir of missing.reverse()) {
    try {
      await fs.mkdir(dir);
      await fs.syncDirectory(path.dirname(dir));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new FileStoreConfigError(`cannot create storageDir ${absolute}`, { cause: error });
      }
    }
  }
  let root: string;
  try {
    root = await fs.realpath(absolute);
    const stats = await fs.lstat(root);
    if (!stats.isDirectory()) throw new Error('not a directory');
  } catch (error) {
    throw new FileStoreConfigError(`storageDir ${absolute} is not a usable directory`, { cause: error });
  }
  return root;
}

async function ensureRealDirectory(fs: FileStoreFileSystem, dir: string, step: StoreStep): Promise<boolean> {
  let created = false;
  try {
    await fs.mkdir(dir);
    created = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw toStoreError(error, step, dir);
  }
  let stats: Awaited<ReturnType<FileStoreFileSystem['lstat']>>;
  try {
    stats = await fs.lstat(dir);
  } catch (error) {
    throw toStoreError(error, 'stat', dir);
  }
  if (stats.isSymbolicLink() || !stats.isDirectory()) {
    throw new PathEscapeError(`${dir} is a symbolic link or not a directory; refusing to write through it`, dir);
  }
  return created;
}

/** Start time of a process in clock ticks since boot (Linux /proc), or 0 where unavailable. */
function processStartTime(pid: number | 'self' = 'self'): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const value = Number(fields[19]);
    return Number.isSafeInteger(value) ? value : 0;
  } catch {
    return 0;
  }
}

function sessionIsAlive(dir: string, pid: number, startTime: number): boolean {
  if (liveSessions.has(dir)) return true;
  if (pid === process.pid) return false; // ours would be in liveSessions: a dead predecessor with a reused pid
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  // The pid exists; when /proc tells start times, a different one means the pid was reused.
  if (startTime !== 0) {
    const current = processStartTime(pid);
    if (current !== 0 && current !== startTime) return false;
  }
  return true;
}

async function cleanTempRoot(fs: FileStoreFileSystem, tempRoot: string): Promise<FileStoreStartup> {
  let removedTempFiles = 0;
  let removedSessions = 0;
  let entries: { name: string; isDirectory: boolean }[];
  try {
    entries = await fs.readdir(tempRoot);
  } catch (error) {
    throw toStoreError(error, 'init', tempRoot);
  }
  for (const entry of entries) {
    const full = path.join(tempRoot, entry.name);
    try {
      if (!entry.isDirectory) {
        if (entry.name.endsWith(TEMP_FILE_SUFFIX)) {
          await fs.unlink(full);
          removedTempFiles++;
        }
        continue;
      }
      const match = SESSION_PATTERN.exec(entry.name);
      if (!match || sessionIsAlive(full, Number(match[1]), Number(match[2]))) continue;
      for (const inner of await fs.readdir(full)) {
        if (inner.isDirectory) continue;
        await fs.unlink(path.join(full, inner.name));
        if (inner.name.endsWith(TEMP_FILE_SUFFIX)) removedTempFiles++;
      }
      await fs.rmdir(full);
      removedSessions++;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw toStoreError(error, 'init', full);
    }
  }
  return { removedTempFiles, removedSessions };
}

/** Maps any failure to a typed store error (OS resource errors to 0xA700, other OS errors to 0xA701). */
function toStoreError(error: unknown, step: StoreStep, target?: string): StoreScpError {
  if (error instanceof StoreScpError) return error;
  const osCode = (error as NodeJS.ErrnoException | undefined)?.code;
  const details = {
    step,
    ...(typeof osCode === 'string' ? { osCode } : {}),
    ...(target === undefined ? {} : { path: target }),
  };
  const what = `${step} failed${target === undefined ? '' : ` on ${target}`}: ${(error as Error)?.message ?? error}`;
  if (typeof osCode === 'string' && RESOURCE_CODES.has(osCode)) {
    return new OutOfResourcesError(`out of resources: ${what}`, details, { cause: error });
  }
  return new StorageIoError(`storage I/O error: ${what}`, details, { cause: error });
}

interface StoreContext {
  readonly fs: FileStoreFileSystem;
  readonly root: string;
  readonly sessionDir: string;
  readonly layout: CompiledLayout;
  readonly duplicates: DuplicatePolicy;
  readonly implementationClassUid: string;
  readonly implementationVersionName: string | undefined;
  readonly maxObjectSize: number | undefined;
  readonly fsync: boolean;
  readonly writeBufferSize: number;
  readonly startup: FileStoreStartup;
}

class DurableFileStore implements FileStore {
  readonly storageDir: string;
  readonly layout: string;
  readonly duplicates: DuplicatePolicy;
  readonly startup: FileStoreStartup;
  readonly #ctx: StoreContext;
  readonly #syncer: DirectorySyncer;
  readonly #inFlight = new Set<Promise<unknown>>();
  // Directories known to exist as real directories with a durable entry in their parent (bounded, insertion order).
  readonly #verifiedDirs = new Set<string>();
  readonly #creatingDirs = new Map<string, Promise<void>>();
  #closed = false;
  #closing: Promise<void> | undefined;
  #tempCounter = 0;

  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
    this.storageDir = ctx.root;
    this.layout = ctx.layout.template;
    this.duplicates = ctx.duplicates;
    this.startup = ctx.startup;
    this.#syncer = createDirectorySyncer((dir) => ctx.fs.syncDirectory(dir));
    this.#verifiedDirs.add(ctx.root);
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  get directorySyncs(): number {
    return this.#syncer.issued;
  }

  write(request: FileStoreWriteRequest): Promise<FileStoreWriteResult> {
    if (this.#closed) {
      closeSource(request?.dataset);
      return Promise.reject(new FileStoreClosedError());
    }
    const run = this.#write(request);
    this.#inFlight.add(run);
    const untrack = () => this.#inFlight.delete(run);
    run.then(untrack, untrack);
    return run;
  }

  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    this.#closing = (async () => {
      await Promise.allSettled([...this.#inFlight]);
      liveSessions.delete(this.#ctx.sessionDir);
      try {
        for (const entry of await this.#ctx.fs.readdir(this.#ctx.sessionDir)) {
          await this.#ctx.fs.unlink(path.join(this.#ctx.sessionDir, entry.name)).catch(() => undefined);
        }
        await this.#ctx.fs.rmdir(this.#ctx.sessionDir);
      } catch {
        // Best effort: a leftover session directory of a dead process is cleaned by the next openFileStore().
      }
    })();
    return this.#closing;
  }

  async #write(request: FileStoreWriteRequest): Promise<FileStoreWriteResult> {
    const ctx = this.#ctx;
    if (typeof request !== 'object' || request === null) throw new InvalidStoreRequestError('request', 'not an object');
    const { signal } = request;
    let source: SourceReader | undefined;
    try {
      source = openSource(request.dataset);
      if (signal?.aborted) throw new StoreAbortedError({ cause: signal.reason });
      checkMismatch(request);
      const header = encodePart10Header({
        mediaStorageSopClassUid: request.sopClassUid,
        mediaStorageSopInstanceUid: request.sopInstanceUid,
        transferSyntaxUid: request.transferSyntaxUid,
        implementationClassUid: ctx.implementationClassUid,
        implementationVersionName: ctx.implementationVersionName,
        sourceApplicationEntityTitle: request.callingAeTitle,
      });
      const target = this.#resolveTarget(request);

      if (ctx.duplicates === 'keep-first') {
        // Verify the directories first, so that the existence check never looks through a planted symbolic link.
        await this.#ensureDirectories(target.components.slice(0, -1));
      }
      if (ctx.duplicates === 'keep-first' && (await exists(ctx.fs, target.absolute))) {
        // Already stored: read the dataset to its end (limits still apply) without writing it.
        const bytes = await drain(source, ctx.maxObjectSize, signal);
        return { path: target.absolute, relativePath: target.relative, bytes, fileBytes: 0, duplicate: 'kept-first' };
      }
      return await this.#writeDurably(request, source, header, target);
    } catch (error) {
      await source?.close();
      throw toStoreError(error, 'write');
    }
  }

  #resolveTarget(request: FileStoreWriteRequest): Target {
    const attributes = request.attributes ?? {};
    const components = this.#ctx.layout.render({
      ...attributes,
      SOPInstanceUID: request.sopInstanceUid,
      SOPClassUID: request.sopClassUid,
      TransferSyntaxUID: request.transferSyntaxUid,
      CallingAETitle: request.callingAeTitle,
      CalledAETitle: request.calledAeTitle,
      ReceivedDate: localDate(new Date()),
    });
    const relative = components.join('/');
    const absolute = path.resolve(this.#ctx.root, ...components);
    // Defence in depth: the sanitiser already guarantees this; never trust a single layer with peer data.
    const inside = path.relative(this.#ctx.root, absolute);
    if (
      components[0] === TEMP_DIR_NAME ||
      inside.length === 0 ||
      inside.startsWith('..') ||
      path.isAbsolute(inside) ||
      inside.split(path.sep).length !== components.length
    ) {
      throw new PathEscapeError(`computed path ${JSON.stringify(relative)} leaves the storage directory`, relative);
    }
    return { absolute, relative, components };
  }

  async #writeDurably(
    request: FileStoreWriteRequest,
    source: SourceReader,
    header: Uint8Array,
    target: Target,
  ): Promise<FileStoreWriteResult> {
    const ctx = this.#ctx;
    const { signal } = request;
    // The session directory is this store's alone: a counter names its files (O_EXCL still guards each one).
    const tempPath = path.join(ctx.sessionDir, `${(this.#tempCounter++).toString(36)}${TEMP_FILE_SUFFIX}`);
    let handle: FileStoreHandle | undefined;
    let committedPath: string | undefined;
    try {
      try {
        handle = await ctx.fs.createExclusive(tempPath);
      } catch (error) {
        throw toStoreError(error, 'open', tempPath);
      }
      const bytes = await streamToFile(handle, header, source, ctx, signal);
      if (ctx.fsync) {
        try {
          await handle.sync();
        } catch (error) {
          throw toStoreError(error, 'sync', tempPath);
        }
      }
      const h = handle;
      handle = undefined;
      try {
        await h.close();
      } catch (error) {
        throw toStoreError(error, 'close', tempPath);
      }
      if (signal?.aborted) throw new StoreAbortedError({ cause: signal.reason });

      const finalDir = path.dirname(target.absolute);
      await this.#ensureDirectories(target.components.slice(0, -1));

      // Commit. From here on the store is no longer abortable.
      let duplicate: FileStoreWriteResult['duplicate'];
      let finalPath = target.absolute;
      if (ctx.duplicates === 'overwrite') {
        const existed = await exists(ctx.fs, finalPath);
        await this.#retryingOnMissingDir(target, () => ctx.fs.rename(tempPath, finalPath), 'rename', finalPath);
        committedPath = finalPath;
        if (existed) duplicate = 'overwritten';
      } else {
        const linked = await this.#linkNoReplace(tempPath, target);
        if (linked === undefined) {
          // keep-first and the final name exists: discard ours.
          await ctx.fs.unlink(tempPath).catch(() => undefined);
          return {
            path: target.absolute,
            relativePath: target.relative,
            bytes,
            fileBytes: 0,
            duplicate: 'kept-first',
          };
        }
        finalPath = linked;
        committedPath = linked;
        if (linked !== target.absolute) duplicate = 'kept-both';
        // The data is complete under its final name; a leftover temp link is removed at close or next start.
        await ctx.fs.unlink(tempPath).catch(() => undefined);
      }
      if (ctx.fsync) {
        try {
          await this.#syncer.sync(finalDir);
        } catch (error) {
          throw toStoreError(error, 'dirsync', finalDir);
        }
      }
      const relativePath = [...target.components.slice(0, -1), path.basename(finalPath)].join('/');
      const result: FileStoreWriteResult = {
        path: finalPath,
        relativePath,
        bytes,
        fileBytes: header.length + bytes,
        ...(duplicate === undefined ? {} : { duplicate }),
      };
      return result;
    } catch (error) {
      if (handle !== undefined) await handle.close().catch(() => undefined);
      await ctx.fs.unlink(tempPath).catch(() => undefined);
      if (committedPath !== undefined) {
        // The entry could not be made durable: take it back so nothing unacknowledged stays under a final name.
        await ctx.fs.unlink(committedPath).catch(() => undefined);
      }
      throw error;
    }
  }

  /** Links `tempPath` to the final name without replacing; `undefined` for keep-first when the name exists. */
  async #linkNoReplace(tempPath: string, target: Target): Promise<string | undefined> {
    const fs = this.#ctx.fs;
    for (let n = 0; n <= MAX_KEEP_BOTH; n++) {
      const candidate = n === 0 ? target.absolute : numberedName(target.absolute, n);
      try {
        await this.#retryingOnMissingDir(target, () => fs.link(tempPath, candidate), 'link', candidate);
        return candidate;
      } catch (error) {
        const cause = error instanceof StoreScpError ? error.cause : error;
        if ((cause as NodeJS.ErrnoException | undefined)?.code !== 'EEXIST') throw error;
        if (this.#ctx.duplicates === 'keep-first') return undefined;
      }
    }
    throw new StorageIoError(
      `more than ${MAX_KEEP_BOTH} copies of ${target.relative}`,
      { step: 'link', osCode: 'EEXIST', path: target.absolute },
      {},
    );
  }

  /** Runs a commit operation; if a directory on the way vanished (ENOENT), re-creates it once and retries. */
  async #retryingOnMissingDir(target: Target, op: () => Promise<void>, step: StoreStep, where: string): Promise<void> {
    try {
      await op();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw toStoreError(error, step, where);
      const dirs = target.components.slice(0, -1);
      for (let i = 1; i <= dirs.length; i++) this.#verifiedDirs.delete(path.join(this.#ctx.root, ...dirs.slice(0, i)));
      await this.#ensureDirectories(dirs);
      try {
        await op();
      } catch (retryError) {
        throw toStoreError(retryError, step, where);
      }
    }
  }

  /** Creates the directory levels under the root, one at a time, never through a symbolic link. */
  async #ensureDirectories(components: readonly string[]): Promise<void> {
    let dir = this.#ctx.root;
    for (const component of components) {
      const parent = dir;
      dir = path.join(dir, component);
      if (this.#verifiedDirs.has(dir)) continue;
      let pending = this.#creatingDirs.get(dir);
      if (pending === undefined) {
        pending = this.#createDirectory(dir, parent);
        this.#creatingDirs.set(dir, pending);
        const forget = () => this.#creatingDirs.delete(dir);
        pending.then(forget, forget);
      }
      await pending;
    }
  }

  async #createDirectory(dir: string, parent: string): Promise<void> {
    await ensureRealDirectory(this.#ctx.fs, dir, 'mkdir');
    // Whether we created it or found it (perhaps made by a process that crashed before syncing), make its entry in
    // the parent durable before anything is committed into it.
    if (this.#ctx.fsync) {
      try {
        await this.#syncer.sync(parent);
      } catch (error) {
        throw toStoreError(error, 'dirsync', parent);
      }
    }
    if (this.#verifiedDirs.size >= VERIFIED_DIR_CACHE) {
      const oldest = this.#verifiedDirs.values().next().value;
      if (oldest !== undefined && oldest !== this.#ctx.root) this.#verifiedDirs.delete(oldest);
    }
    this.#verifiedDirs.add(dir);
  }
}

interface Target {
  readonly absolute: string;
  readonly relative: string;
  readonly components: readonly string[];
}

/** `name.dcm` -> `name.<n>.dcm`; `name` -> `name.<n>`. */
function numberedName(file: string, n: number): string {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const dot = base.lastIndexOf('.');
  const named = dot > 0 ? `${base.slice(0, dot)}.${n}${base.slice(dot)}` : `${base}.${n}`;
  return path.join(dir, named);
}

function localDate(d: Date): string {
  const y = String(d.getFullYear()).padStart(4, '0');
  const m = String(d.getMonth() + 1).padStart(2, '0');
  const day = String(d.getDate()).padStart(2, '0');
  return `${y}${m}${day}`;
}

async function exists(fs: FileStoreFileSystem, file: string): Promise<boolean> {
  try {
    await fs.lstat(file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw toStoreError(error, 'stat', file);
  }
}

function checkMismatch(request: FileStoreWriteRequest): void {
  for (const field of ['sopClassUid', 'sopInstanceUid'] as const) {
    if (typeof request[field] !== 'string') throw new InvalidStoreRequestError(field, 'missing');
  }
  if (typeof request.transferSyntaxUid !== 'string') throw new InvalidStoreRequestError('transferSyntaxUid', 'missing');
  const attributes = request.attributes;
  if (attributes === undefined) return;
  const pairs = [
    ['SOPClassUID', request.sopClassUid, attributes.SOPClassUID],
    ['SOPInstanceUID', request.sopInstanceUid, attributes.SOPInstanceUID],
  ] as const;
  for (const [attribute, commandValue, datasetValue] of pairs) {
    if (datasetValue === undefined) continue;
    if (stripDicomPadding(datasetValue) !== stripDicomPadding(commandValue)) {
      throw new DatasetMismatchError(attribute, stripDicomPadding(commandValue), stripDicomPadding(datasetValue));
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Dataset source

interface SourceReader {
  /** Next chunk, or `undefined` at the end. Rejects with DatasetSourceError or StoreAbortedError. */
  next(signal: AbortSignal | undefined): Promise<Uint8Array | undefined>;
  close(): Promise<void>;
}

function openSource(dataset: DatasetSource): SourceReader {
  if (dataset instanceof Uint8Array) {
    let done = false;
    return {
      next: async (signal) => {
        if (signal?.aborted) throw new StoreAbortedError({ cause: signal.reason });
        if (done) return undefined;
        done = true;
        return dataset;
      },
      close: async () => undefined,
    };
  }
  let iterator: Iterator<unknown> | AsyncIterator<unknown>;
  try {
    if (dataset != null && typeof (dataset as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
      iterator = (dataset as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    } else if (dataset != null && typeof (dataset as Iterable<Uint8Array>)[Symbol.iterator] === 'function') {
      iterator = (dataset as Iterable<Uint8Array>)[Symbol.iterator]();
    } else {
      throw new TypeError('dataset must be a Uint8Array or an (async) iterable of Uint8Array');
    }
  } catch (error) {
    throw new DatasetSourceError(`cannot read the dataset: ${(error as Error).message}`, { cause: error });
  }
  let finished = false;
  // One abort listener per signal for the whole data set, not one per chunk; removed once the data set is done. It
  // rejects the read in progress, if any. (Racing each read against one long-lived promise instead would pile a
  // reaction per chunk onto that promise, each holding its chunk: all of a 2 GiB data set.)
  let watched: { signal: AbortSignal; onAbort: () => void } | undefined;
  let rejectRead: ((error: unknown) => void) | undefined;
  const unwatch = () => {
    watched?.signal.removeEventListener('abort', watched.onAbort);
    watched = undefined;
  };
  const watch = (signal: AbortSignal) => {
    if (watched?.signal === signal) return;
    unwatch();
    const onAbort = () => rejectRead?.(new StoreAbortedError({ cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    watched = { signal, onAbort };
  };
  const abortable = <T>(step: Promise<T> | T, signal: AbortSignal): Promise<T> => {
    watch(signal);
    return new Promise<T>((resolve, reject) => {
      rejectRead = reject;
      Promise.resolve(step).then(resolve, reject);
    }).finally(() => {
      rejectRead = undefined;
    });
  };
  return {
    async next(signal) {
      if (signal?.aborted) throw new StoreAbortedError({ cause: signal.reason });
      let result: IteratorResult<unknown>;
      try {
        const step = iterator.next();
        result = signal === undefined ? await step : await abortable(step, signal);
      } catch (error) {
        unwatch();
        if (error instanceof StoreAbortedError) throw error;
        finished = true;
        throw new DatasetSourceError(`the dataset stream failed: ${(error as Error)?.message ?? error}`, {
          cause: error,
        });
      }
      if (result.done) {
        unwatch();
        finished = true;
        return undefined;
      }
      const chunk = result.value;
      if (!(chunk instanceof Uint8Array)) {
        throw new DatasetSourceError(`the dataset stream yielded ${typeof chunk}, not bytes`);
      }
      return chunk;
    },
    async close() {
      unwatch();
      if (finished) return;
      finished = true;
      // Not awaited: a generator stuck in an await cannot run its return() until that await settles, and a store
      // must never hang on its source. For a Readable, return() destroys the stream.
      try {
        Promise.resolve(iterator.return?.()).catch(() => undefined);
      } catch {
        // The source's own cleanup failed; nothing we can add.
      }
    },
  };
}

function closeSource(dataset: DatasetSource | undefined): void {
  if (dataset === undefined || dataset instanceof Uint8Array) return;
  try {
    openSource(dataset)
      .close()
      .catch(() => undefined);
  } catch {
    // not iterable: nothing to close
  }
}

async function drain(source: SourceReader, maxObjectSize: number | undefined, signal?: AbortSignal): Promise<number> {
  let bytes = 0;
  for (;;) {
    const chunk = await source.next(signal);
    if (chunk === undefined) break;
    bytes += chunk.length;
    if (maxObjectSize !== undefined && bytes > maxObjectSize) throw new ObjectTooLargeError(maxObjectSize, bytes);
  }
  if (bytes === 0) throw new EmptyDatasetError();
  return bytes;
}

/**
 * Writes the header and the dataset into `handle` with at most one write in flight and at most `writeBufferSize`
 * bytes queued: while the queue is full the source is not read (backpressure to the peer).
 */
async function streamToFile(
  handle: FileStoreHandle,
  header: Uint8Array,
  source: SourceReader,
  ctx: StoreContext,
  signal: AbortSignal | undefined,
): Promise<number> {
  let queue: Uint8Array[] = [header];
  let queued = header.length;
  let position = 0;
  let inFlight: Promise<void> | undefined;
  let writeError: { error: unknown } | undefined;
  let bytes = 0;
  // A large dataset is flushed to disk while it is still arriving, so that the final fsync has only its tail left.
  let syncing: Promise<void> | undefined;
  let syncedUpTo = 0;
  const syncEarly = () => {
    if (!ctx.fsync || syncing !== undefined || position - syncedUpTo < EARLY_SYNC_BYTES) return;
    const upTo = position;
    const sync = handle.sync().then(() => {
      syncedUpTo = upTo;
      syncing = undefined;
    });
    sync.catch((error: unknown) => {
      writeError ??= { error: toStoreError(error, 'sync') };
    });
    syncing = sync;
  };

  const flush = () => {
    const buffers = queue;
    const length = queued;
    queue = [];
    queued = 0;
    const at = position;
    position += length;
    const write = writeAll(handle, buffers, at, length);
    // Record a failure at once (and mark the promise handled): the loop stops reading the source on its next turn.
    write.catch((error: unknown) => {
      writeError ??= { error };
    });
    inFlight = write;
  };
  const settle = async () => {
    const write = inFlight;
    inFlight = undefined;
    if (write !== undefined) await write;
  };

  try {
    for (;;) {
      if (writeError !== undefined) throw writeError.error;
      const chunk = await source.next(signal);
      if (chunk === undefined) break;
      if (chunk.length === 0) continue;
      bytes += chunk.length;
      if (ctx.maxObjectSize !== undefined && bytes > ctx.maxObjectSize) {
        throw new ObjectTooLargeError(ctx.maxObjectSize, bytes);
      }
      queue.push(chunk);
      queued += chunk.length;
      // One write per `writeBufferSize` bytes (a typical image: one write in all), at most one in flight.
      if (inFlight === undefined) {
        if (queued >= ctx.writeBufferSize) flush();
      } else if (queued >= ctx.writeBufferSize) {
        await settle();
        syncEarly();
        flush();
      }
    }
    if (bytes === 0) throw new EmptyDatasetError();
    await settle();
    if (queued > 0) {
      flush();
      await settle();
    }
    if (syncing !== undefined) await syncing;
    const failed = writeError as { error: unknown } | undefined;
    if (failed !== undefined) throw failed.error;
    return bytes;
  } finally {
    // On failure, let a running write (and an early sync) settle before the caller closes and unlinks the file.
    if (inFlight !== undefined) await (inFlight as Promise<void>).catch(() => undefined);
    if (syncing !== undefined) await (syncing as Promise<void>).catch(() => undefined);
  }
}

async function writeAll(handle: FileStoreHandle, buffers: Uint8Array[], position: number, length: number) {
  let remaining = buffers;
  let at = position;
  let left = length;
  while (left > 0) {
    let written: number;
    try {
      written = await handle.writev(remaining, at);
    } catch (error) {
      throw toStoreError(error, 'write');
    }
    if (written <= 0) {
      throw new StorageIoError('write made no progress', { step: 'write' });
    }
    left -= written;
    at += written;
    if (left > 0) remaining = skipBytes(remaining, written);
  }
}

function skipBytes(buffers: Uint8Array[], count: number): Uint8Array[] {
  let skip = count;
  let i = 0;
  while (i < buffers.length && skip >= (buffers[i]?.length ?? 0)) {
    skip -= buffers[i]?.length ?? 0;
    i++;
  }
  const rest = buffers.slice(i);
  const first = rest[0];
  if (first !== undefined && skip > 0) rest[0] = first.subarray(skip);
  return rest;
}
