/**
 * Runs DCMTK command-line tools (installed from Debian by scripts/setup.sh) for the file store tests, always with
 * `TCP_NODELAY=1` in their environment as the project requires.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Output of a tool run. */
export interface ToolOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `tool` with `args`; rejects when it exits non-zero. */
export async function runDcmtk(tool: string, args: readonly string[]): Promise<ToolOutput> {
  const { stdout, stderr } = await run(tool, [...args], {
    env: { ...process.env, TCP_NODELAY: '1' },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  return { stdout, stderr };
}

/** Value of the first `dcmdump` line for `tag` (e.g. `0002,0010`), as printed between the VR and the `#`. */
export function dumpValue(dump: string, tag: string): string | undefined {
  const line = dump.split('\n').find((l) => l.trimStart().startsWith(`(${tag})`));
  if (line === undefined) return undefined;
  const match = /^\s*\([0-9a-fA-F]{4},[0-9a-fA-F]{4}\) [A-Z]{2} (.*?)\s+#/.exec(line);
  return match?.[1];
}
