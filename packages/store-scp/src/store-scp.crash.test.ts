/**
 * kill -9 of a StoreScp process in the middle of a 500 MB C-STORE (PS3.4 B.2.3: no Success without a durable file):
 * the sender (DCMTK storescu) sees the failure, no file exists under a final name, and the next StoreScp on the same
 * directory removes the temporary leftovers when it starts, then serves normally.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { makeCtSeries, runStorescu, writeLargeObject } from '@netdicom/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMP_DIR_NAME } from './file-store/index.js';
import { startScp } from './testing/scp.js';
import { type ScpProcess, startScpProcess } from './testing/scp-process.js';
import { listStoredFiles, listTempFiles } from './testing/tree.js';

const OBJECT_BYTES = 500 * 1000 * 1000;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'netdicom-scp-crash-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Size of the largest `.part` file under the store's temporary directory. */
async function largestPart(storageDir: string): Promise<number> {
  let largest = 0;
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name.endsWith('.part'))
        largest = Math.max(
          largest,
          await stat(full).then(
            (s) => s.size,
            () => 0,
          ),
        );
    }
  };
  await walk(path.join(storageDir, TEMP_DIR_NAME));
  return largest;
}

describe('kill -9 of the SCP process during a 500 MB store', () => {
  let child: ScpProcess | undefined;
  afterAll(async () => {
    await child?.kill();
  });

  it('leaves no file under a final name, the sender fails, the next start cleans up', async () => {
    const storageDir = path.join(work, 'storage');
    const large = await writeLargeObject(path.join(work, 'large.dcm'), OBJECT_BYTES);
    child = await startScpProcess({ storageDir, layout: 'patient' });

    const sending = runStorescu({
      port: child.port,
      aeTitle: 'MODALITY',
      calledAeTitle: 'NETDICOM',
      files: [large.path],
      timeoutMs: 120_000,
    });
    // Kill once well into the object: 100 MB of 500 in the temporary file.
    const deadline = Date.now() + 60_000;
    while ((await largestPart(storageDir)) < 100 * 1000 * 1000) {
      if (Date.now() > deadline) throw new Error(`the store never got going; child stderr: ${child.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await child.kill();
    expect((await child.exited).signal).toBe('SIGKILL');
    expect(child.events.filter((e) => e.event === 'received')).toEqual([]);

    const result = await sending;
    expect(result.code, 'storescu must report the failed store').not.toBe(0);
    expect(result.stderr).toMatch(/Store Failed/);

    // Only the temporary file: nothing under a final name.
    expect(await listStoredFiles(storageDir)).toEqual([]);
    const leftovers = await listTempFiles(storageDir);
    expect(leftovers.some((f) => f.endsWith('.part'))).toBe(true);

    // A new StoreScp on the same directory cleans up when it starts, then stores normally.
    const again = await startScp({ storageDir, layout: 'patient' });
    try {
      expect(again.scp.startup).toEqual({ removedTempFiles: 1, removedSessions: 1 });
      expect(await listTempFiles(storageDir)).toEqual([]);
      const [slice] = await makeCtSeries(path.join(work, 'ct'), 1);
      const sent = await runStorescu({
        port: again.port,
        aeTitle: 'MODALITY',
        calledAeTitle: 'NETDICOM',
        files: [slice!.path],
      });
      expect(sent.code, sent.stderr).toBe(0);
      expect(await listStoredFiles(storageDir)).toEqual([
        `${slice!.patientId}/${slice!.studyInstanceUid}/${slice!.seriesInstanceUid}/${slice!.sopInstanceUid}.dcm`,
      ]);
    } finally {
      await again.close();
    }
    expect(large.size).toBe(OBJECT_BYTES);
  }, 120_000);
});
