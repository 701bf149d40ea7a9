/**
 * Parent side of `scp-child.ts`: runs a StoreScp in its own Node process inside a sandbox directory (its working
 * directory and its storage directory are both under the sandbox root, so anything written outside the storage
 * directory is visible), reads its events, its memory (`/proc/<pid>/status` and `process.memoryUsage()`), injects
 * file-system faults, and stops it gracefully or with SIGKILL. Test code only.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode, type ChildEvent, type JsonChild, startJsonChild } from '@netdicom/test-peers';
import type { ChildOptions } from './scp-child.js';

export type { ChildEvent } from '@netdicom/test-peers';

const here = path.dirname(fileURLToPath(import.meta.url));
const childScript = path.join(here, 'scp-child.ts');

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

/**
 * A StoreScp running in a child process: the {@link JsonChild} it runs in (events, waitFor, exited, alive, stderr,
 * close, kill), with its sandbox, port, memory and fault injection.
 */
export interface ScpProcess
  extends Pick<JsonChild, 'process' | 'pid' | 'events' | 'waitFor' | 'exited' | 'alive' | 'stderr' | 'close' | 'kill'> {
  readonly port: number;
  /** The sandbox root: holds `cwd/` (the child's working directory) and `storage/` (unless `storageDir` was given). */
  readonly sandbox: string;
  readonly storageDir: string;
  readonly cwd: string;
  readonly listening: ChildEvent;
  /** `VmRSS` or `VmHWM` of `/proc/<pid>/status`, bytes. */
  procMemory(field: 'VmRSS' | 'VmHWM'): Promise<number>;
  /** `process.memoryUsage()` after a full collection (with `exposeGc`; otherwise without collecting). */
  gcMemory(): Promise<ChildMemory>;
  /** Every later file-system operation `op` fails with `code` (`fault('sync', 'EIO')`); `fault(undefined)` clears. */
  fault(op: string | undefined, code?: string): Promise<void>;
  /** Kills the child if it still runs and removes the sandbox. */
  dispose(): Promise<void>;
}

/** Starts a StoreScp child in a sandbox and resolves once it listens on 127.0.0.1. */
export async function startScpProcess(options: ScpProcessOptions = {}): Promise<ScpProcess> {
  const sandbox = options.sandbox ?? (await mkdtemp(path.join(tmpdir(), 'netdicom-hostile-')));
  const cwd = path.join(sandbox, 'cwd');
  const storageDir = options.scp?.storageDir ?? path.join(sandbox, 'storage');
  await mkdir(cwd, { recursive: true });
  const script = await bundleForNode(childScript);
  const args = [...(options.exposeGc ? ['--expose-gc'] : []), script, JSON.stringify({ ...options.scp, storageDir })];
  const child = await startJsonChild(args, {
    cwd,
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
  });
  return {
    ...child,
    port: child.ready['port'] as number,
    sandbox,
    storageDir,
    cwd,
    listening: child.ready,
    procMemory: async (field) => (await child.procStatusKb(field)) * 1024,
    async gcMemory() {
      const event = await child.command('gc', 'memory');
      return {
        rss: event['rss'] as number,
        heapUsed: event['heapUsed'] as number,
        external: event['external'] as number,
        arrayBuffers: event['arrayBuffers'] as number,
      };
    },
    async fault(op, code = 'EIO') {
      await child.command(op === undefined ? 'fault none' : `fault ${op} ${code}`, 'fault');
    },
    async dispose() {
      await child.kill();
      if (options.sandbox === undefined) await rm(sandbox, { recursive: true, force: true });
    },
  };
}
