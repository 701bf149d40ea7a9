/**
 * Spawning DCMTK/GDCM tools for tests: always with `TCP_NODELAY=1`, output captured (bounded), and never left
 * behind. Each tool runs under a tiny bash guard in its own process group; the guard watches a pipe held by this
 * process and kills the whole group as soon as that pipe closes, so even a test process killed with SIGKILL leaves
 * no storescp running. Live groups are also killed on `process.on('exit')`.
 *
 * @packageDocumentation
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ToolFailedError, ToolNotFoundError, ToolTimeoutError } from './errors.js';

/** Default limit of captured output per stream; older output is dropped first. */
export const DEFAULT_MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

/** Options of {@link runTool} and {@link spawnTool}. */
export interface ToolOptions {
  /** Extra environment variables. `TCP_NODELAY=1` is always set and cannot be overridden. */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory of the tool. */
  readonly cwd?: string;
  /** How captured bytes become text (default `utf8`; use `latin1` to read ISO_IR 100 values byte for byte). */
  readonly encoding?: BufferEncoding;
  /** Keep at most this many bytes of each stream (the tail). Default {@link DEFAULT_MAX_OUTPUT_BYTES}. */
  readonly maxOutputBytes?: number;
}

/** Options of {@link runTool}. */
export interface RunToolOptions extends ToolOptions {
  /** Kill the tool (and its process group) after this many ms and reject with `ToolTimeoutError`. Default 60 000. */
  readonly timeoutMs?: number;
  /** Reject with `ToolFailedError` unless the exit code is 0. Default false: the code is returned. */
  readonly check?: boolean;
}

/** How a tool ended and what it printed. */
export interface ToolResult {
  /** Exit code; `null` when killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when output beyond `maxOutputBytes` was dropped (the oldest first) from stdout or stderr. */
  readonly truncated: boolean;
}

/** A tool running in the background (a peer such as storescp). */
export interface SpawnedTool {
  readonly tool: string;
  readonly args: readonly string[];
  /** The guard process (leader of the tool's process group). */
  readonly process: ChildProcess;
  /** Settles when the tool has exited and its output pipes are closed. Never rejects. */
  readonly exited: Promise<ToolResult>;
  /** True once the tool has exited. */
  hasExited(): boolean;
  /** stdout and stderr interleaved in arrival order. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** SIGTERM to the whole process group, SIGKILL after `graceMs` (default 3000); resolves once everything exited. */
  stop(graceMs?: number): Promise<ToolResult>;
  /** Sends SIGINT, SIGTERM or SIGHUP to the tool alone (through its guard), e.g. SIGINT for a clean tshark stop. */
  signal(signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP'): void;
}

// The guard: fd 3 (dup of our stdin pipe) reaches EOF when this Node process exits for whatever reason; then the
// whole process group (guard, tool, anything the tool forked) is killed. When the tool exits by itself, the guard
// stops its watcher and exits with the tool's status.
const GUARD = [
  'exec 3<&0 </dev/null',
  // A background job of a non-interactive shell starts with SIGINT ignored; give the tool its default back.
  'reset=(); env --default-signal=INT true 2>/dev/null && reset=(env --default-signal=INT,QUIT)',
  '"${reset[@]}" "$@" 3<&- &',
  'child=$!',
  '{ while read -r -u 3 _; do :; done; kill -KILL -- -$$; } >/dev/null 2>&1 &',
  'watcher=$!',
  'exec 3<&-',
  // A SIGTERM to the group reaches the tool too; the guard stays to reap it, so nothing is left orphaned.
  `trap 'kill -TERM "$child" 2>/dev/null' TERM`,
  `trap 'kill -INT "$child" 2>/dev/null' INT`,
  `trap 'kill -HUP "$child" 2>/dev/null' HUP`,
  'wait "$child"',
  'rc=$?',
  'while kill -0 "$child" 2>/dev/null; do wait "$child"; rc=$?; done',
  // The tool is done: silence the guard's own stderr so bash's "Killed" job report never reaches the output.
  'exec 2>/dev/null',
  'kill -KILL "$watcher"',
  'wait "$watcher" 2>/dev/null',
  'exit "$rc"',
].join('\n');

const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
  });
}

/** True while any process of the group still exists (zombies included). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

const resolvedTools = new Map<string, Promise<string>>();

/**
 * Finds an executable on `PATH` (or checks an absolute path). Rejects with `ToolNotFoundError`.
 */
export function resolveTool(tool: string): Promise<string> {
  let found = resolvedTools.get(tool);
  if (found === undefined) {
    found = (async () => {
      const candidates = isAbsolute(tool)
        ? [tool]
        : (process.env['PATH'] ?? '')
            .split(delimiter)
            .filter((d) => d !== '')
            .map((d) => join(d, tool));
      for (const candidate of candidates) {
        try {
          await access(candidate, fsConstants.X_OK);
          return candidate;
        } catch {
          // try the next directory
        }
      }
      throw new ToolNotFoundError(tool);
    })();
    resolvedTools.set(tool, found);
    found.catch(() => resolvedTools.delete(tool));
  }
  return found;
}

/** True when the tool is installed (on `PATH`). */
export async function hasTool(tool: string): Promise<boolean> {
  try {
    await resolveTool(tool);
    return true;
  } catch {
    return false;
  }
}

class OutputCapture {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.max && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
      this.truncated = true;
    }
  }
  text(encoding: BufferEncoding): string {
    return Buffer.concat(this.chunks).toString(encoding);
  }
}

/**
 * Starts a tool in the background under the guard described above, with `TCP_NODELAY=1` in its environment.
 * The returned handle captures output and can stop the tool; use it for servers, {@link runTool} for one-shot runs.
 */
export async function spawnTool(
  tool: string,
  args: readonly string[],
  options: ToolOptions = {},
): Promise<SpawnedTool> {
  const executable = await resolveTool(tool);
  installExitHook();
  const encoding = options.encoding ?? 'utf8';
  const max = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const out = new OutputCapture(max);
  const err = new OutputCapture(max);
  const both = new OutputCapture(max * 2);
  const child = spawn('bash', ['-c', GUARD, tool, executable, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env, TCP_NODELAY: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const pid = child.pid;
  if (pid !== undefined) liveGroups.add(pid);
  // The guard's stdin is only a lifeline; never let an EPIPE on it surface.
  child.stdin?.on('error', () => {});
  child.stdout?.on('data', (chunk: Buffer) => {
    out.push(chunk);
    both.push(chunk);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err.push(chunk);
    both.push(chunk);
  });
  let done = false;
  const exited = new Promise<ToolResult>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      if (pid !== undefined) {
        liveGroups.delete(pid);
        // Anything the tool forked and left behind (storescp --fork children) goes with it.
        killGroup(pid, 'SIGKILL');
      }
      child.stdin?.destroy();
      resolve({
        code,
        signal,
        stdout: out.text(encoding),
        stderr: err.text(encoding),
        truncated: out.truncated || err.truncated,
      });
    };
    child.on('close', finish);
    child.on('error', () => finish(null, null));
  });

  const stop = async (graceMs = 3000): Promise<ToolResult> => {
    if (!done && pid !== undefined) {
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
      }
      // Children the tool forked were re-parented when it died; give init a moment to reap them.
      const deadline = Date.now() + 2000;
      while (groupAlive(pid) && Date.now() < deadline) await delay(10);
    }
    return exited;
  };

  return {
    tool,
    args,
    process: child,
    exited,
    hasExited: () => done,
    output: () => both.text(encoding),
    stdout: () => out.text(encoding),
    stderr: () => err.text(encoding),
    stop,
    signal: (signal) => {
      if (done || pid === undefined) return;
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone.
      }
    },
  };
}

/**
 * Runs a tool to completion with `TCP_NODELAY=1`, capturing stdout and stderr. Resolves with the exit code (non-zero
 * is a value unless `check` is set); rejects with `ToolTimeoutError` after `timeoutMs` (default 60 s), having killed
 * the tool's process group, and with `ToolNotFoundError` when the tool is not installed.
 */
export async function runTool(
  tool: string,
  args: readonly string[],
  options: RunToolOptions = {},
): Promise<ToolResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const spawned = await spawnTool(tool, args, options);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void spawned.stop(1000);
  }, timeoutMs);
  const result = await spawned.exited;
  clearTimeout(timer);
  if (timedOut) throw new ToolTimeoutError(tool, args, timeoutMs, result.stdout, result.stderr);
  if (options.check === true && result.code !== 0) {
    throw new ToolFailedError(tool, args, result.code, result.signal, result.stdout, result.stderr);
  }
  return result;
}
