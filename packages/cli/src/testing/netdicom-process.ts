/**
 * The built `netdicom` command as a child process, for the CLI's tests: started with its output collected, and run to
 * its exit. Test code only.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bin/netdicom.js of this package (it runs the built dist/). */
export const NETDICOM_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'netdicom.js');

/** A running `netdicom` process. */
export interface RunningNetdicom {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Exit code; rejects (after killing it) if the process has not exited within `timeoutMs`. */
  exited(timeoutMs?: number): Promise<number | null>;
}

/** Starts `netdicom <args>`. */
export function startNetdicom(args: readonly string[]): RunningNetdicom {
  const child = spawn(process.execPath, [NETDICOM_BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited: (timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`netdicom ${args.join(' ')} did not exit within ${timeoutMs} ms\n${stderr}`));
        }, timeoutMs);
        void exit.then((code) => {
          clearTimeout(timer);
          resolve(code);
        });
      }),
  };
}

/** What a finished `netdicom` run printed and its exit code. */
export interface NetdicomRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `netdicom <args>` (no standard input) to its exit. */
export async function runNetdicom(args: readonly string[], timeoutMs = 60_000): Promise<NetdicomRun> {
  const running = startNetdicom(args);
  running.child.stdin.end();
  const code = await running.exited(timeoutMs);
  return { code, stdout: running.stdout(), stderr: running.stderr() };
}
