import { UsageError } from './errors.js';

/** Where a command writes: the process streams in production, captured streams in tests. */
export interface Io {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly env: NodeJS.ProcessEnv;
}

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A line logger on stderr, so stdout stays clean for `--json` and piping. */
export interface Logger {
  readonly level: LogLevel;
  enabled(level: LogLevel): boolean;
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  trace(message: string): void;
}

/**
 * Picks the log level: `--log-level NAME` wins, otherwise each `-v` raises it one step from `info`
 * (`-v` = debug: associations and DIMSE messages, `-vv` = trace: every PDU).
 */
export function resolveLogLevel(values: Record<string, unknown>, quiet = false): LogLevel {
  const explicit = values['log-level'];
  if (typeof explicit === 'string') {
    if (!(LOG_LEVELS as readonly string[]).includes(explicit)) {
      throw new UsageError(`--log-level: '${explicit}' is not one of ${LOG_LEVELS.join(', ')}`);
    }
    return explicit as LogLevel;
  }
  const v = Array.isArray(values.verbose) ? values.verbose.length : values.verbose === true ? 1 : 0;
  const base = quiet ? LOG_LEVELS.indexOf('warn') : LOG_LEVELS.indexOf('info');
  return LOG_LEVELS[Math.min(base + v, LOG_LEVELS.length - 1)]!;
}

/** Creates a logger writing `netdicom: ...` lines (with a time stamp at debug and above) to `stream`. */
export function createLogger(stream: NodeJS.WritableStream, level: LogLevel, beforeWrite?: () => void): Logger {
  const rank = LOG_LEVELS.indexOf(level);
  const enabled = (l: LogLevel) => LOG_LEVELS.indexOf(l) <= rank;
  const stamp = rank >= LOG_LEVELS.indexOf('debug');
  const write = (l: LogLevel, message: string) => {
    if (!enabled(l)) return;
    beforeWrite?.();
    const prefix = stamp ? `${new Date().toISOString()} ${l.toUpperCase().padEnd(5)} ` : l === 'info' ? '' : `${l}: `;
    stream.write(`${prefix}${message}\n`);
  };
  return {
    level,
    enabled,
    error: (m) => write('error', m),
    warn: (m) => write('warn', m),
    info: (m) => write('info', m),
    debug: (m) => write('debug', m),
    trace: (m) => write('trace', m),
  };
}

/** `1536` -> `1.5 KB` (powers of 1000, as network tools report rates). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return `${i === 0 ? value.toFixed(0) : value.toFixed(1)} ${units[i]}`;
}

/** `75.2` -> `1:15`; `3725` -> `1:02:05`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** An elapsed time for a summary: `0.7 s`, `42.3 s`, or `m:ss` / `h:mm:ss` from a minute on. */
export function formatElapsed(seconds: number): string {
  return seconds < 60 ? `${seconds.toFixed(1)} s` : formatDuration(seconds);
}

/** Formats a DICOM status code as the standard writes it: `0xA700`. */
export function formatStatusCode(code: number): string {
  return `0x${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** What the progress bar shows. */
export interface ProgressSnapshot {
  readonly filesDone: number;
  readonly totalFiles: number;
  readonly bytesSent: number;
  readonly totalBytes: number;
  readonly failed: number;
  readonly elapsedSeconds: number;
}

/**
 * A one-line progress bar redrawn in place on a terminal (files, bytes, rate, ETA); draws at most every 100 ms.
 * `clear()` removes it so log lines and the summary print cleanly.
 */
export class ProgressBar {
  private lastDraw = 0;
  private drawn = false;

  constructor(private readonly stream: NodeJS.WritableStream & { columns?: number }) {}

  update(p: ProgressSnapshot, force = false): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.stream.write(`\r\x1b[2K${renderProgress(p, this.stream.columns ?? 80)}`);
    this.drawn = true;
  }

  clear(): void {
    if (!this.drawn) return;
    this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }
}

/** Renders the progress line for a terminal `columns` wide (exported for tests). */
export function renderProgress(p: ProgressSnapshot, columns: number): string {
  const rate = p.elapsedSeconds > 0 ? p.bytesSent / p.elapsedSeconds : 0;
  const fraction =
    p.totalBytes > 0 ? Math.min(1, p.bytesSent / p.totalBytes) : p.totalFiles > 0 ? p.filesDone / p.totalFiles : 0;
  const eta = rate > 0 && p.totalBytes > 0 ? (p.totalBytes - p.bytesSent) / rate : Number.NaN;
  const failed = p.failed > 0 ? `  ${p.failed} failed` : '';
  const text = ` ${p.filesDone}/${p.totalFiles} files  ${formatBytes(p.bytesSent)}/${formatBytes(p.totalBytes)}  ${formatBytes(rate)}/s  ETA ${formatDuration(eta)}${failed}`;
  const width = Math.max(10, Math.min(40, columns - text.length - 3));
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]${text}`;
}
