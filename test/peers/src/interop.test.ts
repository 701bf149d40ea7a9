// The fixtures travel between the real DCMTK tools unchanged: what other packages' interop tests rely on.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  dcmdumpElements,
  dcmdumpElementsOf,
  dcmdumpFiles,
  diffElements,
  parseDcmdump,
  runDcmsend,
  runStorescu,
  startDcmrecv,
  startStorescp,
} from './dcmtk.js';
import { storescuConfigArgs } from './dcmtk-config.js';
import { makeCtSeries, makeFixture, makeFixtureSet } from './fixtures.js';
import { rawPixelData } from './testing/helpers.js';
import { TransferSyntaxUid } from './transfer-syntaxes.js';

/** Every element of each file with its whole value (no length limit). */
function everything(paths: readonly string[]): Promise<Map<string, Record<string, string>>> {
  return dcmdumpElementsOf(paths, { args: ['+R', '4194302'], maxValueLength: Number.POSITIVE_INFINITY });
}

async function receivedBySopInstanceUid(files: readonly string[]): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const [file, text] of await dcmdumpFiles(files, ['-Un', '-s', '+P', '0008,0018'])) {
    const uid = parseDcmdump(text)['0008,0018'];
    if (uid !== undefined) map.set(uid, file);
  }
  return map;
}

describe('fixtures over DCMTK', () => {
  it('storescu sends every fixture in its own transfer syntax to storescp (acceptAll), which stores the same dataset and pixels', async () => {
    const fixtures = await makeFixtureSet();
    const scp = await startStorescp({ acceptAll: true });
    try {
      // One presentation context per SOP Class and transfer syntax of the fixtures (under the 128 limit).
      const result = await runStorescu({
        port: scp.port,
        files: fixtures.map((f) => f.path),
        extraArgs: await storescuConfigArgs(fixtures),
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const received = await receivedBySopInstanceUid(await scp.receivedFiles());
      expect(received.size).toBe(fixtures.length);
      // storescu re-encodes on the way (sequence lengths made explicit, deflate redone), so the datasets are
      // compared element by element, every value loaded in full: Pixel Data and each fragment byte for byte.
      const sent = await everything(fixtures.map((f) => f.path));
      const arrived = await everything(fixtures.map((f) => received.get(f.sopInstanceUid)!));
      for (const fixture of fixtures) {
        const elements = arrived.get(received.get(fixture.sopInstanceUid)!)!;
        expect(elements['0002,0010'], fixture.path).toBe(fixture.transferSyntaxUid);
        expect(diffElements(sent.get(fixture.path)!, elements), fixture.path).toEqual([]);
      }
    } finally {
      await scp.stop();
    }
  });

  it('dcmsend decompresses a lossless fixture for an SCP that accepts uncompressed only, keeping every element', async () => {
    const compressed = await makeFixture('odd-utf8', 'JPEGLSLossless');
    const original = await makeFixture('odd-utf8', 'ExplicitVRLittleEndian');
    const scp = await startStorescp();
    try {
      const sent = await runDcmsend({ port: scp.port, files: [compressed.path] });
      expect(sent.code).toBe(0);
      const [file] = await scp.receivedFiles();
      const elements = await dcmdumpElements(file!);
      expect(elements['0002,0010']).not.toBe(TransferSyntaxUid.JPEGLSLossless);
      // Pixel Data is compared as pixels: the decompressed value may come back as OW where the original is OB.
      const ignore = (key: string) => key.startsWith('0002,') || key === '0008,0018' || key === '7FE0,0010';
      expect(diffElements(await dcmdumpElements(original.path), elements, { ignore })).toEqual([]);
      expect((await rawPixelData(file!)).equals(await rawPixelData(original.path))).toBe(true);
    } finally {
      await scp.stop();
    }
  });

  it('a CT series of 50 slices goes through storescu to dcmrecv in one association', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'netdicom-series-'));
    const scp = await startDcmrecv();
    try {
      const slices = await makeCtSeries(dir, 50);
      const result = await runStorescu({ port: scp.port, files: [dir], extraArgs: ['+sd'] });
      expect(result.code).toBe(0);
      const received = await receivedBySopInstanceUid(await scp.receivedFiles());
      expect([...received.keys()].sort()).toEqual(slices.map((s) => s.sopInstanceUid).sort());
      const last = slices[49]!;
      expect(
        diffElements(await dcmdumpElements(last.path), await dcmdumpElements(received.get(last.sopInstanceUid)!)),
      ).toEqual([]);
    } finally {
      await scp.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
