import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ToolFailedError, ToolNotFoundError, ToolTimeoutError } from './errors.js';
import { freePort, probePort } from './ports.js';
import { hasTool, resolveTool, runTool, spawnTool } from './process.js';

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await delay(25);
  }
}

describe('runTool', () => {
  it('runs a tool with TCP_NODELAY=1 in its environment and captures both streams', async () => {
    const result = await runTool('bash', ['-c', 'echo "nodelay=$TCP_NODELAY"; echo oops >&2; exit 3'], {
      env: { TCP_NODELAY: '0' },
    });
    expect(result.code).toBe(3);
    expect(result.signal).toBeNull();
    expect(result.stdout).toBe('nodelay=1\n');
    expect(result.stderr).toBe('oops\n');
    expect(result.truncated).toBe(false);
  });

  it('rejects with ToolFailedError when check is set and the tool fails', async () => {
    const error = await runTool('dcmdump', ['/nonexistent/file.dcm'], { check: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolFailedError);
    expect((error as ToolFailedError).code).toBe('ERR_NETDICOM_PEERS_TOOL_FAILED');
    expect((error as ToolFailedError).exitCode).not.toBe(0);
    expect((error as ToolFailedError).stderr).toMatch(/nonexistent/);
  });

  it('kills the tool and its process group on timeout', async () => {
    const port = await freePort();
    const error = await runTool('storescp', [String(port)], { timeoutMs: 700 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolTimeoutError);
    expect((error as ToolTimeoutError).code).toBe('ERR_NETDICOM_PEERS_TOOL_TIMEOUT');
    expect(await probePort(port)).toBe(false);
  });

  it('reports a missing tool with ToolNotFoundError', async () => {
    const error = await runTool('netdicom-no-such-tool', []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolNotFoundError);
    expect((error as ToolNotFoundError).code).toBe('ERR_NETDICOM_PEERS_TOOL_NOT_FOUND');
    expect(await hasTool('netdicom-no-such-tool')).toBe(false);
    expect(await hasTool('dcmdump')).toBe(true);
    expect(await resolveTool('dcmdump')).toMatch(/\/dcmdump$/);
  });

  it('keeps only the tail of very long output', async () => {
    const result = await runTool('bash', ['-c', 'for i in $(seq 1 20000); do echo "line $i"; done'], {
      maxOutputBytes: 4096,
    });
    expect(result.stdout.length).toBeLessThan(4096 + 8192);
    expect(result.truncated).toBe(true);
    expect(result.stdout).toMatch(/line 20000\n$/);
    expect(result.stdout).not.toMatch(/^line 1\n/);
  });
});

describe('spawnTool', () => {
  it('stops a server with its whole process group', async () => {
    const port = await freePort();
    const spawned = await spawnTool('storescp', ['-v', String(port)]);
    await waitUntil(() => probePort(port));
    const pgid = spawned.process.pid!;
    expect(groupAlive(pgid)).toBe(true);
    const result = await spawned.stop();
    expect(spawned.hasExited()).toBe(true);
    expect(result.code === null || result.code !== 0).toBe(true);
    expect(groupAlive(pgid)).toBe(false);
    expect(await probePort(port)).toBe(false);
  });

  it('forwards a signal to the tool alone, which can then exit cleanly', async () => {
    const spawned = await spawnTool('bash', [
      '-c',
      'trap "echo got-int; exit 7" INT; echo ready; while true; do sleep 0.05; done',
    ]);
    await waitUntil(() => spawned.stdout().includes('ready'));
    spawned.signal('SIGINT');
    const result = await spawned.exited;
    expect(result.code).toBe(7);
    expect(result.stdout).toBe('ready\ngot-int\n');
    spawned.signal('SIGINT');
  });

  it('kills the tool when the Node process that started it dies, even by SIGKILL', async () => {
    const script = fileURLToPath(new URL('./testing/guard-child.ts', import.meta.url));
    const outputDir = await mkdtemp(join(tmpdir(), 'netdicom-guard-'));
    onTestFinished(() => rm(outputDir, { recursive: true, force: true }));
    const child = spawn(process.execPath, ['--import', 'tsx', script, outputDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout });
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`guard child exited early (${code})`)));
    });
    const [port, pgid] = first.split(' ').map(Number) as [number, number];
    expect(await probePort(port)).toBe(true);
    expect(groupAlive(pgid)).toBe(true);
    child.kill('SIGKILL');
    await waitUntil(() => !groupAlive(pgid));
    expect(await probePort(port)).toBe(false);
  });
});
