/**
 * Small helpers to run the DCMTK command-line tools (installed from Debian) in tests: always with `TCP_NODELAY=1`,
 * loopback only, ephemeral ports found at run time. Test code only.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The environment every DCMTK tool runs with. */
export const dcmtkEnv = { ...process.env, TCP_NODELAY: '1' };

/** Runs a DCMTK tool to completion (output read as Latin-1); rejects on a non-zero exit. */
export async function runTool(
  tool: string,
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<{ stdout: string; stderr: string }> {
  const { stdout, stderr } = await execFileAsync(tool, [...args], {
    env: dcmtkEnv,
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
    encoding: 'latin1',
  });
  return { stdout: String(stdout), stderr: String(stderr) };
}

/** Writes `dump` text (as Latin-1 bytes) and turns it into a Part 10 file with `dump2dcm` (explicit VR little endian). */
export async function dumpToFile(dir: string, name: string, dump: string): Promise<string> {
  const dumpPath = join(dir, `${name}.dump`);
  const out = join(dir, `${name}.dcm`);
  await writeFile(dumpPath, dump, 'latin1');
  await runTool('dump2dcm', ['--write-xfer-little', dumpPath, out]);
  return out;
}

/** Re-encodes a file with `dcmconv` (`+ti`, `+te`, `+tb`, `+td`...). */
export async function convertFile(input: string, flag: string, out: string): Promise<string> {
  await runTool('dcmconv', [flag, input, out]);
  return out;
}

/** The values `dcmdump` prints for top-level tags (`[..]` text, or the raw rest of the line), by tag `gggg,eeee`. */
export async function dcmdumpValues(file: string, tags: readonly string[]): Promise<Map<string, string>> {
  const args = ['-q', '-Un', '+L', ...tags.flatMap((t) => ['+P', t]), file];
  const { stdout } = await runTool('dcmdump', args);
  const values = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^\(([0-9a-f]{4},[0-9a-f]{4})\) [A-Z]{2} (?:\[(.*?)\]|(\S+))\s+#/.exec(line);
    if (m) values.set(m[1]!, m[2] ?? m[3]!);
  }
  return values;
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = tcpConnect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A long-running DCMTK server process (storescp, dcmrecv) on an ephemeral port. */
export interface ToolServer {
  readonly port: number;
  readonly process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts a DCMTK listener with `args` (the port is appended) and waits until it accepts connections. */
export async function startToolServer(tool: string, args: readonly string[]): Promise<ToolServer> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(tool, [...args, String(port)], { env: dcmtkEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    // Keep the last 64 KiB of what the tool prints: enough to diagnose, bounded whatever it does.
    const append = (d: unknown) => {
      output = (output + String(d)).slice(-65536);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    const exited = once(child, 'exit').then(() => 'exited' as const);
    const ready = waitForPort(port).then(() => 'ready' as const);
    const state = await Promise.race([ready, exited]).catch(() => 'failed' as const);
    if (state === 'ready') {
      return {
        port,
        process: child,
        output: () => output,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            await exited;
          }
        },
      };
    }
    child.kill('SIGKILL');
    if (attempt >= 3) throw new Error(`${tool} did not start: ${output}`);
  }
}
