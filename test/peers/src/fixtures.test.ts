import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dcmdump, dcmdumpElements, dcmdumpElementsOf, dcmdumpFiles, diffElements, parseDcmdump } from './dcmtk.js';
import { FixtureError, InvalidArgumentError } from './errors.js';
import { FIXTURE_KINDS, type FixtureKind, fixtureKindInfo } from './fixture-datasets.js';
import {
  type Fixture,
  fixtureCacheDir,
  makeCtSeries,
  makeFixture,
  makeFixtureSet,
  supportsTransferSyntax,
} from './fixtures.js';
import { hashFile } from './large.js';
import { runTool } from './process.js';
import { Tag } from './tags.js';
import { logicalLines, pool, rawPixelData } from './testing/helpers.js';
import { TRANSFER_SYNTAXES, TransferSyntaxUid, transferSyntaxInfo } from './transfer-syntaxes.js';

let all: Fixture[];
let work: string;
const dumps = new Map<string, string>();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'netdicom-fixtures-test-'));
  all = await makeFixtureSet();
  // A strict dump of every fixture: any warning or error from DCMTK rejects.
  for (const [path, text] of await dcmdumpFiles(
    all.map((f) => f.path),
    ['-Un'],
    { strict: true },
  )) {
    dumps.set(path, text);
  }
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const IMAGE_KINDS = FIXTURE_KINDS.filter((k) => k.image !== undefined).map((k) => k.kind);
const OTHER_KINDS = FIXTURE_KINDS.filter((k) => k.image === undefined).map((k) => k.kind);
const byKindAndTs = (kind: FixtureKind, ts: string) =>
  all.find((f) => f.kind === kind && f.transferSyntaxUid === transferSyntaxInfo(ts)?.uid);

describe('makeFixtureSet', () => {
  it('makes images in every transfer syntax and other objects in the uncompressed ones', () => {
    const uncompressed = TRANSFER_SYNTAXES.filter((ts) => !ts.encapsulated).length;
    expect(IMAGE_KINDS.length).toBe(6);
    expect(OTHER_KINDS).toEqual(['sr', 'pdf', 'rt-plan', 'rt-struct']);
    expect(all).toHaveLength(IMAGE_KINDS.length * TRANSFER_SYNTAXES.length + OTHER_KINDS.length * uncompressed);
    expect(new Set(all.map((f) => f.path)).size).toBe(all.length);
    expect(new Set(all.map((f) => f.sopInstanceUid)).size).toBe(all.length);
    for (const kind of OTHER_KINDS) {
      expect(
        all.filter((f) => f.kind === kind).every((f) => !transferSyntaxInfo(f.transferSyntaxUid)!.encapsulated),
      ).toBe(true);
    }
  });

  it('every fixture reads in DCMTK without a warning and reports the promised transfer syntax and UIDs', () => {
    for (const fixture of all) {
      const elements = parseDcmdump(dumps.get(fixture.path)!);
      expect(elements['0002,0010'], fixture.path).toBe(fixture.transferSyntaxUid);
      expect(elements['0002,0002'], fixture.path).toBe(fixture.sopClassUid);
      expect(elements['0002,0003'], fixture.path).toBe(fixture.sopInstanceUid);
      expect(elements['0008,0016'], fixture.path).toBe(fixtureKindInfo(fixture.kind).sopClassUid);
      expect(elements['0008,0018'], fixture.path).toBe(fixture.sopInstanceUid);
      expect(elements['0010,0020'], fixture.path).toBe(fixture.patientId);
      expect(elements['0020,000D'], fixture.path).toBe(fixture.studyInstanceUid);
      expect(elements['0020,000E'], fixture.path).toBe(fixture.seriesInstanceUid);
      if (transferSyntaxInfo(fixture.transferSyntaxUid)!.encapsulated) {
        expect(elements['7FE0,0010'], fixture.path).toBe('(pixel sequence)');
        expect(elements['7FE0,0010[1]'], fixture.path).toBeDefined();
      }
    }
  });

  it('uses only tags DCMTK knows (outside the private groups), by the keywords in Tag', () => {
    const keywordOf = new Map<number, string>(Object.entries(Tag).map(([keyword, tag]) => [tag, keyword]));
    const seen = new Set<string>();
    const line = /^\s*\(([0-9a-f]{4}),([0-9a-f]{4})\) \w\w [\s\S]*#\s*(?:\d+|u\/l),\s*\d+ (.+)$/;
    for (const fixture of all) {
      for (const text of logicalLines(dumps.get(fixture.path)!)) {
        const match = line.exec(text);
        if (match === null) continue;
        const [, group = '', element = '', name = ''] = match;
        const tag = Number.parseInt(`${group}${element}`, 16);
        if (name.includes('Unknown Tag')) {
          expect([0x0009, 0x0029], `${fixture.path}: ${text}`).toContain(tag >>> 16);
        }
        const keyword = keywordOf.get(tag);
        if (keyword !== undefined) {
          expect(name.trim(), text).toBe(keyword);
          seen.add(keyword);
        }
      }
    }
    // Every tag constant is used by some fixture (the trailing padding is checked by the large-object tests).
    expect([...keywordOf.values()].filter((k) => !seen.has(k))).toEqual(['DataSetTrailingPadding']);
  });

  it('holds the same dataset in every uncompressed transfer syntax of a kind', async () => {
    const ignore = (key: string) =>
      key.startsWith('0002,') ||
      key === '0008,0018' ||
      // Implicit VR: private values have no VR (dcmdump shows bytes), and 8-bit Pixel Data reads as OW words.
      key.startsWith('0009,') ||
      key === '7FE0,0010';
    const paths = all.filter((f) => !transferSyntaxInfo(f.transferSyntaxUid)!.encapsulated).map((f) => f.path);
    const elements = await dcmdumpElementsOf(paths);
    await pool(FIXTURE_KINDS, 2, async ({ kind, image }) => {
      const referencePath = byKindAndTs(kind, 'ExplicitVRLittleEndian')!.path;
      const referencePixels = image === undefined ? undefined : await rawPixelData(referencePath);
      for (const ts of ['ImplicitVRLittleEndian', 'ExplicitVRBigEndian', 'DeflatedExplicitVRLittleEndian']) {
        const path = byKindAndTs(kind, ts)!.path;
        expect(diffElements(elements.get(referencePath)!, elements.get(path)!, { ignore }), `${kind} ${ts}`).toEqual(
          [],
        );
        if (referencePixels !== undefined)
          expect((await rawPixelData(path)).equals(referencePixels), `${kind} ${ts}`).toBe(true);
      }
    });
  });

  it('keeps private elements and their values in explicit VR variants', async () => {
    const paths = (['odd-latin1', 'odd-utf8'] as const).flatMap((kind) =>
      ['ExplicitVRLittleEndian', 'ExplicitVRBigEndian', 'DeflatedExplicitVRLittleEndian'].map(
        (ts) => byKindAndTs(kind, ts)!.path,
      ),
    );
    for (const elements of (await dcmdumpElementsOf(paths)).values()) {
      expect(elements['0009,0010']).toBe('NETDICOM TEST');
      expect(elements['0009,1002']).toBe('1\\2\\65535');
      expect(elements['0009,1006']).toBe('-123456\\2147483647');
      expect(elements['0009,1009']).toBe('(0010,0010)\\(7fe0,0010)');
      expect(elements['0009,1010[0].0029,1001']).toBe('nested');
      expect(elements['0009,1010[1].0008,0100']).toBe('ODD2');
    }
  });

  it('writes the odd cases: padding, empty values, character sets, nested and empty items', async () => {
    const latin1 = await dcmdumpElements(byKindAndTs('odd-latin1', 'ExplicitVRLittleEndian')!.path);
    // dcmdumpElements converts to UTF-8 (+U8), so it reports ISO_IR 192; the file says ISO_IR 100.
    expect(parseDcmdump(dumps.get(byKindAndTs('odd-latin1', 'ExplicitVRLittleEndian')!.path)!)['0008,0005']).toBe(
      'ISO_IR 100',
    );
    expect(latin1['0008,0005']).toBe('ISO_IR 192');
    expect(latin1['0010,0010']).toBe('Müller^Jürgen');
    expect(latin1['0008,0080']).toBe('Hôpital Universitaire');
    expect(latin1['0010,0020']).toBe('ODD-ID1');
    expect(latin1['0010,0030']).toBe('');
    expect(latin1['0010,0040']).toBe('');
    expect(latin1['0008,0070']).toBe('');
    expect(latin1['0008,1111']).toBe('(sequence)');
    expect(Object.keys(latin1).some((key) => key.startsWith('0008,1111['))).toBe(false);
    expect(latin1['0008,1115[0].0008,1140[1].0008,1150']).toBe('1.2.840.10008.5.1.4.1.1.7');
    expect(Object.keys(latin1).some((key) => key.startsWith('0008,1115[1].'))).toBe(false);
    expect(latin1['0010,4000']).toBe('Line one\\with a backslash\r\nLine two, odd');
    const utf8 = await dcmdumpElements(byKindAndTs('odd-utf8', 'ExplicitVRLittleEndian')!.path);
    expect(utf8['0008,0005']).toBe('ISO_IR 192');
    expect(utf8['0010,0010']).toBe('Ñoño^José=山田^太郎=やまだ^たろう');
    expect(utf8['0008,0080']).toBe('Κλινική Αθηνών');
    // Odd-length values on the wire: the creator (13 characters) and the patient ID (7) are padded to even lengths.
    const raw = dumps.get(byKindAndTs('odd-latin1', 'ExplicitVRLittleEndian')!.path)!;
    expect(raw).toMatch(/\(0009,0010\) LO \[NETDICOM TEST\]\s+#\s+14,/);
    expect(raw).toMatch(/\(0010,0020\) LO \[ODD-ID1\]\s+#\s+8,/);
    expect(raw).toMatch(/\(0009,1003\) OB 01\\02\\03\\04\\05\\00\s+#\s+6,/);
    expect(raw).toMatch(/\(0008,1115\) SQ \(Sequence with undefined length/);
  });

  it('writes an encapsulated PDF whose odd length is kept in Encapsulated Document Length', async () => {
    const elements = await dcmdumpElements(byKindAndTs('pdf', 'ExplicitVRLittleEndian')!.path, {
      args: ['+R', '64'],
      maxValueLength: 65_536,
    });
    const length = Number(elements['0042,0015']);
    expect(length % 2).toBe(1);
    expect(elements['0042,0012']).toBe('application/pdf');
    const bytes = Buffer.from(elements['0042,0011']!.split('\\').map((h) => Number.parseInt(h, 16)));
    expect(bytes.length).toBe(length + 1);
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');
    expect(bytes.subarray(0, length).toString('latin1')).toMatch(/startxref\n\d+\n%%EOF\n?$/);
    expect(bytes[length]).toBe(0);
  });

  it('lossless compressed variants decompress to exactly the original pixels', async () => {
    const decoders: Record<string, (input: string, output: string) => string[]> = {
      JPEGLossless: (i, o) => ['dcmdjpeg', i, o],
      JPEGLosslessSV1: (i, o) => ['dcmdjpeg', i, o],
      JPEGLSLossless: (i, o) => ['dcmdjpls', i, o],
      RLELossless: (i, o) => ['dcmdrle', i, o],
      JPEG2000Lossless: (i, o) => ['gdcmconv', '-w', '-i', i, '-o', o],
    };
    await pool(IMAGE_KINDS, 2, async (kind) => {
      const original = await rawPixelData(byKindAndTs(kind, 'ExplicitVRLittleEndian')!.path);
      for (const [ts, decoder] of Object.entries(decoders)) {
        const output = join(work, `${kind}-${ts}.dcm`);
        const [tool, ...args] = decoder(byKindAndTs(kind, ts)!.path, output) as [string, ...string[]];
        await runTool(tool, args, { check: true });
        expect((await rawPixelData(output)).equals(original), `${kind} ${ts}`).toBe(true);
      }
    });
  });

  it('marks lossy variants as lossy (Lossy Image Compression 01)', () => {
    for (const fixture of all) {
      const ts = transferSyntaxInfo(fixture.transferSyntaxUid)!;
      const elements = parseDcmdump(dumps.get(fixture.path)!);
      expect(elements['0028,2110'], `${fixture.kind} ${ts.keyword}`).toBe(ts.lossy ? '01' : undefined);
    }
  });

  it('returns the same fixture object on the second call without regenerating it', async () => {
    const first = await makeFixture('mr', 'RLELossless');
    expect(await makeFixture('mr', TransferSyntaxUid.RLELossless)).toBe(first);
    expect(first.path.startsWith(await fixtureCacheDir())).toBe(true);
    expect((await makeFixture('mr')).transferSyntaxUid).toBe(TransferSyntaxUid.ExplicitVRLittleEndian);
  });

  it('refuses combinations that cannot exist, unknown kinds and unknown transfer syntaxes', async () => {
    expect(supportsTransferSyntax('sr', 'JPEGBaseline8Bit')).toBe(false);
    expect(supportsTransferSyntax('sr', 'ExplicitVRBigEndian')).toBe(true);
    expect(supportsTransferSyntax('ct', '1.2.3.4')).toBe(false);
    await expect(makeFixture('sr', 'JPEGBaseline8Bit')).rejects.toBeInstanceOf(FixtureError);
    await expect(makeFixture('nope' as FixtureKind)).rejects.toThrow(/unknown fixture kind/);
    await expect(makeFixture('ct', '1.2.840.10008.1.2.4.100')).rejects.toBeInstanceOf(FixtureError);
    await expect(
      makeFixtureSet({ kinds: ['pdf'], transferSyntaxes: ['RLELossless'], strict: true }),
    ).rejects.toBeInstanceOf(FixtureError);
    expect(await makeFixtureSet({ kinds: ['pdf'], transferSyntaxes: ['RLELossless'] })).toEqual([]);
  });
});

describe('fixture cache', () => {
  it('parallel processes filling one fresh cache agree, and writer-made fixtures are identical byte for byte', async () => {
    const cacheDir = join(work, 'shared-cache');
    const script = fileURLToPath(new URL('./testing/make-fixtures-child.ts', import.meta.url));
    const run = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script, cacheDir], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
        });
        child.stderr.on('data', (chunk: Buffer) => {
          err += chunk.toString();
        });
        child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child failed (${code}): ${err}`))));
      });
    const [a, b] = await Promise.all([run(), run()]);
    const first = JSON.parse(a) as Fixture[];
    const second = JSON.parse(b) as Fixture[];
    expect(first).toEqual(second);
    expect(first).toHaveLength(5);
    for (const fixture of first) {
      const elements = parseDcmdump(await dcmdump(fixture.path, ['-Un'], { strict: true }));
      expect(elements['0008,0018']).toBe(fixture.sopInstanceUid);
      expect(elements['0002,0010']).toBe(fixture.transferSyntaxUid);
    }
    // No temporary directories or locks are left behind.
    for (const kind of ['ct', 'sr']) {
      expect(
        (await readdir(join(cacheDir, kind))).filter((name) => name.startsWith('.') || name.endsWith('.lock')),
      ).toEqual([]);
    }
    const fresh = first.find(
      (f) => f.kind === 'ct' && f.transferSyntaxUid === TransferSyntaxUid.ExplicitVRLittleEndian,
    )!;
    expect(await hashFile(fresh.path)).toBe(await hashFile(byKindAndTs('ct', 'ExplicitVRLittleEndian')!.path));
  });
});

describe('makeCtSeries', () => {
  it('writes one series of CT slices of ~513 KB that DCMTK reads, with consecutive positions', async () => {
    const dir = join(work, 'series');
    const slices = await makeCtSeries(dir, 5);
    expect(slices).toHaveLength(5);
    expect((await readdir(dir)).sort()).toEqual([
      'CT000001.dcm',
      'CT000002.dcm',
      'CT000003.dcm',
      'CT000004.dcm',
      'CT000005.dcm',
    ]);
    expect(new Set(slices.map((s) => s.studyInstanceUid)).size).toBe(1);
    expect(new Set(slices.map((s) => s.seriesInstanceUid)).size).toBe(1);
    expect(new Set(slices.map((s) => s.sopInstanceUid)).size).toBe(5);
    for (const slice of slices) {
      expect(slice.size).toBeGreaterThan(512 * 512 * 2);
      expect(slice.size).toBeLessThan(530_000);
      expect(slice.sopInstanceUid).toMatch(/^2\.25\.\d+$/);
    }
    const positions: number[] = [];
    for (const [i, slice] of slices.entries()) {
      const elements = parseDcmdump(await dcmdump(slice.path, ['-Un'], { strict: true }));
      expect(elements['0020,0013']).toBe(String(i + 1));
      expect(elements['0008,0018']).toBe(slice.sopInstanceUid);
      expect(elements['0020,000E']).toBe(slice.seriesInstanceUid);
      positions.push(Number(elements['0020,0032']!.split('\\')[2]));
    }
    expect(positions).toEqual([-200, -197.5, -195, -192.5, -190]);
    // Another call makes another study; the same seed makes the same one.
    const other = await makeCtSeries(join(work, 'series-2'), 1);
    expect(other[0]!.studyInstanceUid).not.toBe(slices[0]!.studyInstanceUid);
    const again = await makeCtSeries(join(work, 'series-3'), 2, {
      seed: 'fixed',
      transferSyntax: 'ImplicitVRLittleEndian',
    });
    const same = await makeCtSeries(join(work, 'series-4'), 2, {
      seed: 'fixed',
      transferSyntax: 'ImplicitVRLittleEndian',
    });
    expect(await hashFile(again[1]!.path)).toBe(await hashFile(same[1]!.path));
    expect(again[0]!.transferSyntaxUid).toBe(TransferSyntaxUid.ImplicitVRLittleEndian);
  });

  it('rejects bad counts and transfer syntaxes it cannot write', async () => {
    await expect(makeCtSeries(join(work, 'bad'), -1)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(makeCtSeries(join(work, 'bad'), 1, { transferSyntax: 'RLELossless' })).rejects.toBeInstanceOf(
      FixtureError,
    );
    expect(await makeCtSeries(join(work, 'empty'), 0)).toEqual([]);
  });
});
