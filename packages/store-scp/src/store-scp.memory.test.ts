/**
 * Constant memory: a StoreScp process receiving one huge C-STORE (PS3.7 9.1.1, the dataset streamed in P-DATA-TF
 * fragments, PS3.8 Annex E) keeps its peak resident set (VmHWM of /proc/<pid>/status) under 150 MB. The sender is our
 * own requestor (association + DIMSE client) streaming a generated dataset, so nothing of it exists on disk first.
 *
 * Size: `NETDICOM_SCP_MEMORY_BYTES` (default 2 GiB).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { dcmdump, largeDatasetStream, parseDcmdump } from '@netdicom/test-peers';
import { afterAll, describe, expect, it } from 'vitest';
import { connectScu } from './testing/scp.js';
import { type ScpProcess, startScpProcess } from './testing/scp-process.js';

const BYTES = Number(process.env['NETDICOM_SCP_MEMORY_BYTES'] ?? 2 * 1024 ** 3);
const LIMIT_KB = 150 * 1024;

describe('memory of a huge store', () => {
  let child: ScpProcess | undefined;
  let dir: string | undefined;
  afterAll(async () => {
    await child?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`stores ${(BYTES / 1024 ** 3).toFixed(2)} GiB with the SCP process under 150 MB resident`, async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'netdicom-scp-memory-'));
    child = await startScpProcess({ storageDir: dir, layout: 'flat' });
    const baselineKb = await child.memoryKb('VmHWM');

    const dataset = largeDatasetStream(BYTES);
    const scu = await connectScu(child.port, [
      { abstractSyntax: dataset.sopClassUid, transferSyntaxes: [dataset.transferSyntaxUid] },
    ]);
    const started = performance.now();
    const response = await scu.client.store({
      sopClassUid: dataset.sopClassUid,
      sopInstanceUid: dataset.sopInstanceUid,
      transferSyntax: dataset.transferSyntaxUid,
      dataset,
    });
    const seconds = (performance.now() - started) / 1000;
    await scu.release();
    const peakKb = await child.memoryKb('VmHWM');

    expect(response.status.code).toBe(0);
    const received = await child.waitFor((e) => e.event === 'received');
    expect(received['bytes']).toBe(BYTES);
    const file = received['path'] as string;
    expect(path.relative(dir, file)).toBe(`${dataset.sopInstanceUid}.dcm`);
    const size = (await stat(file)).size;
    expect(size).toBeGreaterThan(BYTES);
    expect(size - BYTES).toBeLessThan(1024);
    const meta = parseDcmdump(await dcmdump(file, ['-M', '-Un', '+P', '0002,0003', '+P', '0008,0018']));
    expect(meta['0002,0003']).toBe(dataset.sopInstanceUid);
    expect(meta['0008,0018']).toBe(dataset.sopInstanceUid);

    console.log(
      `[store-scp memory] ${(BYTES / 1e6).toFixed(0)} MB in ${seconds.toFixed(1)} s (${(BYTES / 1e6 / seconds).toFixed(0)} MB/s); ` +
        `SCP VmHWM ${(baselineKb / 1024).toFixed(0)} MB after start, ${(peakKb / 1024).toFixed(0)} MB peak`,
    );
    expect(peakKb).toBeLessThan(LIMIT_KB);
    await child.close();
  }, 300_000);
});
