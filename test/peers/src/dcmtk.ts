/**
 * Real DCMTK peers on loopback: storescp / dcmrecv as C-STORE SCPs (PS3.4 Annex B), storescu / dcmsend / echoscu as
 * SCUs, and dcmdump to inspect PS3.10 files. Every tool runs with `TCP_NODELAY=1`, on 127.0.0.1, on a port found
 * free at run time, and is killed on `stop()` or when the test process exits.
 *
 * @packageDocumentation
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scpConfigPath } from './dcmtk-config.js';
import { PeerStartError, ToolFailedError } from './errors.js';
import { type RunToolOptions, runTool, type SpawnedTool, spawnTool, type ToolResult } from './process.js';
import { freePort, LOOPBACK, waitForPort } from './ports.js';

/** Options of {@link startStorescp} and {@link startDcmrecv}. */
export interface StorescpOptions {
  /** The SCP's AE title (`-aet`). Default `STORESCP` / `DCMRECV`. */
  readonly aeTitle?: string;
  /**
   * Where received files go (`-od`). Default: a fresh temporary directory, removed by `stop()` unless
   * `keepOutputDir` is set. A directory you pass is created if missing and never removed.
   */
  readonly outputDir?: string;
  /** Keep the temporary output directory on `stop()`. */
  readonly keepOutputDir?: boolean;
  /**
   * Accept every transfer syntax: native, deflated, every encapsulated one (the retired JPEG processes 6-8 and 10-12
   * included, which storescp's own `+xa` refuses) and DCMTK's video ones, for DCMTK's generic storage SOP Classes
   * (a generated `-xf` configuration, see `scpConfigPath`). Without it: Explicit/Implicit VR Little Endian and
   * Explicit VR Big Endian only (storescp's default; dcmrecv gets the same through the configuration). Do not combine
   * with DCMTK's own `+x?` or `-xf` options in `extraArgs` (dcmrecv always gets `-xf`).
   */
  readonly acceptAll?: boolean;
  /** storescp only: fork a child per association (`--fork`), so several associations are served at once. */
  readonly fork?: boolean;
  /** More arguments, placed before the port (e.g. `['--abort-after']`, `['-pdu', '131072']`, `['-v']`). */
  readonly extraArgs?: readonly string[];
  /** Extra environment variables (`TCP_NODELAY=1` is always set). */
  readonly env?: Readonly<Record<string, string>>;
  /** How long to wait for the port to accept connections (default 15 000 ms). */
  readonly startTimeoutMs?: number;
}

/** A running DCMTK SCP. */
export interface RunningScp {
  /** The tool that runs: `storescp` or `dcmrecv`. */
  readonly tool: 'storescp' | 'dcmrecv';
  /** Always 127.0.0.1 (the tools listen on all interfaces; tests only ever connect through loopback). */
  readonly host: string;
  readonly port: number;
  readonly aeTitle: string;
  readonly outputDir: string;
  /** The guard process that leads the tool's process group. */
  readonly process: ChildProcess;
  /** Settles when the SCP exits (after `stop()`, or by itself, e.g. with `--exit`-like options). */
  readonly exited: Promise<ToolResult>;
  /** Everything the SCP printed so far (stdout and stderr interleaved). */
  output(): string;
  /** Full paths of the files in `outputDir` (sorted; recursive, skipping nothing). */
  receivedFiles(): Promise<string[]>;
  /** Stops the SCP (SIGTERM, then SIGKILL) and removes a temporary output directory. Safe to call twice. */
  stop(): Promise<void>;
}

const START_ATTEMPTS = 5;

/**
 * Starts DCMTK `storescp` (C-STORE SCP, PS3.4 Annex B; also answers C-ECHO, PS3.7 9.1.5) on a free port.
 * Resolves once the port accepts TCP connections; if another process took the port first, retries on another one.
 *
 * @example
 * const scp = await startStorescp({ acceptAll: true });
 * try { ... send to 127.0.0.1:scp.port ... } finally { await scp.stop(); }
 */
export function startStorescp(options: StorescpOptions = {}): Promise<RunningScp> {
  return startScp('storescp', options);
}

/**
 * Starts DCMTK `dcmrecv` (the simpler C-STORE SCP) on a free port; same options and handle as {@link startStorescp}
 * (`fork` is not available for dcmrecv and is rejected).
 */
export function startDcmrecv(options: StorescpOptions = {}): Promise<RunningScp> {
  return startScp('dcmrecv', options);
}

async function startScp(tool: 'storescp' | 'dcmrecv', options: StorescpOptions): Promise<RunningScp> {
  if (tool === 'dcmrecv' && options.fork === true) {
    throw new PeerStartError(tool, 'dcmrecv has no --fork option; use startStorescp({ fork: true })', '');
  }
  const aeTitle = options.aeTitle ?? (tool === 'storescp' ? 'STORESCP' : 'DCMRECV');
  let outputDir: string;
  let ownDir = false;
  if (options.outputDir === undefined) {
    outputDir = await mkdtemp(join(tmpdir(), `netdicom-${tool}-`));
    ownDir = options.keepOutputDir !== true;
  } else {
    outputDir = options.outputDir;
    await mkdir(outputDir, { recursive: true });
  }
  const args: string[] = ['-aet', aeTitle, '-od', outputDir];
  if (options.acceptAll === true) args.push('-xf', await scpConfigPath(), 'Any');
  else if (tool === 'dcmrecv') args.push('-xf', await scpConfigPath(), 'Uncompressed');
  if (options.fork === true) args.push('--fork');
  if (tool === 'storescp') args.push('-dhl');
  args.push(...(options.extraArgs ?? []));

  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const port = await freePort();
    const spawned = await spawnTool(tool, [...args, String(port)], options.env ? { env: options.env } : {});
    try {
      await waitUntilListening(spawned, port, options.startTimeoutMs ?? 15_000);
    } catch (error) {
      lastError = error;
      await spawned.stop();
      if (/address already in use|cannot listen|bind/i.test(spawned.output())) continue;
      if (ownDir) await rm(outputDir, { recursive: true, force: true });
      throw error;
    }
    let stopped: Promise<void> | undefined;
    return {
      tool,
      host: LOOPBACK,
      port,
      aeTitle,
      outputDir,
      process: spawned.process,
      exited: spawned.exited,
      output: () => spawned.output(),
      receivedFiles: () => listFiles(outputDir),
      stop: () => {
        stopped ??= (async () => {
          await spawned.stop();
          if (ownDir) await rm(outputDir, { recursive: true, force: true });
        })();
        return stopped;
      },
    };
  }
  if (ownDir) await rm(outputDir, { recursive: true, force: true });
  throw lastError instanceof Error
    ? lastError
    : new PeerStartError(tool, `could not bind a free port in ${START_ATTEMPTS} attempts`, '');
}

async function waitUntilListening(spawned: SpawnedTool, port: number, timeoutMs: number): Promise<void> {
  const abort = new AbortController();
  void spawned.exited.then(() => abort.abort(new Error('exited')));
  try {
    await waitForPort(port, { timeoutMs, signal: abort.signal });
  } catch (error) {
    if (spawned.hasExited()) {
      const result = await spawned.exited;
      throw new PeerStartError(
        spawned.tool,
        `exited (code ${result.code}, signal ${result.signal}) before listening on port ${port}`,
        spawned.output(),
        { cause: error },
      );
    }
    throw new PeerStartError(spawned.tool, `port ${port} did not accept connections`, spawned.output(), {
      cause: error,
    });
  }
  if (spawned.hasExited()) {
    throw new PeerStartError(spawned.tool, `exited right after port ${port} opened`, spawned.output());
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** Common options of the SCU runners. */
export interface ScuOptions {
  /** Port of the SCP on 127.0.0.1. */
  readonly port: number;
  /** Default 127.0.0.1. Only loopback addresses are test targets. */
  readonly host?: string;
  /** Calling AE title (`-aet`). */
  readonly aeTitle?: string;
  /** Called AE title (`-aec`). */
  readonly calledAeTitle?: string;
  /** More arguments, placed before host and port (e.g. `['-xs']`, `['--abort']`, `['-v']`). */
  readonly extraArgs?: readonly string[];
  /** Kill the tool after this many ms (default 60 000) and reject with `ToolTimeoutError`. */
  readonly timeoutMs?: number;
  /** Extra environment variables (`TCP_NODELAY=1` is always set). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Options of {@link runStorescu} and {@link runDcmsend}. */
export interface SendOptions extends ScuOptions {
  /** Files (or directories, with `+sd` in `extraArgs`) to send. */
  readonly files: readonly string[];
}

function scuArgs(options: ScuOptions, trailing: readonly string[]): string[] {
  const args: string[] = [];
  if (options.aeTitle !== undefined) args.push('-aet', options.aeTitle);
  if (options.calledAeTitle !== undefined) args.push('-aec', options.calledAeTitle);
  args.push(...(options.extraArgs ?? []), options.host ?? LOOPBACK, String(options.port), ...trailing);
  return args;
}

function runOptions(options: { readonly timeoutMs?: number; readonly env?: Readonly<Record<string, string>> }) {
  const run: { timeoutMs?: number; env?: Readonly<Record<string, string>> } = {};
  if (options.timeoutMs !== undefined) run.timeoutMs = options.timeoutMs;
  if (options.env !== undefined) run.env = options.env;
  return run;
}

/**
 * Runs DCMTK `storescu` (C-STORE SCU, PS3.4 Annex B) to completion. Pass an argument list (used verbatim, e.g.
 * `['127.0.0.1', String(port), file]`) or options. Resolves with the exit code and output (a failed store is a
 * non-zero `code`, not a rejection); rejects with `ToolTimeoutError` after the timeout (default 60 s).
 */
export function runStorescu(args: readonly string[] | SendOptions, options: RunToolOptions = {}): Promise<ToolResult> {
  if (isArgList(args)) return runTool('storescu', args, options);
  return runTool('storescu', scuArgs(args, args.files), { ...options, ...runOptions(args) });
}

/**
 * Runs DCMTK `dcmsend` (C-STORE SCU that decompresses when the SCP does not accept the file's transfer syntax) to
 * completion; arguments and result as {@link runStorescu}.
 */
export function runDcmsend(args: readonly string[] | SendOptions, options: RunToolOptions = {}): Promise<ToolResult> {
  if (isArgList(args)) return runTool('dcmsend', args, options);
  return runTool('dcmsend', scuArgs(args, args.files), { ...options, ...runOptions(args) });
}

/**
 * Runs DCMTK `echoscu` (C-ECHO SCU, PS3.7 9.1.5 / Verification SOP Class PS3.4 Annex A) to completion; code 0 means
 * the association was accepted and the echo succeeded.
 */
export function runEchoscu(args: readonly string[] | ScuOptions, options: RunToolOptions = {}): Promise<ToolResult> {
  if (isArgList(args)) return runTool('echoscu', args, options);
  return runTool('echoscu', scuArgs(args, []), { ...options, ...runOptions(args) });
}

function isArgList(value: readonly string[] | ScuOptions): value is readonly string[] {
  return Array.isArray(value);
}

/** Options of {@link dcmdump}. */
export interface DcmdumpOptions {
  /** Reject with `ToolFailedError` if dcmdump prints anything on stderr (a warning or an error). Default false. */
  readonly strict?: boolean;
  /** Default `utf8`. Use `latin1` to see ISO_IR 100 bytes as they are (or pass `+U8` to convert to UTF-8). */
  readonly encoding?: BufferEncoding;
  readonly timeoutMs?: number;
}

/**
 * Runs DCMTK `dcmdump [args] path` and returns its text (PS3.10 file or, with `-f`, a bare dataset). Rejects with
 * `ToolFailedError` when dcmdump exits non-zero (it does for any parse error), or in `strict` mode when it warns.
 */
export function dcmdump(path: string, args: readonly string[] = [], options: DcmdumpOptions = {}): Promise<string> {
  return runDcmdump([...args, path], options);
}

async function runDcmdump(fullArgs: readonly string[], options: DcmdumpOptions): Promise<string> {
  const run: RunToolOptions = { encoding: options.encoding ?? 'utf8', maxOutputBytes: DCMDUMP_MAX_OUTPUT };
  const result = await runTool(
    'dcmdump',
    fullArgs,
    options.timeoutMs === undefined ? run : { ...run, timeoutMs: options.timeoutMs },
  );
  if (result.code !== 0) {
    throw new ToolFailedError('dcmdump', fullArgs, result.code, result.signal, result.stdout, result.stderr);
  }
  if (result.truncated) {
    throw new ToolFailedError(
      'dcmdump',
      fullArgs,
      result.code,
      result.signal,
      '',
      result.stderr,
      `printed more than ${DCMDUMP_MAX_OUTPUT} bytes; dump fewer files or shorter values`,
    );
  }
  if (options.strict === true && result.stderr.trim() !== '') {
    throw new ToolFailedError(
      'dcmdump',
      fullArgs,
      result.code,
      result.signal,
      result.stdout,
      result.stderr,
      'printed warnings or errors',
    );
  }
  return result.stdout;
}

/** Most text one dcmdump run may print (a CT slice dumped with every value in full is ~1.3 MB). */
const DCMDUMP_MAX_OUTPUT = 512 * 1024 * 1024;
/** How many files, and how many bytes of them, one dcmdump process reads in {@link dcmdumpFiles}. */
const FILES_PER_DCMDUMP = 256;
const BYTES_PER_DCMDUMP = 32 * 1024 * 1024;

/**
 * Dumps many files with as few dcmdump processes as possible (`dcmdump +F`, up to 256 files each): much faster than
 * one process per file, since most of dcmdump's time is its start. Returns each file's text by path. Rejects like
 * {@link dcmdump}: any file that cannot be read fails the call, and in `strict` mode any warning does.
 */
export async function dcmdumpFiles(
  paths: readonly string[],
  args: readonly string[] = [],
  options: DcmdumpOptions = {},
): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  const batches: string[][] = [];
  let batch: string[] = [];
  let batchBytes = 0;
  for (const path of paths) {
    const size = await stat(path).then(
      (s) => s.size,
      () => 0,
    );
    if (batch.length > 0 && (batch.length >= FILES_PER_DCMDUMP || batchBytes + size > BYTES_PER_DCMDUMP)) {
      batches.push(batch);
      batch = [];
      batchBytes = 0;
    }
    batch.push(path);
    batchBytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  for (const batch of batches) {
    const output = await runDcmdump([...args, '+F', ...batch], options);
    const header = /^# dcmdump \((\d+)\/(\d+)\): .*$/gm;
    const marks = [...output.matchAll(header)];
    if (marks.length !== batch.length) {
      throw new ToolFailedError(
        'dcmdump',
        batch,
        0,
        null,
        output,
        '',
        `printed ${marks.length} of ${batch.length} files`,
      );
    }
    marks.forEach((mark, i) => {
      // dcmdump numbers the files in the order given.
      const end = marks[i + 1]?.index ?? output.length;
      texts.set(batch[Number(mark[1]) - 1]!, output.slice(mark.index! + mark[0].length + 1, end));
    });
  }
  return texts;
}

/** {@link dcmdumpElements} for many files at once (see {@link dcmdumpFiles}). */
export async function dcmdumpElementsOf(
  paths: readonly string[],
  options: DcmdumpElementsOptions = {},
): Promise<Map<string, Record<string, string>>> {
  const texts = await dcmdumpFiles(paths, [...DCMDUMP_COMPARE_ARGS, ...(options.args ?? [])], options);
  const result = new Map<string, Record<string, string>>();
  for (const [path, text] of texts)
    result.set(path, parseDcmdump(text, { maxValueLength: options.maxValueLength ?? 4096 }));
  return result;
}

/** Options of {@link parseDcmdump}. */
export interface ParseDcmdumpOptions {
  /**
   * Values longer than this many bytes read `(not loaded: N bytes)` whether dcmdump printed them or not (it loads
   * everything of a deflated file, whatever `-M` says), so dumps of one dataset compare equal. Default: no limit.
   */
  readonly maxValueLength?: number;
}

/** dcmdump arguments {@link dcmdumpElements} uses: numeric UIDs, complete values, values over 4 KiB not loaded. */
export const DCMDUMP_COMPARE_ARGS: readonly string[] = ['-Un', '+L', '-M', '+U8'];

/**
 * Parses dcmdump's default (indented) output into a flat record `tag -> value`.
 *
 * Keys are upper-case `GGGG,EEEE`; elements inside sequences are keyed by their path,
 * `GGGG,EEEE[item].GGGG,EEEE` (items counted from 0); encapsulated pixel fragments as `7FE0,0010[n]`. Values: the
 * text inside `[...]` for strings (line breaks in LT/ST/UT kept), the printed numbers or hex words otherwise, the UID
 * name after `=` when dcmdump mapped one (use `-Un` to get numbers), `''` for empty values, `(sequence)` for a
 * sequence, `(pixel sequence)` for encapsulated Pixel Data, and `(not loaded: N bytes)` for a value dcmdump did not
 * load (`-M`) or longer than `maxValueLength`. Lines that are not elements (comments, delimiters) are skipped.
 */
export function parseDcmdump(text: string, options: ParseDcmdumpOptions = {}): Record<string, string> {
  const maxValueLength = options.maxValueLength ?? Number.POSITIVE_INFINITY;
  const result: Record<string, string> = {};
  // seqs[d]: the sequence whose items are printed at indentation depth d; prefixes[d]: key prefix of elements at d.
  const seqs: ({ key: string; item: number } | undefined)[] = [];
  const prefixes: string[] = [''];
  // dcmdump prints `??` as the VR of elements it cannot name (private tags read in Implicit VR).
  const line = /^( *)\(([0-9a-fA-F]{4}),([0-9a-fA-F]{4})\) (\w\w|\?\?) ([\s\S]*?)\s+#\s*(\d+|u\/l),\s*\d+ [^\n]*$/;
  const elementStart = /^ *\([0-9a-fA-F]{4},[0-9a-fA-F]{4}\) (\w\w|\?\?) /;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let raw = lines[i]!;
    let match = line.exec(raw);
    // A value holding CR/LF (LT, ST, UT) spans several lines of output: join until the element's comment shows up.
    if (match === null && elementStart.test(raw)) {
      for (let j = i + 1; j < lines.length && j <= i + 1000; j++) {
        raw = `${raw}\n${lines[j]!}`;
        match = line.exec(raw);
        if (match !== null) {
          i = j;
          break;
        }
      }
    }
    if (match === null) continue;
    const [, indent = '', group = '', element = '', vr = '', value = '', length = ''] = match;
    const depth = indent.length / 2;
    const key = `${group.toUpperCase()},${element.toUpperCase()}`;
    if (key === 'FFFE,E0DD' || key === 'FFFE,E00D') continue;
    if (key === 'FFFE,E000') {
      const seq = seqs[depth];
      if (seq === undefined) continue;
      seq.item += 1;
      const itemKey = `${seq.key}[${seq.item}]`;
      if (vr === 'pi') result[itemKey] = parseValue(value, length, maxValueLength);
      prefixes[depth + 1] = `${itemKey}.`;
      continue;
    }
    const fullKey = `${depth === 0 ? '' : (prefixes[depth] ?? '')}${key}`;
    if (vr === 'SQ' || value.startsWith('(PixelSequence')) {
      result[fullKey] = vr === 'SQ' ? '(sequence)' : '(pixel sequence)';
      seqs[depth + 1] = { key: fullKey, item: -1 };
      continue;
    }
    result[fullKey] = parseValue(value, length, maxValueLength);
  }
  return result;
}

function parseValue(value: string, length: string, maxValueLength: number): string {
  if (value === '(not loaded)' || Number(length) > maxValueLength) return `(not loaded: ${length} bytes)`;
  if (value.startsWith('[') && value.endsWith(']')) return value.slice(1, -1);
  if (value.startsWith('=')) return value.slice(1);
  if (value === '(no value available)') return '';
  return value;
}

/** Options of {@link dcmdumpElements}. */
export interface DcmdumpElementsOptions extends DcmdumpOptions {
  /** Arguments added after {@link DCMDUMP_COMPARE_ARGS} (e.g. `['+R', '64']` to load values up to 64 KiB). */
  readonly args?: readonly string[];
  /** Values longer than this read `(not loaded: N bytes)` (default 4096, dcmdump's `-M` limit; raise it with `+R`). */
  readonly maxValueLength?: number;
}

/**
 * Dumps a PS3.10 file with {@link DCMDUMP_COMPARE_ARGS} (values in UTF-8 whatever the Specific Character Set, PS3.5
 * 6.1) and parses it with {@link parseDcmdump}: the quickest way to compare what was sent with what arrived.
 */
export async function dcmdumpElements(
  path: string,
  options: DcmdumpElementsOptions = {},
): Promise<Record<string, string>> {
  return parseDcmdump(await dcmdump(path, [...DCMDUMP_COMPARE_ARGS, ...(options.args ?? [])], options), {
    maxValueLength: options.maxValueLength ?? 4096,
  });
}

/** One difference found by {@link diffElements}; `undefined` means the element is absent on that side. */
export interface ElementDifference {
  readonly key: string;
  readonly expected: string | undefined;
  readonly actual: string | undefined;
}

/** Options of {@link diffElements}. */
export interface DiffElementsOptions {
  /**
   * Keys to leave out. Default: the File Meta Information (group 0002, PS3.10 7.1), which every writer fills with
   * its own implementation UID and transfer syntax.
   */
  readonly ignore?: (key: string) => boolean;
}

/** Compares two {@link parseDcmdump} records; returns the differences sorted by key (empty when equal). */
export function diffElements(
  expected: Readonly<Record<string, string>>,
  actual: Readonly<Record<string, string>>,
  options: DiffElementsOptions = {},
): ElementDifference[] {
  const ignore = options.ignore ?? ((key: string) => key.startsWith('0002,'));
  const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
  const differences: ElementDifference[] = [];
  for (const key of [...keys].sort()) {
    if (ignore(key)) continue;
    const a = expected[key];
    const b = actual[key];
    if (a !== b) differences.push({ key, expected: a, actual: b });
  }
  return differences;
}
