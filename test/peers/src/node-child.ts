/**
 * Node child processes that report JSON lines, for tests that must run a netdicom server in a process of its own
 * (kill -9, memory of the process, signals): a TypeScript entry bundled for plain `node`, started, and its events
 * read. Test code only.
 *
 * @packageDocumentation
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { TestPeersError } from './errors.js';

/** The child process failed to report what was expected (exited first, or too late). */
export class ChildProcessError extends TestPeersError {
  readonly code = 'ERR_NETDICOM_PEERS_CHILD_PROCESS';
}

const bundles = new Map<string, Promise<string>>();

/**
 * `entry` and everything it imports (workspace sources through the `@netdicom/source` condition, rxjs, dcmjs) bundled
 * into one ES module for plain `node`, once per process: the child then holds what a user's process holds running the
 * published JavaScript, without the TypeScript loader (tsx runs its hooks on a thread of their own, ~35 MB).
 * `ignoreAnnotations` keeps every module the package indexes import, as Node would load them (no tree shaking).
 */
export function bundleForNode(entry: string): Promise<string> {
  let bundled = bundles.get(entry);
  if (bundled === undefined) {
    bundled = (async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'netdicom-child-'));
      const file = path.join(dir, `${path.basename(entry, path.extname(entry))}.mjs`);
      await build({
        entryPoints: [entry],
        outfile: file,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        conditions: ['@netdicom/source'],
        ignoreAnnotations: true,
        logLevel: 'error',
        // CommonJS dependencies bundled into an ES module still call require() for Node built-ins.
        banner: {
          js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
        },
      });
      process.once('exit', () => void rm(dir, { recursive: true, force: true }));
      return file;
    })();
    bundles.set(entry, bundled);
  }
  return bundled;
}

/** One JSON line the child printed: `{ event, ... }`. */
export interface ChildEvent {
  readonly event: string;
  readonly [key: string]: unknown;
}

/** Options of {@link startJsonChild}. */
export interface JsonChildOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** The event that says the child is ready (default `listening`). */
  readonly readyEvent?: string;
  /** How long to wait for it, ms (default 30 000). */
  readonly startTimeoutMs?: number;
}

/** A running child that reports JSON lines on stdout and reads commands, one per line, on stdin. */
export interface JsonChild {
  readonly process: ChildProcess;
  readonly pid: number;
  /** The ready event. */
  readonly ready: ChildEvent;
  /** Every event so far, in order. */
  readonly events: readonly ChildEvent[];
  /** The first event from index `from` (default 0, past or future) matching; rejects if the child exits first. */
  waitFor(predicate: (event: ChildEvent) => boolean, timeoutMs?: number, from?: number): Promise<ChildEvent>;
  /** Writes `line` on the child's stdin and waits for the next `answer` event. */
  command(line: string, answer: string, timeoutMs?: number): Promise<ChildEvent>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** The last 64 KiB the child wrote on stderr (and stdout lines that were not JSON). */
  stderr(): string;
  /** A field of `/proc/<pid>/status` in kB (Linux), e.g. `VmHWM` (peak resident set) or `VmRSS`. */
  procStatusKb(field: 'VmHWM' | 'VmRSS'): Promise<number>;
  /** Writes `close` on stdin (the child's graceful stop) and waits for the exit. */
  close(): Promise<void>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Runs `node <args>` and resolves once it reports the ready event. */
export async function startJsonChild(args: readonly string[], options: JsonChildOptions = {}): Promise<JsonChild> {
  const child = spawn(process.execPath, [...args], {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  children.add(child);
  const events: ChildEvent[] = [];
  const listeners = new Set<() => void>();
  let stderr = '';
  let buffered = '';
  let hasExited = false;
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (text: string) => {
    buffered += text;
    for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      try {
        events.push(JSON.parse(line) as ChildEvent);
      } catch {
        stderr = `${stderr}${line}\n`.slice(-64 * 1024);
      }
    }
    for (const listener of [...listeners]) listener();
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => {
    stderr = (stderr + text).slice(-64 * 1024);
  });
  child.stdin!.on('error', () => undefined);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      hasExited = true;
      children.delete(child);
      for (const listener of [...listeners]) listener();
      resolve({ code, signal });
    });
  });

  const waitFor = (predicate: (event: ChildEvent) => boolean, timeoutMs = 30_000, from = 0) =>
    new Promise<ChildEvent>((resolve, reject) => {
      const check = () => {
        const found = events.slice(from).find(predicate);
        if (found) {
          done();
          resolve(found);
        } else if (hasExited) {
          done();
          reject(new ChildProcessError(`the child exited before the expected event; stderr: ${stderr}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new ChildProcessError(`no such event from the child within ${timeoutMs} ms; stderr: ${stderr}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  const readyEvent = options.readyEvent ?? 'listening';
  let ready: ChildEvent;
  try {
    ready = await waitFor((e) => e.event === readyEvent, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    process: child,
    pid: child.pid!,
    ready,
    events,
    waitFor,
    async command(line, answer, timeoutMs = 30_000) {
      const from = events.length;
      child.stdin!.write(`${line}\n`);
      return waitFor((e) => e.event === answer, timeoutMs, from);
    },
    exited,
    alive: () => !hasExited,
    stderr: () => stderr,
    async procStatusKb(field) {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
      if (!match) throw new ChildProcessError(`no ${field} in /proc/${child.pid}/status`);
      return Number(match[1]);
    },
    async close() {
      if (!hasExited) child.stdin!.write('close\n');
      await exited;
    },
    async kill() {
      if (!hasExited) child.kill('SIGKILL');
      await exited;
    },
  };
}
