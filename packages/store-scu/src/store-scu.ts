/**
 * `StoreScu`: the batch sender (PS3.4 Annex B Storage Service Class, SCU role). Queue files, folders and buffers,
 * then `send()`: every file is planned first (file meta and top-level attributes only, PS3.10 7.1), presentation
 * contexts are proposed per SOP class and transfer syntax (PS3.8 9.3.2.2), split over associations past 128, and
 * the files are streamed over `concurrency` associations with retries.
 */

import type { ConnectionOptions } from 'node:tls';
import type { Association, UserIdentity } from '@netdicom/association';
// Not rxjs's index (200+ modules, ~80 ms of start-up): the same classes, from their own modules.
import { BehaviorSubject } from 'rxjs/internal/BehaviorSubject';
import type { Observable } from 'rxjs/internal/Observable';
import { checkAeTitle, openAssociation, parseAddress, type StoreScuTimeouts, splitTimeouts } from './connection.js';
import { createClient, type DimseClient } from './dimse-bridge.js';
import {
  AssociationLostError,
  CancelledError,
  ConnectError,
  AssociationRejectedError,
  InvalidOptionError,
  InvalidStateError,
  ResponseTimeoutError,
  StoreFileError,
  StoreScuError,
} from './errors.js';
import { type PlannedFile, planAssociations, planFiles, type QueuedFile } from './plan.js';
import { walkDirectory } from './scan.js';
import { storePlannedFile } from './sender.js';
import { isTransientStatus, type StoreStatus } from './store-status.js';
import type { DecompressionPolicy } from './transcode.js';
import { resolveTransferSyntaxUid, transferSyntaxName } from './transfer-syntax.js';

/**
 * Outstanding C-STORE requests per association {@link StoreScu} proposes by default (PS3.7 D.3.3.3 Maximum Number of
 * Operations Invoked): chosen by measurement (README, Defaults), and what `@netdicom/store-scp` grants.
 */
export const DEFAULT_ASYNCHRONOUS_OPERATIONS_WINDOW = 16;

/** Retry policy for transient failures (association lost, Out of Resources 0xA7xx, timeouts). */
export interface RetryOptions {
  /** Further attempts per file after the first (default 3). 0 disables retries. */
  readonly attempts?: number;
  /** Delay before the first retry, doubled each time (default 250 ms), with up to 25 % jitter. */
  readonly initialDelayMs?: number;
  /** Upper bound of the delay (default 10 000 ms). */
  readonly maxDelayMs?: number;
}

/** DIMSE priority of the C-STORE requests, PS3.7 9.1.1.1. */
export type StorePriority = 'low' | 'medium' | 'high';

/** Options of {@link StoreScu}. */
export interface StoreScuOptions {
  /** The Storage SCP, `host:port` (IPv6 as `[::1]:104`). Required. */
  readonly addr: string;
  /** Our AE title (default `STORE-SCU`). */
  readonly callingAeTitle?: string;
  /** The peer's AE title (default `ANY-SCP`). */
  readonly calledAeTitle?: string;
  /** Our Maximum Length Received for P-DATA-TF PDUs (PS3.8 D.1); default that of `@netdicom/association`. */
  readonly maxPduLength?: number;
  /** Log each step: `true` writes to stderr, a function receives the lines. */
  readonly verbose?: boolean | ((line: string) => void);
  /**
   * Send every file in this transfer syntax (a PS3.6 keyword such as `ExplicitVRLittleEndian`, or a UID): only it is
   * proposed, and files in another syntax are transcoded (uncompressed targets only).
   */
  readonly transferSyntax?: string;
  /** Parallel associations (default 1; a peer such as storescp without `--fork` serves one at a time). */
  readonly concurrency?: number;
  /**
   * Outstanding C-STORE requests per association we propose (PS3.7 D.3.3.3, Maximum Number of Operations Invoked);
   * default {@link DEFAULT_ASYNCHRONOUS_OPERATIONS_WINDOW} (16, measured: README). The peer's answer bounds it (DCMTK
   * accepts only 1).
   */
  readonly asynchronousOperationsWindow?: number;
  /**
   * Timers in milliseconds: the association's (connect, artim, idle, write, release; see `@netdicom/association`)
   * and `response`, the wait for each C-STORE response (default 0, no limit of its own; see {@link StoreScuTimeouts}).
   */
  readonly timeouts?: StoreScuTimeouts;
  /** TLS options (PS3.15 B.1); TLS 1.2 minimum, certificate checks on. */
  readonly tls?: ConnectionOptions;
  /** User Identity negotiation (PS3.7 D.3.3.7). */
  readonly userIdentity?: UserIdentity;
  /** Retries of transient failures: a number of attempts or a {@link RetryOptions}. Default 3 attempts. */
  readonly retries?: number | RetryOptions;
  /** Decompression policy when the peer does not accept a compressed file's syntax (default `lossless`). */
  readonly decompress?: DecompressionPolicy;
  /** C-STORE priority (default `medium`). */
  readonly priority?: StorePriority;
}

/** `onTransferStarted` payload. */
export interface TransferStartedEvent {
  readonly message: string;
  readonly totalFiles: number;
}
/** `onFileSending` payload. */
export interface FileSendingEvent {
  readonly message: string;
  readonly file: string;
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
}
/** `onFileSent` payload (the peer answered Success or a Warning, PS3.4 B.2.3). */
export interface FileSentEvent {
  readonly message: string;
  readonly file: string;
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  /** Transfer syntax on the wire (after any transcoding). */
  readonly transferSyntax: string;
  readonly durationSeconds: number;
  readonly status: StoreStatus;
}
/** `onFileError` payload: the file was not stored. */
export interface FileErrorEvent {
  readonly message: string;
  readonly file: string;
  readonly error: StoreScuError;
  readonly sopInstanceUid?: string;
  readonly sopClassUid?: string;
  readonly fileTransferSyntax?: string;
}
/** `onTransferCompleted` payload. */
export interface TransferCompletedEvent {
  readonly message: string;
  readonly totalFiles: number;
  readonly successful: number;
  readonly failed: number;
  /** Files never started because {@link StoreScu.stop} ended the transfer early; present only then. */
  readonly notSent?: number;
  readonly durationSeconds: number;
}

/** An error-first callback. */
export type StoreCallback<E> = (error: Error | null, event: E) => void;

/** Options of {@link StoreScu.send}. */
export interface SendOptions {
  readonly onTransferStarted?: StoreCallback<TransferStartedEvent>;
  readonly onFileSending?: StoreCallback<FileSendingEvent>;
  readonly onFileSent?: StoreCallback<FileSentEvent>;
  readonly onFileError?: StoreCallback<FileErrorEvent>;
  readonly onTransferCompleted?: StoreCallback<TransferCompletedEvent>;
  /**
   * Cancels the transfer at once: associations are aborted (PS3.8 7.3.1), stores in flight are given up and
   * `send()` rejects with `CancelledError`. For a graceful stop that lets the stores in flight finish, see
   * {@link StoreScu.stop}.
   */
  readonly signal?: AbortSignal;
}

/**
 * What {@link SendResult.stopped} reports: {@link StoreScu.stop} ended the transfer early, the associations having been
 * released normally (A-RELEASE, PS3.8 7.2).
 */
export interface StopSummary {
  /** Files never started (no byte of them sent): neither successful nor failed. */
  readonly notSent: number;
  /** Their names (paths, or the names given to `addFileFromMemory`), in queue order: what to send next time. */
  readonly notSentFiles: readonly string[];
}

/**
 * What `send()` resolves to. `totalFiles = successful + failed`, plus `stopped.notSent` when the transfer was
 * stopped; files of a folder skipped as not DICOM are not counted (they appear in `warnings`).
 */
export interface SendResult {
  /** Files the peer stored (Success or Warning). */
  readonly successful: number;
  /**
   * Files not stored (bad files, refusals, transcoding impossible, retries exhausted; after a stop, also files whose
   * store had failed and would have been retried).
   */
  readonly failed: number;
  /** One line per Warning status and per file skipped while scanning directories. */
  readonly warnings: string[];
  readonly totalFiles: number;
  /** Present only when {@link StoreScu.stop} ended the transfer early: the files never started. */
  readonly stopped?: StopSummary;
}

/**
 * What {@link StoreScu.stop} did: `stopping` (a graceful stop began: associations end by A-RELEASE, PS3.8 7.2),
 * `aborting` (a second request: the transfer is cancelled, associations end by A-ABORT, PS3.8 7.3.1) or `idle` (no
 * transfer was running; nothing happens).
 */
export type StopState = 'stopping' | 'aborting' | 'idle';

/** Progress of a transfer, emitted by {@link StoreScu.progress$}. */
export interface StoreProgress {
  readonly totalFiles: number;
  readonly filesDone: number;
  readonly successful: number;
  readonly failed: number;
  /** Files whose store has started and not yet ended (sent or being sent, awaiting the response or a retry). */
  readonly inFlight: number;
  /** Dataset bytes (after the file meta) of the files done. */
  readonly bytesSent: number;
  /** Dataset bytes of every planned file. */
  readonly bytesTotal: number;
  readonly elapsedSeconds: number;
  /** `bytesSent / elapsedSeconds`. */
  readonly bytesPerSecond: number;
}

type QueueEntry =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'directory'; readonly path: string }
  | { readonly kind: 'memory'; readonly name: string; readonly bytes: Uint8Array };

const PRIORITY: Record<StorePriority, number> = { medium: 0x0000, high: 0x0001, low: 0x0002 };

const EMPTY_PROGRESS: StoreProgress = {
  totalFiles: 0,
  filesDone: 0,
  successful: 0,
  failed: 0,
  inFlight: 0,
  bytesSent: 0,
  bytesTotal: 0,
  elapsedSeconds: 0,
  bytesPerSecond: 0,
};

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Whether a failure of the association (not of the file) may pass: worth a fresh association. */
function isAssociationFailure(error: unknown): boolean {
  if (error instanceof StoreFileError) return false;
  if (error instanceof StoreScuError) return error instanceof AssociationLostError;
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('ERR_NETDICOM_');
}

/**
 * Sends DICOM files to a Storage SCP (PS3.4 Annex B). See the package README for every option and callback.
 *
 * @example
 * const scu = new StoreScu({ addr: '127.0.0.1:11112', calledAeTitle: 'PACS' });
 * scu.addDirectory('./study');
 * const result = await scu.send({ onFileError: (err, e) => console.error(e.message) });
 */
export class StoreScu {
  private readonly options: StoreScuOptions;
  private readonly host: string;
  private readonly port: number;
  private readonly forcedTransferSyntax: string | undefined;
  private readonly retry: Required<RetryOptions>;
  private readonly associationTimeouts: StoreScuOptions['timeouts'];
  private readonly responseTimeout: number;
  private queue: QueueEntry[] = [];
  private sending = false;
  /** The running transfer's stop handler, while `send()` runs. */
  private stopHandler: (() => StopState) | undefined;
  private readonly progress = new BehaviorSubject<StoreProgress>(EMPTY_PROGRESS);

  /** Progress of the current or last transfer: files done, bytes sent, rate. Replays the latest value. */
  readonly progress$: Observable<StoreProgress> = this.progress.asObservable();

  constructor(options: StoreScuOptions) {
    if (!options || typeof options.addr !== 'string')
      throw new InvalidOptionError('The addr option (host:port) is required');
    this.options = options;
    ({ host: this.host, port: this.port } = parseAddress(options.addr));
    checkAeTitle(options.callingAeTitle ?? 'STORE-SCU', 'calling AE title');
    checkAeTitle(options.calledAeTitle ?? 'ANY-SCP', 'called AE title');
    this.forcedTransferSyntax =
      options.transferSyntax === undefined ? undefined : resolveTransferSyntaxUid(options.transferSyntax);
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
      throw new InvalidOptionError(`concurrency must be an integer from 1 to 64, got ${concurrency}`);
    }
    const window = options.asynchronousOperationsWindow ?? DEFAULT_ASYNCHRONOUS_OPERATIONS_WINDOW;
    if (!Number.isInteger(window) || window < 1 || window > 65535) {
      throw new InvalidOptionError(`asynchronousOperationsWindow must be an integer from 1 to 65535, got ${window}`);
    }
    const retries = typeof options.retries === 'number' ? { attempts: options.retries } : (options.retries ?? {});
    this.retry = {
      attempts: retries.attempts ?? 3,
      initialDelayMs: retries.initialDelayMs ?? 250,
      maxDelayMs: retries.maxDelayMs ?? 10_000,
    };
    if (!Number.isInteger(this.retry.attempts) || this.retry.attempts < 0) {
      throw new InvalidOptionError(`retries must be a non-negative integer, got ${this.retry.attempts}`);
    }
    if (options.decompress !== undefined && !['never', 'lossless', 'lossy'].includes(options.decompress)) {
      throw new InvalidOptionError(`decompress must be 'never', 'lossless' or 'lossy', got ${options.decompress}`);
    }
    ({ association: this.associationTimeouts, response: this.responseTimeout } = splitTimeouts(options.timeouts));
  }

  /** Queues one file (recognised as DICOM by content when sending). */
  addFile(path: string): this {
    this.queue.push({ kind: 'file', path });
    return this;
  }

  /** Queues every DICOM file under a directory (recursive; non-DICOM files and DICOMDIRs are skipped). */
  addDirectory(path: string): this {
    this.queue.push({ kind: 'directory', path });
    return this;
  }

  /** Queues a DICOM file held in memory (Part 10 or a bare dataset); `name` names it in events. */
  addFileFromMemory(bytes: Uint8Array, name: string): this {
    this.queue.push({ kind: 'memory', name, bytes });
    return this;
  }

  /** Empties the queue, so the instance can be reused. */
  clean(): this {
    if (this.sending) throw new InvalidStateError('clean() cannot be called while send() is running');
    this.queue = [];
    return this;
  }

  /**
   * Stops the running `send()` gracefully, as DCMTK and dcm4che users expect of a first Ctrl-C: no new file is
   * started (nor retried), the stores already started are sent to their end and their responses awaited (each
   * within `timeouts.response`), the associations are released normally (A-RELEASE, PS3.8 7.2), and `send()`
   * resolves with {@link SendResult.stopped} listing the files never started. A second call aborts at once, as the
   * `signal` of `send()` does (A-ABORT, `send()` rejects with `CancelledError`). Without a running transfer it does
   * nothing and returns `idle`. A stop during planning takes effect once the files are planned (no file is sent).
   *
   * @example
   * process.once('SIGINT', () => {
   *   scu.stop(); // finish what is in flight
   *   process.once('SIGINT', () => scu.stop()); // a second Ctrl-C aborts
   * });
   * const result = await scu.send();
   * if (result.stopped) console.log(`${result.stopped.notSent} file(s) not sent`);
   */
  stop(): StopState {
    return this.stopHandler?.() ?? 'idle';
  }

  /** Number of queued entries (files, directories, buffers). */
  get queued(): number {
    return this.queue.length;
  }

  private log(line: string): void {
    const verbose = this.options.verbose;
    if (typeof verbose === 'function') verbose(line);
    else if (verbose) process.stderr.write(`store-scu: ${line}\n`);
  }

  private backoff(attempt: number): number {
    const base = Math.min(this.retry.maxDelayMs, this.retry.initialDelayMs * 2 ** Math.max(0, attempt - 1));
    return Math.round(base * (1 + Math.random() * 0.25));
  }

  /** Expands directories into files recognised as DICOM; returns the files and the skip warnings. */
  private async expand(
    signal: AbortSignal | undefined,
  ): Promise<{ files: QueuedFile[]; warnings: string[]; fromDirectory: Set<QueuedFile> }> {
    const files: QueuedFile[] = [];
    const fromDirectory = new Set<QueuedFile>();
    const warnings: string[] = [];
    for (const entry of this.queue) {
      if (entry.kind === 'memory') {
        files.push({ file: entry.name, source: { kind: 'buffer', bytes: entry.bytes } });
      } else if (entry.kind === 'file') {
        files.push({ file: entry.path, source: { kind: 'path', path: entry.path } });
      } else {
        const found = await walkDirectory(entry.path, {
          ...(signal ? { signal } : {}),
          onError: (path, error) => warnings.push(`${path}: skipped, cannot be read (${(error as Error).message})`),
        });
        for (const file of found) {
          const queued: QueuedFile = { file: file.path, source: { kind: 'path', path: file.path } };
          fromDirectory.add(queued);
          files.push(queued);
        }
      }
    }
    return { files, warnings, fromDirectory };
  }

  /**
   * Sends every queued file. Resolves with the counts once each file was stored or reported through
   * `onFileError`; rejects with a typed error when the whole transfer fails (cannot connect: `ConnectError`;
   * association rejected: `AssociationRejectedError`; retries exhausted on a lost association:
   * `AssociationLostError`; cancelled by the `signal` or a second {@link StoreScu.stop}: `CancelledError`). After a
   * first `stop()` it resolves once the stores in flight have ended, with {@link SendResult.stopped}.
   */
  async send(callbacks: SendOptions = {}): Promise<SendResult> {
    if (this.sending) throw new InvalidStateError('send() is already running on this StoreScu');
    this.sending = true;
    try {
      return await this.run(callbacks);
    } finally {
      this.sending = false;
      this.stopHandler = undefined;
    }
  }

  private call<E>(callback: StoreCallback<E> | undefined, error: Error | null, event: E): void {
    if (!callback) return;
    try {
      callback(error, event);
    } catch (thrown) {
      this.log(`a callback threw: ${String(thrown)}`);
    }
  }

  private async run(callbacks: SendOptions): Promise<SendResult> {
    const signal = callbacks.signal;
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) controller.abort(signal.reason);
    const internal = controller.signal;
    // A graceful stop: no new file, no new association, no retry; what is in flight finishes.
    const stopController = new AbortController();
    const stopping = stopController.signal;
    // Ends waits that a stop or a cancellation makes pointless (backoff delays, connecting).
    const halt = AbortSignal.any([internal, stopping]);

    const policy = this.options.decompress ?? 'lossless';
    const priority = PRIORITY[this.options.priority ?? 'medium'];
    let successful = 0;
    let failed = 0;
    let inFlight = 0;
    let bytesSent = 0;
    let bytesTotal = 0;
    let totalFiles = 0;
    let fatal: StoreScuError | undefined;
    // Set once send() has settled: associations still closing after a cancellation report nothing more.
    let settled = false;
    const emit = () => {
      if (settled) return;
      const seconds = elapsed();
      this.progress.next({
        totalFiles,
        filesDone: successful + failed,
        successful,
        failed,
        inFlight,
        bytesSent,
        bytesTotal,
        elapsedSeconds: seconds,
        bytesPerSecond: seconds > 0 ? bytesSent / seconds : 0,
      });
    };
    const fail = (file: string, error: StoreScuError, planned?: PlannedFile) => {
      if (settled) return;
      failed++;
      this.log(`${file}: failed: ${error.message}`);
      this.call(callbacks.onFileError, error, {
        message: error.message,
        file,
        error,
        ...(planned
          ? {
              sopInstanceUid: planned.sopInstanceUid,
              sopClassUid: planned.sopClassUid,
              fileTransferSyntax: planned.transferSyntaxUid,
            }
          : {}),
      });
      emit();
    };

    let wake: (() => void) | undefined;
    const changed = () => {
      wake?.();
      wake = undefined;
    };
    this.stopHandler = () => {
      if (internal.aborted) return 'aborting';
      if (!stopping.aborted) {
        this.log(`stop requested: finishing the ${inFlight} file(s) in flight, starting no new one`);
        stopController.abort();
        changed();
        return 'stopping';
      }
      this.log('second stop request: aborting');
      controller.abort(new CancelledError('The transfer was aborted by a second stop request'));
      return 'aborting';
    };

    try {
      this.progress.next(EMPTY_PROGRESS);
      const { files: queued, warnings, fromDirectory } = await this.expand(internal);
      const plan = await planFiles(queued, { signal: internal });
      // Files found in folders that are not DICOM instances (other files, DICOMDIRs of a CD/DVD layout) are skipped
      // with a warning, not counted.
      const skipped = new Set(
        plan.errors.filter(
          ({ error, index }) =>
            (error.reason === 'not-dicom' || error.reason === 'dicomdir') && fromDirectory.has(queued[index]!),
        ),
      );
      for (const { file, error } of skipped) {
        const what = error.reason === 'dicomdir' ? 'a DICOMDIR' : 'not a DICOM file';
        this.log(`${file}: ${what}, skipped`);
        warnings.push(`${file}: skipped, ${what}`);
      }
      totalFiles = queued.length - skipped.size;
      this.log(`${totalFiles} file(s) to send to ${this.options.addr}`);
      this.call(callbacks.onTransferStarted, null, {
        message: `Sending ${totalFiles} file(s) to ${this.options.addr}`,
        totalFiles,
      });
      for (const entry of plan.errors) if (!skipped.has(entry)) fail(entry.file, entry.error);
      bytesTotal = plan.files.reduce((sum, file) => sum + (file.size - file.datasetOffset), 0);
      emit();
      const associations = planAssociations(plan.files, {
        ...(this.forcedTransferSyntax ? { transferSyntax: this.forcedTransferSyntax } : {}),
      });
      this.log(
        `${associations.length} association plan(s): ${associations.map((a) => a.presentationContexts.length).join(', ')} presentation context(s)`,
      );

      const jobs = associations.map((association) => ({
        plan: association,
        pending: [...association.files],
        active: 0,
      }));
      const attempts = new Map<PlannedFile, number>();
      // Files waiting for a retry: the error to report if a stop leaves them unsent.
      const unretried = new Map<PlannedFile, () => StoreScuError>();
      const notRetried = 'not retried: the transfer was stopped';
      const lostError = (file: PlannedFile, tries: number, error: unknown, note?: string): StoreScuError => {
        const suffix = note ? `; ${note}` : '';
        if (error instanceof ResponseTimeoutError) {
          return new ResponseTimeoutError(
            error.timeoutMs,
            `${file.file}: no response from ${this.options.addr} within ${error.timeoutMs} ms (timeouts.response), ${tries} time(s); the association was aborted${suffix}`,
            { cause: error },
          );
        }
        return new AssociationLostError(
          `${file.file}: the association was lost ${tries} time(s) while sending it: ${(error as Error).message}${suffix}`,
          { cause: error },
        );
      };

      const sendOnAssociation = async (job: (typeof jobs)[number], association: Association): Promise<boolean> => {
        let client: DimseClient;
        try {
          client = createClient(association, { responseTimeout: this.responseTimeout });
        } catch (error) {
          await association.abort();
          throw error;
        }
        if (association.negotiated.acceptedContexts.length === 0) {
          // Nothing of this plan can be sent: each file fails with the reason.
          for (const file of job.pending.splice(0)) {
            fail(
              file.file,
              new StoreFileError(
                'no-presentation-context',
                file.file,
                `${file.file}: the peer accepted none of the ${job.plan.presentationContexts.length} presentation context(s) proposed`,
              ),
              file,
            );
          }
          await association.release().catch(() => association.abort());
          return true;
        }
        const negotiatedWindow = association.negotiated.asynchronousOperationsWindow.maxOperationsInvoked;
        const wanted = this.options.asynchronousOperationsWindow ?? DEFAULT_ASYNCHRONOUS_OPERATIONS_WINDOW;
        const lanes = negotiatedWindow === 0 ? wanted : Math.max(1, Math.min(wanted, negotiatedWindow));
        let lost: unknown;
        const lane = async () => {
          while (!lost && !halt.aborted && !fatal) {
            const file = job.pending.shift();
            if (!file) return;
            unretried.delete(file);
            inFlight++;
            emit();
            const start = performance.now();
            if (!settled)
              this.call(callbacks.onFileSending, null, {
                message: `Sending ${file.file}`,
                file: file.file,
                sopInstanceUid: file.sopInstanceUid,
                sopClassUid: file.sopClassUid,
              });
            try {
              const outcome = await storePlannedFile(association, client, file, {
                forcedTransferSyntax: this.forcedTransferSyntax,
                policy,
                priority,
              });
              const status = outcome.status;
              if (settled) {
                // send() was cancelled meanwhile: nothing more is reported.
              } else if (status.category === 'success' || status.category === 'warning') {
                successful++;
                bytesSent += file.size - file.datasetOffset;
                const statusText = `${status.name} (0x${status.code.toString(16).toUpperCase().padStart(4, '0')})${status.errorComment ? `: ${status.errorComment}` : ''}`;
                if (status.category === 'warning') warnings.push(`${file.file}: ${statusText}`);
                this.log(`${file.file}: ${statusText} as ${transferSyntaxName(outcome.transferSyntax)}`);
                this.call(callbacks.onFileSent, null, {
                  message: `${file.file} stored: ${statusText}`,
                  file: file.file,
                  sopInstanceUid: file.sopInstanceUid,
                  sopClassUid: file.sopClassUid,
                  transferSyntax: outcome.transferSyntax,
                  durationSeconds: (performance.now() - start) / 1000,
                  status,
                });
                emit();
              } else {
                const tries = (attempts.get(file) ?? 0) + 1;
                attempts.set(file, tries);
                const hex = `0x${status.code.toString(16).toUpperCase().padStart(4, '0')}`;
                const refusal = (note?: string) =>
                  new StoreFileError(
                    'store-failed',
                    file.file,
                    `${file.file}: the peer answered ${status.name} (${hex})${status.errorComment ? `: ${status.errorComment}` : ''}${note ? `; ${note}` : ''}`,
                    { status: status.code },
                  );
                if (isTransientStatus(status.code) && tries <= this.retry.attempts && !halt.aborted) {
                  this.log(`${file.file}: ${status.name}, retry ${tries} of ${this.retry.attempts}`);
                  unretried.set(file, () => refusal(notRetried));
                  await sleep(this.backoff(tries), halt);
                  job.pending.push(file);
                } else {
                  bytesSent += file.size - file.datasetOffset;
                  fail(
                    file.file,
                    refusal(isTransientStatus(status.code) && tries <= this.retry.attempts ? notRetried : undefined),
                    file,
                  );
                }
              }
            } catch (error) {
              if (error instanceof StoreFileError) {
                fail(file.file, error, file);
              } else if (internal.aborted) {
                job.pending.unshift(file);
              } else if (isAssociationFailure(error) || association.state !== 'Sta6') {
                lost = error;
                const tries = (attempts.get(file) ?? 0) + 1;
                attempts.set(file, tries);
                if (tries <= this.retry.attempts && !stopping.aborted) {
                  unretried.set(file, () => lostError(file, tries, error, notRetried));
                  job.pending.unshift(file);
                } else {
                  fail(
                    file.file,
                    lostError(file, tries, error, tries <= this.retry.attempts ? notRetried : undefined),
                    file,
                  );
                }
              } else {
                const message = error instanceof Error ? error.message : String(error);
                fail(
                  file.file,
                  new StoreFileError('store-failed', file.file, `${file.file}: ${message}`, { cause: error }),
                  file,
                );
              }
            } finally {
              inFlight--;
              emit();
              changed();
            }
          }
        };
        const onCancel = () => {
          void association.abort();
        };
        internal.addEventListener('abort', onCancel, { once: true });
        try {
          await Promise.all(Array.from({ length: lanes }, lane));
        } finally {
          internal.removeEventListener('abort', onCancel);
        }
        if (lost || internal.aborted) {
          // Not awaited: after the A-ABORT the association waits up to its ARTIM timer for the peer to close the
          // connection (PS3.8 9.2, AA-1), which a hung peer never does; the retry need not wait for that.
          void association.abort();
          if (lost) this.log(`association lost: ${(lost as Error).message}`);
          return !lost;
        }
        await association.release().catch(async (error: unknown) => {
          this.log(`release failed (${String(error)}), aborting`);
          await association.abort();
        });
        this.log(`association released${stopping.aborted ? ' (stopped)' : ''}`);
        return true;
      };

      const worker = async () => {
        let failures = 0;
        while (!halt.aborted && !fatal) {
          const candidates = jobs.filter((job) => job.pending.length > 0);
          if (candidates.length === 0) {
            if (inFlight === 0) return;
            await new Promise<void>((resolve) => {
              const previous = wake;
              wake = () => {
                previous?.();
                resolve();
              };
            });
            continue;
          }
          candidates.sort((a, b) => a.active - b.active);
          const job = candidates[0]!;
          job.active++;
          // The signal given to connect stays tied to the association for its whole life: a stop must cancel only
          // the connecting, never the association that then carries the stores in flight.
          const connecting = new AbortController();
          const onHalt = () => connecting.abort(halt.reason);
          halt.addEventListener('abort', onHalt, { once: true });
          try {
            const association = await openAssociation({
              host: this.host,
              port: this.port,
              callingAeTitle: this.options.callingAeTitle ?? 'STORE-SCU',
              calledAeTitle: this.options.calledAeTitle ?? 'ANY-SCP',
              presentationContexts: job.plan.presentationContexts,
              ...(this.options.maxPduLength !== undefined ? { maxPduLength: this.options.maxPduLength } : {}),
              maxOperationsInvoked: this.options.asynchronousOperationsWindow ?? DEFAULT_ASYNCHRONOUS_OPERATIONS_WINDOW,
              ...(this.associationTimeouts ? { timeouts: this.associationTimeouts } : {}),
              ...(this.options.tls ? { tls: this.options.tls } : {}),
              ...(this.options.userIdentity ? { userIdentity: this.options.userIdentity } : {}),
              signal: connecting.signal,
            }).finally(() => halt.removeEventListener('abort', onHalt));
            this.log(
              `associated with ${this.options.addr}: ${association.negotiated.acceptedContexts.length} of ${job.plan.presentationContexts.length} presentation context(s) accepted`,
            );
            const clean = await sendOnAssociation(job, association);
            failures = clean ? 0 : failures + 1;
            if (!clean) await sleep(this.backoff(failures), halt);
          } catch (error) {
            if (halt.aborted) return;
            const transient =
              (error instanceof ConnectError && error.failure !== 'host-not-found' && error.failure !== 'tls') ||
              (error instanceof AssociationRejectedError && error.transient) ||
              error instanceof AssociationLostError;
            failures++;
            if (transient && failures <= this.retry.attempts) {
              this.log(`${(error as Error).message}; retry ${failures} of ${this.retry.attempts}`);
              await sleep(this.backoff(failures), halt);
            } else {
              fatal =
                error instanceof StoreScuError
                  ? error
                  : new AssociationLostError(String((error as Error)?.message ?? error), { cause: error });
              changed();
            }
          } finally {
            job.active--;
            changed();
          }
        }
      };

      const totalPlanned = plan.files.length;
      const workers = Math.max(1, Math.min(this.options.concurrency ?? 1, totalPlanned));
      if (totalPlanned > 0 && !halt.aborted) {
        const working = Promise.all(Array.from({ length: workers }, worker));
        // A cancellation does not wait for the aborted associations to close: A-ABORT leaves each waiting up to
        // its ARTIM timer for the peer to close the connection (PS3.8 9.2, AA-1), and a peer that has stopped
        // reading may never do so. They end in the background; nothing is reported from them.
        let onCancelled: (() => void) | undefined;
        const cancelled = new Promise<void>((resolve) => {
          onCancelled = () => resolve();
          internal.addEventListener('abort', onCancelled, { once: true });
        });
        working.catch((error: unknown) => this.log(`after cancellation: ${String(error)}`));
        try {
          await Promise.race([working, cancelled]);
        } finally {
          if (onCancelled) internal.removeEventListener('abort', onCancelled);
        }
      }

      if (internal.aborted) {
        throw internal.reason instanceof CancelledError
          ? internal.reason
          : new CancelledError('The transfer was cancelled', { cause: internal.reason });
      }
      if (fatal) throw fatal;
      // After a stop: files that had started and wait for a retry failed; the others were never started.
      const notSentFiles: string[] = [];
      for (const job of jobs) {
        for (const file of job.pending.splice(0)) {
          const failure = unretried.get(file);
          if (failure) fail(file.file, failure(), file);
          else notSentFiles.push(file.file);
        }
      }
      const stopped = stopping.aborted;
      const durationSeconds = elapsed();
      emit();
      const result: SendResult = {
        successful,
        failed,
        warnings,
        totalFiles,
        ...(stopped ? { stopped: { notSent: notSentFiles.length, notSentFiles } } : {}),
      };
      this.call(callbacks.onTransferCompleted, null, {
        message: stopped
          ? `Stopped: sent ${successful} of ${totalFiles} file(s) in ${durationSeconds.toFixed(3)} s, ${failed} failed, ${notSentFiles.length} not sent`
          : `Sent ${successful} of ${totalFiles} file(s) in ${durationSeconds.toFixed(3)} s, ${failed} failed`,
        totalFiles,
        successful,
        failed,
        ...(stopped ? { notSent: notSentFiles.length } : {}),
        durationSeconds,
      });
      return result;
    } catch (error) {
      const typed =
        error instanceof StoreScuError
          ? error
          : internal.aborted
            ? new CancelledError('The transfer was cancelled', { cause: error })
            : new StoreScuError('ERR_NETDICOM_STORE_SCU_FAILED', String((error as Error)?.message ?? error), {
                cause: error,
              });
      this.call(callbacks.onTransferCompleted, typed, {
        message: `Transfer failed: ${typed.message}`,
        totalFiles,
        successful,
        failed,
        durationSeconds: elapsed(),
      });
      throw typed;
    } finally {
      settled = true;
      signal?.removeEventListener('abort', onAbort);
    }
  }
}
