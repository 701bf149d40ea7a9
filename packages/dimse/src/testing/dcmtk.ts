/**
 * DCMTK helpers of this package's tests, on top of `@netdicom/test-peers` (which runs every tool with
 * `TCP_NODELAY=1`, on loopback, with bounded output): making fixtures with dump2dcm/dcmconv and reading values back
 * with dcmdump. Test code only.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool as runPeerTool } from '@netdicom/test-peers';

/** Runs a DCMTK tool to completion (output read as Latin-1); rejects on a non-zero exit. */
export async function runTool(
  tool: string,
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<{ stdout: string; stderr: string }> {
  const result = await runPeerTool(tool, args, { check: true, encoding: 'latin1', timeoutMs });
  return { stdout: result.stdout, stderr: result.stderr };
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
