/**
 * Parent side of `scp-child.ts`: runs a StoreScp in its own Node process, reads its events, reads its memory from
 * `/proc/<pid>/status`, and kills it (gracefully or with SIGKILL). Test code only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { StoreScpOptions } from '../store-scp.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.resolve(here, '..', '..');
const script = path.join(here, 'scp-child.ts');

let bundled: Promise<{ file: string; dir: string }> | undefined;

/**
 * `scp-child.ts` and everything it imports (workspace sources through the `@netdicom/source` condition, rxjs,
 * dcmjs) bundled into one ES module for plain `node`: the process then holds what a user's process holds running
 * the published JavaScript, without the TypeScript loader (tsx runs its hooks on a thread of their own, ~35 MB).
 * `ignoreAnnotations` keeps every module the package indexes import, as Node would load them (no tree shaking).
 */
function bundleChild(): Promise<{ file: string; dir: string }> {
  bundled ??= (async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'netdicom-scp-child-'));
    const file = path.join(dir, 'scp-child.mjs');
    await build({
      entryPoints: [script],
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
    return { file, dir };
  })();
  return bundled;
}

/** How to run the child: `bundle` (plain node on a bundle, the default) or `tsx` (the TypeScript loader). */
export type ScpProcessMode = 'bundle' | 'tsx';

/** One line the child printed. */
export interface ChildEvent {
  readonly event: string;
  readonly [key: string]: unknown;
}

/** A StoreScp running in a child process. */
export interface ScpProcess {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly port: number;
  /** The `listening` event (with `startup`: what the file store cleaned at open). */
  readonly listening: ChildEvent;
  readonly events: readonly ChildEvent[];
  /** Resolves with the first event (past or future) matching; rejects if the child exits first. */
  waitFor(predicate: (event: ChildEvent) => boolean, timeoutMs?: number): Promise<ChildEvent>;
  /** Resolves once the child has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the child wrote on stderr. */
  stderr(): string;
  /** A field of `/proc/<pid>/status` in kB, e.g. `VmHWM` (peak resident set) or `VmRSS`. */
  memoryKb(field: 'VmHWM' | 'VmRSS'): Promise<number>;
  /** Asks for a graceful close and waits for the exit. */
  close(): Promise<void>;
  /** SIGKILL, and waits for the exit. */
  kill(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts `scp-child.ts` with `options` and resolves once it listens. */
export async function startScpProcess(
  options: StoreScpOptions,
  { env = {}, mode = 'bundle' }: { env?: NodeJS.ProcessEnv; mode?: ScpProcessMode } = {},
): Promise<ScpProcess> {
  const args =
    mode === 'bundle'
      ? [(await bundleChild()).file, JSON.stringify(options)]
      : ['--conditions=@netdicom/source', '--import', 'tsx', script, JSON.stringify(options)];
  const child = spawn(process.execPath, args, {
    cwd: packageDir,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  children.add(child);
  const events: ChildEvent[] = [];
  const listeners = new Set<() => void>();
  let stderr = '';
  let buffered = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (text: string) => {
    buffered += text;
    for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      try {
        events.push(JSON.parse(line) as ChildEvent);
      } catch {
        stderr += `${line}\n`;
      }
    }
    for (const listener of [...listeners]) listener();
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => {
    stderr = (stderr + text).slice(-64 * 1024);
  });
  child.stdin!.on('error', () => undefined);
  let hasExited = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      hasExited = true;
      children.delete(child);
      for (const listener of [...listeners]) listener();
      resolve({ code, signal });
    });
  });

  const waitFor = (predicate: (event: ChildEvent) => boolean, timeoutMs = 60_000) =>
    new Promise<ChildEvent>((resolve, reject) => {
      const check = () => {
        const found = events.find(predicate);
        if (found) {
          done();
          resolve(found);
        } else if (hasExited) {
          done();
          reject(new Error(`the SCP child exited before the expected event; stderr: ${stderr}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no such event from the SCP child within ${timeoutMs} ms; stderr: ${stderr}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  const listening = await waitFor((e) => e.event === 'listening');
  return {
    process: child,
    pid: child.pid!,
    port: listening['port'] as number,
    listening,
    events,
    waitFor,
    exited,
    stderr: () => stderr,
    async memoryKb(field) {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
      if (!match) throw new Error(`no ${field} in /proc/${child.pid}/status`);
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
