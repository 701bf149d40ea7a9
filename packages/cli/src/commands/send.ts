import { writeFile } from 'node:fs/promises';
import { stat } from 'node:fs/promises';
import type { SendResult, StoreScu } from '@netdicom/store-scu';
import {
  loggingOptions,
  parseAeTitle,
  parseCommandLine,
  parseDimseTimeout,
  parseHostPort,
  parseInteger,
  parseSeconds,
  requestorIdentity,
  requestorOptions,
  requestorTls,
  stringOption,
} from '../args.js';
import { describeConnectFailure } from '../describe.js';
import { CliError, UsageError } from '../errors.js';
import type { Command } from '../main.js';
import {
  createLogger,
  formatBytes,
  formatElapsed,
  formatStatusCode,
  type Io,
  ProgressBar,
  resolveLogLevel,
} from '../output.js';
import { traceProtocol } from '../trace.js';

const help = `Usage: netdicom send PATH... --to HOST:PORT [options]

Sends DICOM files and folders (recursively; files are recognised by content, not by
extension) to a Storage SCP with C-STORE. Shows a progress bar on a terminal and a
summary at the end.
Exit status: 0 when every file was stored (success or warning), 1 when any failed or
was not sent (stopped or aborted), 2 for usage errors or when no association could be made.

Ctrl-C (or SIGTERM) stops gracefully: no new file is started, the files in flight are
finished and acknowledged, the associations are released, and the summary counts the
files not sent. A second Ctrl-C aborts at once (A-ABORT).

Options:
  --to HOST:PORT          the Storage SCP (required)
  --called AET            called AE title (the peer's; default ANY-SCP)
  --aet AET               calling AE title (ours; default STORE-SCU)
  --concurrency N         parallel associations (default: the library's measured default)
  --window N              operations in flight per association (asynchronous operations window)
  --transfer-syntax TS    send in this transfer syntax: a name such as ExplicitVRLittleEndian or a UID
  --decompress POLICY     never, lossless or lossy: may compressed files be decompressed when the peer
                          does not accept them (default lossless)
  --max-pdu N             maximum PDU length we receive, in bytes
  --retries N             retries of transient failures per file (default 2)
  --timeout S             connect and association set-up timeout in seconds (default 30)
  --dimse-timeout S       wait at most S seconds for each C-STORE response, then abort the
                          association and retry the file on a new one (default 0: no limit of its
                          own; a peer silent for 300 s is dropped anyway)
  --json                  print one JSON summary object on stdout (totals and one entry per file)
  --report FILE           also write that JSON summary to FILE
  --no-progress           no progress bar
  --tls, --tls-ca FILE, --tls-cert FILE, --tls-key FILE, --tls-insecure
                          TLS, as for 'netdicom echo'
  --username NAME, --password PASS, --jwt TOKEN
                          user identity sent with the association request
  -v, --verbose           more detail (-v one line per file and association, -vv every PDU)
  --log-level LEVEL       error, warn, info, debug or trace
  -h, --help              show this help

Examples:
  netdicom send ./study --to 127.0.0.1:11112 --called NETDICOM
  netdicom send a.dcm b.dcm ./more --to pacs:104 --called PACS --concurrency 4
  netdicom send ./study --to pacs:104 --called PACS --json --no-progress > result.json
`;

/** One file's line in the `--json` summary. */
interface FileEntry {
  file: string;
  ok: boolean;
  /** Never started: the transfer was stopped first. */
  notSent?: boolean;
  sopInstanceUid?: string;
  sopClassUid?: string;
  transferSyntax?: string;
  status?: { code: number; hex: string; name: string; category: string };
  errorComment?: string;
  error?: string;
  durationSeconds?: number;
}

interface StatusLike {
  readonly code: number;
  readonly name: string;
  readonly category: string;
}

function toStatus(s: StatusLike | undefined) {
  return s === undefined
    ? undefined
    : { code: s.code, hex: formatStatusCode(s.code), name: s.name, category: s.category };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export const sendCommand: Command = {
  name: 'send',
  summary: 'send files and folders to a Storage SCP (C-STORE), with progress and a summary',
  help,
  async run(argv: readonly string[], io: Io): Promise<number> {
    const { values, positionals } = parseCommandLine('send', argv, {
      ...requestorOptions,
      ...loggingOptions,
      to: { type: 'string' },
      concurrency: { type: 'string' },
      window: { type: 'string' },
      'transfer-syntax': { type: 'string' },
      decompress: { type: 'string' },
      retries: { type: 'string' },
      'dimse-timeout': { type: 'string' },
      json: { type: 'boolean' },
      report: { type: 'string' },
      'no-progress': { type: 'boolean' },
    });
    const toText = stringOption(values, 'to');
    if (toText === undefined) throw new UsageError(`send needs --to HOST:PORT (see 'netdicom send --help')`);
    if (positionals.length === 0)
      throw new UsageError(`send needs at least one file or folder (see 'netdicom send --help')`);
    const target = parseHostPort(toText, '--to');
    const where = `${target.host}:${target.port}`;
    const calledAeTitle = parseAeTitle(stringOption(values, 'called', 'ANY-SCP'), '--called');
    const callingAeTitle = parseAeTitle(stringOption(values, 'aet', 'STORE-SCU'), '--aet');
    const timeoutMs = parseSeconds(stringOption(values, 'timeout', '30'), '--timeout');
    const retries = parseInteger(stringOption(values, 'retries', '2'), '--retries', 0, 100);
    const dimseTimeoutText = stringOption(values, 'dimse-timeout');
    const responseTimeoutMs =
      dimseTimeoutText === undefined ? undefined : parseDimseTimeout(dimseTimeoutText, '--dimse-timeout');
    const concurrencyText = stringOption(values, 'concurrency');
    const windowText = stringOption(values, 'window');
    const maxPduText = stringOption(values, 'max-pdu');
    const transferSyntax = stringOption(values, 'transfer-syntax');
    const decompress = stringOption(values, 'decompress', 'lossless');
    if (!['never', 'lossless', 'lossy'].includes(decompress)) {
      throw new UsageError(`--decompress: '${decompress}' is not one of never, lossless, lossy`);
    }
    const json = values.json === true;
    const reportPath = stringOption(values, 'report');
    const tls = requestorTls(values);
    const userIdentity = requestorIdentity(values);

    const showProgress = values['no-progress'] !== true && io.stderr.isTTY === true;
    const bar = showProgress ? new ProgressBar(io.stderr) : undefined;
    const log = createLogger(io.stderr, resolveLogLevel(values, json), () => bar?.clear());
    const stopTrace = traceProtocol(log);

    // Loaded only now: `netdicom listen` and `--help` need none of it (start-up time, memory).
    const { CancelledError, describeStoreStatus, StoreScu: StoreScuClass } = await import('@netdicom/store-scu');
    let scu: StoreScu;
    try {
      scu = new StoreScuClass({
        addr: where,
        callingAeTitle,
        calledAeTitle,
        retries,
        decompress: decompress as 'never' | 'lossless' | 'lossy',
        timeouts: {
          connect: timeoutMs,
          artim: timeoutMs,
          ...(responseTimeoutMs === undefined ? {} : { response: responseTimeoutMs }),
        },
        ...(concurrencyText === undefined
          ? {}
          : { concurrency: parseInteger(concurrencyText, '--concurrency', 1, 64) }),
        ...(windowText === undefined
          ? {}
          : { asynchronousOperationsWindow: parseInteger(windowText, '--window', 1, 1024) }),
        ...(maxPduText === undefined ? {} : { maxPduLength: parseInteger(maxPduText, '--max-pdu', 4096, 0x7fffffff) }),
        ...(transferSyntax === undefined ? {} : { transferSyntax }),
        ...(tls === undefined ? {} : { tls }),
        ...(userIdentity === undefined ? {} : { userIdentity }),
      });
    } catch (error) {
      throw new UsageError(errorText(error));
    }

    for (const path of positionals) {
      let isDirectory: boolean;
      try {
        isDirectory = (await stat(path)).isDirectory();
      } catch {
        throw new UsageError(`'${path}' does not exist or cannot be read`);
      }
      if (isDirectory) scu.addDirectory(path);
      else scu.addFile(path);
    }

    const entries = new Map<string, FileEntry>();
    const entry = (file: string): FileEntry => {
      let e = entries.get(file);
      if (!e) {
        e = { file, ok: false };
        entries.set(file, e);
      }
      return e;
    };
    const started = performance.now();
    let totalFiles = 0;
    let bytesSent = 0;
    let inFlight = 0;
    const progressSubscription = bar
      ? scu.progress$.subscribe((p) => {
          bytesSent = p.bytesSent;
          inFlight = p.inFlight;
          bar.update({
            filesDone: p.filesDone,
            totalFiles: p.totalFiles,
            bytesSent: p.bytesSent,
            totalBytes: p.bytesTotal,
            failed: p.failed,
            elapsedSeconds: (performance.now() - started) / 1000,
          });
        })
      : scu.progress$.subscribe((p) => {
          bytesSent = p.bytesSent;
          inFlight = p.inFlight;
        });

    // First Ctrl-C or SIGTERM: a graceful stop (what is in flight finishes, associations are released). Second: abort.
    const abort = new AbortController();
    let stopRequested = false;
    const onSignal = (signal: NodeJS.Signals) => {
      const what = signal === 'SIGINT' ? 'interrupted' : signal;
      if (!stopRequested) {
        stopRequested = true;
        if (scu.stop() === 'stopping') {
          log.warn(
            `${what}: stopping after the ${inFlight} file${inFlight === 1 ? '' : 's'} in flight, sending no more; press Ctrl-C again to abort`,
          );
          return;
        }
      }
      removeSignalHandlers();
      log.warn(`${what}: aborting the transfer; files not yet acknowledged are reported as not stored`);
      abort.abort(new Error(what));
    };
    const onSigint = () => onSignal('SIGINT');
    const onSigterm = () => onSignal('SIGTERM');
    const removeSignalHandlers = () => {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigterm);

    let result: SendResult;
    try {
      result = await scu.send({
        signal: abort.signal,
        onTransferStarted: (_err, e) => {
          totalFiles = e.totalFiles;
          log.debug(`sending ${e.totalFiles} files to ${where} (${calledAeTitle})`);
        },
        onFileSent: (err, e) => {
          const item = entry(e.file);
          item.sopInstanceUid = e.sopInstanceUid;
          item.sopClassUid = e.sopClassUid;
          item.transferSyntax = e.transferSyntax;
          item.durationSeconds = e.durationSeconds;
          const status = toStatus(e.status);
          if (status) item.status = status;
          if (e.status.errorComment !== undefined) item.errorComment = e.status.errorComment;
          item.ok = err === null || err === undefined;
          if (item.ok) {
            log.debug(`stored ${e.file} (${e.sopInstanceUid}) ${status ? `${status.name} ${status.hex}` : ''}`);
            if (status?.category === 'warning')
              log.warn(`${e.file}: stored with warning ${status.name} (${status.hex})`);
          }
        },
        onFileError: (err, e) => {
          const item = entry(e.file);
          item.ok = false;
          item.error = errorText(e.error ?? err);
          if (e.sopInstanceUid !== undefined) item.sopInstanceUid = e.sopInstanceUid;
          if (e.sopClassUid !== undefined) item.sopClassUid = e.sopClassUid;
          if (e.fileTransferSyntax !== undefined) item.transferSyntax = e.fileTransferSyntax;
          const code = (e.error as { status?: number }).status;
          if (code !== undefined) item.status = toStatus(describeStoreStatus(code))!;
          // store-scu's messages name the file already.
          log.error(item.error.startsWith(e.file) ? item.error : `${e.file}: ${item.error}`);
        },
      });
    } catch (error) {
      bar?.clear();
      if (!(error instanceof CancelledError)) {
        throw new CliError(describeConnectFailure(error, where), {
          code: 'ERR_NETDICOM_CLI_NO_ASSOCIATION',
          exitCode: 2,
          cause: error,
        });
      }
      const done = [...entries.values()];
      result = {
        successful: done.filter((f) => f.ok).length,
        failed: done.filter((f) => !f.ok).length,
        warnings: [],
        totalFiles,
      };
    } finally {
      removeSignalHandlers();
      progressSubscription.unsubscribe();
      stopTrace();
    }
    bar?.clear();

    const cancelled = abort.signal.aborted;
    const stopped = result.stopped !== undefined;
    for (const file of result.stopped?.notSentFiles ?? []) entries.set(file, { file, ok: false, notSent: true });
    const files = [...entries.values()];
    const fileCount = result.totalFiles || totalFiles;
    // After an abort, the files whose store was cut short count as not sent too: none of them was acknowledged.
    const notSent =
      result.stopped?.notSent ?? (cancelled ? Math.max(0, fileCount - result.successful - result.failed) : 0);
    const seconds = (performance.now() - started) / 1000;
    const bytes = bytesSent;
    const summary = {
      ok: result.failed === 0 && notSent === 0 && !cancelled,
      target: where,
      calledAeTitle,
      callingAeTitle,
      totals: {
        files: fileCount,
        successful: result.successful,
        warnings: result.warnings.length,
        failed: result.failed,
        notSent,
        bytes,
        durationSeconds: Number(seconds.toFixed(3)),
        filesPerSecond: Number((result.successful / Math.max(seconds, 1e-9)).toFixed(1)),
        megabytesPerSecond: Number((bytes / 1e6 / Math.max(seconds, 1e-9)).toFixed(1)),
      },
      stopped,
      cancelled,
      files,
    };
    if (json) io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    if (reportPath !== undefined) await writeFile(reportPath, `${JSON.stringify(summary, null, 2)}\n`);
    if (!json) {
      const rate = bytes > 0 ? `, ${formatBytes(bytes / Math.max(seconds, 1e-9))}/s` : '';
      const warn = result.warnings.length > 0 ? `, ${result.warnings.length} with warnings` : '';
      const ended = cancelled ? `, aborted: ${notSent} not stored` : stopped ? `, stopped: ${notSent} not sent` : '';
      const line = `${result.successful} of ${summary.totals.files} files stored on ${where} in ${formatElapsed(seconds)} (${formatBytes(bytes)}${rate})${warn}${result.failed > 0 ? `, ${result.failed} failed` : ''}${ended}`;
      // A stop or an abort asked for by the user is a warning; a file that failed is an error.
      (summary.ok ? log.info : result.failed > 0 ? log.error : log.warn)(line);
    }
    return summary.ok ? 0 : 1;
  },
};
