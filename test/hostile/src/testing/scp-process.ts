/**
 * Parent side of `scp-child.ts`: runs a StoreScp in its own Node process inside a sandbox directory (its working
 * directory and its storage directory are both under the sandbox root, so anything written outside the storage
 * directory is visible), reads its events, its memory (`/proc/<pid>/status` and `process.memoryUsage()`), injects
 * file-system faults, and stops it gracefully or with SIGKILL. Test code only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { ScpProcessError } from '../errors.js';
import type { ChildOptions } from './scp-child.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const childScript = path.join(here, 'scp-child.ts');

let bundled: Promise<string> | undefined;

/**
 * `scp-child.ts` and the workspace sources it imports (through the `@netdicom/source` condition) bundled into one ES
 * module, so the child runs on plain `node` (with `--expose-gc` when asked) without the TypeScript loader's thread
 * and memory. Built once per process.
 */
export function bundleScpChild(): Promise<string> {
  bundled ??= (async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'netdicom-hostile-child-'));
    const file = path.join(dir, 'scp-child.mjs');
    await build({
      entryPoints: [childScript],
      outfile: file,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['@netdicom/source'],
      ignoreAnnotations: true,
      logLevel: 'error',
      banner: {
        js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      },
    });
    process.once('exit', () => void rm(dir, { recursive: true, force: true }));
    return file;
  })();
  return bundled;
}

/** One JSON line the child printed. */
export interface ChildEvent {
  readonly event: string;
  readonly [key: string]: unknown;
}

/** `process.memoryUsage()` of the child, bytes. */
export interface ChildMemory {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

/** Options of {@link startScpProcess}. */
export interface ScpProcessOptions {
  /** StoreScp options (plain data). `storageDir` defaults to `<sandbox>/storage`. */
  readonly scp?: ChildOptions;
  /** An existing sandbox root to reuse (restart after a kill); default a new temporary directory. */
  readonly sandbox?: string;
  /** Run the child with `--expose-gc` so that `gc()` can force full collections before measuring. */
  readonly exposeGc?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  /** How long to wait for `listening`, ms (default 30 000). */
  readonly startTimeoutMs?: number;
}

/** A StoreScp running in a child process. */
export interface ScpProcess {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly port: number;
  /** The sandbox root: holds `cwd/` (the child's working directory) and `storage/` (unless `storageDir` was given). */
  readonly sandbox: string;
  readonly storageDir: string;
  readonly cwd: string;
  readonly listening: ChildEvent;
  /** Every event so far, in order. */
  readonly events: readonly ChildEvent[];
  /** The first event (past or future) matching; rejects when the child exits first or after `timeoutMs`. */
  waitFor(predicate: (event: ChildEvent) => boolean, timeoutMs?: number): Promise<ChildEvent>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  stderr(): string;
  /** `VmRSS` or `VmHWM` of `/proc/<pid>/status`, bytes. */
  procMemory(field: 'VmRSS' | 'VmHWM'): Promise<number>;
  /** `process.memoryUsage()` after a full collection (with `exposeGc`; otherwise without collecting). */
  gcMemory(): Promise<ChildMemory>;
  /** Every later file-system operation `op` fails with `code` (`fault('sync', 'EIO')`); `fault(undefined)` clears. */
  fault(op: string | undefined, code?: string): Promise<void>;
  /** Graceful close (`StoreScp.close()`), then waits for the exit. */
  close(): Promise<void>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
  /** Kills the child if it still runs and removes the sandbox. */
  dispose(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts a StoreScp child in a sandbox and resolves once it listens on 127.0.0.1. */
export async function startScpProcess(options: ScpProcessOptions = {}): Promise<ScpProcess> {
  const sandbox = options.sandbox ?? (await mkdtemp(path.join(tmpdir(), 'netdicom-hostile-')));
  const cwd = path.join(sandbox, 'cwd');
  const storageDir = options.scp?.storageDir ?? path.join(sandbox, 'storage');
  await mkdir(cwd, { recursive: true });
  const script = await bundleScpChild();
  const args = [...(options.exposeGc ? ['--expose-gc'] : []), script, JSON.stringify({ ...options.scp, storageDir })];
  const child = spawn(process.execPath, args, {
    cwd,
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
        stderr = (stderr + `${line}\n`).slice(-64 * 1024);
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
          reject(new ScpProcessError(`the SCP child exited before the expected event; stderr: ${stderr}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new ScpProcessError(`no such event from the SCP child within ${timeoutMs} ms; stderr: ${stderr}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  const command = async (line: string, answer: string): Promise<ChildEvent> => {
    const from = events.length;
    child.stdin!.write(`${line}\n`);
    return waitFor((e) => e.event === answer, 30_000, from);
  };

  let listening: ChildEvent;
  try {
    listening = await waitFor((e) => e.event === 'listening', options.startTimeoutMs ?? 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const handle: ScpProcess = {
    process: child,
    pid: child.pid!,
    port: listening['port'] as number,
    sandbox,
    storageDir,
    cwd,
    listening,
    events,
    waitFor: (predicate, timeoutMs) => waitFor(predicate, timeoutMs),
    exited,
    alive: () => !hasExited,
    stderr: () => stderr,
    async procMemory(field) {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
      if (!match) throw new ScpProcessError(`no ${field} in /proc/${child.pid}/status`);
      return Number(match[1]) * 1024;
    },
    async gcMemory() {
      const event = await command('gc', 'memory');
      return {
        rss: event['rss'] as number,
        heapUsed: event['heapUsed'] as number,
        external: event['external'] as number,
        arrayBuffers: event['arrayBuffers'] as number,
      };
    },
    async fault(op, code = 'EIO') {
      await command(op === undefined ? 'fault none' : `fault ${op} ${code}`, 'fault');
    },
    async close() {
      if (!hasExited) child.stdin!.write('close\n');
      await exited;
    },
    async kill() {
      if (!hasExited) child.kill('SIGKILL');
      await exited;
    },
    async dispose() {
      if (!hasExited) child.kill('SIGKILL');
      await exited;
      if (options.sandbox === undefined) await rm(sandbox, { recursive: true, force: true });
    },
  };
  return handle;
}
