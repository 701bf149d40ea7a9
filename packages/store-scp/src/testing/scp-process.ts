/**
 * Parent side of `scp-child.ts`: runs a StoreScp in its own Node process, reads its events, reads its memory from
 * `/proc/<pid>/status`, and kills it (gracefully or with SIGKILL). Test code only.
 */
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode, type ChildEvent, startJsonChild } from '@netdicom/test-peers';
import type { StoreScpOptions } from '../store-scp.js';

export type { ChildEvent } from '@netdicom/test-peers';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.resolve(here, '..', '..');
const script = path.join(here, 'scp-child.ts');

/** How to run the child: `bundle` (plain node on a bundle, the default) or `tsx` (the TypeScript loader). */
export type ScpProcessMode = 'bundle' | 'tsx';

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

/** Starts `scp-child.ts` with `options` and resolves once it listens. */
export async function startScpProcess(
  options: StoreScpOptions,
  { env = {}, mode = 'bundle' }: { env?: NodeJS.ProcessEnv; mode?: ScpProcessMode } = {},
): Promise<ScpProcess> {
  const args =
    mode === 'bundle'
      ? [await bundleForNode(script), JSON.stringify(options)]
      : ['--conditions=@netdicom/source', '--import', 'tsx', script, JSON.stringify(options)];
  const child = await startJsonChild(args, { cwd: packageDir, env, startTimeoutMs: 60_000 });
  return {
    process: child.process,
    pid: child.pid,
    port: child.ready['port'] as number,
    listening: child.ready,
    events: child.events,
    waitFor: (predicate, timeoutMs = 60_000) => child.waitFor(predicate, timeoutMs),
    exited: child.exited,
    stderr: child.stderr,
    memoryKb: (field) => child.procStatusKb(field),
    close: () => child.close(),
    kill: () => child.kill(),
  };
}
