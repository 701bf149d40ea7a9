/**
 * Parent side of `scp-child.ts`: runs a StoreScp in its own Node process, reads its events, reads its memory from
 * `/proc/<pid>/status`, and kills it (gracefully or with SIGKILL). Test code only.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode, type ChildEvent, type JsonChild, startJsonChild } from '@netdicom/test-peers';
import type { StoreScpOptions } from '../store-scp.js';

export type { ChildEvent } from '@netdicom/test-peers';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.resolve(here, '..', '..');
const script = path.join(here, 'scp-child.ts');

/** How to run the child: `bundle` (plain node on a bundle, the default) or `tsx` (the TypeScript loader). */
export type ScpProcessMode = 'bundle' | 'tsx';

/**
 * A StoreScp running in a child process: the {@link JsonChild} it runs in (events, waitFor, exited, stderr, close,
 * kill), with the port it listens on and its memory.
 */
export interface ScpProcess
  extends Pick<JsonChild, 'process' | 'pid' | 'events' | 'waitFor' | 'exited' | 'stderr' | 'close' | 'kill'> {
  readonly port: number;
  /** The `listening` event (with `startup`: what the file store cleaned at open). */
  readonly listening: ChildEvent;
  /** A field of `/proc/<pid>/status` in kB, e.g. `VmHWM` (peak resident set) or `VmRSS`. */
  memoryKb(field: 'VmHWM' | 'VmRSS'): Promise<number>;
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
    ...child,
    port: child.ready['port'] as number,
    listening: child.ready,
    waitFor: (predicate, timeoutMs = 60_000, from) => child.waitFor(predicate, timeoutMs, from),
    memoryKb: (field) => child.procStatusKb(field),
  };
}
