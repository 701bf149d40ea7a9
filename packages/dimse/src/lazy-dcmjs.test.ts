/**
 * dcmjs (tens of megabytes resident once loaded) is loaded only when a dcmjs data set is actually converted: importing
 * the package, or moving data sets as bytes, files and streams, never loads it.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

describe('dcmjs is loaded lazily', () => {
  it('importing @netdicom/dimse does not load dcmjs; converting a dcmjs data set does', () => {
    const script = `
      const dimse = await import(${JSON.stringify(join(here, 'index.ts'))});
      const { createRequire } = await import('node:module');
      const cache = createRequire(import.meta.url).cache;
      const loaded = () => Object.keys(cache).some((k) => /[\\\\/]dcmjs[\\\\/]/.test(k));
      const before = loaded();
      dimse.datasetToBytes({ PatientID: 'X', _vrMap: {} }, '1.2.840.10008.1.2.1');
      console.log(JSON.stringify({ before, after: loaded() }));
    `;
    const result = spawnSync(
      process.execPath,
      ['--conditions=@netdicom/source', '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: join(here, '..'), encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout.trim().split('\n').pop()!)).toEqual({ before: false, after: true });
  });
});
