/**
 * The `netdicom` command (`@netdicom/cli`) as child processes: `netdicom listen` as a Storage SCP and `netdicom send`
 * as a Storage SCU (PS3.4 Annex B). They run the built command (`packages/cli/bin/netdicom.js` loads `dist/`), under
 * test-peers' process guard, so a test process that dies takes them with it.
 *
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { runTool, type SpawnedTool, spawnTool, type ToolResult } from '@netdicom/test-peers';
import { ChildProcessError } from '../errors.js';

const require = createRequire(import.meta.url);
const CLI_DIR = dirname(require.resolve('@netdicom/cli/package.json'));
const REPO_ROOT = join(CLI_DIR, '..', '..');

/** The `netdicom` executable script of this checkout. */
export const NETDICOM_BIN = join(CLI_DIR, 'bin', 'netdicom.js');

/** Workspace packages whose built output the command loads. */
const BUILT_PACKAGES = ['pdu', 'association', 'dimse', 'store-scu', 'store-scp', 'cli'];

/** Newest modification time of the files under `dir` that a build compiles (tests and `testing/` are not built). */
async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.endsWith('.test.ts')) continue;
    const path = join(entry.parentPath, entry.name);
    if (path.split(sep).includes('testing')) continue;
    newest = Math.max(newest, (await stat(path)).mtimeMs);
  }
  return newest;
}

/**
 * True when every package the command loads has a `dist/` at least as new as its `src/`. `pnpm test` at the root
 * builds first; a run of this package alone may find an old or missing build.
 */
export async function isCliBuildCurrent(): Promise<boolean> {
  for (const name of BUILT_PACKAGES) {
    const root = join(REPO_ROOT, 'packages', name);
    if (!existsSync(join(root, 'dist', 'index.js')) && !existsSync(join(root, 'dist', 'main.js'))) return false;
    if ((await newestMtime(join(root, 'src'))) > (await newestMtime(join(root, 'dist')))) return false;
  }
  return true;
}

/** Builds the command and the packages it loads (turbo, cached) unless the build is current. */
export async function ensureCliBuilt(): Promise<void> {
  if (await isCliBuildCurrent()) return;
  const result = await runTool(
    'pnpm',
    ['exec', 'turbo', 'run', 'build', '--filter=@netdicom/cli', '--output-logs=errors-only'],
    { cwd: REPO_ROOT, timeoutMs: 300_000, env: { TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' } },
  );
  if (result.code !== 0) {
    throw new ChildProcessError(
      `building @netdicom/cli failed (exit ${result.code}):\n${result.stdout}${result.stderr}`,
    );
  }
}

/** A running `netdicom listen`. */
export interface CliListener {
  readonly tool: SpawnedTool;
  readonly port: number;
  /** Asks it to stop (SIGTERM: stores in flight finish first) and resolves with how it ended. */
  terminate(timeoutMs?: number): Promise<ToolResult>;
}

/** Starts `netdicom listen --port 0 --host 127.0.0.1 ...args` and resolves once it prints the port it listens on. */
export async function startCliListener(args: readonly string[], timeoutMs = 30_000): Promise<CliListener> {
  const tool = await spawnTool(process.execPath, [
    NETDICOM_BIN,
    'listen',
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    ...args,
  ]);
  const deadline = Date.now() + timeoutMs;
  let port: number | undefined;
  while (port === undefined) {
    const match = /listening on 127\.0\.0\.1:(\d+)/.exec(tool.output());
    if (match !== null) port = Number(match[1]);
    else if (tool.hasExited())
      throw new ChildProcessError(`netdicom listen exited before listening:\n${tool.output()}`);
    else if (Date.now() > deadline) {
      await tool.stop();
      throw new ChildProcessError(`netdicom listen did not listen within ${timeoutMs} ms:\n${tool.output()}`);
    } else await delay(20);
  }
  return {
    tool,
    port,
    async terminate(ms = 30_000) {
      tool.signal('SIGTERM');
      const ended = await Promise.race([tool.exited, delay(ms).then(() => undefined)]);
      return ended ?? (await tool.stop());
    },
  };
}

/** Runs `netdicom send ...args` to completion. */
export function runCliSend(args: readonly string[], timeoutMs = 120_000): Promise<ToolResult> {
  return runTool(process.execPath, [NETDICOM_BIN, 'send', ...args], { timeoutMs });
}
